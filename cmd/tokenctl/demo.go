package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/csp/csptest"
)

// demo runs tokenkit end to end on the built-in CSP fake: no network, no
// credentials. Every step prints what happened; no secret is printed.
func demo(ctx context.Context, w io.Writer) error {
	step := func(format string, args ...any) { fmt.Fprintf(w, "• "+format+"\n", args...) }

	fake := csptest.NewServer()
	defer fake.Close()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	fake.SetClock(clock)

	apiToken := fake.AddAPIToken(csptest.APIToken{OrgID: "demo-org", Username: "ada@example.com", Scopes: []string{"csp:org_member", "openid"}})
	mfaToken := fake.AddAPIToken(csptest.APIToken{OrgID: "demo-org", Passcode: "424242"})
	fake.AddOAuthApp(csptest.OAuthApp{ID: "demo-app", Secret: "demo-app-secret", OrgID: "demo-org", Scopes: []string{"csp:org_member"}})
	fmt.Fprintf(w, "tokenkit %s demo on the built-in CSP fake at %s\n\n", tokenkit.Version, fake.URL())

	c, err := csp.New(fake.URL(), tokenkit.WithClock(clock), tokenkit.WithRetryWait(10*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		return err
	}

	tok, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken)})
	if err != nil {
		return err
	}
	step("exchanged an API token: %v", tok)
	cl, err := c.Verify(ctx, tok.Value())
	if err != nil {
		return err
	}
	step("verified its RS256 signature against token-public-key: user %s, org %s, perms %v", cl.Username, cl.OrgID, cl.Perms)

	d, err := c.APITokenDetails(ctx, tokenkit.Secret(apiToken))
	if err != nil {
		return err
	}
	step("API-token details: %q owned by %s, expires %s", d.TokenName, d.Username, when(d.ExpiresAt))

	_, err = c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(mfaToken)})
	step("an MFA-protected token without passcode is refused: %v (ErrInvalidCredential: %t)", err, errors.Is(err, tokenkit.ErrInvalidCredential))
	if _, err = c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(mfaToken), Passcode: "424242"}); err != nil {
		return err
	}
	step("with its passcode it is accepted")

	app, err := c.ExchangeClientCredentials(ctx, csp.ClientCredentials{ClientID: "demo-app", ClientSecret: "demo-app-secret"})
	if err != nil {
		return err
	}
	step("client-credentials grant for an OAuth app: %v", app)

	before := fake.Calls("ExchangeAPIToken")
	fake.FailNext(2, csptest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
	if _, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken)}); err != nil {
		return err
	}
	step("two 429s with Retry-After were retried: %d attempts, then success", fake.Calls("ExchangeAPIToken")-before)

	fake.FailNext(1, csptest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "3600"})
	_, err = c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken)})
	var te *tokenkit.Error
	if errors.As(err, &te) {
		step("a Retry-After of an hour is past the cap: failed at once, RetryAfter=%s", te.RetryAfter)
	}

	// A downstream API that accepts only valid tokens from this CSP.
	served := 0
	api := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if _, err := c.Verify(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")); err != nil {
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		served++
	}))
	defer api.Close()
	src := c.APITokenSource(csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken)}, tokenkit.SourceConfig{Clock: clockFunc(clock)})
	hc := tokenkit.NewClient(src, nil)
	exchanges := fake.Calls("ExchangeAPIToken")
	for i := range 6 {
		resp, err := hc.Get(api.URL + "/orgs")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("downstream call %d: HTTP %d", i, resp.StatusCode)
		}
		advance(10 * time.Minute) // one hour in six calls: 30-minute tokens must be refreshed
	}
	step("a Source and Transport made 6 calls over an hour of 30-minute tokens: %d served, %d exchanges", served, fake.Calls("ExchangeAPIToken")-exchanges)

	_, err = c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: "a-mistyped-api-token-value"})
	step("the fake echoes a bad API token in its error; tokenkit masks it: %v", err)
	fmt.Fprintln(w, "\ndone: every step ran against the fake; no secret was printed.")
	return nil
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }
