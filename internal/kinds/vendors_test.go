package kinds_test

import (
	"context"
	"errors"
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
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/oracle"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

const (
	password      = "pw-right-0123456789"
	wrongPassword = "pw-wrong-9876543210"
)

var vendors = []vendor{cspVendor, commvaultVendor, oracleVendor, cgscanVendor, canvusVendor}

// calls checks that op was sent exactly want times.
func calls(t *testing.T, f interface{ Calls(string) int }, op string, want int) {
	t.Helper()
	if n := f.Calls(op); n != want {
		t.Errorf("%s was sent %d times, want %d", op, n, want)
	}
}

// ---- CSP -------------------------------------------------------------------

var cspVendor = vendor{
	name: "csp",
	setup: func(t *testing.T) *fixture {
		f := csptest.New(t)
		tok := tokenkit.Secret(f.AddAPIToken(csptest.APIToken{}))
		return &fixture{
			base: f.URL(), failNext: f.FailNext, total: f.TotalCalls,
			exchange: func(ctx context.Context, base string, opts ...tokenkit.Option) error {
				_, err := must(csp.New(base, opts...)).ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tok})
				return err
			},
		}
	},
	cases: func(t *testing.T, _ *fixture) map[string]cell {
		f := csptest.New(t)
		c := must(csp.New(f.URL(), options()...))
		f.AddOAuthApp(csptest.OAuthApp{ID: "app", Secret: password})
		return map[string]cell{
			caseWrongCredential: {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				_, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: "not-an-api-token-0123456789"})
				return err
			}},
			caseWrongCredential + " (client secret)": {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				_, err := c.ExchangeClientCredentials(ctx, csp.ClientCredentials{ClientID: "app", ClientSecret: wrongPassword})
				return err
			}},
			// CSP has no call that takes a token source: the Source goes
			// to a tokenkit.Transport, whose error an http.Client wraps.
			caseWrongCredentialViaSource: {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				src := must(c.APITokenSource(csp.APITokenRequest{APIToken: "not-an-api-token-0123456789"}, tokenkit.SourceConfig{}))
				_, err := tokenkit.NewClient(src, nil).Get(f.URL() + "/csp/gateway/am/api/auth/token-public-key")
				return err
			}},
			// A server whose clock is an hour behind, and which sends no
			// expires_in: the JWT's exp has passed when the token arrives.
			"expired on arrival (Source)": {want: tokenkit.KindInvalidResponse, run: func(t *testing.T, ctx context.Context) error {
				g := csptest.New(t)
				g.SetClock(func() time.Time { return time.Now().Add(-time.Hour) })
				g.SetAccessTokenTTL(0)
				src := must(must(csp.New(g.URL(), options()...)).APITokenSource(csp.APITokenRequest{APIToken: tokenkit.Secret(g.AddAPIToken(csptest.APIToken{}))}, tokenkit.SourceConfig{}))
				var err error
				for range 5 {
					if _, err = src.Token(ctx); err == nil {
						t.Fatal("an expired token was served")
					}
				}
				if n := g.TotalCalls(); n != 1 {
					t.Errorf("%d exchanges for 5 Token calls, want 1", n)
				}
				return err
			}},
			caseExpiredRevoked: {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				tok := f.AddAPIToken(csptest.APIToken{})
				f.RevokeAPIToken(tok)
				_, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(tok)})
				return err
			}},
			caseExpiredRevoked + " (expired API token)": {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				tok := f.AddAPIToken(csptest.APIToken{ExpiresAt: time.Now().Add(-time.Hour)})
				_, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(tok)})
				return err
			}},
		}
	},
	skips: map[string]string{
		caseLocked:         "CSP has no account lockout: an API token or OAuth app is valid, expired or revoked",
		caseNotFoundStatus: "no CSP call looks an object up: the details of an unknown API token are a 400 invalid_grant, a rejected credential",
		caseNotFoundIn200:  "CSP answers every failure with an HTTP error status",
		caseLostAnswer:     "CSP has no mutating call: its exchanges create no state the caller must track and are retried like GETs, so a lost answer is retried, never an unknown outcome",
	},
}

// ---- Commvault -------------------------------------------------------------

var commvaultVendor = vendor{
	name: "commvault",
	setup: func(t *testing.T) *fixture {
		f := commvaulttest.New(t)
		f.AddUser(commvaulttest.User{Name: "alice", Password: password})
		return &fixture{
			mutating: true, // a sign-in creates a session: a request in flight may have been applied
			base:     f.URL(), failNext: f.FailNext, total: f.TotalCalls,
			exchange: func(ctx context.Context, base string, opts ...tokenkit.Option) error {
				_, err := must(commvault.New(base, opts...)).Login(ctx, commvault.Credentials{Username: "alice", Password: password})
				return err
			},
		}
	},
	cases: func(t *testing.T, _ *fixture) map[string]cell {
		f := commvaulttest.New(t)
		clock := newClock()
		f.SetClock(clock.Now)
		f.AddUser(commvaulttest.User{Name: "alice", Password: password})
		f.AddUser(commvaulttest.User{Name: "bob", Password: password})
		c := must(commvault.New(f.URL(), options(tokenkit.WithClock(clock.Now))...))
		login := func(t *testing.T, ctx context.Context) *commvault.Session {
			s, err := c.Login(ctx, commvault.Credentials{Username: "alice", Password: password})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		return map[string]cell{
			caseWrongCredential: {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				_, err := c.Login(ctx, commvault.Credentials{Username: "alice", Password: wrongPassword})
				return err
			}},
			caseWrongCredentialViaSource: {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				src := must(c.SessionSource(commvault.Credentials{Username: "alice", Password: wrongPassword}, tokenkit.SourceConfig{}))
				_, err := c.CreateAccessToken(ctx, src, commvault.CreateRequest{Name: "never"})
				return err
			}, check: checkViaSource("CreateAccessToken", "Login")},
			caseLocked: {want: tokenkit.KindLocked, run: func(t *testing.T, ctx context.Context) error {
				f.SetLockout(2, time.Hour)
				for range 2 {
					_, _ = c.Login(ctx, commvault.Credentials{Username: "bob", Password: wrongPassword})
				}
				_, err := c.Login(ctx, commvault.Credentials{Username: "bob", Password: password})
				return err
			}, check: func(t *testing.T, err error) {
				if !errors.Is(err, commvault.ErrAccountLocked) {
					t.Errorf("not commvault.ErrAccountLocked: %v", err)
				}
			}},
			caseExpiredRevoked: {want: tokenkit.KindUnauthorized, run: func(t *testing.T, ctx context.Context) error {
				s := login(t, ctx)
				clock.Advance(2 * time.Hour) // past the session's inactivity timeout
				_, err := c.ListAccessTokens(ctx, tokenkit.StaticSource(s), 0)
				return err
			}},
			caseExpiredRevoked + " (refresh token of a deleted token)": {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				s := login(t, ctx)
				tok, err := c.CreateAccessToken(ctx, tokenkit.StaticSource(s), commvault.CreateRequest{Name: "gone"})
				if err != nil {
					t.Fatal(err)
				}
				if err := c.DeleteAccessToken(ctx, tokenkit.StaticSource(s), tok.ID); err != nil {
					t.Fatal(err)
				}
				_, err = c.RenewAccessToken(ctx, tok)
				return err
			}},
			caseNotFoundIn200: {want: tokenkit.KindNotFound, run: func(t *testing.T, ctx context.Context) error {
				return c.DeleteAccessToken(ctx, tokenkit.StaticSource(login(t, ctx)), 999999)
			}},
			caseNotFoundIn200 + " (update)": {want: tokenkit.KindNotFound, run: func(t *testing.T, ctx context.Context) error {
				_, err := c.UpdateAccessToken(ctx, tokenkit.StaticSource(login(t, ctx)), 999999, commvault.UpdateRequest{Name: "x"})
				return err
			}},
			caseNotFoundIn200 + " (Tokens.Revoke)": {want: tokenkit.KindNotFound, run: func(t *testing.T, ctx context.Context) error {
				m, err := c.Tokens(tokenkit.StaticSource(login(t, ctx)))
				if err != nil {
					t.Fatal(err)
				}
				return m.Revoke(ctx, "999999")
			}},
			caseLostAnswer: {want: tokenkit.KindOutcomeUnknown, run: func(t *testing.T, ctx context.Context) error {
				s := login(t, ctx)
				f.FailNext(1, fakes.Fault{DropAfterApply: true})
				_, err := c.CreateAccessToken(ctx, tokenkit.StaticSource(s), commvault.CreateRequest{Name: "lost"})
				return err
			}, check: func(t *testing.T, err error) {
				calls(t, f, commvaulttest.OpCreateAccessToken, 1)
				calls(t, applied{f}, commvaulttest.OpCreateAccessToken, 1)
			}},
			caseLostAnswer + " (renew)": {want: tokenkit.KindOutcomeUnknown, run: func(t *testing.T, ctx context.Context) error {
				tok, err := c.CreateAccessToken(ctx, tokenkit.StaticSource(login(t, ctx)), commvault.CreateRequest{Name: "renewed"})
				if err != nil {
					t.Fatal(err)
				}
				f.FailNext(1, fakes.Fault{DropAfterApply: true})
				_, err = c.RenewAccessToken(ctx, tok)
				return err
			}, check: func(t *testing.T, err error) {
				calls(t, f, commvaulttest.OpRenewAccessToken, 1)
			}},
			// A 200 to a renewal has most likely rotated the pair: when its
			// new pair cannot be read, the outcome is unknown (and only that).
			caseMalformed + " (renewal)": {want: tokenkit.KindOutcomeUnknown, run: func(t *testing.T, ctx context.Context) error {
				tok, err := c.CreateAccessToken(ctx, tokenkit.StaticSource(login(t, ctx)), commvault.CreateRequest{Name: "truncated"})
				if err != nil {
					t.Fatal(err)
				}
				f.FailNext(1, fakes.Fault{Malformed: true})
				_, err = c.RenewAccessToken(ctx, tok)
				return err
			}},
			// A renewal the caller stops while it is in flight may have
			// rotated the pair: reusing the old one would make Commvault
			// delete the whole chain, so its outcome is unknown, and the
			// caller still sees its own context error.
			caseCanceled + " (renewal in flight)": {want: tokenkit.KindOutcomeUnknown, run: func(t *testing.T, ctx context.Context) error {
				tok, err := c.CreateAccessToken(ctx, tokenkit.StaticSource(login(t, ctx)), commvault.CreateRequest{Name: "stopped"})
				if err != nil {
					t.Fatal(err)
				}
				f.FailNext(1, fakes.Fault{Delay: time.Hour})
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				before := f.Calls(commvaulttest.OpRenewAccessToken)
				go func() {
					for f.Calls(commvaulttest.OpRenewAccessToken) == before && ctx.Err() == nil {
						time.Sleep(time.Millisecond)
					}
					cancel() // once the renewal reached the fake
				}()
				_, err = c.RenewAccessToken(ctx, tok)
				return err
			}, check: func(t *testing.T, err error) {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("errors.Is(err, context.Canceled) = false: %v", err)
				}
			}},
			caseDeadline + " (renewal in flight)": {want: tokenkit.KindOutcomeUnknown, run: func(t *testing.T, ctx context.Context) error {
				tok, err := c.CreateAccessToken(ctx, tokenkit.StaticSource(login(t, ctx)), commvault.CreateRequest{Name: "slow"})
				if err != nil {
					t.Fatal(err)
				}
				f.FailNext(1, fakes.Fault{Delay: time.Hour})
				ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
				_, err = c.RenewAccessToken(ctx, tok)
				return err
			}, check: func(t *testing.T, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("errors.Is(err, context.DeadlineExceeded) = false: %v", err)
				}
			}},
		}
	},
	skips: map[string]string{
		caseNotFoundStatus: "Commvault answers an unknown token id inside HTTP 200 (the in-200 rows); no call the SDK makes gets a 404",
	},
}

// applied reads a fake's Applied counts through the Calls method calls
// checks.
type applied struct {
	f interface{ Applied(string) int }
}

func (a applied) Calls(op string) int { return a.f.Applied(op) }

// ---- Oracle ----------------------------------------------------------------

var oracleVendor = vendor{
	name: "oracle",
	setup: func(t *testing.T) *fixture {
		f := oracletest.New(t)
		f.AddUser(oracletest.User{Username: "ada", Password: password})
		return &fixture{
			base: f.URL(), failNext: f.FailNext, total: f.TotalCalls,
			exchange: func(ctx context.Context, base string, opts ...tokenkit.Option) error {
				_, err := must(oracle.New(base, opts...)).ExchangePassword(ctx, oracle.Credentials{Username: "ada", Password: password})
				return err
			},
		}
	},
	cases: func(t *testing.T, _ *fixture) map[string]cell {
		f := oracletest.New(t)
		f.AddUser(oracletest.User{Username: "ada", Password: password})
		f.AddUser(oracletest.User{Username: "bob", Password: password, Locked: true})
		c := must(oracle.New(f.URL(), options()...))
		return map[string]cell{
			caseWrongCredential: {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				_, err := c.ExchangePassword(ctx, oracle.Credentials{Username: "ada", Password: wrongPassword})
				return err
			}},
			caseWrongCredentialViaSource: {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				src := must(c.PasswordSource(oracle.Credentials{Username: "ada", Password: wrongPassword}, tokenkit.SourceConfig{}))
				_, err := c.CurrentUser(ctx, src, oracle.UserQuery{})
				return err
			}, check: checkViaSource("CurrentUser", "ExchangePassword")},
			caseLocked: {want: tokenkit.KindLocked, run: func(t *testing.T, ctx context.Context) error {
				_, err := c.ExchangePassword(ctx, oracle.Credentials{Username: "bob", Password: password})
				return err
			}},
			caseExpiredRevoked: {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				rt := f.IssueRefreshToken("ada")
				f.RevokeRefreshToken(rt)
				_, err := c.ExchangeRefreshToken(ctx, tokenkit.Secret(rt))
				return err
			}},
			caseExpiredRevoked + " (access token)": {want: tokenkit.KindUnauthorized, run: func(t *testing.T, ctx context.Context) error {
				tok, err := c.ExchangePassword(ctx, oracle.Credentials{Username: "ada", Password: password})
				if err != nil {
					t.Fatal(err)
				}
				f.RevokeAccessToken(tok.Value())
				_, err = c.CurrentUser(ctx, tokenkit.StaticSource(tok), oracle.UserQuery{})
				return err
			}},
			caseLostAnswer: {want: tokenkit.KindOutcomeUnknown, run: func(t *testing.T, ctx context.Context) error {
				rt := f.IssueRefreshToken("ada")
				f.FailNext(1, fakes.Fault{DropAfterApply: true})
				_, err := c.ExchangeRefreshToken(ctx, tokenkit.Secret(rt))
				return err
			}, check: func(t *testing.T, err error) {
				if n := f.TotalCalls(); n != 1 {
					t.Errorf("the refresh was sent %d times, want 1", n)
				}
			}},
		}
	},
	skips: map[string]string{
		caseNotFoundStatus: "Oracle's token API names no object, so no call can answer 'not found'",
		caseNotFoundIn200:  "Oracle answers every failure with an HTTP error status",
	},
}

// ---- Clone Guard -----------------------------------------------------------

var cgscanVendor = vendor{
	name: "cgscan",
	setup: func(t *testing.T) *fixture {
		f := cgscantest.New(t)
		f.AddUser(cgscantest.User{Username: "alice", Password: password})
		key := tokenkit.Secret(f.APIKey())
		return &fixture{
			mutating: true, // a sign-in creates a session: a request in flight may have been applied
			base:     f.URL(), failNext: f.FailNext, total: f.TotalCalls,
			exchange: func(ctx context.Context, base string, opts ...tokenkit.Option) error {
				c := must(cgscan.New(base, append(opts, cgscan.WithAPIKey(key))...))
				_, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: password})
				return err
			},
		}
	},
	cases: func(t *testing.T, _ *fixture) map[string]cell {
		f := cgscantest.New(t)
		f.AddUser(cgscantest.User{Username: "alice", Password: password})
		c := must(cgscan.New(f.URL(), append(options(), cgscan.WithAPIKey(tokenkit.Secret(f.APIKey())))...))
		signIn := func(t *testing.T, ctx context.Context) *cgscan.Session {
			res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: password})
			if err != nil {
				t.Fatal(err)
			}
			return res.Session
		}
		return map[string]cell{
			caseWrongCredential: {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				_, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: wrongPassword})
				return err
			}},
			caseWrongCredentialViaSource: {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				src := must(c.SignInSource(cgscan.SignInRequest{Username: "alice", Password: wrongPassword}, tokenkit.SourceConfig{}))
				_, err := c.GenerateAccessToken(ctx, src)
				return err
			}, check: checkViaSource("GenerateAccessToken", "SignIn")},
			caseWrongCredential + " (API key)": {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				bad := must(cgscan.New(f.URL(), append(options(), cgscan.WithAPIKey("not-the-api-key-0123456789"))...))
				_, err := bad.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: password})
				return err
			}},
			caseExpiredRevoked: {want: tokenkit.KindUnauthorized, run: func(t *testing.T, ctx context.Context) error {
				s := signIn(t, ctx)
				if err := c.SignOut(ctx, tokenkit.StaticSource(s)); err != nil {
					t.Fatal(err)
				}
				_, err := c.GenerateAccessToken(ctx, tokenkit.StaticSource(s))
				return err
			}},
			caseLostAnswer: {want: tokenkit.KindOutcomeUnknown, run: func(t *testing.T, ctx context.Context) error {
				s := signIn(t, ctx)
				f.FailNext(1, fakes.Fault{DropAfterApply: true})
				_, err := c.GenerateAccessToken(ctx, tokenkit.StaticSource(s))
				return err
			}, check: func(t *testing.T, err error) {
				calls(t, f, string(cgscan.OpGenerateAccessToken), 1)
			}},
		}
	},
	skips: map[string]string{
		caseLocked:         "Clone Guard documents no account lockout, and its fake has none",
		caseNotFoundStatus: "Clone Guard's token calls name no object: a user has one access token, and revoking when there is none succeeds",
		caseNotFoundIn200:  "Clone Guard answers every failure with an HTTP error status",
	},
}

