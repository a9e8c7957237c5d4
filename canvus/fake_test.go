package canvus_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/fakes"
)

func TestTokenLifecycleAgainstFake(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	login, toks := w.login(t, aliceEmail, alicePass)
	if login.User.ID != w.alice.ID || login.User.Email != aliceEmail || login.User.Name != "Alice" || login.User.Admin {
		t.Fatalf("user %+v", login.User)
	}
	if login.User.LastLogin.IsZero() || login.User.State != "normal" {
		t.Fatalf("user timestamps/state not decoded: %+v", login.User)
	}

	pat, err := toks.Create(ctx, "ci bot")
	if err != nil {
		t.Fatal(err)
	}
	if pat.Value() == "" || pat.ID == "" || pat.Description != "ci bot" || pat.UserID != w.alice.ID || !pat.Expiry().IsZero() {
		t.Fatalf("created %v", pat)
	}
	// The new token authenticates on its own, and never expires.
	byPAT := tokensFor(t, w.c, w.alice.ID, tokenkit.StaticSource(pat))
	infos, err := byPAT.ListInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0] != pat.Info() {
		t.Fatalf("list %+v, want [%+v]", infos, pat.Info())
	}
	stored := w.fake.AccessTokens(w.alice.ID)[0]
	if !infos[0].CreatedAt.Equal(stored.CreatedAt.Truncate(time.Millisecond)) {
		t.Fatalf("created_at %s, fake has %s", infos[0].CreatedAt, stored.CreatedAt)
	}

	got, err := toks.Get(ctx, pat.ID)
	if err != nil || *got != pat.Info() {
		t.Fatalf("get: %+v, %v", got, err)
	}
	renamed, err := toks.Rename(ctx, pat.ID, "nightly bot")
	if err != nil || renamed.Description != "nightly bot" || renamed.ID != pat.ID {
		t.Fatalf("rename: %+v, %v", renamed, err)
	}
	list, err := toks.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "nightly bot" || list[0].ID != pat.ID || !list[0].ExpiresAt.IsZero() {
		t.Fatalf("tokenkit list: %+v, %v", list, err)
	}
	if err := toks.Delete(ctx, pat.ID); err != nil {
		t.Fatal(err)
	}
	// A deleted token is revoked: it no longer authenticates.
	if _, err := byPAT.ListInfo(ctx); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("deleted token still works: %v", err)
	}
	if _, err := toks.Get(ctx, pat.ID); !errors.Is(err, tokenkit.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := toks.Delete(ctx, pat.ID); !errors.Is(err, tokenkit.ErrNotFound) {
		t.Fatalf("a first-attempt 404 must stay an error: %v", err)
	}
	for op, want := range map[string]int{canvustest.OpCreateAccessToken: 1, canvustest.OpRenameAccessToken: 1, canvustest.OpDeleteAccessToken: 1, canvustest.OpLogin: 1} {
		if got := w.fake.Applied(op); got != want {
			t.Errorf("Applied(%s) = %d, want %d", op, got, want)
		}
	}
}

