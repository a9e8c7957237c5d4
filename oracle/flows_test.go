package oracle_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/internal/wiretest"
	"github.com/tokenkit/tokenkit/oracle"
)

// TestRevokedRefreshTokenWithoutCredentialsSameError: a refresh-token flow
// with a refused refresh token and no credentials fails with the same
// refused-credential error every time, not "invalid credential" once and
// "invalid input" after; and it does not present the dead token again.
func TestRevokedRefreshTokenWithoutCredentialsSameError(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(ada)
	rt := fake.IssueRefreshToken("ada")
	fake.RevokeRefreshToken(rt)
	ctx := context.Background()

	ex, err := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{RefreshToken: tokenkit.Secret(rt)})
	if err != nil {
		t.Fatal(err)
	}
	var first error
	for i := range 3 {
		_, err := ex.Exchange(ctx)
		if !errors.Is(err, tokenkit.ErrInvalidCredential) || tokenkit.KindOf(err) != tokenkit.KindInvalidCredential {
			t.Fatalf("exchange %d: %v (kind %s), want the refused refresh token", i, err, tokenkit.KindOf(err))
		}
		if i == 0 {
			first = err
		} else if err.Error() != first.Error() {
			t.Fatalf("exchange %d: %q, want the same error as the first, %q", i, err, first)
		}
	}
	if n := fake.Calls("GetAccessToken"); n != 1 {
		t.Fatalf("token calls %d, want 1: the refused token is not sent again", n)
	}

	// The same through a Source that holds nothing back between calls.
	rt2 := fake.IssueRefreshToken("ada")
	fake.RevokeRefreshToken(rt2)
	src, err := c.RefreshTokenSource(oracle.RefreshTokenRequest{RefreshToken: tokenkit.Secret(rt2)},
		tokenkit.SourceConfig{HoldCredentialFailure: -1, FailureBackoff: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := src.Token(ctx); tokenkit.KindOf(err) != tokenkit.KindInvalidCredential {
			t.Fatalf("Source call %d: %v (kind %s), want invalid credential every time", i, err, tokenkit.KindOf(err))
		}
	}
}

// TestOpNamesAreTheMethodsCalled: tokenkit.Error.Op names the Go method the
// caller called, not the OpenAPI operation both token forms share.
func TestOpNamesAreTheMethodsCalled(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t, tokenkit.WithRetryMax(0))
	mt.RegisterResponder("POST", tokenURL, jsonResponder(403, `{"title":"Forbidden"}`))
	mt.RegisterResponder("GET", `=~^`+meURL, jsonResponder(401, `{"title":"Unauthorized"}`))
	ctx := context.Background()
	cred := oracle.Credentials{Username: "u", Password: "p"}
	bearer := tokenkit.NewBearerToken("t-1", time.Time{})
	tokens, err := c.Tokens(tokenkit.StaticSource(bearer))
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := c.PasswordExchanger(cred)
	rf, _ := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{RefreshToken: "rt-1"})
	for _, tc := range []struct {
		want string
		call func() error
	}{
		{"ExchangePassword", func() error { _, err := c.ExchangePassword(ctx, cred); return err }},
		{"ExchangeRefreshToken", func() error { _, err := c.ExchangeRefreshToken(ctx, "rt-1"); return err }},
		{"RenewAccessToken", func() error { _, err := c.RenewAccessToken(ctx, bearer); return err }},
		{"RequestToken", func() error { _, err := c.RequestToken(ctx, oracle.TokenRequest{Credentials: &cred}); return err }},
		{"Renew", func() error { _, err := c.Renew(ctx, bearer); return err }},
		{"Issue", func() error { _, err := tokens.Issue(ctx, tokenkit.IssueRequest{}); return err }},
		{"Check", func() error { _, err := c.Check(ctx, bearer); return err }},
		{"CurrentUser", func() error {
			_, err := c.CurrentUser(ctx, tokenkit.StaticSource(bearer), oracle.UserQuery{})
			return err
		}},
		// The exchangers' errors name the exchange they made.
		{"ExchangePassword", func() error { _, err := pw.Exchange(ctx); return err }},
		{"ExchangeRefreshToken", func() error { _, err := rf.Exchange(ctx); return err }},
	} {
		var te *tokenkit.Error
		if err := tc.call(); !errors.As(err, &te) || te.Op != tc.want {
			t.Errorf("%s: error %v has another Op", tc.want, err)
		}
	}
}

