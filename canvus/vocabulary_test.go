package canvus_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/fakes"
)

// TestErrorOpIsTheMethodCalled: tokenkit.Error.Op names the Go method the
// caller called, not the OpenAPI operation behind it (Check lists tokens,
// Issue creates one, Revoke deletes one).
func TestErrorOpIsTheMethodCalled(t *testing.T) {
	t.Parallel()
	w := newWorld(t, tokenkit.WithRetryMax(0))
	ctx := context.Background()
	login, toks := w.login(t, aliceEmail, alicePass)
	pat, err := toks.Create(ctx, "probe")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		want string
		call func() error
	}{
		{"Check", func() error { _, err := w.c.Check(ctx, login); return err }},
		{"List", func() error { _, err := toks.List(ctx); return err }},
		{"ListInfo", func() error { _, err := toks.ListInfo(ctx); return err }},
		{"Get", func() error { _, err := toks.Get(ctx, pat.ID); return err }},
		{"Issue", func() error { _, err := toks.Issue(ctx, tokenkit.IssueRequest{Name: "x"}); return err }},
		{"Create", func() error { _, err := toks.Create(ctx, "x"); return err }},
		{"Rename", func() error { _, err := toks.Rename(ctx, pat.ID, "y"); return err }},
		{"Revoke", func() error { return toks.Revoke(ctx, pat.ID) }},
		{"Delete", func() error { return toks.Delete(ctx, pat.ID) }},
		{"Subscribe", func() error { return firstErr(toks.Subscribe(ctx)) }},
		{"SubscribeToken", func() error { return firstErr(toks.SubscribeToken(ctx, pat.ID)) }},
		{"Login", func() error {
			_, err := w.c.Login(ctx, canvus.Credentials{Email: aliceEmail, Password: alicePass})
			return err
		}},
		{"Logout", func() error { return w.c.Logout(ctx, login) }},
		{"ServerInfo", func() error { _, err := w.c.ServerInfo(ctx); return err }},
	} {
		w.fake.FailNext(1, fakes.Fault{Status: http.StatusInternalServerError})
		err := tc.call()
		if te := isTK(t, err); te.Op != tc.want {
			t.Errorf("Op = %q, want %q (%v)", te.Op, tc.want, err)
		}
	}
	w.fake.ClearFaults()
	refused := held("bogus")
	refused.UserID = w.alice.ID
	if _, err := w.c.Check(ctx, refused); !tokenkit.Rejected(err) || isTK(t, err).Op != "Check" {
		t.Errorf("refused check: %v", err)
	}
}

// TestTokensFindsTheUser: Tokens(auth) needs no user id. A login token
// carries its user; an access token whose user is unknown is asked for
// once, with the token form of sign-in; ForUser names the user instead.
func TestTokensFindsTheUser(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	login, err := w.c.Login(ctx, canvus.Credentials{Email: aliceEmail, Password: alicePass})
	if err != nil {
		t.Fatal(err)
	}
	byLogin, err := w.c.Tokens(tokenkit.StaticSource(login))
	if err != nil {
		t.Fatal(err)
	}
	logins := w.fake.Calls(canvustest.OpLogin)
	pat, err := byLogin.Create(ctx, "held")
	if err != nil || pat.UserID != w.alice.ID {
		t.Fatalf("create with a login token: %v %v", pat, err)
	}
	if n := w.fake.Calls(canvustest.OpLogin) - logins; n != 0 {
		t.Fatalf("a login token's user cost %d sign-ins", n)
	}

	// A held access token: one sign-in with it, then never again.
	h, err := w.c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(pat.Value())})
	if err != nil {
		t.Fatal(err)
	}
	byPAT, err := w.c.Tokens(tokenkit.StaticSource(h))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if list, err := byPAT.ListInfo(ctx); err != nil || len(list) != 1 {
			t.Fatalf("list with a held access token: %v %v", list, err)
		}
	}
	if n := w.fake.Calls(canvustest.OpLogin) - logins; n != 1 {
		t.Fatalf("finding a held token's user took %d sign-ins, want 1", n)
	}
	reqs := w.fake.Requests()
	for _, r := range reqs {
		if r.Operation == canvustest.OpLogin && len(r.JSON) == 1 && r.JSON["token"] != pat.Value() {
			t.Fatalf("the user was asked with another token")
		}
	}
	if id, err := byPAT.UserID(ctx); err != nil || id != w.alice.ID {
		t.Fatalf("UserID = %d, %v", id, err)
	}
	// The held access token still works: the sign-in did not replace it.
	if _, err := w.c.Check(ctx, pat); err != nil {
		t.Fatalf("check after the sign-in: %v", err)
	}

	// An administrator names the user.
	adminLogin, toksAdmin := w.login(t, adminEmail, adminPass)
	_ = adminLogin
	onAlice, err := toksAdmin.ForUser(w.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if list, err := onAlice.ListInfo(ctx); err != nil || len(list) != 1 {
		t.Fatalf("admin on alice: %v %v", list, err)
	}
	if id, _ := toksAdmin.UserID(ctx); id != w.admin.ID {
		t.Fatalf("ForUser changed its parent: %d", id)
	}

	// A refused held token is a rejected credential, and nothing is kept.
	bad, _ := w.c.Tokens(tokenkit.StaticSource(held("bogus")))
	if _, err := bad.ListInfo(ctx); !tokenkit.Rejected(err) {
		t.Fatalf("bogus held token: %v", err)
	}
	if _, err := bad.UserID(ctx); !tokenkit.Rejected(err) {
		t.Fatalf("bogus held token, again: %v", err)
	}
}