func TestTokenKitInterfaces(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	_, toks := w.login(t, aliceEmail, alicePass)
	var (
		issuer  tokenkit.Issuer  = toks
		lister  tokenkit.Lister  = toks
		revoker tokenkit.Revoker = toks
	)
	// What Canvus cannot honour is refused before anything is sent, never
	// silently dropped (a never-expiring, unscoped token).
	for field, req := range map[string]tokenkit.IssueRequest{
		"Lifetime": {Name: "generic", Lifetime: time.Hour},
		"Scopes":   {Name: "generic", Scopes: []string{"read"}},
	} {
		_, err := issuer.Issue(ctx, req)
		if !errors.Is(err, tokenkit.ErrInvalidInput) || !strings.Contains(err.Error(), field) {
			t.Errorf("Issue with %s: %v", field, err)
		}
	}
	if got := w.fake.Applied(canvustest.OpCreateAccessToken); got != 0 {
		t.Fatalf("refused requests created %d tokens", got)
	}
	tok, err := issuer.Issue(ctx, tokenkit.IssueRequest{Name: "generic"})
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry().IsZero() {
		t.Fatal("canvus access tokens never expire")
	}
	var checker tokenkit.Checker = w.c
	if res, err := checker.Check(ctx, tok); err != nil || res.Subject == "" {
		t.Fatalf("Check of a live token: %+v %v", res, err)
	}
	list, err := lister.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "generic" {
		t.Fatalf("%+v %v", list, err)
	}
	if want := tokenkit.FieldName | tokenkit.FieldCreatedAt; list[0].Reported != want || list[0].CreatedAt.IsZero() {
		t.Fatalf("Reported = %v, want %v (created %v)", list[0].Reported, want, list[0].CreatedAt)
	}
	if tokenkit.IDOf(tok) != list[0].ID {
		t.Fatalf("issued token says id %q, list says %q", tokenkit.IDOf(tok), list[0].ID)
	}
	if err := revoker.Revoke(ctx, tokenkit.IDOf(tok)); err != nil {
		t.Fatal(err)
	}
	if _, err := checker.Check(ctx, tok); !tokenkit.Rejected(err) {
		t.Fatalf("Check of a revoked token: %v", err)
	}
	if _, err := issuer.Issue(ctx, tokenkit.IssueRequest{}); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("Issue without a name: %v", err)
	}
	ex, err := w.c.LoginExchanger(canvus.Credentials{Email: aliceEmail, Password: alicePass})
	if err != nil {
		t.Fatal(err)
	}
	lt, err := ex.Exchange(ctx)
	if err != nil || lt.Value() == "" {
		t.Fatalf("exchange: %v", err)
	}
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.fake.SetBlocked(w.bob.ID, true)
	for _, tc := range []struct {
		name   string
		cr     canvus.Credentials
		want   []error
		status int
		msg    string
	}{
		{"wrong password", canvus.Credentials{Email: aliceEmail, Password: "nope"},
			[]error{tokenkit.ErrInvalidCredential, tokenkit.ErrAuth}, 401, "Invalid username or password."},
		{"unknown email", canvus.Credentials{Email: "eve@example.com", Password: "x"},
			[]error{tokenkit.ErrInvalidCredential}, 401, "Invalid username or password."},
		{"unknown token", canvus.Credentials{Token: "not-a-session"},
			[]error{tokenkit.ErrInvalidCredential}, 401, "Invalid token"},
		{"blocked user", canvus.Credentials{Email: bobEmail, Password: bobPass},
			[]error{tokenkit.ErrLocked, tokenkit.ErrAuth}, 403, "User is blocked"},
		{"both forms", canvus.Credentials{Email: aliceEmail, Password: alicePass, Token: "t"},
			[]error{tokenkit.ErrInvalidInput}, 0, ""},
		{"password only", canvus.Credentials{Password: alicePass}, []error{tokenkit.ErrInvalidInput}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, err := w.c.Login(ctx, tc.cr)
			if tok != nil {
				t.Fatal("a failed login returned a token")
			}
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("error %v does not match %v", err, want)
				}
			}
			te := isTK(t, err)
			if te.StatusCode != tc.status || (tc.msg != "" && te.Message != tc.msg) {
				t.Fatalf("got %d %q, want %d %q", te.StatusCode, te.Message, tc.status, tc.msg)
			}
			if tc.status != 0 {
				var er *canvus.ErrorResponse
				if !errors.As(err, &er) || er.Msg != tc.msg {
					t.Fatalf("ErrorResponse not reachable: %v", err)
				}
			}
		})
	}
	if got := w.fake.Applied(canvustest.OpLogin); got != 0 {
		t.Fatalf("failed logins applied %d", got)
	}
}

func TestLoginWithTokenRotates(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	first, _ := w.login(t, aliceEmail, alicePass)
	second, err := w.c.Login(ctx, canvus.Credentials{Token: tokenkit.Secret(first.Value())})
	if err != nil {
		t.Fatal(err)
	}
	if second.Value() == first.Value() || second.User.ID != w.alice.ID {
		t.Fatal("the token form must answer a new token for the same user")
	}
	// The old token is gone, the new one works.
	if _, err := tokensFor(t, w.c, w.alice.ID, tokenkit.StaticSource(first)).ListInfo(ctx); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("rotated-away token still works: %v", err)
	}
	if _, err := tokensFor(t, w.c, w.alice.ID, tokenkit.StaticSource(second)).ListInfo(ctx); err != nil {
		t.Fatal(err)
	}
	// Without rotation the same token comes back, prolonged.
	w.fake.SetRotateOnTokenLogin(false)
	third, err := w.c.Login(ctx, canvus.Credentials{Token: tokenkit.Secret(second.Value()), Remember: true})
	if err != nil || third.Value() != second.Value() || !third.Remember {
		t.Fatalf("prolong: %v, %v", third, err)
	}
}

