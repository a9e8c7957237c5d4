package xoauth2_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/xoauth2"
)

// Any library that takes an oauth2.TokenSource works with every vendor whose
// token goes in the Authorization header.
func ExampleTokenSource() {
	src := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		return tokenkit.NewBearerToken("abc", time.Time{}), nil
	}, tokenkit.SourceConfig{})
	ts := xoauth2.TokenSource(context.Background(), src)
	tok, _ := ts.Token()
	fmt.Println(tok.Type(), tok.AccessToken)
	// Output:
	// Bearer abc
}

func TestTokenSource(t *testing.T) {
	t.Parallel()
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	src := tokenkit.StaticSource(tokenkit.NewBearerToken("abc", exp))
	ot, err := xoauth2.TokenSource(context.Background(), src).Token()
	if err != nil {
		t.Fatal(err)
	}
	if ot.AccessToken != "abc" || ot.Type() != "Bearer" || !ot.Expiry.Equal(exp) {
		t.Fatalf("got %+v", ot)
	}
}

// headerToken is presented in a vendor header, as Commvault's and Canvus's
// tokens are.
type headerToken struct{ v string }

func (h headerToken) Value() string                 { return h.v }
func (h headerToken) Expiry() time.Time             { return time.Time{} }
func (h headerToken) SetAuthHeader(r *http.Request) { r.Header.Set("Private-Token", h.v) }

// TestTokenSourceRefusesOtherHeaders: a token an oauth2.Token cannot carry is
// a configuration error, never a Bearer header the server would refuse.
func TestTokenSourceRefusesOtherHeaders(t *testing.T) {
	t.Parallel()
	_, err := xoauth2.TokenSource(context.Background(), tokenkit.StaticSource(headerToken{"pat-123456"})).Token()
	if !errors.Is(err, tokenkit.ErrConfig) {
		t.Fatalf("got %v, want a KindConfig error", err)
	}
}