func TestWithPresentation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	present := func(opts ...tokenkit.Option) http.Header {
		t.Helper()
		c, mt := newMocked(t, opts...)
		mt.RegisterResponder("POST", tokenURL, jsonResponder(200, `{"accessToken":"x-token","tokenType":"OAuth"}`))
		tok, err := c.ExchangePassword(ctx, oracle.Credentials{Username: "u", Password: "p"})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest("GET", host, nil)
		tok.SetAuthHeader(r)
		return r.Header
	}
	if h := present(); h.Get("Authorization") != "OAuth x-token" {
		t.Errorf("default: %v, want the instance's tokenType as the scheme", h)
	}
	if h := present(oracle.WithPresentation(tokenkit.Bearer())); h.Get("Authorization") != "Bearer x-token" {
		t.Errorf("Bearer: %v", h)
	}
	h := present(oracle.WithPresentation(tokenkit.Bearer(), tokenkit.Presentation{Header: "X-OCM-Token"}))
	if h.Get("Authorization") != "Bearer x-token" || h.Get("X-OCM-Token") != "x-token" {
		t.Errorf("two presentations: %v", h)
	}

	// The presentation reaches every token the client makes: a held one,
	// and an Initial token of a Source.
	c, mt := newMocked(t, oracle.WithPresentation(tokenkit.Presentation{Header: "X-OCM-Token"}))
	held, err := c.NewAccessToken(tokenkit.HeldToken{Value: "held-1"})
	if err != nil {
		t.Fatal(err)
	}
	rec := &wiretest.Recorder{}
	mt.RegisterResponder("GET", `=~^`+meURL, rec.Wrap(jsonResponder(200, `{"email":"u@example.com"}`)))
	if _, err := c.Check(ctx, held); err != nil {
		t.Fatal(err)
	}
	if r := rec.All()[0]; r.Header.Get("X-OCM-Token") != "held-1" || r.Header.Get("Authorization") != "" {
		t.Errorf("held token presented as %v", r.Header)
	}

	for name, opt := range map[string]tokenkit.Option{
		"none":           oracle.WithPresentation(),
		"invalid header": oracle.WithPresentation(tokenkit.Presentation{Header: "Bad Header"}),
		"reserved":       oracle.WithPresentation(tokenkit.Presentation{Header: "Cookie"}),
		"duplicate":      oracle.WithPresentation(tokenkit.Bearer(), tokenkit.Presentation{Header: "authorization", Prefix: "Token "}),
	} {
		if _, err := oracle.New(host, opt); !errors.Is(err, tokenkit.ErrConfig) {
			t.Errorf("%s: New gave %v, want ErrConfig", name, err)
		}
	}
	if _, err := canvus.New(host, oracle.WithPresentation(tokenkit.Bearer())); !errors.Is(err, tokenkit.ErrConfig) {
		t.Errorf("another vendor's New took oracle.WithPresentation: %v", err)
	}
}

// TestSourceInitialTokenPresentedByClient: an *AccessToken handed to a
// Source as Initial (read back with ImportAccessToken) presents itself as
// the client's tokens do.
func TestSourceInitialTokenPresentedByClient(t *testing.T) {
	t.Parallel()
	c, _ := newMocked(t, oracle.WithPresentation(tokenkit.Presentation{Header: "X-OCM-Token"}))
	e := tokenkit.NewExported("oracle", "access_token", time.Now().Add(time.Hour))
	e.Secrets["access_token"] = "saved-1"
	e.Secrets["refresh_token"] = "rt-saved"
	saved, err := oracle.ImportAccessToken(e)
	if err != nil {
		t.Fatal(err)
	}
	src, err := c.RefreshTokenSource(oracle.RefreshTokenRequest{}, tokenkit.SourceConfig{Initial: saved})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest("GET", host, nil)
	tok.SetAuthHeader(r)
	if r.Header.Get("X-OCM-Token") != "saved-1" || r.Header.Get("Authorization") != "" {
		t.Fatalf("initial token presented as %v", r.Header)
	}
}