func TestSessionExpiresOnFakeClock(t *testing.T) {
	t.Parallel()
	clk := newClock()
	w := newWorld(t, tokenkit.WithClock(clk.Now))
	w.fake.SetClock(clk.Now)
	ctx := context.Background()
	login, toks := w.login(t, aliceEmail, alicePass)
	if want := t0.Add(canvus.DefaultSessionLifetime); !login.Expiry().Equal(want) {
		t.Fatalf("expiry %s, want %s", login.Expiry(), want)
	}
	clk.Advance(23 * time.Hour)
	if _, err := toks.ListInfo(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if _, err := toks.ListInfo(ctx); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("expired session: %v", err)
	}
	// WithSessionLifetime follows a server configured otherwise.
	c2 := newClient(t, w.fake.URL(), tokenkit.WithClock(clk.Now), canvus.WithSessionLifetime(time.Hour))
	l2, err := c2.Login(ctx, canvus.Credentials{Email: aliceEmail, Password: alicePass})
	if err != nil || !l2.Expiry().Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("expiry with WithSessionLifetime: %v %v", l2, err)
	}
}

func TestLoginExchangerProlongsThenFallsBack(t *testing.T) {
	t.Parallel()
	clk := newClock()
	w := newWorld(t, tokenkit.WithClock(clk.Now))
	w.fake.SetClock(clk.Now)
	ctx := context.Background()
	e := loginVia(t, w.c, canvus.Credentials{Email: aliceEmail, Password: alicePass})
	lastLoginKeys := func() []string {
		reqs := w.fake.Requests()
		return keys(reqs[len(reqs)-1].JSON)
	}
	first, err := e.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := lastLoginKeys(); !slices.Equal(got, []string{"email", "password"}) {
		t.Fatalf("first login sent %v", got)
	}
	// Inside the session, the exchanger prolongs it with the token form and
	// takes the rotated token.
	clk.Advance(23*time.Hour + 50*time.Minute)
	second, err := e.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := lastLoginKeys(); !slices.Equal(got, []string{"token"}) || second.Value() == first.Value() {
		t.Fatalf("refresh sent %v", got)
	}
	if !second.Expiry().Equal(clk.Now().Add(canvus.DefaultSessionLifetime)) {
		t.Fatalf("expiry %s", second.Expiry())
	}
	// The server forgot the session: the token form is refused, and the
	// exchanger signs in with the password again.
	if err := w.c.Logout(ctx, second); err != nil {
		t.Fatal(err)
	}
	calls := w.fake.Calls(canvustest.OpLogin)
	third, err := e.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.fake.Calls(canvustest.OpLogin) - calls; got != 2 || !slices.Equal(lastLoginKeys(), []string{"email", "password"}) {
		t.Fatalf("fallback made %d logins, last %v", got, lastLoginKeys())
	}
	// Past the session's end it signs in with the password directly.
	clk.Advance(25 * time.Hour)
	calls = w.fake.Calls(canvustest.OpLogin)
	if _, err := e.Login(ctx); err != nil || w.fake.Calls(canvustest.OpLogin)-calls != 1 {
		t.Fatalf("after expiry: %v", err)
	}
	_ = third
	// With a token only and no password, a refused token is an error.
	e2 := loginVia(t, w.c, canvus.Credentials{Token: "stale"})
	if _, err := e2.Login(ctx); !errors.Is(err, tokenkit.ErrInvalidCredential) {
		t.Fatalf("stale token: %v", err)
	}
}

