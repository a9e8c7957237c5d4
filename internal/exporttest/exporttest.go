// Package exporttest checks a vendor's persisted form of its tokens, the
// same way for every vendor: the explicit export round-trips whole, it is
// the only way a secret reaches the encoded form, and a token of another
// vendor is refused. Vendor packages call RoundTrip from their tests.
package exporttest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

// Reencode returns what DecodeExported reads from e.Encode(): the
// persisted form as another process gets it from a file. It fails t on any
// error.
func Reencode(t testing.TB, e *tokenkit.Exported) *tokenkit.Exported {
	t.Helper()
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := tokenkit.DecodeExported(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// RoundTrip exports each token, encodes and decodes the persisted form,
// imports it with imp, and fails t unless the token comes back equal and
// presents itself the same way. It also fails when a secret shows in the
// token's or the persisted form's JSON or printed form, and when imp
// accepts another vendor's token.
func RoundTrip(t testing.TB, imp tokenkit.ImportFunc, toks []tokenkit.Token, secrets ...string) {
	t.Helper()
	leaks := func(s string) bool {
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				return true
			}
		}
		return false
	}
	for _, tok := range toks {
		exp, ok := tok.(tokenkit.Exportable)
		if !ok {
			t.Fatalf("%T is not tokenkit.Exportable", tok)
		}
		e, err := exp.Export()
		if err != nil {
			t.Fatal(err)
		}
		if out, err := json.Marshal(tok); err == nil && leaks(string(out)) {
			t.Fatalf("json.Marshal of %T leaked a secret", tok)
		}
		if out, err := json.Marshal(e); err == nil || leaks(string(out)) {
			t.Fatal("json.Marshal of the persisted form must fail: only Encode writes secrets")
		}
		if s := fmt.Sprintf("%v %+v %#v", e, e, e); leaks(s) {
			t.Fatalf("the persisted form printed a secret: %s", s)
		}
		got, err := imp(Reencode(t, e))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tok) {
			t.Fatalf("round trip: got %#v, want %#v", got, tok)
		}
		r1, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		r2, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		tok.SetAuthHeader(r1)
		got.SetAuthHeader(r2)
		if !reflect.DeepEqual(r1.Header, r2.Header) {
			t.Fatalf("the imported %T presents itself differently", tok)
		}
	}
	other := tokenkit.NewExported("somebody-else", "access_token", time.Time{})
	if _, err := imp(other); !errors.Is(err, tokenkit.ErrExportFormat) {
		t.Fatalf("Import of another vendor's token: %v", err)
	}
}
