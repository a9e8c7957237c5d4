package oracle_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/leaktest"
	"github.com/tokenkit/tokenkit/oracle"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// fakeClock is an injectable clock shared by the fake, the client and the
// Source.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newFake(t *testing.T, opts ...tokenkit.Option) (*oracletest.Server, *oracle.Client) {
	t.Helper()
	fake := oracletest.New(t)
	fake.StrictPaths(t) // the SDK must never send a doubled or trailing slash
	c, err := oracle.New(fake.URL(), append([]tokenkit.Option{tokenkit.WithHTTPClient(fake.Client()), fastRetries()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

var ada = oracletest.User{
	Username: "ada", Password: "correct-horse-42", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
	Groups:           []oracletest.Group{{ID: "g-1", DisplayName: "CECServiceAdministrators"}},
	AppRoles:         []string{"CECRepositoryAdministrator"},
	CustomAttributes: map[string]any{"Department": "Engines"},
}

var adaCred = oracle.Credentials{Username: "ada", Password: "correct-horse-42"}

func TestPasswordTokenAndCurrentUserAgainstFake(t *testing.T) {
	t.Parallel()
	clock := newClock()
	fake, c := newFake(t, tokenkit.WithClock(clock.Now))
	fake.SetClock(clock.Now)
	fake.AddUser(ada)
	ctx := context.Background()

	tok, err := c.ExchangePassword(ctx, adaCred)
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Lifetime != 14*24*time.Hour ||
		!tok.Expiry().Equal(clock.Now().Add(14*24*time.Hour)) {
		t.Fatalf("token %v", tok)
	}
	u, err := c.CurrentUser(ctx, tokenkit.StaticSource(tok), oracle.UserQuery{
		Groups: true, AppRoles: true, RealmUserGUID: true, CustomAttributes: []string{"department"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ada@example.com" || u.FirstName != "Ada" || u.LastName != "Lovelace" || u.RealmUserGUID == "" ||
		len(u.Groups) != 1 || u.Groups[0].DisplayName != "CECServiceAdministrators" ||
		len(u.AppRoles) != 1 || u.CustomAttributes["Department"] != "Engines" ||
		len(u.Links) != 1 || u.Links[0].Href != fake.URL()+"/system/api/v1/me" {
		t.Fatalf("user %+v", u)
	}

	// The token stops working after its lifetime, by the fake's clock.
	clock.Advance(14*24*time.Hour + time.Millisecond)
	_, err = c.CurrentUser(ctx, tokenkit.StaticSource(tok), oracle.UserQuery{})
	var d *oracle.ExceptionDetail
	if !errors.Is(err, tokenkit.ErrUnauthorized) || !errors.As(err, &d) || d.Find(oracletest.CodeInvalidToken) == nil {
		t.Fatalf("expired token: %v", err)
	}

	// Renewal with a live token; the issuer does the same through a session.
	tok2, err := c.ExchangePassword(ctx, adaCred)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := c.Tokens(tokenkit.StaticSource(tok2))
	if err != nil {
		t.Fatal(err)
	}
	issued, err := tokens.Issue(ctx, tokenkit.IssueRequest{Name: "ignored"})
	if err != nil || issued.Value() == tok2.Value() || !fake.AccessTokenActive(issued.Value()) {
		t.Fatalf("issue: %v, %v", issued, err)
	}
	ex, err := c.PasswordExchanger(adaCred)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ex.Exchange(ctx); err != nil || !fake.AccessTokenActive(got.Value()) {
		t.Fatalf("exchanger: %v", err)
	}
	if n := fake.Applied("GetAccessToken"); n != 4 {
		t.Fatalf("applied %d, want 4 tokens issued", n)
	}
}

func TestRefusedCredentials(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(ada)
	fake.AddUser(oracletest.User{Username: "bob", Password: "bob-pass-1", Locked: true})
	ctx := context.Background()
	adaRT := fake.IssueRefreshToken("ada")

	for _, tc := range []struct {
		name  string
		do    func() error
		kind  tokenkit.Kind
		codes []string
	}{
		{"wrong password", func() error {
			_, err := c.ExchangePassword(ctx, oracle.Credentials{Username: "ada", Password: "wrong-password"})
			return err
		}, tokenkit.KindInvalidCredential, []string{oracletest.CodeUnauthorized, oracletest.CodeInvalidCredentials}},
		{"locked user", func() error {
			_, err := c.ExchangePassword(ctx, oracle.Credentials{Username: "bob", Password: "bob-pass-1"})
			return err
		}, tokenkit.KindLocked, []string{oracletest.CodeForbidden}},
		{"unknown refresh token", func() error {
			_, err := c.ExchangeRefreshToken(ctx, "not-a-refresh-token")
			return err
		}, tokenkit.KindInvalidCredential, []string{oracletest.CodeBadRequest, oracletest.CodeInvalidRefreshToken}},
		{"revoked access token renewal", func() error {
			at := fake.IssueAccessToken("ada")
			fake.RevokeAccessToken(at)
			_, err := c.RenewAccessToken(ctx, tokenkit.NewBearerToken(at, time.Time{}))
			return err
		}, tokenkit.KindInvalidCredential, []string{oracletest.CodeInvalidToken}},
		{"another user's refresh token with Basic", func() error {
			fake.AddUser(oracletest.User{Username: "eve", Password: "eve-pass-1"})
			_, err := c.RequestToken(ctx, oracle.TokenRequest{Credentials: &oracle.Credentials{Username: "eve", Password: "eve-pass-1"}, RefreshToken: tokenkit.Secret(adaRT)})
			return err
		}, tokenkit.KindInvalidCredential, []string{oracletest.CodeForbidden}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			var d *oracle.ExceptionDetail
			if !errors.Is(err, tokenkit.ErrAuth) || tokenkit.KindOf(err) != tc.kind || !errors.As(err, &d) {
				t.Fatalf("got %v (kind %s), want kind %s", err, tokenkit.KindOf(err), tc.kind)
			}
			for _, code := range tc.codes {
				if d.Find(code) == nil {
					t.Errorf("no detail with code %s in %v", code, err)
				}
			}
		})
	}
}

// TestSourceRotatesThenFallsBackToPassword is the Source's whole life: it
// refreshes through a refresh token the instance rotates on every use,
// saving each token (with the new refresh token) through SourceConfig.Save,
// and signs in with the password when the refresh token is revoked.
func TestSourceRotatesThenFallsBackToPassword(t *testing.T) {
	t.Parallel()
	clock := newClock()
	fake, c := newFake(t, tokenkit.WithClock(clock.Now))
	fake.SetClock(clock.Now)
	fake.SetAccessTokenTTL(time.Hour)
	fake.AddUser(ada)
	initial := fake.IssueRefreshToken("ada")

	var mu sync.Mutex
	var persisted []tokenkit.Secret // the refresh token of each saved token's Export
	cred := adaCred
	src, err := c.RefreshTokenSource(oracle.RefreshTokenRequest{Credentials: &cred, RefreshToken: tokenkit.Secret(initial)},
		tokenkit.SourceConfig{Jitter: -1, Save: func(_ context.Context, tok tokenkit.Token) error {
			e, err := tokenkit.Export(tok)
			if err != nil {
				return err
			}
			mu.Lock()
			persisted = append(persisted, e.Secrets["refresh_token"])
			mu.Unlock()
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	last := func() tokenkit.Secret {
		mu.Lock()
		defer mu.Unlock()
		if len(persisted) == 0 {
			return ""
		}
		return persisted[len(persisted)-1]
	}

	// 1. The first token comes from the initial refresh token, which rotates.
	t1, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rt1 := last()
	if rt1 == "" || rt1.Reveal() == initial || fake.RefreshTokenActive(initial) || !fake.RefreshTokenActive(rt1.Reveal()) {
		t.Fatal("the rotated refresh token must be saved and the initial one be dead")
	}
	if t1.(*oracle.AccessToken).RefreshToken != rt1 {
		t.Fatal("the token carries the refresh token the Source adopted")
	}

	// 2. After expiry, the Source refreshes through the rotated token.
	clock.Advance(time.Hour)
	t2, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rt2 := last()
	if t2.Value() == t1.Value() || rt2 == rt1 || fake.RefreshTokenActive(rt1.Reveal()) || !fake.RefreshTokenActive(rt2.Reveal()) {
		t.Fatal("second refresh must go through the rotated token and rotate it again")
	}

	// 3. An administrator revokes the refresh token: the Source signs in
	// with the password, and keeps the refresh token that came with it.
	fake.RevokeRefreshToken(rt2.Reveal())
	clock.Advance(time.Hour)
	t3, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !fake.AccessTokenActive(t3.Value()) || t3.Value() == t2.Value() {
		t.Fatal("fallback token must be live")
	}
	mu.Lock()
	got := append([]tokenkit.Secret(nil), persisted...)
	mu.Unlock()
	if len(got) != 3 || got[2] == "" || got[2] == rt2 || !fake.RefreshTokenActive(got[2].Reveal()) {
		t.Fatalf("saved %d tokens; want rt1, rt2, then the new one from the sign-in", len(got))
	}

	// The wire: refresh, refresh, refused refresh, Basic sign-in.
	var kinds []string
	for _, r := range fake.Requests() {
		switch {
		case r.JSON["refreshToken"] != nil && r.Header.Get("Authorization") == "":
			kinds = append(kinds, "refresh")
		case strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") && len(r.Body) == 0:
			kinds = append(kinds, "basic")
		default:
			kinds = append(kinds, "other")
		}
	}
	if strings.Join(kinds, ",") != "refresh,refresh,refresh,basic" {
		t.Fatalf("requests %v", kinds)
	}

	// 4. The next refresh uses the refresh token from the sign-in.
	clock.Advance(time.Hour)
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if fake.RefreshTokenActive(got[2].Reveal()) || fake.Calls("GetAccessToken") != 5 {
		t.Fatal("the sign-in's refresh token must be used (and rotated) next")
	}
}

// TestSourceSaveFailureKeepsRotatedRefreshToken: with rotation, a refresh
// whose token cannot be saved neither loses the new refresh token nor sends
// a second refresh: the Source serves nothing, retries Save with the same
// token, and, once the token expired unsaved, refreshes with the rotated
// refresh token the exchanger kept.
func TestSourceSaveFailureKeepsRotatedRefreshToken(t *testing.T) {
	t.Parallel()
	clock := newClock()
	fake, c := newFake(t, tokenkit.WithClock(clock.Now))
	fake.SetClock(clock.Now)
	fake.SetAccessTokenTTL(time.Hour)
	fake.SetRotation(true)
	fake.AddUser(ada)
	rt0 := fake.IssueRefreshToken("ada")

	diskFull := errors.New("disk full")
	var mu sync.Mutex
	failing := true
	var tried, saved []*oracle.AccessToken
	src, err := c.RefreshTokenSource(oracle.RefreshTokenRequest{RefreshToken: tokenkit.Secret(rt0)}, tokenkit.SourceConfig{
		Jitter: -1, FailureBackoff: -1, HoldCredentialFailure: -1,
		Save: func(_ context.Context, tok tokenkit.Token) error {
			mu.Lock()
			defer mu.Unlock()
			tried = append(tried, tok.(*oracle.AccessToken))
			if failing {
				return diskFull
			}
			saved = append(saved, tok.(*oracle.AccessToken))
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 3 {
		if tok, err := src.Token(ctx); tok != nil || !errors.Is(err, tokenkit.ErrNotSaved) || !errors.Is(err, diskFull) {
			t.Fatalf("call %d with Save failing: (%v, %v), want ErrNotSaved", i, tok, err)
		}
	}
	if n, a := fake.Calls("GetAccessToken"), fake.Applied("GetAccessToken"); n != 1 || a != 1 {
		t.Fatalf("token calls %d (applied %d) while Save fails: want the one refresh, no second rotation", n, a)
	}
	if len(tried) != 3 || tried[1] != tried[0] || tried[2] != tried[0] {
		t.Fatalf("Save got %d tokens: want the same token each time", len(tried))
	}
	rt1 := tried[0].RefreshToken
	if e, err := tokenkit.Export(tried[0]); err != nil || e.Secrets["refresh_token"] != rt1 || rt1 == "" || rt1.Reveal() == rt0 {
		t.Fatalf("the token handed to Save must export the rotated refresh token (%v)", err)
	}
	if fake.RefreshTokenActive(rt0) || !fake.RefreshTokenActive(rt1.Reveal()) {
		t.Fatal("rt0 is consumed, rt1 is live")
	}

	// The unsaved token expires while Save still fails: the next fetch
	// refreshes with rt1, which the exchanger kept.
	clock.Advance(2 * time.Hour)
	if _, err := src.Token(ctx); !errors.Is(err, tokenkit.ErrNotSaved) {
		t.Fatalf("err = %v", err)
	}
	reqs := fake.Requests()
	if len(reqs) != 2 || reqs[1].JSON["refreshToken"] != rt1.Reveal() {
		t.Fatalf("want the second refresh to send rt1; got %d requests", len(reqs))
	}
	rt2 := tried[len(tried)-1].RefreshToken

	mu.Lock()
	failing = false
	mu.Unlock()
	tok, err := src.Token(ctx)
	if err != nil || tok != tried[len(tried)-1] || len(saved) != 1 || saved[0] != tok {
		t.Fatalf("after Save recovers: (%v, %v), saved %d: want the held token saved and served", tok, err, len(saved))
	}
	if fake.Calls("GetAccessToken") != 2 || !fake.RefreshTokenActive(rt2.Reveal()) || fake.RefreshTokenActive(rt1.Reveal()) {
		t.Fatalf("token calls %d: want no call for the recovered Save, rt2 live", fake.Calls("GetAccessToken"))
	}
}

// TestLostRefreshAnswerIsNotReplayed shows the retry class of the
// refresh-token form: when the instance rotated the token but the answer was
// lost, the client does not replay the consumed refresh token; the next
// refresh is refused and the Source signs in with the password.
func TestLostRefreshAnswerIsNotReplayed(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(ada)
	rt := fake.IssueRefreshToken("ada")
	r, err := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{Credentials: &adaCred, RefreshToken: tokenkit.Secret(rt)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	_, err = r.Exchange(ctx)
	if !errors.Is(err, tokenkit.ErrTransport) {
		t.Fatalf("want the lost answer as a transport error, got %v", err)
	}
	if fake.Calls("GetAccessToken") != 1 || fake.Applied("GetAccessToken") != 1 || fake.RefreshTokenActive(rt) {
		t.Fatalf("calls %d, applied %d: the refresh must be applied once and not replayed",
			fake.Calls("GetAccessToken"), fake.Applied("GetAccessToken"))
	}
	tok, err := r.Exchange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if reqs := fake.Requests(); len(reqs) != 3 || reqs[1].JSON["refreshToken"] != rt {
		t.Fatal("a transport error keeps the refresh token for the next try")
	}
	next := tok.(*oracle.AccessToken).RefreshToken
	if !fake.AccessTokenActive(tok.Value()) || fake.Calls("GetAccessToken") != 3 || next == "" || next.Reveal() == rt {
		t.Fatalf("the consumed token is refused, then the password works: calls %d", fake.Calls("GetAccessToken"))
	}

	// A password sign-in whose answer is lost is retried: it only issues a token.
	fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	if _, err := c.ExchangePassword(ctx, adaCred); err != nil {
		t.Fatal(err)
	}
	if fake.Calls("GetAccessToken") != 5 || fake.Applied("GetAccessToken") != 4 { // both attempts issued a token
		t.Fatalf("calls %d applied %d", fake.Calls("GetAccessToken"), fake.Applied("GetAccessToken"))
	}
}

func TestRefresherWithoutCredentialsAndRenewal(t *testing.T) {
	t.Parallel()
	clock := newClock()
	fake, c := newFake(t, tokenkit.WithClock(clock.Now))
	fake.SetClock(clock.Now)
	fake.SetAccessTokenTTL(time.Hour)
	fake.AddUser(ada)
	ctx := context.Background()

	// Only a refresh token: refused means the Exchange fails with that refusal.
	rt := fake.IssueRefreshToken("ada")
	fake.RevokeRefreshToken(rt)
	r, err := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{RefreshToken: tokenkit.Secret(rt)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Exchange(ctx); !errors.Is(err, tokenkit.ErrInvalidCredential) {
		t.Fatalf("got %v", err)
	}

	// RenewWithAccessToken: a refused refresh token, then a renewal with
	// the last access token while it is valid, before the password.
	fake.SetIssueRefreshTokens(false)
	rt2 := fake.IssueRefreshToken("ada")
	r2, err := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{Credentials: &adaCred, RefreshToken: tokenkit.Secret(rt2), RenewWithAccessToken: true})
	if err != nil {
		t.Fatal(err)
	}
	first, err := r2.Exchange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fake.RevokeRefreshToken(first.(*oracle.AccessToken).RefreshToken.Reveal())
	clock.Advance(30 * time.Minute)
	before := len(fake.Requests())
	second, err := r2.Exchange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()[before:]
	if len(reqs) != 2 || reqs[1].Header.Get("Authorization") != "Bearer "+first.Value() || second.Value() == first.Value() {
		t.Fatalf("want a refused refresh, then a Bearer renewal; got %v", reqs)
	}
	// Past its expiry the last token is not presented: straight to Basic.
	clock.Advance(2 * time.Hour)
	before = len(fake.Requests())
	if _, err := r2.Exchange(ctx); err != nil {
		t.Fatal(err)
	}
	reqs = fake.Requests()[before:]
	if len(reqs) != 1 || !strings.HasPrefix(reqs[0].Header.Get("Authorization"), "Basic ") {
		t.Fatalf("want one Basic sign-in, got %v", reqs)
	}
}

func TestRefreshWithCredentialsAndNoRotation(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, oracle.WithRefreshTokenRotation(false))
	fake.SetRotation(false)
	fake.AddUser(ada)
	rt := fake.IssueRefreshToken("ada")
	r, err := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{Credentials: &adaCred, RefreshToken: tokenkit.Secret(rt), RefreshWithCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	fake.FailNext(1, fakes.Fault{Status: 503})
	tok, err := r.Exchange(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()
	if len(reqs) != 2 || reqs[1].JSON["refreshToken"] != rt || !strings.HasPrefix(reqs[1].Header.Get("Authorization"), "Basic ") {
		t.Fatalf("without rotation the refresh is retried after 503, with Basic alongside: %v", reqs)
	}
	if tok.(*oracle.AccessToken).RefreshToken.Reveal() != rt || !fake.RefreshTokenActive(rt) {
		t.Fatal("without rotation the refresh token stays")
	}
}

func TestFaultsAgainstFake(t *testing.T) {
	t.Parallel()
	t.Run("429 with Retry-After, 503, then success", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t, tokenkit.WithMaxRetryAfter(2*time.Second))
		fake.AddUser(ada)
		fake.FailNext(1, fakes.Fault{Status: 429, RetryAfter: "0"})
		fake.FailNext(1, fakes.Fault{Status: 503})
		if _, err := c.ExchangePassword(context.Background(), adaCred); err != nil {
			t.Fatal(err)
		}
		if n := fake.Calls("GetAccessToken"); n != 3 {
			t.Fatalf("calls %d", n)
		}
	})
	t.Run("Retry-After past the cap fails fast with the wait", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t)
		fake.AddUser(ada)
		fake.FailNext(1, fakes.Fault{Status: 429, RetryAfter: "7200"})
		_, err := c.ExchangePassword(context.Background(), adaCred)
		var te *tokenkit.Error
		if !errors.As(err, &te) || !errors.Is(err, tokenkit.ErrRateLimited) || te.RetryAfter != 2*time.Hour || fake.Calls("GetAccessToken") != 1 {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("dropped connection, HTML, then malformed", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t)
		fake.AddUser(ada)
		fake.FailNext(1, fakes.Fault{Drop: true})
		fake.FailNext(1, fakes.Fault{HTML: true})
		fake.FailNext(1, fakes.Fault{Malformed: true})
		_, err := c.ExchangePassword(context.Background(), adaCred)
		if !errors.Is(err, tokenkit.ErrInvalidResponse) || fake.Calls("GetAccessToken") != 3 || fake.Applied("GetAccessToken") != 0 {
			t.Fatalf("got %v after %d calls", err, fake.Calls("GetAccessToken"))
		}
	})
	t.Run("server errors until retries run out: the last body reaches the caller", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t, tokenkit.WithRetryMax(2))
		fake.AddUser(ada)
		fake.FailNext(3, fakes.Fault{Status: 500})
		_, err := c.ExchangePassword(context.Background(), adaCred)
		var te *tokenkit.Error
		var d *oracle.ExceptionDetail
		if !errors.As(err, &te) || !errors.As(err, &d) || te.StatusCode != 500 || te.Attempts != 3 || te.Code != oracletest.CodeInjectedFault {
			t.Fatalf("got %#v", err)
		}
	})
	t.Run("ErrorResponse from an unknown path", func(t *testing.T) {
		t.Parallel()
		fake, _ := newFake(t)
		// A proxy in front of the instance that maps the API elsewhere.
		inner := fake.Client().Transport
		hc := &http.Client{Transport: roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			r = r.Clone(r.Context())
			r.URL.Path = "/wrong-prefix" + r.URL.Path
			return inner.RoundTrip(r)
		})}
		c, err := oracle.New(fake.URL(), tokenkit.WithHTTPClient(hc))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ExchangePassword(context.Background(), adaCred)
		var er *oracle.ErrorResponse
		if !errors.Is(err, tokenkit.ErrNotFound) || !errors.As(err, &er) || er.ErrorCode != oracletest.CodeNotFound || er.HTTPStatusCode != 404 {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("the fake as an httpmock responder", func(t *testing.T) {
		t.Parallel()
		fake := oracletest.New(t)
		fake.StrictPaths(t) // the SDK must never send a doubled or trailing slash
		fake.AddUser(ada)
		mt := httpmock.NewMockTransport()
		mt.RegisterNoResponder(fake.Responder())
		c, err := oracle.New("https://mycompany-oce.example.test", tokenkit.WithHTTPClient(&http.Client{Transport: mt}), fastRetries())
		if err != nil {
			t.Fatal(err)
		}
		fake.FailNext(1, fakes.Fault{Drop: true})
		tok, err := c.ExchangePassword(context.Background(), adaCred)
		if err != nil {
			t.Fatal(err)
		}
		u, err := c.CurrentUser(context.Background(), tokenkit.StaticSource(tok), oracle.UserQuery{})
		if err != nil || u.Links[0].Href != "https://mycompany-oce.example.test/system/api/v1/me" {
			t.Fatalf("user %+v, %v", u, err)
		}
		if mt.GetTotalCallCount() != 3 || fake.Calls("GetAccessToken") != 2 || fake.Calls("GetCurrentUser") != 1 {
			t.Fatalf("mock calls %d", mt.GetTotalCallCount())
		}
	})
}

func TestSourceServesDownstreamAPI(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(ada)
	src, err := c.PasswordSource(adaCred, tokenkit.SourceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// A downstream OCM API that accepts the fake's live tokens.
	hc := tokenkit.NewClient(src, roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		status := http.StatusUnauthorized
		if ok && fake.AccessTokenActive(v) {
			status = http.StatusOK
		}
		return &http.Response{StatusCode: status, Body: http.NoBody, Request: r, Header: http.Header{}}, nil
	}))
	for range 3 {
		resp, err := hc.Get("https://ocm.example.test/content/management/api/v1.1/items")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	// Revoke the cached token: the Transport invalidates it on 401 and
	// the Source signs in again.
	fake.RevokeAccessToken(src.Cached().Value())
	resp, err := hc.Get("https://ocm.example.test/content/management/api/v1.1/items")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after revocation: %v %v", resp, err)
	}
	resp.Body.Close()
	if n := fake.Calls("GetAccessToken"); n != 2 {
		t.Fatalf("token calls %d, want 2", n)
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
	fake.AddUser(ada)
	const wrongPassword = "wrong-password-77"
	ctx := context.Background()

	record := rec.Record
	tok, err := c.ExchangePassword(ctx, adaCred)
	if err != nil {
		t.Fatal(err)
	}
	rt := tok.RefreshToken
	refreshed, err := c.ExchangeRefreshToken(ctx, rt)
	if err != nil {
		t.Fatal(err)
	}
	cred := adaCred
	sreq := oracle.RefreshTokenRequest{Credentials: &cred, RefreshToken: refreshed.RefreshToken}
	refresher, _ := c.RefreshTokenExchanger(sreq)
	pwex, _ := c.PasswordExchanger(adaCred)
	tokens, _ := c.Tokens(tokenkit.StaticSource(tok))
	held, _ := c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(tok.Value()), RefreshToken: rt})
	treq := oracle.TokenRequest{Credentials: &cred, RefreshToken: rt, AccessToken: nil}
	record(tok, *tok, refreshed, adaCred, &cred, sreq, &sreq, refresher, treq, oracle.TokenRequest{AccessToken: tok},
		pwex, c, tokens, held)
	// The fake's own types print redacted; they hold the test's fixtures and
	// are not meant to survive the encoders (see leaktest.RecordPrinted).
	rec.RecordPrinted(ada, &ada)
	for _, r := range fake.Requests() {
		rec.RecordPrinted(r, &r)
	}

	// Failures: a 500 retried (warn log), a wrong password, a consumed
	// refresh token, a revoked access token on /me, a refused Source.
	fake.FailNext(2, fakes.Fault{Status: 500})
	_, err1 := c.ExchangeRefreshToken(ctx, refreshed.RefreshToken)
	_, err2 := c.ExchangePassword(ctx, oracle.Credentials{Username: "ada", Password: wrongPassword})
	_, err3 := c.ExchangeRefreshToken(ctx, rt)
	fake.RevokeAccessToken(refreshed.Value())
	_, err4 := c.CurrentUser(ctx, tokenkit.StaticSource(refreshed), oracle.UserQuery{})
	dead, _ := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{RefreshToken: rt})
	_, err5 := dead.Exchange(ctx)
	_, err6 := c.RenewAccessToken(ctx, refreshed)
	for _, err := range []error{err1, err2, err3, err4, err5, err6} {
		rec.RecordErr(t, err)
	}
	rec.RequireLogged(t, "tokenkit: http attempt", "tokenkit: retrying")
	rec.Check(t, adaCred.Password.Reveal(), wrongPassword, tok.Value(), rt.Reveal(), refreshed.Value(), refreshed.RefreshToken.Reveal())
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A token persisted by an earlier run, with its refresh token, seeds the
// Source: it is served until due, then its refresh token is used.
func TestSourceFromPersistedToken(t *testing.T) {
	t.Parallel()
	clock := newClock()
	fake, c := newFake(t, tokenkit.WithClock(clock.Now))
	fake.SetClock(clock.Now)
	fake.SetAccessTokenTTL(time.Hour)
	fake.AddUser(ada)
	saved, err := c.ExchangePassword(context.Background(), adaCred)
	if err != nil {
		t.Fatal(err)
	}
	src, err := c.RefreshTokenSource(oracle.RefreshTokenRequest{}, tokenkit.SourceConfig{Initial: saved})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := src.Token(context.Background()); err != nil || tok.Value() != saved.Value() {
		t.Fatalf("initial token: %v %v", tok, err)
	}
	clock.Advance(time.Hour)
	tok, err := src.Token(context.Background())
	if err != nil || tok.Value() == saved.Value() || fake.RefreshTokenActive(saved.RefreshToken.Reveal()) {
		t.Fatalf("refresh with the saved refresh token: %v %v", tok, err)
	}
	if n := fake.Calls("GetAccessToken"); n != 2 {
		t.Fatalf("calls %d", n)
	}
}

// Concurrent Exchanges on one RefreshTokenExchanger with a rotating
// instance: every one gets a token (a loser of the race falls back to the
// password), and the refresh token held afterwards is never an older one
// than a winner adopted: the next Exchange is a successful refresh.
func TestRefresherConcurrentRotation(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(ada)
	r, err := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{
		Credentials:  &adaCred,
		RefreshToken: tokenkit.Secret(fake.IssueRefreshToken("ada")),
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := r.Exchange(context.Background()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	before := len(fake.Requests())
	if _, err := r.Exchange(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()[before:]
	if len(reqs) != 1 || reqs[0].JSON["refreshToken"] == nil {
		t.Fatalf("the held refresh token must be live: the next Exchange made %d requests", len(reqs))
	}
}

func TestErrorStrings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&oracle.ExceptionDetail{ErrorCode: "C", Detail: "d", Title: "t"}, "oracle: C: d"},
		{&oracle.ExceptionDetail{ErrorCode: "C"}, "oracle: C"},
		{&oracle.ExceptionDetail{Title: "t"}, "oracle: t"},
		{&oracle.ExceptionDetail{Status: 418}, "oracle: HTTP 418"},
		{&oracle.ExceptionDetail{}, "oracle: error"},
		{&oracle.ErrorResponse{ErrorCode: "E", ErrorMessage: "m"}, "oracle: E: m"},
		{&oracle.ErrorResponse{ErrorCode: "E"}, "oracle: E"},
		{&oracle.ErrorResponse{HTTPMessage: "Not Found"}, "oracle: Not Found"},
		{&oracle.ErrorResponse{}, "oracle: error"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%#v: %q, want %q", tc.err, got, tc.want)
		}
		if errors.Is(tc.err, tokenkit.ErrInvalidCredential) {
			t.Errorf("%q: a decoded body alone is not a refused credential", tc.want)
		}
	}
}
