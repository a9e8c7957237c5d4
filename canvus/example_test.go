package canvus_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
)

// exampleServer is a fake Canvus Server with one user, standing in for
// https://canvus.example.com (New adds /api/v1).
func exampleServer() (*canvustest.Server, canvustest.User) {
	fake := canvustest.NewServer()
	u := fake.AddUser(canvustest.User{Email: "bot@example.com", Password: "correct horse", Name: "Bot"})
	return fake, u
}

// Sign in with an email and password. The login token is sent as
// Private-Token and lives for the server's session lifetime.
func ExampleClient_Login() {
	fake, _ := exampleServer()
	defer fake.Close()
	c, err := canvus.New(fake.URL())
	if err != nil {
		fmt.Println(err)
		return
	}
	login, err := c.Login(context.Background(), canvus.Credentials{Email: "bot@example.com", Password: "correct horse"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(login.User.ID, login.User.Name)
	fmt.Println(login.Expiry().Sub(login.User.LastLogin).Round(1e9)) // the default session lifetime
	fmt.Println(strings.Contains(fmt.Sprint(login), login.Value()))  // printing never shows the token

	_, err = c.Login(context.Background(), canvus.Credentials{Email: "bot@example.com", Password: "wrong"})
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidCredential))
	// Output:
	// 1000 Bot
	// 24h0m0s
	// false
	// true
}

// Create a personal access token: its secret is returned only this once, and
// it never expires. Use it as Private-Token from then on.
func ExampleTokens_Create() {
	fake, _ := exampleServer()
	defer fake.Close()
	ctx := context.Background()
	c, _ := canvus.New(fake.URL())
	login, _ := c.Login(ctx, canvus.Credentials{Email: "bot@example.com", Password: "correct horse"})

	toks, _ := c.Tokens(tokenkit.StaticSource(login)) // the login's user
	pat, err := toks.Create(ctx, "nightly export")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pat.Description, pat.Expiry().IsZero())

	// Any http.Client can carry it.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("Private-Token sent:", r.Header.Get("Private-Token") == pat.Value())
	}))
	defer api.Close()
	resp, err := tokenkit.NewClient(tokenkit.StaticSource(pat), nil).Get(api.URL)
	if err == nil {
		resp.Body.Close()
	}
	// Output:
	// nightly export true
	// Private-Token sent: true
}

// List a user's tokens. Canvus never returns their secrets; created_at has
// no time zone and is read as UTC unless WithTimeZone says otherwise.
func ExampleTokens_ListInfo() {
	fake, bot := exampleServer()
	defer fake.Close()
	fake.AddAccessToken(canvustest.AccessToken{UserID: bot.ID, Description: "First token",
		CreatedAt: fakeTime("2021-07-02T06:38:36.025Z")})
	ctx := context.Background()
	c, _ := canvus.New(fake.URL())
	login, _ := c.Login(ctx, canvus.Credentials{Email: "bot@example.com", Password: "correct horse"})

	toks, _ := c.Tokens(tokenkit.StaticSource(login))
	infos, err := toks.ListInfo(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range infos {
		fmt.Println(in.Description, in.CreatedAt)
	}
	// Output:
	// First token 2021-07-02 06:38:36.025 +0000 UTC
}

// Get, rename and delete a token by its id. Ids are base64 and may contain
// '/', '+' and '=': pass them as they are.
func ExampleTokens_Rename() {
	fake, bot := exampleServer()
	defer fake.Close()
	seeded := fake.AddAccessToken(canvustest.AccessToken{UserID: bot.ID, ID: "JDJh/JDA0+JENK==", Description: "First token"})
	ctx := context.Background()
	c, _ := canvus.New(fake.URL())
	login, _ := c.Login(ctx, canvus.Credentials{Email: "bot@example.com", Password: "correct horse"})
	toks, _ := c.Tokens(tokenkit.StaticSource(login))

	got, err := toks.Get(ctx, seeded.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.ID, got.Description)
	renamed, _ := toks.Rename(ctx, seeded.ID, "Updated description")
	fmt.Println(renamed.Description)
	fmt.Println(toks.Delete(ctx, seeded.ID))
	_, err = toks.Get(ctx, seeded.ID)
	fmt.Println(errors.Is(err, tokenkit.ErrNotFound))
	// Output:
	// JDJh/JDA0+JENK== First token
	// Updated description
	// <nil>
	// true
}

// Tokens implements the tokenkit interfaces, so code written once against
// them manages Canvus tokens too.
func ExampleTokens_List() {
	fake, _ := exampleServer()
	defer fake.Close()
	ctx := context.Background()
	c, _ := canvus.New(fake.URL())
	login, _ := c.Login(ctx, canvus.Credentials{Email: "bot@example.com", Password: "correct horse"})

	toks, _ := c.Tokens(tokenkit.StaticSource(login))
	var m interface {
		tokenkit.Issuer
		tokenkit.Lister
		tokenkit.Revoker
	} = toks
	var checker tokenkit.Checker = c
	tok, _ := m.Issue(ctx, tokenkit.IssueRequest{Name: "generic"})
	list, _ := m.List(ctx)
	fmt.Println(len(list), list[0].Name, tok.Expiry().IsZero(), list[0].ID == tokenkit.IDOf(tok))
	// Canvus reports no last use: a zero LastUsedAt is "unknown", not "never".
	fmt.Println(list[0].Reported, list[0].Reported.Has(tokenkit.FieldLastUsedAt))
	_, err := checker.Check(ctx, tok)
	fmt.Println(err)
	fmt.Println(m.Revoke(ctx, tokenkit.IDOf(tok)))
	_, err = checker.Check(ctx, tok)
	fmt.Println(tokenkit.Rejected(err))
	// Canvus tokens never expire: asking for a lifetime is refused.
	_, err = m.Issue(ctx, tokenkit.IssueRequest{Name: "short", Lifetime: time.Hour})
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidInput))
	// Output:
	// 1 generic true true
	// Name|CreatedAt false
	// <nil>
	// <nil>
	// true
	// true
}

