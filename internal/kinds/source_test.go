package kinds_test

import (
	"context"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/oracle"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// maxAttempts is the bound on upstream requests of a Source whose
// credential is wrong, over window: the first fetch, then one each time the
// hold of a credential failure (30 s ± 20%, so at least 24 s) ends.
const (
	window      = 60 * time.Second
	tokenCalls  = 1000
	maxAttempts = 3 // 1 + window / 24 s
)

// TestWrongCredentialSources drives every vendor's Sources with a wrong
// password, API token or key for a minute of fake-clock time and 1,000 Token
// calls: the vendor sees at most maxAttempts requests, every call gets the
// credential failure, and a lockout threshold is never reached.
func TestWrongCredentialSources(t *testing.T) {
	type source struct {
		name string
		// setup returns the Source under test on a client with clock, the
		// fake's count of requests, and an optional check run afterwards.
		setup func(t *testing.T, clock *fakeClock) (src tokenkit.TokenSource, requests func() int, after func(t *testing.T))
		// later is a kind the calls after the first may have instead.
		later tokenkit.Kind
	}
	wrong := tokenkit.Secret(wrongPassword)
	sources := []source{
		{"commvault SessionSource", func(t *testing.T, clock *fakeClock) (tokenkit.TokenSource, func() int, func(*testing.T)) {
			f, c := commvaultFake(t, clock)
			return must(c.SessionSource(commvault.Credentials{Username: "alice", Password: wrong}, tokenkit.SourceConfig{})), f.TotalCalls, commvaultNotLocked(f, c)
		}, 0},
		{"commvault AccessTokenSource", func(t *testing.T, clock *fakeClock) (tokenkit.TokenSource, func() int, func(*testing.T)) {
			f, c := commvaultFake(t, clock)
			src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Credentials: &commvault.Credentials{Username: "alice", Password: wrong}}, tokenkit.SourceConfig{})
			if err != nil {
				t.Fatal(err)
			}
			return src, f.TotalCalls, commvaultNotLocked(f, c)
		}, 0},
		{"canvus LoginSource", func(t *testing.T, clock *fakeClock) (tokenkit.TokenSource, func() int, func(*testing.T)) {
			f := canvustest.New(t)
			f.SetClock(clock.Now)
			f.AddUser(canvustest.User{Email: "alice@example.com", Password: password})
			c := must(canvus.New(f.URL(), tokenkit.WithClock(clock.Now)))
			return must(c.LoginSource(canvus.Credentials{Email: "alice@example.com", Password: wrong}, tokenkit.SourceConfig{})), f.TotalCalls, nil
		}, 0},
		{"cgscan SignInSource", func(t *testing.T, clock *fakeClock) (tokenkit.TokenSource, func() int, func(*testing.T)) {
			f := cgscantest.New(t)
			f.SetClock(clock.Now)
			f.AddUser(cgscantest.User{Username: "alice", Password: password})
			c := must(cgscan.New(f.URL(), tokenkit.WithClock(clock.Now), cgscan.WithAPIKey(tokenkit.Secret(f.APIKey()))))
			return must(c.SignInSource(cgscan.SignInRequest{Username: "alice", Password: wrong}, tokenkit.SourceConfig{})), f.TotalCalls, nil
		}, 0},
		{"cgscan SignInSource (wrong API key)", func(t *testing.T, clock *fakeClock) (tokenkit.TokenSource, func() int, func(*testing.T)) {
			f := cgscantest.New(t)
			f.SetClock(clock.Now)
			f.AddUser(cgscantest.User{Username: "alice", Password: password})
			c := must(cgscan.New(f.URL(), tokenkit.WithClock(clock.Now), cgscan.WithAPIKey("not-the-api-key-0123456789")))
			return must(c.SignInSource(cgscan.SignInRequest{Username: "alice", Password: password}, tokenkit.SourceConfig{})), f.TotalCalls, nil
		}, 0},
		{"oracle PasswordSource", func(t *testing.T, clock *fakeClock) (tokenkit.TokenSource, func() int, func(*testing.T)) {
			f, c := oracleFake(t, clock)
			return must(c.PasswordSource(oracle.Credentials{Username: "ada", Password: wrong}, tokenkit.SourceConfig{})), f.TotalCalls, nil
		}, 0},
		{"oracle RefreshTokenSource (password)", func(t *testing.T, clock *fakeClock) (tokenkit.TokenSource, func() int, func(*testing.T)) {
			f, c := oracleFake(t, clock)
			return must(c.RefreshTokenSource(oracle.RefreshTokenRequest{Credentials: &oracle.Credentials{Username: "ada", Password: wrong}}, tokenkit.SourceConfig{})), f.TotalCalls, nil
		}, 0},
		{"oracle RefreshTokenSource (revoked refresh token)", func(t *testing.T, clock *fakeClock) (tokenkit.TokenSource, func() int, func(*testing.T)) {
			f, c := oracleFake(t, clock)
			rt := f.IssueRefreshToken("ada")
			f.RevokeRefreshToken(rt)
			return must(c.RefreshTokenSource(oracle.RefreshTokenRequest{RefreshToken: tokenkit.Secret(rt)}, tokenkit.SourceConfig{})), f.TotalCalls, nil
		}, 0}, // the refused refresh token is the error of every later fetch too
		{"csp APITokenSource", func(t *testing.T, clock *fakeClock) (tokenkit.TokenSource, func() int, func(*testing.T)) {
			f := csptest.New(t)
			f.SetClock(clock.Now)
			f.AddAPIToken(csptest.APIToken{})
			c := must(csp.New(f.URL(), tokenkit.WithClock(clock.Now)))
			return must(c.APITokenSource(csp.APITokenRequest{APIToken: "not-an-api-token-0123456789"}, tokenkit.SourceConfig{})), f.TotalCalls, nil
		}, 0},
		{"csp ClientCredentialsSource", func(t *testing.T, clock *fakeClock) (tokenkit.TokenSource, func() int, func(*testing.T)) {
			f := csptest.New(t)
			f.SetClock(clock.Now)
			f.AddOAuthApp(csptest.OAuthApp{ID: "app", Secret: password})
			c := must(csp.New(f.URL(), tokenkit.WithClock(clock.Now)))
			return must(c.ClientCredentialsSource(csp.ClientCredentials{ClientID: "app", ClientSecret: wrong}, tokenkit.SourceConfig{})), f.TotalCalls, nil
		}, 0},
	}
	for _, s := range sources {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			clock := newClock()
			src, requests, after := s.setup(t, clock)
			ctx := context.Background()
			step := window / tokenCalls
			for i := range tokenCalls {
				tok, err := src.Token(ctx)
				if tok != nil || err == nil {
					t.Fatalf("call %d: a wrong credential gave a token", i)
				}
				if k := tokenkit.KindOf(err); k != tokenkit.KindInvalidCredential && (i == 0 || s.later == tokenkit.KindOther || k != s.later) {
					t.Fatalf("call %d: kind %q, want %q: %v", i, k, tokenkit.KindInvalidCredential, err)
				}
				clock.Advance(step)
			}
			n := requests()
			if n > maxAttempts || n < 1 {
				t.Errorf("%d requests reached the vendor for %d Token calls in %v, want 1 to %d", n, tokenCalls, window, maxAttempts)
			}
			t.Logf("%d requests for %d Token calls in %v", n, tokenCalls, window)
			if after != nil {
				after(t)
			}
		})
	}
}

