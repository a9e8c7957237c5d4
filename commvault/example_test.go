package commvault_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/fakes"
)

// exampleFake is a fake Command Center with one user, and a client on it.
// In a test, use commvaulttest.New(t), which closes the fake by itself.
func exampleFake(opts ...tokenkit.Option) (*commvaulttest.Server, *commvault.Client) {
	fake := commvaulttest.NewServer()
	fake.AddUser(commvaulttest.User{Name: "admin", Password: "s3cret", Email: "admin@example.com"})
	clk := newClock() // the examples print times: fake and client share a fixed clock
	fake.SetClock(clk.Now)
	c, err := commvault.New(fake.URL(), append([]tokenkit.Option{tokenkit.WithClock(clk.Now)}, opts...)...)
	if err != nil {
		panic(err)
	}
	return fake, c
}

// Log in with a user name and password; the SDK Base64-encodes the
// password. The session is sent as "Authtoken: QSDK …".
func ExampleClient_Login() {
	fake, c := exampleFake()
	defer fake.Close()
	s, err := c.Login(context.Background(), commvault.Credentials{Username: "admin", Password: "s3cret"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := http.NewRequest("GET", fake.URL()+"/commandcenter/api/Client", nil)
	s.SetAuthHeader(r)
	fmt.Println(s.UserName, s.Email, strings.HasPrefix(r.Header.Get("Authtoken"), "QSDK "))
	fmt.Println(s) // printing never shows the token
	// Output:
	// admin admin@example.com true
	// commvault.Session{value: REDACTED, user: "admin", expires: 2026-05-01T12:30:00Z}
}

// A wrong password and a locked account are errors a caller can tell apart.
func ExampleErrorResponse() {
	fake, c := exampleFake()
	defer fake.Close()
	fake.SetLockout(2, 0)
	ctx := context.Background()
	for range 2 {
		_, err := c.Login(ctx, commvault.Credentials{Username: "admin", Password: "guess"})
		var er *commvault.ErrorResponse
		errors.As(err, &er)
		fmt.Println(errors.Is(err, tokenkit.ErrInvalidCredential), errors.Is(err, commvault.ErrAccountLocked), er.Message)
	}
	// Output:
	// true false Invalid Username or Password
	// false true User account is locked
}

// Create an access token under a login session. ALL and CUSTOM tokens come
// with a refresh token.
func ExampleClient_CreateAccessToken() {
	fake, c := exampleFake()
	defer fake.Close()
	ctx := context.Background()
	s, _ := c.Login(ctx, commvault.Credentials{Username: "admin", Password: "s3cret"})
	tok, err := c.CreateAccessToken(ctx, s, commvault.CreateRequest{
		Name: "backup-bot", Type: commvault.TokenTypeCustom, APIEndpoints: []string{"/Job", "/Client"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.ID, tok.Name, tok.Type, tok.RefreshToken != "")

	// A name the user already has is refused inside HTTP 200.
	_, err = c.CreateAccessToken(ctx, s, commvault.CreateRequest{Name: "backup-bot"})
	var te *tokenkit.Error
	errors.As(err, &te)
	fmt.Println(te.StatusCode, te.Code, te.Message)
	// Output:
	// 501 backup-bot CUSTOM true
	// 200 2 Token name already present
}

// List a user's tokens, without their secrets.
func ExampleClient_ListAccessTokens() {
	fake, c := exampleFake()
	defer fake.Close()
	ctx := context.Background()
	s, _ := c.Login(ctx, commvault.Credentials{Username: "admin", Password: "s3cret"})
	_, _ = c.CreateAccessToken(ctx, s, commvault.CreateRequest{Name: "a"})
	_, _ = c.CreateAccessToken(ctx, s, commvault.CreateRequest{Name: "scim", Type: commvault.TokenTypeMSSCIM})
	list, err := c.ListAccessTokens(ctx, s, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, i := range list {
		fmt.Println(i.ID, i.Name, i.Type)
	}
	// Output:
	// 501 a ALL
	// 502 scim MS_SCIM
}

// Rename a token and restrict it to an IP range.
func ExampleClient_UpdateAccessToken() {
	fake, c := exampleFake()
	defer fake.Close()
	ctx := context.Background()
	s, _ := c.Login(ctx, commvault.Credentials{Username: "admin", Password: "s3cret"})
	tok, _ := c.CreateAccessToken(ctx, s, commvault.CreateRequest{Name: "old-name"})
	info, err := c.UpdateAccessToken(ctx, s, tok.ID, commvault.UpdateRequest{Name: "new-name", AllowedIPs: []string{"10.0.0.0/8"}})
	fmt.Println(info.Name, err, fake.Tokens(0)[0].AllowedIPs)
	// Output:
	// new-name <nil> [10.0.0.0/8]
}

// Delete (revoke) a token.
func ExampleClient_DeleteAccessToken() {
	fake, c := exampleFake()
	defer fake.Close()
	ctx := context.Background()
	s, _ := c.Login(ctx, commvault.Credentials{Username: "admin", Password: "s3cret"})
	tok, _ := c.CreateAccessToken(ctx, s, commvault.CreateRequest{Name: "short-lived"})
	fmt.Println(c.DeleteAccessToken(ctx, s, tok.ID), fake.ValidAccessToken(tok.Value()))
	// Output:
	// <nil> false
}

// Renew a pair with the raw call. Prefer an AccessTokenSource: renewing the
// same pair twice makes Commvault delete the whole chain.
func ExampleClient_RenewAccessToken() {
	fake, c := exampleFake()
	defer fake.Close()
	ctx := context.Background()
	s, _ := c.Login(ctx, commvault.Credentials{Username: "admin", Password: "s3cret"})
	old, _ := c.CreateAccessToken(ctx, s, commvault.CreateRequest{Name: "ci"})
	renewed, err := c.RenewAccessToken(ctx, old)
	fmt.Println(err, renewed.ID == old.ID, fake.ValidAccessToken(old.Value()), fake.ValidAccessToken(renewed.Value()))

	_, err = c.RenewAccessToken(ctx, old) // a stale pair: the chain is gone
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidCredential), fake.ChainInvalidations(), fake.ValidAccessToken(renewed.Value()))
	// Output:
	// <nil> true false true
	// true 1 false
}

// An AccessTokenExchanger keeps one chain: each Exchange renews the current
// pair, and a renewal whose answer is lost is never replayed.
func ExampleClient_AccessTokenExchanger() {
	fake, c := exampleFake()
	defer fake.Close()
	ctx := context.Background()
	s, _ := c.Login(ctx, commvault.Credentials{Username: "admin", Password: "s3cret"})
	pair, _ := c.CreateAccessToken(ctx, s, commvault.CreateRequest{Name: "ci"})

	ex, err := c.AccessTokenExchanger(commvault.AccessTokenRequest{Initial: pair})
	if err != nil {
		fmt.Println(err)
		return
	}
	renewed, _ := ex.Exchange(ctx) // persist it before using it
	fmt.Println(fake.ValidAccessToken(renewed.Value()), fake.Calls("RenewAccessToken"))

	fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	_, err = ex.Exchange(ctx)
	fmt.Println(errors.Is(err, tokenkit.ErrOutcomeUnknown), fake.ChainInvalidations())
	_, err = ex.Exchange(ctx) // not sent: the pair may be spent
	fmt.Println(err != nil, fake.Calls("RenewAccessToken"), fake.ChainInvalidations())
	// Output:
	// true 1
	// true 0
	// true 2 0
}

// Wrap an access token you already hold, such as one from Command Center's
// UI; it presents itself as the client's WithPresentation says.
func ExampleClient_NewAccessToken() {
	fake, c := exampleFake(commvault.WithPresentation(tokenkit.Bearer()))
	defer fake.Close()
	tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: "value-from-the-ui", ID: "42"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := http.NewRequest("GET", fake.URL()+"/commandcenter/api/Client", nil)
	tok.SetAuthHeader(r)
	fmt.Println(tok.TokenID(), r.Header.Get("Authorization"))

	_, err = c.NewAccessToken(tokenkit.HeldToken{Value: "value-from-the-ui", ID: "not-a-number"})
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidInput))
	// Output:
	// 42 Bearer value-from-the-ui
	// true
}

// New takes the origin; a server still on the older Web Console root is
// reached with WithAPIPath. A full API URL, as earlier versions took, is
// refused with the origin to give instead.
func ExampleWithAPIPath() {
	c, _ := commvault.New("https://cc.example.com", commvault.WithAPIPath(commvaulttest.LegacyBasePath))
	fmt.Println(c.BaseURL())
	_, err := commvault.New("https://cc.example.com/commandcenter/api")
	fmt.Println(errors.Is(err, tokenkit.ErrConfig))
	// Output:
	// https://cc.example.com/webconsole/api
	// true
}

// A long-running program: the source creates a token on first use (logging
// in with the credentials), hands it out while valid, renews it ahead of
// expiry and creates a new one when it cannot be renewed.
func ExampleClient_AccessTokenSource() {
	fake, c := exampleFake()
	defer fake.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("API got a valid token:", fake.ValidAccessToken(r.Header.Get("Authtoken")))
	}))
	defer api.Close()

	src, err := c.AccessTokenSource(commvault.AccessTokenRequest{
		Credentials: &commvault.Credentials{Username: "admin", Password: "s3cret"},
		Create:      commvault.CreateRequest{Name: "reporting"},
	}, tokenkit.SourceConfig{
		// Save sees every new pair before anyone uses it: write its
		// tokenkit.Export where the next run finds it (ImportAccessToken
		// reads it back into AccessTokenRequest.Initial).
		Save: func(_ context.Context, t tokenkit.Token) error {
			fmt.Println("persist token", tokenkit.IDOf(t))
			return nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	hc := tokenkit.NewClient(src, nil)
	for range 2 {
		resp, err := hc.Get(api.URL + "/commandcenter/api/Client")
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
	}
	fmt.Println("logins:", fake.Calls("Login"), "creates:", fake.Calls("CreateAccessToken"))
	// Output:
	// persist token 501
	// API got a valid token: true
	// API got a valid token: true
	// logins: 1 creates: 1
}

// A session source logs in when needed and again after a 401; Tokens
// exposes the vendor-neutral Issuer, Lister and Revoker.
func ExampleClient_Tokens() {
	fake, c := exampleFake()
	defer fake.Close()
	ctx := context.Background()
	sessions, _ := c.SessionSource(commvault.Credentials{Username: "admin", Password: "s3cret"}, tokenkit.SourceConfig{})
	m, _ := c.Tokens(sessions)
	tok, _ := m.Issue(ctx, tokenkit.IssueRequest{Name: "scoped", Scopes: []string{"/Job"}})
	infos, _ := m.List(ctx)
	fmt.Println(tok.(*commvault.AccessToken).Type, len(infos), infos[0].Name, infos[0].Scopes)
	fmt.Println(m.Revoke(ctx, infos[0].ID), len(fake.Tokens(0)))
	// Output:
	// CUSTOM 1 scoped [/Job]
	// <nil> 0
}

// Renew an expired session with the deviceId it was created with.
func ExampleClient_RenewLogin() {
	fake, c := exampleFake()
	defer fake.Close()
	ctx := context.Background()
	s, _ := c.Login(ctx, commvault.Credentials{Username: "admin", Password: "s3cret", DeviceID: "reporting-host-1"})
	n, err := c.RenewLogin(ctx, s)
	fmt.Println(err, fake.ValidSession(s.Value()), fake.ValidSession(n.Value()))
	// Output:
	// <nil> false true
}

// End a session.
func ExampleClient_Logout() {
	fake, c := exampleFake()
	defer fake.Close()
	ctx := context.Background()
	s, _ := c.Login(ctx, commvault.Credentials{Username: "admin", Password: "s3cret"})
	fmt.Println(c.Logout(ctx, s))
	fmt.Println(errors.Is(c.Logout(ctx, s), tokenkit.ErrUnauthorized)) // already logged out
	// Output:
	// <nil>
	// true
}

// Check and Renew are the vendor-neutral verbs on Client: Check asks WhoAmI
// with the token alone, Renew renews a pair once. After Renew the old pair is
// spent; the new one works.
func ExampleClient_Check() {
	fake, c := exampleFake()
	defer fake.Close()
	ctx := context.Background()
	sessions, _ := c.SessionSource(commvault.Credentials{Username: "admin", Password: "s3cret"}, tokenkit.SourceConfig{})
	m, _ := c.Tokens(sessions)
	var (
		checker tokenkit.Checker = c
		renewer tokenkit.Renewer = c
	)
	tok, _ := m.Issue(ctx, tokenkit.IssueRequest{Name: "ci"})
	res, err := checker.Check(ctx, tok)
	fmt.Println(res.Subject, err)
	renewed, _ := renewer.Renew(ctx, tok)
	_, err = checker.Check(ctx, renewed)
	fmt.Println(err, tokenkit.IDOf(renewed) == tokenkit.IDOf(tok))
	_ = m.Revoke(ctx, tokenkit.IDOf(renewed))
	_, err = checker.Check(ctx, renewed)
	fmt.Println(tokenkit.Rejected(err))
	// Output:
	// admin <nil>
	// <nil> true
	// true
}
