package csp_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/fakes"
)

// wantInvalidInput fails unless err matches tokenkit.ErrInvalidInput with
// Op op and a message naming field.
func wantInvalidInput(t *testing.T, err error, op, field string) {
	t.Helper()
	var te *tokenkit.Error
	if !errors.Is(err, tokenkit.ErrInvalidInput) || !errors.As(err, &te) || te.Op != op || !strings.Contains(te.Message, field) {
		t.Errorf("got %v, want an invalid-input error of %s naming %s", err, op, field)
	}
}

// TestExchangersAndSourcesValidateUpFront: a request that cannot work is
// refused when the exchanger or source is built, naming the field, and
// nothing is sent.
func TestExchangersAndSourcesValidateUpFront(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t, host)
	passcodeFunc := func(context.Context) (tokenkit.Secret, error) { return "123456", nil }
	for name, tc := range map[string]struct {
		req   csp.APITokenRequest
		field string
	}{
		"empty API token":    {csp.APITokenRequest{}, "APIToken"},
		"blank API token":    {csp.APITokenRequest{APIToken: "  "}, "APIToken"},
		"bad resource scope": {csp.APITokenRequest{APIToken: "k", AllowedResourceScope: []byte("{")}, "AllowedResourceScope"},
		"one-time passcode":  {csp.APITokenRequest{APIToken: "k", Passcode: "123456"}, "PasscodeFunc"},
		"both passcodes":     {csp.APITokenRequest{APIToken: "k", Passcode: "123456", PasscodeFunc: passcodeFunc}, "Passcode"},
	} {
		ex, err := c.APITokenExchanger(tc.req)
		if ex != nil {
			t.Errorf("%s: got an exchanger", name)
		}
		wantInvalidInput(t, err, "APITokenExchanger", tc.field)
		src, err := c.APITokenSource(tc.req, tokenkit.SourceConfig{})
		if src != nil {
			t.Errorf("%s: got a source", name)
		}
		wantInvalidInput(t, err, "APITokenSource", tc.field)
	}
	for name, tc := range map[string]struct {
		req   csp.ClientCredentials
		field string
	}{
		"no client id":     {csp.ClientCredentials{ClientSecret: "s"}, "ClientID"},
		"colon in id":      {csp.ClientCredentials{ClientID: "a:b", ClientSecret: "s"}, "ClientID"},
		"no client secret": {csp.ClientCredentials{ClientID: "a"}, "ClientSecret"},
	} {
		ex, err := c.ClientCredentialsExchanger(tc.req)
		if ex != nil {
			t.Errorf("%s: got an exchanger", name)
		}
		wantInvalidInput(t, err, "ClientCredentialsExchanger", tc.field)
		src, err := c.ClientCredentialsSource(tc.req, tokenkit.SourceConfig{})
		if src != nil {
			t.Errorf("%s: got a source", name)
		}
		wantInvalidInput(t, err, "ClientCredentialsSource", tc.field)
	}
	// A single exchange may use a one-time passcode, but not both kinds.
	_, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: "k", Passcode: "1", PasscodeFunc: passcodeFunc})
	wantInvalidInput(t, err, "ExchangeAPIToken", "Passcode")
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Fatalf("%d requests sent for invalid input", n)
	}
}