// TestClientCheck: Check lives on the Client; it presents the token alone
// and sends nothing but a list of the token's own user.
func TestClientCheck(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	login, toks := w.login(t, aliceEmail, alicePass)
	pat, err := toks.Create(ctx, "checked")
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]tokenkit.Token{"login": login, "access": pat} {
		res, err := w.c.Check(ctx, tok)
		if err != nil || res.Subject != strconv.FormatInt(w.alice.ID, 10) {
			t.Fatalf("%s: %+v %v", name, res, err)
		}
		reqs := w.fake.Requests()
		if last := reqs[len(reqs)-1]; last.Operation != canvustest.OpListAccessTokens {
			t.Fatalf("%s: Check sent %s", name, last.Operation)
		}
	}
	// A held token with its user set is checked without a sign-in.
	h, _ := w.c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(pat.Value()), ID: pat.ID})
	h.UserID = w.alice.ID
	logins := w.fake.Calls(canvustest.OpLogin)
	if _, err := w.c.Check(ctx, h); err != nil {
		t.Fatal(err)
	}
	if w.fake.Calls(canvustest.OpLogin) != logins {
		t.Fatal("Check signed in")
	}
	if err := toks.Revoke(ctx, h.TokenID()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.Check(ctx, h); !tokenkit.Rejected(err) {
		t.Fatalf("revoked: %v", err)
	}
}

func TestNewAccessToken(t *testing.T) {
	t.Parallel()
	c := newClient(t, host)
	tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: "pat-value", ID: "JDJh/JDA0+JENK=="})
	if err != nil || tok.Value() != "pat-value" || tok.TokenID() != "JDJh/JDA0+JENK==" || tokenkit.IDOf(tok) != tok.ID || !tok.Expiry().IsZero() {
		t.Fatalf("%v %v", tok, err)
	}
	for field, h := range map[string]tokenkit.HeldToken{
		"Value":        {},
		"RefreshToken": {Value: "v", RefreshToken: "r"},
		"Expiry":       {Value: "v", Expiry: time.Now().Add(time.Hour)},
	} {
		_, err := c.NewAccessToken(h)
		if !errors.Is(err, tokenkit.ErrInvalidInput) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
		if strings.Contains(err.Error(), "r\"") {
			t.Errorf("%s: the error shows a secret: %v", field, err)
		}
	}
}

// TestPresentation: PrivateToken by default; WithPresentation replaces it
// on every token the client returns, and may send several.
func TestPresentation(t *testing.T) {
	t.Parallel()
	if p := canvus.PrivateToken(); p.Header != "Private-Token" || p.Prefix != "" {
		t.Fatalf("PrivateToken() = %+v", p)
	}
	w := newWorld(t)
	ctx := context.Background()
	login, toks := w.login(t, aliceEmail, alicePass)
	pat, err := toks.Create(ctx, "presented")
	if err != nil {
		t.Fatal(err)
	}
	header := func(tok tokenkit.Token) http.Header {
		r, _ := http.NewRequest("GET", host, nil)
		tok.SetAuthHeader(r)
		return r.Header
	}
	if h := header(login); h.Get("Private-Token") != login.Value() || len(h) != 1 {
		t.Fatalf("default login presentation: %v", h)
	}
	both := newClient(t, w.fake.URL(), canvus.WithPresentation(tokenkit.Bearer(), canvus.PrivateToken()))
	held, err := both.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(pat.Value())})
	if err != nil {
		t.Fatal(err)
	}
	if h := header(held); h.Get("Authorization") != "Bearer "+pat.Value() || h.Get("Private-Token") != pat.Value() {
		t.Fatalf("both: %v", h)
	}
	bearer := newClient(t, w.fake.URL(), canvus.WithPresentation(tokenkit.Bearer()))
	lt, err := bearer.Login(ctx, canvus.Credentials{Email: aliceEmail, Password: alicePass})
	if err != nil {
		t.Fatal(err)
	}
	if h := header(lt); h.Get("Authorization") != "Bearer "+lt.Value() || h.Get("Private-Token") != "" {
		t.Fatalf("bearer login: %v", h)
	}
	// The fake, like Canvus, takes Private-Token only: a Bearer-only
	// client is refused, which shows the option reaches the wire.
	bt, _ := bearer.Tokens(tokenkit.StaticSource(lt))
	if _, err := bt.Create(ctx, "x"); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("bearer create: %v", err)
	}
}
