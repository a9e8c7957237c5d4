package commvault_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/fakes"
)

func fastRetries() tokenkit.Option {
	return tokenkit.WithRetryWait(time.Millisecond, 2*time.Millisecond)
}

// clock is a settable, concurrency-safe fake clock shared by the SDK and the
// fake.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const (
	user     = "admin"
	password = "Pa55-wörd!"
)

var creds = commvault.Credentials{Username: user, Password: password}

// newFake returns a fake with one user, a client on it sharing clk (if not
// nil) and a context.
func newFake(t *testing.T, clk *clock, opts ...tokenkit.Option) (*commvaulttest.Server, *commvault.Client) {
	t.Helper()
	fake := commvaulttest.New(t)
	fake.StrictPaths(t) // the SDK must never send a doubled or trailing slash
	fake.AddUser(commvaulttest.User{Name: user, Password: password, Email: "admin@example.com"})
	base := []tokenkit.Option{tokenkit.WithHTTPClient(fake.Client()), fastRetries()}
	if clk != nil {
		fake.SetClock(clk.Now)
		base = append(base, tokenkit.WithClock(clk.Now))
	}
	c, err := commvault.New(fake.URL(), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

func login(t *testing.T, c *commvault.Client) *commvault.Session {
	t.Helper()
	s, err := c.Login(context.Background(), creds)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func create(t *testing.T, c *commvault.Client, auth tokenkit.TokenSource, req commvault.CreateRequest) *commvault.AccessToken {
	t.Helper()
	tok, err := c.CreateAccessToken(context.Background(), auth, req)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestLifecycleAgainstFake(t *testing.T) {
	t.Parallel()
	clk := newClock()
	fake, c := newFake(t, clk)
	ctx := context.Background()
	s := login(t, c)
	if !fake.ValidSession(s.Value()) || s.UserName != user || s.Email != "admin@example.com" {
		t.Fatalf("session %v", s)
	}

	tok := create(t, c, s, commvault.CreateRequest{Name: "ci", Type: commvault.TokenTypeAll})
	if tok.RefreshToken == "" || !fake.ValidAccessToken(tok.Value()) || !tok.ExpiresAt.Equal(clk.Now().Add(30*time.Minute)) ||
		!tok.RenewableUntil.Equal(clk.Now().Add(90*24*time.Hour)) {
		t.Fatalf("token %v", tok)
	}
	renewed, err := c.RenewAccessToken(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.ID != tok.ID || renewed.Value() == tok.Value() || fake.ValidAccessToken(tok.Value()) || !fake.ValidAccessToken(renewed.Value()) {
		t.Fatal("renewal must rotate the pair in place")
	}
	info, err := c.UpdateAccessToken(ctx, s, tok.ID, commvault.UpdateRequest{Name: "ci-renamed", AllowedIPs: []string{"10.1.0.0/16"}})
	if err != nil || info.Name != "ci-renamed" || info.Type != commvault.TokenTypeAll {
		t.Fatalf("update: %+v, %v", info, err)
	}
	list, err := c.ListAccessTokens(ctx, s, 0)
	if err != nil || len(list) != 1 || list[0].Name != "ci-renamed" || list[0].AllowedIPs[0] != "10.1.0.0/16" || list[0].LastUsedAt.IsZero() == false {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if err := c.DeleteAccessToken(ctx, s, tok.ID); err != nil {
		t.Fatal(err)
	}
	err = c.DeleteAccessToken(ctx, s, tok.ID)
	var te *tokenkit.Error
	if !errors.As(err, &te) || te.StatusCode != 200 || te.Code != "3" {
		t.Fatalf("deleting twice: %v", err)
	}
	if err := c.Logout(ctx, s); err != nil || fake.ValidSession(s.Value()) {
		t.Fatalf("logout: %v", err)
	}
	if err := c.Logout(ctx, s); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("second logout: %v", err)
	}
	for op, want := range map[string]int{"Login": 1, "CreateAccessToken": 1, "RenewAccessToken": 1, "UpdateAccessToken": 1, "DeleteAccessToken": 1, "Logout": 1} {
		if got := fake.Applied(op); got != want {
			t.Errorf("Applied(%s) = %d, want %d", op, got, want)
		}
	}
}

func TestTokenTypesAgainstFake(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		opts    []tokenkit.Option
		wire    commvaulttest.TokenTypeWire
		req     commvault.CreateRequest
		refresh bool
		code    string // a refusal inside HTTP 200
	}{
		{name: "ALL", req: commvault.CreateRequest{Type: commvault.TokenTypeAll}, refresh: true},
		{name: "DEFAULT", req: commvault.CreateRequest{}, refresh: true},
		{name: "CUSTOM", req: commvault.CreateRequest{Type: commvault.TokenTypeCustom, APIEndpoints: []string{"/Job"}}, refresh: true},
		{name: "Hyperscale", req: commvault.CreateRequest{Type: commvault.TokenTypeHyperscale}, refresh: true},
		{name: "MS_SCIM", req: commvault.CreateRequest{Type: commvault.TokenTypeMSSCIM}},
		{name: "OneTouch", req: commvault.CreateRequest{Type: commvault.TokenTypeOneTouch}},
		{name: "names accepted", opts: []tokenkit.Option{commvault.WithTokenTypeNames()}, wire: commvaulttest.AcceptNames,
			req: commvault.CreateRequest{Type: commvault.TokenTypeCustom, APIEndpoints: []string{"/Job"}}, refresh: true},
		{name: "codes refused by a names-only server", wire: commvaulttest.AcceptNames,
			req: commvault.CreateRequest{Type: commvault.TokenTypeAll}, code: "4"},
		{name: "names refused by a codes-only server", opts: []tokenkit.Option{commvault.WithTokenTypeNames()}, wire: commvaulttest.AcceptCodes,
			req: commvault.CreateRequest{Type: commvault.TokenTypeAll}, code: "4"},
		{name: "OneTouch past its maximum", req: commvault.CreateRequest{Type: commvault.TokenTypeOneTouch, ExpiresAt: time.Now().Add(15 * 24 * time.Hour)}, code: "12"},
		{name: "renewable past 365 days", req: commvault.CreateRequest{Type: commvault.TokenTypeAll, RenewableUntil: time.Now().Add(400 * 24 * time.Hour)}, code: "12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, c := newFake(t, nil, tc.opts...)
			fake.SetTokenTypeWire(tc.wire)
			s := login(t, c)
			tc.req.Name = "t"
			tok, err := c.CreateAccessToken(context.Background(), s, tc.req)
			if tc.code != "" {
				var te *tokenkit.Error
				if tok != nil || !errors.As(err, &te) || te.StatusCode != 200 || te.Code != tc.code || fake.Applied("CreateAccessToken") != 0 {
					t.Fatalf("got (%v, %v), want a refusal with code %s", tok, err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (tok.RefreshToken != "") != tc.refresh || tok.CanRenew(time.Now()) != tc.refresh {
				t.Fatalf("refresh token for %s: %v", tc.name, tok)
			}
			list, _ := c.ListAccessTokens(context.Background(), s, 0)
			if len(list) != 1 || list[0].Type != tok.Type {
				t.Fatalf("listed %+v, created %v", list, tok)
			}
			if !tc.refresh {
				_, err := c.RenewAccessToken(context.Background(), tok)
				if !errors.Is(err, commvault.ErrNotRenewable) || fake.Calls("RenewAccessToken") != 0 {
					t.Fatalf("renewing %s: %v", tc.name, err)
				}
			}
		})
	}
}

func TestDuplicateNameIsRefusedInside200(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, nil)
	s := login(t, c)
	create(t, c, s, commvault.CreateRequest{Name: "dup"})
	tok, err := c.CreateAccessToken(context.Background(), s, commvault.CreateRequest{Name: "dup"})
	var te *tokenkit.Error
	var er *commvault.ErrorResponse
	if tok != nil || !errors.As(err, &te) || !errors.As(err, &er) || te.StatusCode != 200 || te.Code != "2" || te.Message != "Token name already present" || er.Code != 2 {
		t.Fatalf("got (%v, %v)", tok, err)
	}
	if fake.Applied("CreateAccessToken") != 1 {
		t.Fatal("the refused create must not change state")
	}
}

func TestAccessTokenCannotManageTokens(t *testing.T) {
	t.Parallel()
	_, c := newFake(t, nil)
	tok := create(t, c, login(t, c), commvault.CreateRequest{Name: "a"})
	_, err := c.CreateAccessToken(context.Background(), tok, commvault.CreateRequest{Name: "b"})
	if !errors.Is(err, tokenkit.ErrForbidden) {
		t.Fatalf("create with an access token: %v", err)
	}
	if list, err := c.ListAccessTokens(context.Background(), tok, 0); err != nil || len(list) != 1 {
		t.Fatalf("list with an access token: %v %v", list, err)
	}
}

func TestLoginAgainstFake(t *testing.T) {
	t.Parallel()
	clk := newClock()
	fake, c := newFake(t, clk)
	fake.SetLockout(3, 10*time.Minute)
	ctx := context.Background()
	bad := commvault.Credentials{Username: user, Password: "wrong"}
	for i := range 2 {
		_, err := c.Login(ctx, bad)
		if !errors.Is(err, tokenkit.ErrInvalidCredential) || errors.Is(err, commvault.ErrAccountLocked) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err := c.Login(ctx, bad) // the third failure locks the account
	var er *commvault.ErrorResponse
	if !errors.Is(err, commvault.ErrAccountLocked) || !errors.Is(err, tokenkit.ErrAuth) || errors.Is(err, tokenkit.ErrInvalidCredential) || !errors.As(err, &er) || er.RemainingLockTime != 10*time.Minute {
		t.Fatalf("third attempt: %v (%+v)", err, er)
	}
	clk.Advance(4 * time.Minute)
	_, err = c.Login(ctx, creds) // the right password does not help while locked
	if !errors.As(err, &er) || !er.AccountLocked || er.RemainingLockTime != 6*time.Minute {
		t.Fatalf("locked: %v", err)
	}
	clk.Advance(6 * time.Minute)
	if _, err := c.Login(ctx, creds); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	if fake.Applied("Login") != 1 || fake.Calls("Login") != 5 {
		t.Fatalf("applied %d of %d", fake.Applied("Login"), fake.Calls("Login"))
	}
}

func TestSessionExpiresAndRenews(t *testing.T) {
	t.Parallel()
	clk := newClock()
	fake, c := newFake(t, clk)
	ctx := context.Background()
	cr := creds
	cr.DeviceID, cr.Timeout = "device-1", 10*time.Minute
	s, err := c.Login(ctx, cr)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Expiry().Equal(clk.Now().Add(10 * time.Minute)) {
		t.Fatalf("expiry %s", s.Expiry())
	}
	clk.Advance(11 * time.Minute)
	if _, err := c.ListAccessTokens(ctx, s, 0); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("an expired session: %v", err)
	}
	n, err := c.RenewLogin(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if n.Value() == s.Value() || !fake.ValidSession(n.Value()) || !n.Expiry().Equal(clk.Now().Add(10*time.Minute)) {
		t.Fatalf("renewed session %v", n)
	}
	if _, err := c.ListAccessTokens(ctx, n, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RenewLogin(ctx, s); !errors.Is(err, tokenkit.ErrInvalidCredential) {
		t.Fatalf("renewing a replaced session: %v", err)
	}
}

// A session the server forgot (here: logged out elsewhere) is answered with
// 401; with a SessionSource the call logs in again and is sent once more.
func TestReloginOn401(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, nil)
	ctx := context.Background()
	sessions := sessionSource(t, c, creds)
	tok := create(t, c, sessions, commvault.CreateRequest{Name: "first"})
	cached := sessions.Cached().(*commvault.Session)
	if err := c.Logout(ctx, cached); err != nil {
		t.Fatal(err)
	}
	second := create(t, c, sessions, commvault.CreateRequest{Name: "second"})
	if second.ID == tok.ID || fake.Calls("Login") != 2 || fake.Calls("CreateAccessToken") != 3 || fake.Applied("CreateAccessToken") != 2 {
		t.Fatalf("logins %d, creates %d (applied %d)", fake.Calls("Login"), fake.Calls("CreateAccessToken"), fake.Applied("CreateAccessToken"))
	}
	// A static session cannot log in again: the 401 is returned.
	if _, err := c.CreateAccessToken(ctx, cached, commvault.CreateRequest{Name: "third"}); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("static session: %v", err)
	}
}

func TestSessionSourceUsesRenewLogin(t *testing.T) {
	t.Parallel()
	clk := newClock()
	fake, c := newFake(t, clk)
	cr := creds
	cr.DeviceID = "device-7"
	src := sessionSource(t, c, cr)
	ctx := context.Background()
	if _, err := c.ListAccessTokens(ctx, src, 0); err != nil {
		t.Fatal(err)
	}
	clk.Advance(31 * time.Minute)
	if _, err := c.ListAccessTokens(ctx, src, 0); err != nil {
		t.Fatal(err)
	}
	if fake.Calls("Login") != 1 || fake.Applied(commvaulttest.OpRenewLoginToken) != 1 {
		t.Fatalf("logins %d, renewals %d", fake.Calls("Login"), fake.Applied("RenewLoginToken"))
	}
}

func TestSaaSLoginAgainstFake(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, nil)
	fake.SetSaaS(true)
	s := login(t, c)
	r, _ := http.NewRequest("GET", fake.URL(), nil)
	s.SetAuthHeader(r)
	if r.Header.Get("Authorization") != "Bearer "+s.Value() {
		t.Fatalf("SaaS session header %v", r.Header)
	}
	create(t, c, s, commvault.CreateRequest{Name: "saas"})
}

func TestTokensInterfaces(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, nil)
	m := tokens(t, c, sessionSource(t, c, creds))
	m.Template = commvault.CreateRequest{AllowedIPs: []string{"10.0.0.0/8"}}
	var (
		issuer  tokenkit.Issuer  = m
		lister  tokenkit.Lister  = m
		revoker tokenkit.Revoker = m
	)
	ctx := context.Background()
	tok, err := issuer.Issue(ctx, tokenkit.IssueRequest{Name: "scoped", Scopes: []string{"/Job", "/Client"}, Lifetime: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	at := tok.(*commvault.AccessToken)
	if at.Type != commvault.TokenTypeCustom || time.Until(at.RenewableUntil) > 7*24*time.Hour || time.Until(at.RenewableUntil) < 6*24*time.Hour {
		t.Fatalf("issued %v", at)
	}
	infos, err := lister.List(ctx)
	if err != nil || len(infos) != 1 || infos[0].ID != strconv.FormatInt(at.ID, 10) || len(infos[0].Scopes) != 2 {
		t.Fatalf("list %+v %v", infos, err)
	}
	if err := revoker.Revoke(ctx, infos[0].ID); err != nil || len(fake.Tokens(0)) != 0 {
		t.Fatalf("revoke: %v", err)
	}
	if err := revoker.Revoke(ctx, "abc"); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("bad id: %v", err)
	}
	// Each verb's error names the method the caller called.
	fake.FailNext(3, fakes.Fault{Status: 400}) // never retried
	for want, call := range map[string]func() error{
		"Issue":  func() error { _, err := issuer.Issue(ctx, tokenkit.IssueRequest{Name: "x"}); return err },
		"List":   func() error { _, err := lister.List(ctx); return err },
		"Revoke": func() error { return revoker.Revoke(ctx, "999") },
	} {
		var te *tokenkit.Error
		if err := call(); !errors.As(err, &te) || te.Op != want {
			t.Errorf("%s: Op of %v, want %s", want, err, want)
		}
	}
	fake.ClearFaults()
	if _, err := issuer.Issue(ctx, tokenkit.IssueRequest{}); !errors.Is(err, tokenkit.ErrInvalidInput) || !strings.Contains(err.Error(), "IssueRequest.Name") {
		t.Fatalf("an unnamed token: %v", err)
	}
	if _, err := c.Tokens(nil); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("Tokens(nil): %v", err)
	}
	var zero commvault.Tokens // not built by Client.Tokens: an error, not a panic
	if _, err := zero.List(ctx); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("zero Tokens: %v", err)
	}
	ex, err := c.SessionExchanger(creds)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := ex.Exchange(ctx); err != nil || !fake.ValidSession(s.Value()) {
		t.Fatalf("login exchange: %v", err)
	}
	for _, bad := range []commvault.Credentials{{Password: "p"}, {Username: "u"}, {Username: "u", Password: "p", Timeout: -time.Second}} {
		if _, err := c.SessionExchanger(bad); !errors.Is(err, tokenkit.ErrInvalidInput) {
			t.Errorf("SessionExchanger(%v): %v", bad, err)
		}
		if _, err := c.SessionSource(bad, tokenkit.SourceConfig{}); !errors.Is(err, tokenkit.ErrInvalidInput) {
			t.Errorf("SessionSource(%v): %v", bad, err)
		}
	}
}

func TestFaultsAgainstFake(t *testing.T) {
	t.Parallel()
	t.Run("idempotent calls are retried", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t, nil, tokenkit.WithMaxRetryAfter(time.Second))
		s := login(t, c)
		fake.FailNext(1, fakes.Fault{Status: 429, RetryAfter: "0"})
		fake.FailNext(1, fakes.Fault{Status: 503})
		fake.FailNext(1, fakes.Fault{HTML: true})
		if _, err := c.ListAccessTokens(context.Background(), s, 0); err != nil || fake.Calls("ListAccessTokens") != 4 {
			t.Fatalf("got %v after %d calls", err, fake.Calls("ListAccessTokens"))
		}
	})
	t.Run("a create is retried only when the server did not act", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t, nil)
		s := login(t, c)
		fake.FailNext(1, fakes.Fault{Status: 429, RetryAfter: "0"})
		if _, err := c.CreateAccessToken(context.Background(), s, commvault.CreateRequest{Name: "a"}); err != nil || fake.Calls("CreateAccessToken") != 2 {
			t.Fatalf("429: %v after %d calls", err, fake.Calls("CreateAccessToken"))
		}
		fake.FailNext(1, fakes.Fault{DropAfterApply: true})
		_, err := c.CreateAccessToken(context.Background(), s, commvault.CreateRequest{Name: "b"})
		if !errors.Is(err, tokenkit.ErrOutcomeUnknown) || fake.Calls("CreateAccessToken") != 3 || fake.Applied("CreateAccessToken") != 2 {
			t.Fatalf("lost answer: %v after %d calls", err, fake.Calls("CreateAccessToken"))
		}
	})
	t.Run("malformed and the last error body", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t, nil, tokenkit.WithRetryMax(1))
		fake.FailNext(1, fakes.Fault{Malformed: true})
		if _, err := c.Login(context.Background(), creds); !errors.Is(err, tokenkit.ErrInvalidResponse) {
			t.Fatalf("malformed: %v", err)
		}
		s := login(t, c)
		fake.FailNext(2, fakes.Fault{Status: 500})
		_, err := c.ListAccessTokens(context.Background(), s, 0)
		var te *tokenkit.Error
		var er *commvault.ErrorResponse
		if !errors.As(err, &te) || !errors.As(err, &er) || te.StatusCode != 500 || te.Attempts != 2 || te.Code != "500" {
			t.Fatalf("got %#v", err)
		}
	})
	t.Run("the fake as an httpmock responder, legacy path", func(t *testing.T) {
		t.Parallel()
		fake := commvaulttest.New(t)
		fake.StrictPaths(t) // the SDK must never send a doubled or trailing slash
		fake.AddUser(commvaulttest.User{Name: user, Password: password})
		mt := httpmock.NewMockTransport()
		mt.RegisterNoResponder(fake.Responder())
		c, err := commvault.New("https://cv.example.test", commvault.WithAPIPath(commvaulttest.LegacyBasePath), tokenkit.WithHTTPClient(&http.Client{Transport: mt}), fastRetries())
		if err != nil {
			t.Fatal(err)
		}
		s := login(t, c)
		fake.FailNext(1, fakes.Fault{Drop: true})
		if _, err := c.ListAccessTokens(context.Background(), s, 0); err != nil || fake.Calls("ListAccessTokens") != 2 {
			t.Fatalf("got %v after %d calls", err, fake.Calls("ListAccessTokens"))
		}
	})
}