// TestExchangerAndSourceWork: the exchangers and sources built from valid
// requests exchange through the fake, and a source is named after its
// method.
func TestExchangerAndSourceWork(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	ctx := context.Background()
	req := csp.APITokenRequest{APIToken: tokenkit.Secret(fake.AddAPIToken(csptest.APIToken{Scopes: []string{"openid", "csp:org_member"}})), Scopes: []string{"openid"}}
	fake.AddOAuthApp(csptest.OAuthApp{ID: "app", Secret: "app-secret"})
	cc := csp.ClientCredentials{ClientID: "app", ClientSecret: "app-secret"}

	apiEx, err := c.APITokenExchanger(req)
	if err != nil {
		t.Fatal(err)
	}
	req.Scopes[0] = "csp:org_member" // the exchanger holds its own copy
	tok, err := apiEx.Exchange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.(*csp.AccessToken).Scope; got != "openid" {
		t.Errorf("scope %q, want the request's as given", got)
	}
	ccEx, err := c.ClientCredentialsExchanger(cc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ccEx.Exchange(ctx); err != nil {
		t.Fatal(err)
	}
	var saved []tokenkit.Token
	src, err := c.ClientCredentialsSource(cc, tokenkit.SourceConfig{Save: func(_ context.Context, tok tokenkit.Token) error {
		saved = append(saved, tok)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Token(ctx)
	if err != nil || len(saved) != 1 || saved[0] != got {
		t.Fatalf("token %v, err %v, saved %v", got, err, saved)
	}
	if fake.Calls("ExchangeAPIToken") != 1 || fake.Calls("ExchangeClientCredentials") != 2 {
		t.Fatalf("calls %v", fake.CallCounts())
	}
}

// jwtWith returns an unsigned-looking JWT with claims (for the parts of the
// package that read a token without verifying it).
func jwtWith(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "." + enc([]byte("sig"))
}

func TestNewAccessToken(t *testing.T) {
	t.Parallel()
	c, _ := newMocked(t, host, csp.WithPresentation(csp.CSPAuthToken()))
	exp := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	jwt := tokenkit.Secret(jwtWith(`{"sub":"ada","exp":` + itoa(exp.Unix()) + `}`))

	for name, tc := range map[string]struct {
		h     tokenkit.HeldToken
		field string
	}{
		"empty value":   {tokenkit.HeldToken{}, "Value"},
		"not a JWT":     {tokenkit.HeldToken{Value: "opaque-token"}, "Value"},
		"too long":      {tokenkit.HeldToken{Value: tokenkit.Secret(strings.Repeat("a", csp.MaxTokenBytes+1))}, "Value"},
		"refresh token": {tokenkit.HeldToken{Value: jwt, RefreshToken: "r"}, "RefreshToken"},
		"id":            {tokenkit.HeldToken{Value: jwt, ID: "id-1"}, "ID"},
	} {
		tok, err := c.NewAccessToken(tc.h)
		if tok != nil {
			t.Errorf("%s: got a token", name)
		}
		wantInvalidInput(t, err, "NewAccessToken", tc.field)
		if err != nil && strings.Contains(err.Error(), "opaque-token") {
			t.Errorf("%s: the error shows the token: %v", name, err)
		}
	}

	// Expiry zero: read from the JWT's exp, without verifying it.
	tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: jwt})
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry().Equal(exp) || tok.Value() != jwt.Reveal() {
		t.Fatalf("expiry %s, want %s", tok.Expiry(), exp)
	}
	r, _ := http.NewRequest("GET", "https://vmc.test/", nil)
	tok.SetAuthHeader(r)
	if r.Header.Get("csp-auth-token") != jwt.Reveal() || r.Header.Get("Authorization") != "" {
		t.Fatalf("presented as %v, want the client's csp-auth-token", r.Header)
	}
	// A given expiry wins; a JWT without exp stays unknown.
	given := exp.Add(-time.Hour)
	if tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: jwt, Expiry: given}); err != nil || !tok.Expiry().Equal(given) {
		t.Fatalf("given expiry: %v %v", tok, err)
	}
	if tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(jwtWith(`{"sub":"ada"}`))}); err != nil || !tok.Expiry().IsZero() {
		t.Fatalf("no exp: %v %v", tok, err)
	}
}

