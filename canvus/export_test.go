package canvus

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

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tok := range exportSamples() {
		e, err := tok.(tokenkit.Exportable).Export()
		if err != nil {
			t.Fatal(err)
		}
		if out, err := json.Marshal(e); err == nil || strings.Contains(string(out), "acc-secret") {
			t.Fatal("json.Marshal of the persisted form must fail")
		}
		if s := fmt.Sprintf("%v %+v %#v", e, e, e); strings.Contains(s, "acc-secret") || strings.Contains(s, "key-secret") {
			t.Fatalf("the persisted form printed a secret: %s", s)
		}
		b, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		d, err := tokenkit.DecodeExported(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Import(d)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tok) {
			t.Fatalf("round trip: got %#v, want %#v", got, tok)
		}
		r1, _ := http.NewRequest("GET", "http://127.0.0.1/", nil)
		r2, _ := http.NewRequest("GET", "http://127.0.0.1/", nil)
		tok.SetAuthHeader(r1)
		got.SetAuthHeader(r2)
		if !reflect.DeepEqual(r1.Header, r2.Header) {
			t.Fatal("the imported token presents itself differently")
		}
	}
	other := tokenkit.NewExported("somebody-else", "access_token", time.Time{})
	if _, err := Import(other); !errors.Is(err, tokenkit.ErrExportFormat) {
		t.Fatalf("Import of another vendor's token: %v", err)
	}
}

func exportSamples() []tokenkit.Token {
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	return []tokenkit.Token{
		&AccessToken{value: "acc-secret", ID: "abc", Description: "bot", UserID: 3, CreatedAt: at},
		&LoginToken{value: "acc-secret", ExpiresAt: at, Remember: true, User: User{ID: 3, Name: "n", Email: "e@example.com"}},
	}
}