// The vendor-neutral verbs on Client name themselves in their errors, and
// wrapping a held token validates every field.
func TestCheckRenewAndHeldTokens(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, nil)
	ctx := context.Background()
	pair := create(t, c, login(t, c), commvault.CreateRequest{Name: "held"})

	held, err := c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(pair.Value()), RefreshToken: pair.RefreshToken, ID: pair.TokenID()})
	if err != nil || held.ID != pair.ID || held.Type != commvault.TokenTypeAll {
		t.Fatalf("NewAccessToken: %v %v", held, err)
	}
	if res, err := c.Check(ctx, held); err != nil || res.Subject != user {
		t.Fatalf("Check: %v %v", res, err)
	}
	renewed, err := c.Renew(ctx, held)
	if err != nil || !fake.ValidAccessToken(renewed.Value()) || tokenkit.IDOf(renewed) != pair.TokenID() {
		t.Fatalf("Renew: %v", err)
	}
	var te *tokenkit.Error
	if _, err := c.Check(ctx, held); !tokenkit.Rejected(err) || !errors.As(err, &te) || te.Op != "Check" {
		t.Fatalf("Check of a spent token: %v", err)
	}
	if _, err := c.Renew(ctx, held); !errors.As(err, &te) || te.Op != "Renew" {
		t.Fatalf("Renew of a spent pair: %v", err)
	}
	if _, err := c.Renew(ctx, login(t, c)); !errors.Is(err, tokenkit.ErrInvalidInput) || !errors.As(err, &te) || te.Op != "Renew" {
		t.Fatalf("Renew of a session: %v", err)
	}

	for name, h := range map[string]tokenkit.HeldToken{
		"Value": {},
		"ID":    {Value: "v", ID: "x1"},
		"ID ":   {Value: "v", ID: "-3"},
	} {
		if _, err := c.NewAccessToken(h); !errors.Is(err, tokenkit.ErrInvalidInput) || !strings.Contains(err.Error(), "HeldToken."+strings.TrimSpace(name)) {
			t.Errorf("NewAccessToken without a valid %s: %v", name, err)
		}
	}
	s, err := c.NewSession(tokenkit.HeldToken{Value: "abc"})
	if err != nil || s.Value() != "QSDK abc" {
		t.Fatalf("NewSession: %v %v", s, err)
	}
	for name, h := range map[string]tokenkit.HeldToken{
		"Value":        {Value: " "},
		"RefreshToken": {Value: "abc", RefreshToken: "r"},
		"ID":           {Value: "abc", ID: "7"},
	} {
		if _, err := c.NewSession(h); !errors.Is(err, tokenkit.ErrInvalidInput) || !strings.Contains(err.Error(), "HeldToken."+name) {
			t.Errorf("NewSession with a bad %s: %v", name, err)
		}
	}
}
