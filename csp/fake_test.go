package csp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/leaktest"
)

func fastRetries() tokenkit.Option {
	return tokenkit.WithRetryWait(time.Millisecond, 2*time.Millisecond)
}

func newFake(t *testing.T, opts ...tokenkit.Option) (*csptest.Server, *csp.Client) {
	t.Helper()
	fake := csptest.New(t)
	fake.StrictPaths(t) // the SDK must never send a doubled or trailing slash
	c, err := csp.New(fake.URL(), append([]tokenkit.Option{tokenkit.WithHTTPClient(fake.Client()), fastRetries()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

func TestExchangeAndVerifyAgainstFake(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, csp.WithVerification())
	apiToken := fake.AddAPIToken(csptest.APIToken{OrgID: "org-42", Username: "ada", Scopes: []string{"csp:org_owner", "openid"}})
	ctx := context.Background()

	tok, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken), Scopes: []string{"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := c.Verify(ctx, tokenkit.Secret(tok.Value()))
	if err != nil {
		t.Fatal(err)
	}
	if cl.OrgID != "org-42" || cl.Username != "ada" || len(cl.Perms) != 1 || cl.Perms[0] != "openid" || cl.Issuer != fake.Issuer() {
		t.Fatalf("claims %+v", cl)
	}
	if d := time.Until(tok.Expiry()); d < 29*time.Minute || d > 31*time.Minute {
		t.Fatalf("expiry in %s, want about 30 minutes", d)
	}

	// A tampered token does not verify.
	parts := strings.Split(tok.Value(), ".")
	forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	if _, err := c.Verify(ctx, tokenkit.Secret(forged)); !errors.Is(err, csp.ErrInvalidToken) || !errors.Is(err, tokenkit.ErrAuth) {
		t.Fatalf("forged token: %v", err)
	}
	if _, err := c.Verify(ctx, "not-a-jwt"); !errors.Is(err, csp.ErrInvalidToken) {
		t.Fatalf("garbage: %v", err)
	}

	// PEM and JWKS give the same key the fake signs with.
	pk, err := c.PublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !pk.Key.Equal(fake.PublicKey()) || len(keys) != 1 || !keys[0].Key.Equal(fake.PublicKey()) || keys[0].Kid != fake.KeyID() {
		t.Fatal("public key and JWKS must match the fake's signing key")
	}
}

func TestVerifyChecksExpiryWithSkew(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	fake, c := newFake(t, tokenkit.WithClock(clock))
	fake.SetClock(clock)
	fake.SetAccessTokenTTL(time.Minute)
	tok, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: tokenkit.Secret(fake.AddAPIToken(csptest.APIToken{}))})
	if err != nil {
		t.Fatal(err)
	}
	advance(65 * time.Second) // past exp, inside the 10s skew
	if _, err := c.Verify(context.Background(), tokenkit.Secret(tok.Value())); err != nil {
		t.Fatalf("inside the skew allowance: %v", err)
	}
	advance(10 * time.Second)
	if _, err := c.Verify(context.Background(), tokenkit.Secret(tok.Value())); !errors.Is(err, csp.ErrInvalidToken) {
		t.Fatalf("expired token verified: %v", err)
	}
}

func TestRejectedCredentials(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	ctx := context.Background()
	mfa := fake.AddAPIToken(csptest.APIToken{Passcode: "246810"})
	revoked := fake.AddAPIToken(csptest.APIToken{})
	fake.RevokeAPIToken(revoked)
	fake.AddOAuthApp(csptest.OAuthApp{ID: "app", Secret: "right", OrgID: "o"})

	for _, tc := range []struct {
		name string
		do   func() error
		want error
	}{
		{"unknown API token", func() error {
			_, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: "no-such-token-123"})
			return err
		}, tokenkit.ErrInvalidCredential},
		{"revoked API token", func() error {
			_, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(revoked)})
			return err
		}, tokenkit.ErrInvalidCredential},
		{"MFA without passcode", func() error {
			_, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(mfa)})
			return err
		}, tokenkit.ErrInvalidCredential},
		{"MFA wrong passcode", func() error {
			_, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(mfa), Passcode: "000000"})
			return err
		}, tokenkit.ErrInvalidCredential},
		{"scope not granted", func() error {
			_, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(mfa), Passcode: "246810", Scopes: []string{"csp:platform_operator"}})
			return err
		}, tokenkit.ErrBadRequest},
		{"wrong client secret", func() error {
			_, err := c.ExchangeClientCredentials(ctx, csp.ClientCredentials{ClientID: "app", ClientSecret: "wrong"})
			return err
		}, tokenkit.ErrInvalidCredential},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// The right passcode and the right secret work.
	if _, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(mfa), PasscodeFunc: func(context.Context) (tokenkit.Secret, error) {
		return "246810", nil
	}}); err != nil {
		t.Fatal(err)
	}
	tok, err := c.ExchangeClientCredentials(ctx, csp.ClientCredentials{ClientID: "app", ClientSecret: "right", OrgID: "o"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != "" {
		t.Fatal("client credentials give no refresh token")
	}
	if d, err := c.APITokenDetails(ctx, tokenkit.Secret(revoked)); err != nil || !d.Deactivated {
		t.Fatalf("details of a revoked token: %+v, %v", d, err)
	}
}

func TestFaultsAgainstFake(t *testing.T) {
	t.Parallel()
	t.Run("429 with Retry-After, then success", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t, tokenkit.WithMaxRetryAfter(2*time.Second))
		key := fake.AddAPIToken(csptest.APIToken{})
		fake.FailNext(1, fakes.Fault{Status: 429, RetryAfter: "0"})
		fake.FailNext(1, fakes.Fault{Status: 503})
		if _, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: tokenkit.Secret(key)}); err != nil {
			t.Fatal(err)
		}
		if n := fake.Calls("ExchangeAPIToken"); n != 3 {
			t.Fatalf("calls = %d, want 3", n)
		}
	})
	t.Run("Retry-After past the cap fails fast with the wait", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t)
		key := fake.AddAPIToken(csptest.APIToken{})
		fake.FailNext(1, fakes.Fault{Status: 429, RetryAfter: "7200"})
		_, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: tokenkit.Secret(key)})
		var te *tokenkit.Error
		if !errors.As(err, &te) || !errors.Is(err, tokenkit.ErrRateLimited) || te.RetryAfter != 2*time.Hour || fake.Calls("ExchangeAPIToken") != 1 {
			t.Fatalf("got %v after %d calls", err, fake.Calls("ExchangeAPIToken"))
		}
	})
	t.Run("dropped connection, HTML and malformed bodies", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t)
		key := fake.AddAPIToken(csptest.APIToken{})
		fake.FailNext(1, fakes.Fault{Drop: true})
		fake.FailNext(1, fakes.Fault{HTML: true})
		fake.FailNext(1, fakes.Fault{Malformed: true})
		_, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: tokenkit.Secret(key)})
		// Drop and the HTML 503 are retried (the exchange is side-effect free);
		// a malformed 200 is not a retryable status: it is an invalid response.
		if !errors.Is(err, tokenkit.ErrInvalidResponse) || fake.Calls("ExchangeAPIToken") != 3 {
			t.Fatalf("got %v after %d calls", err, fake.Calls("ExchangeAPIToken"))
		}
	})
	t.Run("server errors until retries run out: the last body reaches the caller", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t, tokenkit.WithRetryMax(2))
		key := fake.AddAPIToken(csptest.APIToken{})
		fake.FailNext(3, fakes.Fault{Status: 500})
		_, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: tokenkit.Secret(key)})
		var te *tokenkit.Error
		var er *csp.ErrorResponse
		if !errors.As(err, &te) || !errors.As(err, &er) || te.StatusCode != 500 || te.Attempts != 3 || te.Code == "" || te.RequestID == "" {
			t.Fatalf("got %#v", err)
		}
	})
	t.Run("the fake as an httpmock responder", func(t *testing.T) {
		t.Parallel()
		fake := csptest.New(t)
		fake.StrictPaths(t) // the SDK must never send a doubled or trailing slash
		mt := httpmock.NewMockTransport()
		mt.RegisterNoResponder(fake.Responder())
		c, err := csp.New("https://console.example.test", tokenkit.WithHTTPClient(&http.Client{Transport: mt}), fastRetries())
		if err != nil {
			t.Fatal(err)
		}
		key := fake.AddAPIToken(csptest.APIToken{})
		fake.FailNext(1, fakes.Fault{Drop: true})
		if _, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: tokenkit.Secret(key)}); err != nil {
			t.Fatal(err)
		}
		if mt.GetTotalCallCount() != 2 || fake.Calls("ExchangeAPIToken") != 2 {
			t.Fatalf("mock calls %d, fake calls %d", mt.GetTotalCallCount(), fake.Calls("ExchangeAPIToken"))
		}
	})
}