// Watch a user's tokens change. The first event is the current state; the
// loop ends when the context does.
func ExampleTokens_Subscribe() {
	fake, _ := exampleServer()
	defer fake.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _ := canvus.New(fake.URL())
	login, _ := c.Login(ctx, canvus.Credentials{Email: "bot@example.com", Password: "correct horse"})
	toks, _ := c.Tokens(tokenkit.StaticSource(login))

	for ev, err := range toks.Subscribe(ctx) {
		if err != nil {
			fmt.Println("subscription failed:", err) // subscribe again to carry on
			return
		}
		switch ev.Type {
		case canvus.Snapshot:
			fmt.Println("tokens now:", len(ev.Tokens))
			go func() { // another program changes the tokens
				pat, _ := toks.Create(ctx, "ci")
				_, _ = toks.Rename(ctx, pat.ID, "ci (old)")
				_ = toks.Delete(ctx, pat.ID)
			}()
		case canvus.Deleted:
			fmt.Println(ev.Type, ev.Token.Description)
			cancel() // ends the loop
		default:
			fmt.Println(ev.Type, ev.Token.Description)
		}
	}
	fmt.Println("done")
	// Output:
	// tokens now: 0
	// created ci
	// updated ci (old)
	// deleted ci (old)
	// done
}

// Watch one token.
func ExampleTokens_SubscribeToken() {
	fake, bot := exampleServer()
	defer fake.Close()
	seeded := fake.AddAccessToken(canvustest.AccessToken{UserID: bot.ID, Description: "watched"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _ := canvus.New(fake.URL())
	login, _ := c.Login(ctx, canvus.Credentials{Email: "bot@example.com", Password: "correct horse"})
	toks, _ := c.Tokens(tokenkit.StaticSource(login))

	for ev, err := range toks.SubscribeToken(ctx, seeded.ID) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ev.Type, ev.Token.Description)
		if ev.Type == canvus.Snapshot {
			go func() { _ = toks.Delete(ctx, seeded.ID) }()
		}
		if ev.Type == canvus.Deleted {
			break // leaving the loop ends the stream too
		}
	}
	// Output:
	// snapshot watched
	// deleted watched
}