// TestLoginExchangerBacksOffOnRateLimit: a 429 to the token form of sign-in
// is returned, not answered with a password sign-in that would double the
// requests to a server that asked for fewer; the next exchange prolongs the
// same token.
func TestLoginExchangerBacksOffOnRateLimit(t *testing.T) {
	t.Parallel()
	clk := newClock()
	w := newWorld(t, tokenkit.WithClock(clk.Now), tokenkit.WithRetryMax(0))
	w.fake.SetClock(clk.Now)
	ctx := context.Background()
	e := loginVia(t, w.c, canvus.Credentials{Email: aliceEmail, Password: alicePass})
	if _, err := e.Login(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	w.fake.FailNextOp(canvustest.OpLogin, 1, fakes.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
	calls := w.fake.Calls(canvustest.OpLogin)
	_, err := e.Login(ctx)
	if !errors.Is(err, tokenkit.ErrRateLimited) {
		t.Fatalf("rate-limited refresh: %v", err)
	}
	if got := w.fake.Calls(canvustest.OpLogin) - calls; got != 1 {
		t.Fatalf("a rate-limited refresh made %d sign-ins, want 1 (no password fallback)", got)
	}
	calls = w.fake.Calls(canvustest.OpLogin)
	if _, err := e.Login(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := w.fake.Requests()
	if got := keys(reqs[len(reqs)-1].JSON); w.fake.Calls(canvustest.OpLogin)-calls != 1 || !slices.Equal(got, []string{"token"}) {
		t.Fatalf("after the rate limit: %d sign-ins, last sent %v", w.fake.Calls(canvustest.OpLogin)-calls, got)
	}
}

// loginExchanger is the concrete view of what Client.LoginExchanger
// returns, for tests that look at the login token.
type loginExchanger struct{ tokenkit.Exchanger }

func (e loginExchanger) Login(ctx context.Context) (*canvus.Session, error) {
	tok, err := e.Exchange(ctx)
	if err != nil {
		return nil, err
	}
	return tok.(*canvus.Session), nil
}

func loginVia(t testing.TB, c *canvus.Client, cr canvus.Credentials) loginExchanger {
	t.Helper()
	ex, err := c.LoginExchanger(cr)
	if err != nil {
		t.Fatal(err)
	}
	return loginExchanger{ex}
}

func TestLoginSourceReplacesRefusedToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	src := loginSource(t, w.c, canvus.Credentials{Email: aliceEmail, Password: alicePass}, tokenkit.SourceConfig{})
	toks := tokensFor(t, w.c, w.alice.ID, src)
	if _, err := toks.ListInfo(ctx); err != nil {
		t.Fatal(err)
	}
	tok := src.Cached()
	// The server forgets the session (signed out elsewhere): the next call
	// gets 401, the refused token is invalidated, a new one is fetched, and
	// the call succeeds.
	if err := w.c.Logout(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := toks.ListInfo(ctx); err != nil {
		t.Fatalf("after a server-side logout: %v", err)
	}
	if got := src.Cached(); got == nil || got.Value() == tok.Value() {
		t.Fatal("the refused token must have been replaced")
	}
	// A source that cannot do better keeps the server's first answer.
	bad := tokensFor(t, w.c, w.alice.ID, tokenkit.StaticSource(held("bogus")))
	before := w.fake.Calls(canvustest.OpListAccessTokens)
	if _, err := bad.ListInfo(ctx); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatal(err)
	}
	if got := w.fake.Calls(canvustest.OpListAccessTokens) - before; got != 1 {
		t.Fatalf("a static source was retried: %d calls", got)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	_, aliceToks := w.login(t, aliceEmail, alicePass)
	bobLogin, _ := w.login(t, bobEmail, bobPass)
	adminLogin, _ := w.login(t, adminEmail, adminPass)
	pat, err := aliceToks.Create(ctx, "alice's")
	if err != nil {
		t.Fatal(err)
	}

	// Bob may not touch Alice's tokens.
	bobOnAlice := tokensFor(t, w.c, w.alice.ID, tokenkit.StaticSource(bobLogin))
	if _, err := bobOnAlice.ListInfo(ctx); !errors.Is(err, tokenkit.ErrForbidden) {
		t.Fatalf("list: %v", err)
	}
	var er *canvus.ErrorResponse
	if _, err := bobOnAlice.Create(ctx, "sneaky"); !errors.Is(err, tokenkit.ErrForbidden) || !errors.As(err, &er) || er.Msg != "Permission denied" {
		t.Fatalf("create: %v", err)
	}
	if err := bobOnAlice.Delete(ctx, pat.ID); !errors.Is(err, tokenkit.ErrForbidden) {
		t.Fatalf("delete: %v", err)
	}
	// The admin may.
	adminOnAlice := tokensFor(t, w.c, w.alice.ID, tokenkit.StaticSource(adminLogin))
	infos, err := adminOnAlice.ListInfo(ctx)
	if err != nil || len(infos) != 1 {
		t.Fatalf("admin list: %v %v", infos, err)
	}
	if _, err := adminOnAlice.Rename(ctx, pat.ID, "renamed by admin"); err != nil {
		t.Fatal(err)
	}
	if err := adminOnAlice.Delete(ctx, pat.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tokensFor(t, w.c, 99999, tokenkit.StaticSource(adminLogin)).ListInfo(ctx); !errors.Is(err, tokenkit.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

// TestBase64IDRoundTrip: an id with '/', '+' and '=' reaches the server as
// one percent-encoded path segment through get, rename and delete, both over
// HTTP and through the httpmock Responder.
func TestBase64IDRoundTrip(t *testing.T) {
	t.Parallel()
	const id = "JDJhJDA0/JENKTWJD+T0g1QVNY//SkFQ==" // '/', '//', '+' and '='
	const wantPath = "/api/v1/users/1000/access-tokens/JDJhJDA0%2FJENKTWJD%2BT0g1QVNY%2F%2FSkFQ%3D%3D"
	for _, transport := range []string{"httptest", "httpmock"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			c := w.c
			if transport == "httpmock" {
				c, _ = responderClient(t, w.fake)
			}
			ctx := context.Background()
			w.fake.AddAccessToken(canvustest.AccessToken{UserID: w.alice.ID, ID: id, Description: "slashy"})
			toks := tokensFor(t, c, w.alice.ID, tokenkit.StaticSource(held(w.fake.NewSession(w.alice.ID))))
			got, err := toks.Get(ctx, id)
			if err != nil || got.ID != id || got.Description != "slashy" {
				t.Fatalf("get: %+v %v", got, err)
			}
			if r, err := toks.Rename(ctx, id, "renamed"); err != nil || r.ID != id || r.Description != "renamed" {
				t.Fatalf("rename: %+v %v", r, err)
			}
			if err := toks.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
			if left := w.fake.AccessTokens(w.alice.ID); len(left) != 0 {
				t.Fatalf("token not deleted: %v", left)
			}
			var n int
			for _, r := range w.fake.Requests() {
				if r.Operation == "" {
					t.Fatalf("unrouted request %v", r)
				}
				if r.Operation != canvustest.OpGetAccessToken && r.Operation != canvustest.OpRenameAccessToken && r.Operation != canvustest.OpDeleteAccessToken {
					continue
				}
				n++
				if r.EscapedPath != wantPath {
					t.Errorf("%s path %q, want %q", r.Operation, r.EscapedPath, wantPath)
				}
			}
			if n != 3 {
				t.Fatalf("%d token requests, want 3", n)
			}
		})
	}
}

func TestCreateIsNotReplayed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	_, toks := w.login(t, aliceEmail, alicePass)

	// The token is created, then the answer is lost: an error, not a
	// second token.
	w.fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	if tok, err := toks.Create(ctx, "lost"); tok != nil || !errors.Is(err, tokenkit.ErrTransport) {
		t.Fatalf("lost answer: %v %v", tok, err)
	}
	if calls, applied := w.fake.Calls(canvustest.OpCreateAccessToken), w.fake.Applied(canvustest.OpCreateAccessToken); calls != 1 || applied != 1 {
		t.Fatalf("calls %d applied %d, want 1 and 1", calls, applied)
	}
	// A 503 is not retried either (the server may have acted).
	w.fake.FailNext(1, fakes.Fault{Status: http.StatusServiceUnavailable})
	if _, err := toks.Create(ctx, "busy"); !errors.Is(err, tokenkit.ErrServer) {
		t.Fatalf("503: %v", err)
	}
	if calls := w.fake.Calls(canvustest.OpCreateAccessToken); calls != 2 {
		t.Fatalf("503 was retried: %d calls", calls)
	}
	// A 429 says the server did not act: retried, honouring Retry-After.
	w.fake.FailNext(2, fakes.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
	tok, err := toks.Create(ctx, "after 429")
	if err != nil {
		t.Fatal(err)
	}
	if calls, applied := w.fake.Calls(canvustest.OpCreateAccessToken), w.fake.Applied(canvustest.OpCreateAccessToken); calls != 5 || applied != 2 {
		t.Fatalf("calls %d applied %d, want 5 and 2", calls, applied)
	}
	if tok.Description != "after 429" {
		t.Fatal(tok)
	}
	// Login changes state too.
	w.fake.FailNext(1, fakes.Fault{Status: http.StatusBadGateway})
	if _, err := w.c.Login(ctx, canvus.Credentials{Email: aliceEmail, Password: alicePass}); !errors.Is(err, tokenkit.ErrServer) {
		t.Fatalf("login 502: %v", err)
	}
}

func TestIdempotentCallsRetry(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	_, toks := w.login(t, aliceEmail, alicePass)
	pat, err := toks.Create(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	w.fake.FailNext(2, fakes.Fault{Status: http.StatusInternalServerError})
	if _, err := toks.ListInfo(ctx); err != nil {
		t.Fatalf("list after two 500s: %v", err)
	}
	w.fake.FailNext(1, fakes.Fault{HTML: true})
	if _, err := toks.Rename(ctx, pat.ID, "y"); err != nil {
		t.Fatalf("rename after an HTML 503: %v", err)
	}
	// A delete whose answer was lost is retried; the retry's 404 means the
	// first attempt deleted the token.
	w.fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	if err := toks.Delete(ctx, pat.ID); err != nil {
		t.Fatalf("delete after a lost answer: %v", err)
	}
	if w.fake.Applied(canvustest.OpDeleteAccessToken) != 1 || w.fake.Calls(canvustest.OpDeleteAccessToken) != 2 {
		t.Fatalf("delete calls %d applied %d", w.fake.Calls(canvustest.OpDeleteAccessToken), w.fake.Applied(canvustest.OpDeleteAccessToken))
	}
	// Malformed 200: never a zero value.
	w.fake.FailNext(1, fakes.Fault{Malformed: true})
	if got, err := toks.Get(ctx, "whatever"); got != nil || !errors.Is(err, tokenkit.ErrInvalidResponse) {
		t.Fatalf("malformed: %v %v", got, err)
	}
	// A Retry-After past the cap ends the call at once with the wait.
	c2 := newClient(t, w.fake.URL(), tokenkit.WithMaxRetryAfter(time.Second))
	w.fake.FailNext(1, fakes.Fault{Status: http.StatusTooManyRequests, RetryAfter: "3600"})
	_, err = c2.ServerInfo(ctx)
	if te := isTK(t, err); !errors.Is(err, tokenkit.ErrRateLimited) || te.RetryAfter != time.Hour {
		t.Fatalf("long Retry-After: %v", err)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	login, toks := w.login(t, aliceEmail, alicePass)
	if w.fake.ActiveSessions(w.alice.ID) != 1 {
		t.Fatal("no session")
	}
	if err := w.c.Logout(ctx, login); err != nil {
		t.Fatal(err)
	}
	if w.fake.ActiveSessions(w.alice.ID) != 0 {
		t.Fatal("still signed in")
	}
	if _, err := toks.ListInfo(ctx); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("after logout: %v", err)
	}
	if err := w.c.Logout(ctx, login); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("second logout on a first attempt: %v", err)
	}
	// A logout whose answer was lost: the retry's 401 is success.
	login2, _ := w.login(t, aliceEmail, alicePass)
	w.fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	if err := w.c.Logout(ctx, login2); err != nil {
		t.Fatalf("logout after a lost answer: %v", err)
	}
	if err := w.c.Logout(ctx, nil); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("nil token: %v", err)
	}
	if err := w.c.Logout(ctx, (*canvus.Session)(nil)); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("typed nil token: %v", err)
	}
}

func TestServerInfoAndLegacyErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	info, err := w.c.ServerInfo(ctx)
	if err != nil || info.Version != canvustest.ServerVersion || info.ServerID == "" || len(info.API) == 0 {
		t.Fatalf("%+v %v", info, err)
	}
	if r := w.fake.Requests()[0]; r.Header.Get("Private-Token") != "" {
		t.Fatal("server-info needs no token and must not get one")
	}
	w.fake.SetLegacyErrors(true)
	_, err = tokensFor(t, w.c, w.alice.ID, tokenkit.StaticSource(held("bogus"))).ListInfo(ctx)
	var er *canvus.ErrorResponse
	if !errors.Is(err, tokenkit.ErrUnauthorized) || !errors.As(err, &er) || er.LegacyMessage != "401 Unauthorized" || er.Text() != "401 Unauthorized" {
		t.Fatalf("legacy error: %v", err)
	}
	if te := isTK(t, err); te.Message != "401 Unauthorized" {
		t.Fatalf("message %q", te.Message)
	}
}

func TestTimeZoneOption(t *testing.T) {
	t.Parallel()
	tz := time.FixedZone("UTC+3", 3*3600)
	w := newWorld(t, canvus.WithTimeZone(tz))
	w.fake.SetTimeZone(tz)
	created := time.Date(2021, 7, 2, 6, 38, 36, 25e6, time.UTC)
	w.fake.AddAccessToken(canvustest.AccessToken{UserID: w.alice.ID, ID: "tz", CreatedAt: created})
	_, toks := w.login(t, aliceEmail, alicePass)
	got, err := toks.Get(context.Background(), "tz")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(created) {
		t.Fatalf("created %s, want %s", got.CreatedAt, created)
	}
	// The default reads zone-less times as UTC: three hours off here.
	def := newClient(t, w.fake.URL())
	got2, err := tokensFor(t, def, w.alice.ID, tokenkit.StaticSource(held(w.fake.NewSession(w.alice.ID)))).Get(context.Background(), "tz")
	if err != nil || got2.CreatedAt.Sub(created) != 3*time.Hour || got2.CreatedAt.Location() != time.UTC {
		t.Fatalf("default zone: %v %v", got2, err)
	}
}

func TestInvalidInputNeverSends(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	tokSrc := tokenkit.StaticSource(held("x"))
	for name, call := range map[string]func() error{
		"user 0":         func() error { _, err := tokensFor(t, w.c, 0, tokSrc).ForUser(0); return err },
		"no auth":        func() error { _, err := w.c.Tokens(nil); return err },
		"empty id":       func() error { _, err := tokensFor(t, w.c, 1, tokSrc).Get(ctx, " "); return err },
		"dot-dot id":     func() error { return tokensFor(t, w.c, 1, tokSrc).Delete(ctx, "..") },
		"no description": func() error { _, err := tokensFor(t, w.c, 1, tokSrc).Create(ctx, ""); return err },
		"blank rename":   func() error { _, err := tokensFor(t, w.c, 1, tokSrc).Rename(ctx, "a", "  "); return err },
		"zero Tokens":    func() error { _, err := (&canvus.Tokens{}).ListInfo(ctx); return err },
		"nil Tokens":     func() error { _, err := (*canvus.Tokens)(nil).ListInfo(ctx); return err },
		"no credentials": func() error { _, err := w.c.Login(ctx, canvus.Credentials{}); return err },
		"exchanger":      func() error { _, err := w.c.LoginExchanger(canvus.Credentials{Email: aliceEmail}); return err },
		"source": func() error {
			_, err := w.c.LoginSource(canvus.Credentials{Password: "pw"}, tokenkit.SourceConfig{})
			return err
		},
		"both forms": func() error {
			_, err := w.c.LoginSource(canvus.Credentials{Email: "e", Password: "p", Token: "t"}, tokenkit.SourceConfig{})
			return err
		},
		"static nil":      func() error { _, err := tokensFor(t, w.c, 1, tokenkit.StaticSource(nil)).ListInfo(ctx); return err },
		"subscribe no id": func() error { return firstErr(tokensFor(t, w.c, 1, tokSrc).SubscribeToken(ctx, "")) },
		"foreign token": func() error {
			_, err := tokensFor(t, w.c, 0, tokenkit.StaticSource(foreign{})).ListInfo(ctx)
			return err
		},
		"check unknown": func() error { _, err := w.c.Check(ctx, held("x")); return err },
		"check foreign": func() error { _, err := w.c.Check(ctx, foreign{}); return err },
		"check nil":     func() error { _, err := w.c.Check(ctx, nil); return err },
	} {
		err := call()
		if name == "static nil" {
			// Refused by the source before anything is sent.
			if err == nil {
				t.Errorf("static nil: no error")
			}
			continue
		}
		if !errors.Is(err, tokenkit.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	if n := w.fake.TotalCalls(); n != 0 {
		t.Fatalf("%d requests were sent", n)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]tokenkit.Option{
		"session":    {canvus.WithSessionLifetime(0)},
		"zone":       {canvus.WithTimeZone(nil)},
		"frame":      {canvus.WithMaxFrameBytes(0)},
		"idle":       {canvus.WithStreamIdleTimeout(-1)},
		"clock":      {tokenkit.WithClock(nil)},
		"zero":       {tokenkit.Option{}},
		"csp option": {csp.WithVerification()},
		"retry max":  {tokenkit.WithRetryMax(-1)},
		"no pres":    {canvus.WithPresentation()},
		"bad pres":   {canvus.WithPresentation(tokenkit.Presentation{Header: "Bad Header"})},
		"reserved":   {canvus.WithPresentation(tokenkit.Presentation{Header: "Cookie"})},
		"duplicate":  {canvus.WithPresentation(canvus.PrivateToken(), tokenkit.Presentation{Header: "private-token", Prefix: "x "})},
	} {
		if _, err := canvus.New(host, opts...); !errors.Is(err, tokenkit.ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, base := range []string{"", "http://canvus.example.com", "ftp://x", "https://u:p@x",
		"https://canvus.example.com/api/v1", "https://proxy.example.com/canvus/v1"} {
		if _, err := canvus.New(base); !errors.Is(err, tokenkit.ErrConfig) {
			t.Errorf("base %q accepted", base)
		}
	}
	// A base with a path is refused with the origin to give instead.
	if _, err := canvus.New("https://canvus.example.com/api/v1/"); err == nil || !strings.Contains(err.Error(), "https://canvus.example.com;") {
		t.Errorf("base with the API path: %v", err)
	}
	for base, want := range map[string]string{
		"https://canvus.example.com":       "https://canvus.example.com/api/v1",
		"https://canvus.example.com/":      "https://canvus.example.com/api/v1",
		"https://canvus.example.com:8443/": "https://canvus.example.com:8443/api/v1",
	} {
		c, err := canvus.New(base)
		if err != nil || c.BaseURL() != want {
			t.Errorf("New(%q).BaseURL() = %v, %v; want %s", base, c, err, want)
		}
	}
}

// TestLoginSourceRefreshesAhead: inside the refresh window the source keeps
// handing out the valid token while it prolongs the session in the
// background with the token form.
func TestLoginSourceRefreshesAhead(t *testing.T) {
	t.Parallel()
	clk := newClock()
	w := newWorld(t, tokenkit.WithClock(clk.Now))
	w.fake.SetClock(clk.Now)
	ctx := context.Background()
	var rotated []string
	var mu sync.Mutex
	src := loginSource(t, w.c, canvus.Credentials{Email: aliceEmail, Password: alicePass}, tokenkit.SourceConfig{
		Save: func(_ context.Context, tok tokenkit.Token) error {
			mu.Lock()
			rotated = append(rotated, tok.Value())
			mu.Unlock()
			return nil
		},
	})
	first, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(24*time.Hour - 5*time.Minute) // inside the 15-minute window
	if tok, err := src.Token(ctx); err != nil || tok.Value() != first.Value() {
		t.Fatalf("the valid token must be served during the refresh: %v", err)
	}
	waitFor(t, func() bool { c := src.Cached(); return c != nil && c.Value() != first.Value() })
	reqs := w.fake.Requests()
	if last := reqs[len(reqs)-1]; last.Operation != canvustest.OpLogin || !slices.Equal(keys(last.JSON), []string{"token"}) {
		t.Fatalf("background refresh sent %v", keys(last.JSON))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(rotated) != 2 || rotated[1] != src.Cached().Value() {
		t.Fatalf("Save saw %d tokens", len(rotated))
	}
}
