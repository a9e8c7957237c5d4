package tokenkit_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/leaktest"
)

// TestSourcePrintsNoToken: a Source (and a Transport or client holding one)
// printed or encoded every way shows neither its Initial token nor the
// token it cached, though it holds both.
func TestSourcePrintsNoToken(t *testing.T) {
	const initial, fetched = "initial-secret-AAAA", "fetched-secret-BBBB"
	s := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		return tokenkit.NewBearerToken(fetched, time.Now().Add(time.Hour)), nil
	}, tokenkit.SourceConfig{Initial: tokenkit.NewBearerToken(initial, time.Now().Add(-time.Hour)), Vendor: "csp", Name: "APITokenSource"})
	before := leaktest.Encode(s)
	if _, err := s.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	tr := &tokenkit.Transport{Source: s}
	out := before + leaktest.Encode(s) + leaktest.Encode(tr) + leaktest.Encode(*tr) + leaktest.Encode(tokenkit.NewClient(s, http.DefaultTransport))
	for _, secret := range []string{initial, fetched} {
		if strings.Contains(out, secret) {
			t.Fatalf("a token leaked:\n%s", out)
		}
	}
	if !strings.Contains(out, "APITokenSource") {
		t.Errorf("the Source does not say which it is:\n%s", before)
	}
}