func TestNewAccessToken(t *testing.T) {
	t.Parallel()
	c, _ := newMocked(t)
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: "held-value", RefreshToken: "held-refresh", Expiry: exp})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest("GET", host, nil)
	tok.SetAuthHeader(r)
	if tok.Value() != "held-value" || tok.RefreshToken != "held-refresh" || !tok.Expiry().Equal(exp) ||
		r.Header.Get("Authorization") != "Bearer held-value" {
		t.Fatalf("token %v presented as %v", tok, r.Header)
	}
	e, err := tokenkit.Export(tok)
	if err != nil || e.Secrets["refresh_token"] != "held-refresh" {
		t.Fatalf("export %v, %v: the refresh token must be kept", e, err)
	}
	for field, h := range map[string]tokenkit.HeldToken{
		"HeldToken.Value":        {},
		"HeldToken.ID":           {Value: "v", ID: "token-42"},
		"HeldToken.RefreshToken": {Value: "v", RefreshToken: "  "},
	} {
		_, err := c.NewAccessToken(h)
		if !errors.Is(err, tokenkit.ErrInvalidInput) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: got %v, want invalid input naming the field", field, err)
		}
	}
}

// TestRefreshAnswerWithoutRefreshTokenCarriesHeldOne: an instance that does
// not rotate may answer a refresh without a refreshToken; the exchanger's
// token then carries the refresh token it still holds, so saving that token
// saves what continues it.
func TestRefreshAnswerWithoutRefreshTokenCarriesHeldOne(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t)
	mt.RegisterResponder("POST", tokenURL, jsonResponder(200, `{"accessToken":"at-1","expiresInMillis":60000}`))
	ex, err := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{RefreshToken: "rt-kept-1"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ex.Exchange(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.(*oracle.AccessToken).RefreshToken; got != "rt-kept-1" {
		t.Fatalf("token carries refresh token %v, want the held one", got != "")
	}
	if e, err := tokenkit.Export(tok); err != nil || e.Secrets["refresh_token"] != "rt-kept-1" {
		t.Fatalf("export: %v", err)
	}
}

// TestSourceInitialRefreshTokenWins: the refresh token of a persisted
// Initial token (what Save wrote, after any rotation) is used rather than
// the request's, which rotation may have consumed.
func TestSourceInitialRefreshTokenWins(t *testing.T) {
	t.Parallel()
	clock := newClock()
	fake, c := newFake(t, tokenkit.WithClock(clock.Now))
	fake.SetClock(clock.Now)
	fake.SetAccessTokenTTL(time.Hour)
	fake.AddUser(ada)
	stale := fake.IssueRefreshToken("ada")
	saved, err := c.ExchangeRefreshToken(context.Background(), tokenkit.Secret(stale)) // rotates stale away
	if err != nil {
		t.Fatal(err)
	}
	src, err := c.RefreshTokenSource(oracle.RefreshTokenRequest{RefreshToken: tokenkit.Secret(stale)}, tokenkit.SourceConfig{Initial: saved})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatalf("refresh with the saved token's refresh token: %v", err)
	}
	reqs := fake.Requests()
	if len(reqs) != 2 || reqs[1].JSON["refreshToken"] != saved.RefreshToken.Reveal() {
		t.Fatal("the Source must refresh with the Initial token's refresh token")
	}
}

// TestNewTakesTheOrigin: a base with a path is refused with an error that
// names the origin to give.
func TestNewTakesTheOrigin(t *testing.T) {
	t.Parallel()
	_, err := oracle.New("https://ocm.test/system/api/v1")
	if !errors.Is(err, tokenkit.ErrConfig) || !strings.Contains(err.Error(), "https://ocm.test") {
		t.Fatalf("got %v", err)
	}
	c, err := oracle.New("https://ocm.test/")
	if err != nil || c.BaseURL() != "https://ocm.test" {
		t.Fatalf("origin: %v, %v", c, err)
	}
}