func TestAPITokenSourceRefreshesThroughFake(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fake, c := newFake(t, tokenkit.WithClock(clock))
	fake.SetClock(clock)
	key := fake.AddAPIToken(csptest.APIToken{})
	src, err := c.APITokenSource(csp.APITokenRequest{APIToken: tokenkit.Secret(key)}, tokenkit.SourceConfig{})
	if err != nil {
		t.Fatal(err)
	}

	// Downstream API that accepts only tokens the fake signed and that are unexpired.
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if _, err := c.Verify(r.Context(), tokenkit.Secret(raw)); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "ok")
	})
	hc := tokenkit.NewClient(src, roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		rec := newRecorder()
		api.ServeHTTP(rec, r)
		return rec.result(r), nil
	}))
	for i := range 3 {
		resp, err := hc.Get("https://vmc.example.test/orgs")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("round %d: status %d", i, resp.StatusCode)
		}
		mu.Lock()
		now = now.Add(31 * time.Minute) // every token is expired by the next round
		mu.Unlock()
	}
	if n := fake.Calls("ExchangeAPIToken"); n != 3 {
		t.Fatalf("exchanges = %d, want 3", n)
	}
}

// TestNoSecretLeaks captures debug logs, errors and every encoding (see
// internal/leaktest) of every exported type that holds a secret, and searches
// them for the secrets.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	rec := leaktest.New()
	logger := rec.Logger
	fake, c := newFake(t, tokenkit.WithLogger(logger), tokenkit.WithRetryMax(1))
	const passcode = "97531864"
	apiToken := fake.AddAPIToken(csptest.APIToken{Passcode: passcode})
	fake.AddOAuthApp(csptest.OAuthApp{ID: "leaky-app", Secret: "client-secret-value-1"})
	ctx := context.Background()

	record := rec.Record
	req := csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken), Passcode: passcode}
	tok, err := c.ExchangeAPIToken(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	cc := csp.ClientCredentials{ClientID: "leaky-app", ClientSecret: "client-secret-value-1"}
	// A source exchanges again: its passcode comes from PasscodeFunc.
	reusable := csp.APITokenRequest{APIToken: req.APIToken, PasscodeFunc: func(context.Context) (tokenkit.Secret, error) { return passcode, nil }}
	apiEx, err := c.APITokenExchanger(reusable)
	if err != nil {
		t.Fatal(err)
	}
	ccEx, err := c.ClientCredentialsExchanger(cc)
	if err != nil {
		t.Fatal(err)
	}
	apiSrc, err := c.APITokenSource(reusable, tokenkit.SourceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ccSrc, err := c.ClientCredentialsSource(cc, tokenkit.SourceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	record(tok, *tok, req, &req, reusable, cc, &cc, apiEx, ccEx, c, apiSrc, ccSrc)
	// The fake's own types print redacted; they hold the test's fixtures and
	// are not meant to survive the encoders (see leaktest.RecordPrinted).
	rec.RecordPrinted(csptest.APIToken{Value: apiToken, Passcode: passcode}, csptest.OAuthApp{ID: "x", Secret: "client-secret-value-1"})
	for _, r := range fake.Requests() {
		rec.RecordPrinted(r)
	}

	// Failures: the fake echoes the API token in its invalid_grant message,
	// a 500 is retried (warn log), a wrong client secret.
	fake.FailNext(2, fakes.Fault{Status: 500})
	_, err1 := c.ExchangeAPIToken(ctx, req)
	_, err2 := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken + "-wrong"), Passcode: passcode})
	_, err3 := c.ExchangeClientCredentials(ctx, csp.ClientCredentials{ClientID: "leaky-app", ClientSecret: "client-secret-value-2"})
	_, err4 := c.APITokenDetails(ctx, tokenkit.Secret(apiToken+"-wrong"))
	for _, err := range []error{err1, err2, err3, err4} {
		rec.RecordErr(t, err)
	}
	rec.RequireLogged(t, "tokenkit: http attempt", "tokenkit: retrying")
	rec.Check(t, apiToken, passcode, "client-secret-value-1", "client-secret-value-2", tok.Value())
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestLostAnswerOfExchangeIsRetried(t *testing.T) {
	t.Parallel()
	// The exchange has no side effect beyond issuing a token, so a lost
	// answer is retried: two tokens were issued, the caller got one.
	fake, c := newFake(t)
	key := fake.AddAPIToken(csptest.APIToken{})
	fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	if _, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: tokenkit.Secret(key)}); err != nil {
		t.Fatal(err)
	}
	if fake.Calls("ExchangeAPIToken") != 2 || fake.Applied("ExchangeAPIToken") != 2 {
		t.Fatalf("calls %d, applied %d", fake.Calls("ExchangeAPIToken"), fake.Applied("ExchangeAPIToken"))
	}
}

// TestClientCredentialsOnTokenPath: with WithClientCredentialsPath the SDK
// uses the documented /auth/token, which the fake serves beside
// /auth/authorize.
func TestClientCredentialsOnTokenPath(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, csp.WithClientCredentialsPath("/csp/gateway/am/api/auth/token"))
	fake.AddOAuthApp(csptest.OAuthApp{ID: "app", Secret: "right"})
	tok, err := c.ExchangeClientCredentials(context.Background(), csp.ClientCredentials{ClientID: "app", ClientSecret: "right"})
	if err != nil || tok.Value() == "" {
		t.Fatalf("%v", err)
	}
	if fake.Calls("ExchangeClientCredentialsToken") != 1 || fake.Calls("ExchangeClientCredentials") != 0 {
		t.Fatalf("calls: token %d authorize %d", fake.Calls("ExchangeClientCredentialsToken"), fake.Calls("ExchangeClientCredentials"))
	}
}