// TestNewAccessTokenChecks: a token wrapped with NewAccessToken is the
// token CSP issued, as far as Check is concerned.
func TestNewAccessTokenChecks(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	issued, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: tokenkit.Secret(fake.AddAPIToken(csptest.APIToken{Username: "ada"}))})
	if err != nil {
		t.Fatal(err)
	}
	held, err := c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(issued.Value())})
	if err != nil {
		t.Fatal(err)
	}
	if cl, _ := issued.Claims(); !held.Expiry().Equal(cl.ExpiresAt) {
		t.Errorf("expiry %s, want the JWT's exp %s", held.Expiry(), cl.ExpiresAt)
	}
	res, err := c.Check(context.Background(), held)
	if err != nil || res.Subject != "ada" {
		t.Fatalf("check: %v %v", res, err)
	}
}

// TestOpNames: an error names the Go method the caller called, never the
// OpenAPI operation id; a failed key fetch under Verify or Check is named
// after Verify or Check.
func TestOpNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	opOf := func(err error) string {
		var te *tokenkit.Error
		if !errors.As(err, &te) {
			return "no *tokenkit.Error"
		}
		return te.Op
	}
	fake, c := newFake(t, tokenkit.WithRetryMax(0))
	apiToken := tokenkit.Secret(fake.AddAPIToken(csptest.APIToken{}))
	tok, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: apiToken})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"ExchangeAPIToken": func() error {
			_, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: apiToken})
			return err
		},
		"ExchangeClientCredentials": func() error {
			_, err := c.ExchangeClientCredentials(ctx, csp.ClientCredentials{ClientID: "a", ClientSecret: "b"})
			return err
		},
		"APITokenDetails": func() error { _, err := c.APITokenDetails(ctx, apiToken); return err },
		"PublicKey":       func() error { _, err := c.PublicKey(ctx); return err },
		"JWKS":            func() error { _, err := c.JWKS(ctx); return err },
	}
	for want, call := range calls {
		fake.FailNext(1, fakes.Fault{Status: http.StatusBadGateway})
		if got := opOf(call()); got != want {
			t.Errorf("Op %q, want %q", got, want)
		}
	}
	// Verify and Check fetch the keys on first use; that fetch fails here.
	for want, call := range map[string]func(c *csp.Client) error{
		"Verify": func(c *csp.Client) error { _, err := c.Verify(ctx, tokenkit.Secret(tok.Value())); return err },
		"Check":  func(c *csp.Client) error { _, err := c.Check(ctx, tok); return err },
	} {
		fresh, err := csp.New(fake.URL(), tokenkit.WithHTTPClient(fake.Client()), tokenkit.WithRetryMax(0)) // no keys cached
		if err != nil {
			t.Fatal(err)
		}
		fake.FailNext(1, fakes.Fault{Status: http.StatusBadGateway})
		err = call(fresh)
		var te *tokenkit.Error
		if !errors.As(err, &te) || te.Op != want || te.StatusCode != http.StatusBadGateway || !strings.Contains(te.Message, "signing keys") {
			t.Errorf("%s: got %v, want Op %q naming the key fetch", want, err, want)
		}
	}
	// A token that fails verification is named after the call too.
	bad := tokenkit.NewBearerToken(tok.Value()+"x", time.Time{})
	if _, err := c.Check(ctx, bad); opOf(err) != "Check" || !errors.Is(err, csp.ErrInvalidToken) {
		t.Errorf("Check: %v", err)
	}
	if _, err := c.Verify(ctx, tokenkit.Secret(bad.Value())); opOf(err) != "Verify" {
		t.Errorf("Verify: %v", err)
	}
}

// TestVerifiedExchangeNamesExchange: WithVerification's check of a new
// token is part of the exchange, and its failure is named after it.
func TestVerifiedExchangeNamesExchange(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t, host, csp.WithVerification(), tokenkit.WithRetryMax(0))
	mt.RegisterResponder("POST", host+"/csp/gateway/am/api/auth/api-tokens/authorize",
		httpmock.NewStringResponder(200, `{"access_token":"not-a-jwt","expires_in":60}`))
	_, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: "k"})
	var te *tokenkit.Error
	if !errors.As(err, &te) || te.Op != "ExchangeAPIToken" || !errors.Is(err, csp.ErrInvalidToken) {
		t.Fatalf("got %v", err)
	}
}