// ---- Canvus ----------------------------------------------------------------

var canvusVendor = vendor{
	name: "canvus",
	setup: func(t *testing.T) *fixture {
		f := canvustest.New(t)
		f.AddUser(canvustest.User{Email: "alice@example.com", Password: password})
		return &fixture{
			mutating: true, // a sign-in creates a session: a request in flight may have been applied
			base:     f.URL(), failNext: f.FailNext, total: f.TotalCalls,
			exchange: func(ctx context.Context, base string, opts ...tokenkit.Option) error {
				_, err := must(canvus.New(base, opts...)).Login(ctx, canvus.Credentials{Email: "alice@example.com", Password: password})
				return err
			},
		}
	},
	cases: func(t *testing.T, _ *fixture) map[string]cell {
		f := canvustest.New(t)
		f.AddUser(canvustest.User{Email: "alice@example.com", Password: password})
		f.AddUser(canvustest.User{Email: "bob@example.com", Password: password, Blocked: true})
		c := must(canvus.New(f.URL(), options()...))
		tokens := func(src tokenkit.TokenSource) *canvus.Tokens { return must(c.Tokens(src)) }
		login := func(t *testing.T, ctx context.Context) *canvus.Session {
			tok, err := c.Login(ctx, canvus.Credentials{Email: "alice@example.com", Password: password})
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		return map[string]cell{
			caseWrongCredential: {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				_, err := c.Login(ctx, canvus.Credentials{Email: "alice@example.com", Password: wrongPassword})
				return err
			}},
			caseWrongCredentialViaSource: {want: tokenkit.KindInvalidCredential, run: func(t *testing.T, ctx context.Context) error {
				src := must(c.LoginSource(canvus.Credentials{Email: "alice@example.com", Password: wrongPassword}, tokenkit.SourceConfig{}))
				_, err := tokens(src).Create(ctx, "never")
				return err
			}, check: checkViaSource("Create", "Login")},
			// A blocked user is Canvus's locked account: the password is
			// right, and only an administrator can let the user in again.
			caseLocked: {want: tokenkit.KindLocked, run: func(t *testing.T, ctx context.Context) error {
				_, err := c.Login(ctx, canvus.Credentials{Email: "bob@example.com", Password: password})
				return err
			}},
			caseExpiredRevoked: {want: tokenkit.KindUnauthorized, run: func(t *testing.T, ctx context.Context) error {
				tok := login(t, ctx)
				if err := c.Logout(ctx, tok); err != nil {
					t.Fatal(err)
				}
				_, err := tokens(tokenkit.StaticSource(tok)).ListInfo(ctx)
				return err
			}},
			caseNotFoundStatus: {want: tokenkit.KindNotFound, run: func(t *testing.T, ctx context.Context) error {
				_, err := tokens(tokenkit.StaticSource(login(t, ctx))).Get(ctx, "bm8tc3VjaC10b2tlbg==")
				return err
			}},
			caseNotFoundStatus + " (delete)": {want: tokenkit.KindNotFound, run: func(t *testing.T, ctx context.Context) error {
				return tokens(tokenkit.StaticSource(login(t, ctx))).Delete(ctx, "bm8tc3VjaC10b2tlbg==")
			}},
			caseLostAnswer: {want: tokenkit.KindOutcomeUnknown, run: func(t *testing.T, ctx context.Context) error {
				tok := login(t, ctx)
				f.FailNext(1, fakes.Fault{DropAfterApply: true})
				_, err := tokens(tokenkit.StaticSource(tok)).Create(ctx, "lost")
				return err
			}, check: func(t *testing.T, err error) {
				calls(t, f, canvustest.OpCreateAccessToken, 1)
			}},
		}
	},
	skips: map[string]string{
		caseNotFoundIn200: "Canvus answers an unknown token with HTTP 404 (the status rows), never inside 200",
	},
}