// lockoutFailures is the Commvault fake's lockout threshold in these tests
// (its default, set explicitly so that the test does not depend on it).
const lockoutFailures = 5

func commvaultFake(t *testing.T, clock *fakeClock) (*commvaulttest.Server, *commvault.Client) {
	f := commvaulttest.New(t)
	f.SetClock(clock.Now)
	f.SetLockout(lockoutFailures, 30*time.Minute)
	f.AddUser(commvaulttest.User{Name: "alice", Password: password})
	return f, must(commvault.New(f.URL(), tokenkit.WithClock(clock.Now)))
}

// commvaultNotLocked checks that the right password still logs in: the wrong
// one never reached the fake's lockout threshold.
func commvaultNotLocked(f *commvaulttest.Server, c *commvault.Client) func(*testing.T) {
	return func(t *testing.T) {
		if n := f.Calls(commvaulttest.OpLogin); n >= lockoutFailures {
			t.Errorf("%d failed logins, the lockout threshold is %d", n, lockoutFailures)
		}
		if _, err := c.Login(context.Background(), commvault.Credentials{Username: "alice", Password: password}); err != nil {
			t.Fatalf("the right password after the wrong one: %v", err)
		}
	}
}

func oracleFake(t *testing.T, clock *fakeClock) (*oracletest.Server, *oracle.Client) {
	f := oracletest.New(t)
	f.SetClock(clock.Now)
	f.AddUser(oracletest.User{Username: "ada", Password: password})
	return f, must(oracle.New(f.URL(), tokenkit.WithClock(clock.Now)))
}