// A long-running program: the source prolongs the session before it expires
// and replaces a token the server refuses.
func ExampleClient_LoginSource() {
	fake, _ := exampleServer()
	defer fake.Close()
	ctx := context.Background()
	c, _ := canvus.New(fake.URL())
	src, err := c.LoginSource(canvus.Credentials{Email: "bot@example.com", Password: "correct horse"}, tokenkit.SourceConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	toks, _ := c.Tokens(src)

	_, err = toks.ListInfo(ctx)
	fmt.Println(err)
	_ = c.Logout(ctx, src.Cached()) // the session ends elsewhere
	_, err = toks.ListInfo(ctx)     // 401, a new session, success
	fmt.Println(err, fake.Calls(canvustest.OpLogin) >= 2)
	// Output:
	// <nil>
	// <nil> true
}

// Sign out a login token.
func ExampleClient_Logout() {
	fake, bot := exampleServer()
	defer fake.Close()
	ctx := context.Background()
	c, _ := canvus.New(fake.URL())
	login, _ := c.Login(ctx, canvus.Credentials{Email: "bot@example.com", Password: "correct horse"})
	fmt.Println(fake.ActiveSessions(bot.ID))
	fmt.Println(c.Logout(ctx, login))
	fmt.Println(fake.ActiveSessions(bot.ID))
	// Output:
	// 1
	// <nil>
	// 0
}

// Check that a base URL points at a reachable Canvus Server; no token needed.
func ExampleClient_ServerInfo() {
	fake, _ := exampleServer()
	defer fake.Close()
	c, _ := canvus.New(fake.URL())
	info, err := c.ServerInfo(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Version)
	// Output:
	// 3.4.0-canvustest
}

// Errors are *tokenkit.Error; the server's {"msg": …} (or older
// {"message": …}) is an *ErrorResponse.
func ExampleErrorResponse() {
	fake, bot := exampleServer()
	defer fake.Close()
	fake.AddUser(canvustest.User{Email: "eve@example.com", Password: "pw"})
	ctx := context.Background()
	c, _ := canvus.New(fake.URL())
	login, _ := c.Login(ctx, canvus.Credentials{Email: "eve@example.com", Password: "pw"})

	eves, _ := c.Tokens(tokenkit.StaticSource(login))
	bots, _ := eves.ForUser(bot.ID)
	_, err := bots.ListInfo(ctx) // someone else's tokens
	var er *canvus.ErrorResponse
	fmt.Println(errors.Is(err, tokenkit.ErrForbidden), errors.As(err, &er), er.Text())
	fmt.Println(err)
	// Output:
	// true true Permission denied
	// canvus: ListInfo: HTTP 403: Permission denied
}

func fakeTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

// Wrap an access token you already hold (from the environment, a vault, an
// earlier run). Tokens finds its user once, by signing in with it: Canvus
// has no /users/me.
func ExampleClient_NewAccessToken() {
	fake, bot := exampleServer()
	defer fake.Close()
	seeded := fake.AddAccessToken(canvustest.AccessToken{UserID: bot.ID, Description: "from the vault"})
	ctx := context.Background()
	c, _ := canvus.New(fake.URL())

	pat, err := c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(seeded.Plain), ID: seeded.ID})
	if err != nil {
		fmt.Println(err)
		return
	}
	toks, _ := c.Tokens(tokenkit.StaticSource(pat))
	list, err := toks.List(ctx)
	fmt.Println(len(list), list[0].Name, err)
	id, _ := toks.UserID(ctx)
	fmt.Println(id == bot.ID)

	// Canvus access tokens have no refresh token and never expire.
	_, err = c.NewAccessToken(tokenkit.HeldToken{Value: "v", RefreshToken: "r"})
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidInput))
	// Output:
	// 1 from the vault <nil>
	// true
	// true
}

// Check whether a token still works, for tokenkit.Checker. The token must
// say whose it is (a login token does; set UserID on a held access token).
func ExampleClient_Check() {
	fake, bot := exampleServer()
	defer fake.Close()
	seeded := fake.AddAccessToken(canvustest.AccessToken{UserID: bot.ID, Description: "probe"})
	ctx := context.Background()
	c, _ := canvus.New(fake.URL())
	pat, _ := c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(seeded.Plain)})
	pat.UserID = bot.ID

	res, err := c.Check(ctx, pat)
	fmt.Println(res.Subject, err)
	toks, _ := c.Tokens(tokenkit.StaticSource(pat))
	_ = toks.Revoke(ctx, seeded.ID)
	_, err = c.Check(ctx, pat)
	fmt.Println(tokenkit.Rejected(err))
	// Output:
	// 1000 <nil>
	// true
}

// A proxy in front of the server that wants a Bearer token as well: every
// token of the client is sent both ways.
func ExampleWithPresentation() {
	c, err := canvus.New("https://canvus.example.com", canvus.WithPresentation(canvus.PrivateToken(), tokenkit.Bearer()))
	if err != nil {
		fmt.Println(err)
		return
	}
	pat, _ := c.NewAccessToken(tokenkit.HeldToken{Value: "pat-value"})
	r, _ := http.NewRequest("GET", c.BaseURL()+"/canvases", nil)
	pat.SetAuthHeader(r)
	fmt.Println(r.Header.Get("Private-Token"), r.Header.Get("Authorization"))
	// Output:
	// pat-value Bearer pat-value
}
