package oracle_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/oracle"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// Get an access token with a user name and password. The fake stands in for
// https://<instance>.
func ExampleClient_ExchangePassword() {
	fake := oracletest.NewServer()
	defer fake.Close()
	fake.AddUser(oracletest.User{Username: "ci-bot", Password: "s3cret-pw"})

	c, err := oracle.New(fake.URL())
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := c.ExchangePassword(context.Background(), oracle.Credentials{Username: "ci-bot", Password: "s3cret-pw"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.TokenType, tok.Lifetime, tok.RefreshToken != "") // expiresInMillis 1209600000 is 14 days
	fmt.Println(strings.Contains(fmt.Sprint(tok), tok.Value()))      // printing never shows the token
	// Output:
	// Bearer 336h0m0s true
	// false
}

// Exchange a refresh token; with rotation the answer carries the refresh
// token to use next time, and the old one is refused from then on.
func ExampleClient_ExchangeRefreshToken() {
	fake := oracletest.NewServer()
	defer fake.Close()
	fake.AddUser(oracletest.User{Username: "ci-bot", Password: "s3cret-pw"})
	saved := fake.IssueRefreshToken("ci-bot") // persisted by an earlier run

	c, _ := oracle.New(fake.URL())
	tok, err := c.ExchangeRefreshToken(context.Background(), tokenkit.Secret(saved))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.RefreshToken.Reveal() != saved, fake.RefreshTokenActive(saved))
	// Output:
	// true false
}

// Check a token and learn whom it belongs to.
func ExampleClient_CurrentUser() {
	fake := oracletest.NewServer()
	defer fake.Close()
	fake.AddUser(oracletest.User{Username: "ada", Password: "pw-1", Email: "ada@example.com",
		Groups: []oracletest.Group{{ID: "g-1", DisplayName: "Authors"}}})
	c, _ := oracle.New(fake.URL())
	tok, _ := c.ExchangePassword(context.Background(), oracle.Credentials{Username: "ada", Password: "pw-1"})

	u, err := c.CurrentUser(context.Background(), tokenkit.StaticSource(tok), oracle.UserQuery{Groups: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Email, u.Groups[0].DisplayName)
	// Output:
	// ada@example.com Authors
}

// A long-running program that holds a refresh token: the Source caches the
// access token, refreshes it with the refresh token, signs in again with the
// password if the refresh token is refused, and the client presents the
// token on every request. Save persists each new token, whose Export holds
// the rotated refresh token: the next run starts from it (see
// ImportAccessToken and SourceConfig.Initial).
func ExampleClient_RefreshTokenSource() {
	fake := oracletest.NewServer()
	defer fake.Close()
	fake.AddUser(oracletest.User{Username: "ci-bot", Password: "s3cret-pw"})
	ocm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("OCM got a bearer token:", strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	defer ocm.Close()

	c, _ := oracle.New(fake.URL())
	var file []byte // a file, a secret store: wherever the next run looks
	src, err := c.RefreshTokenSource(oracle.RefreshTokenRequest{
		RefreshToken: tokenkit.Secret(fake.IssueRefreshToken("ci-bot")), // from an earlier run
		Credentials:  &oracle.Credentials{Username: "ci-bot", Password: "s3cret-pw"},
	}, tokenkit.SourceConfig{
		Save: func(_ context.Context, tok tokenkit.Token) error {
			e, err := tokenkit.Export(tok) // refresh token included
			if err != nil {
				return err
			}
			file, err = e.Encode()
			return err
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	hc := tokenkit.NewClient(src, nil)
	for range 2 {
		resp, err := hc.Get(ocm.URL + "/content/management/api/v1.1/items")
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
	}
	e, _ := tokenkit.DecodeExported(file)
	next, _ := oracle.ImportAccessToken(e)
	fmt.Println("token calls:", fake.Calls("GetAccessToken"), "saved refresh token live:", fake.RefreshTokenActive(next.RefreshToken.Reveal()))
	// Output:
	// OCM got a bearer token: true
	// OCM got a bearer token: true
	// token calls: 1 saved refresh token live: true
}

// A long-running program that holds a password: the Source signs in
// whenever it needs a new token.
func ExampleClient_PasswordSource() {
	fake := oracletest.NewServer()
	defer fake.Close()
	fake.AddUser(oracletest.User{Username: "ci-bot", Password: "s3cret-pw"})

	c, _ := oracle.New(fake.URL())
	src, err := c.PasswordSource(oracle.Credentials{Username: "ci-bot", Password: "s3cret-pw"}, tokenkit.SourceConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 3 {
		if _, err := src.Token(context.Background()); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("token calls:", fake.Calls("GetAccessToken"))

	_, err = c.PasswordSource(oracle.Credentials{Username: "ci-bot"}, tokenkit.SourceConfig{})
	fmt.Println(err)
	// Output:
	// token calls: 1
	// oracle: PasswordSource: Credentials.Password: empty password: tokenkit: invalid input
}

// A refused refresh token is a *tokenkit.Error that matches
// tokenkit.ErrInvalidCredential; Oracle's ExceptionDetail, nested details
// included, is reachable with errors.As.
func ExampleExceptionDetail() {
	fake := oracletest.NewServer()
	defer fake.Close()
	c, _ := oracle.New(fake.URL())
	_, err := c.ExchangeRefreshToken(context.Background(), "revoked-or-mistyped")

	var d *oracle.ExceptionDetail
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidCredential), errors.As(err, &d))
	fmt.Println(d.Status, d.ErrorCode, d.Detail)
	if n := d.Find(oracletest.CodeInvalidRefreshToken); n != nil {
		fmt.Println(n.ErrorPath, "-", n.Detail)
	}
	// Output:
	// true true
	// 400 OCETEST-400 Illegal Argument
	// refreshToken - The refresh token is invalid, expired or revoked.
}

// Issue a new access token under an authenticated session.
func ExampleClient_Tokens() {
	fake := oracletest.NewServer()
	defer fake.Close()
	fake.AddUser(oracletest.User{Username: "ada", Password: "pw-1"})
	c, _ := oracle.New(fake.URL())
	src, _ := c.PasswordSource(oracle.Credentials{Username: "ada", Password: "pw-1"}, tokenkit.SourceConfig{})

	tokens, err := c.Tokens(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	var issuer tokenkit.Issuer = tokens
	tok, err := issuer.Issue(context.Background(), tokenkit.IssueRequest{})
	fmt.Println(err, fake.AccessTokenActive(tok.Value()), fake.Calls("GetAccessToken"))

	// The token call takes no lifetime: asking for one is refused, not
	// silently answered with a token of the instance's lifetime.
	_, err = issuer.Issue(context.Background(), tokenkit.IssueRequest{Lifetime: time.Hour})
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidInput), fake.Calls("GetAccessToken"))
	// Output:
	// <nil> true 2
	// true 2
}

// Wrap an access token obtained elsewhere, for example by Oracle's cec CLI,
// so that it presents itself as the client's tokens do. Oracle tokens have
// no id: a HeldToken with one is refused rather than dropped.
func ExampleClient_NewAccessToken() {
	c, _ := oracle.New("https://mycompany-oce.example.test", oracle.WithPresentation(tokenkit.Bearer()))
	tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: "token-from-cec", Expiry: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := http.NewRequest("GET", "https://mycompany-oce.example.test/content/management/api/v1.1/items", nil)
	tok.SetAuthHeader(r)
	fmt.Println(r.Header.Get("Authorization"), tok.Expiry().Year())

	_, err = c.NewAccessToken(tokenkit.HeldToken{Value: "token-from-cec", ID: "42"})
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidInput))
	// Output:
	// Bearer token-from-cec 2030
	// true
}

// By default a token is presented with the tokenType the instance returned;
// WithPresentation overrides that, for example for a gateway in front of the
// instance that wants the token in a header of its own as well.
func ExampleWithPresentation() {
	fake := oracletest.NewServer()
	defer fake.Close()
	fake.AddUser(oracletest.User{Username: "ada", Password: "pw-1"})
	c, err := oracle.New(fake.URL(), oracle.WithPresentation(tokenkit.Bearer(), tokenkit.Presentation{Header: "X-Gateway-Token"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, _ := c.ExchangePassword(context.Background(), oracle.Credentials{Username: "ada", Password: "pw-1"})
	r, _ := http.NewRequest("GET", fake.URL()+"/content/management/api/v1.1/items", nil)
	tok.SetAuthHeader(r)
	fmt.Println(r.Header.Get("Authorization") == "Bearer "+tok.Value(), r.Header.Get("X-Gateway-Token") == tok.Value())
	// Output:
	// true true
}

// Client is a tokenkit.Checker (GET /me with the token alone) and a
// tokenkit.Renewer (RenewAccessToken).
func ExampleClient_Check() {
	fake := oracletest.NewServer()
	defer fake.Close()
	fake.AddUser(oracletest.User{Username: "ada", Password: "pw-1", Email: "ada@example.com"})
	c, _ := oracle.New(fake.URL())
	ctx := context.Background()
	tok, _ := c.ExchangePassword(ctx, oracle.Credentials{Username: "ada", Password: "pw-1"})
	var (
		checker tokenkit.Checker = c
		renewer tokenkit.Renewer = c
	)
	renewed, _ := renewer.Renew(ctx, tok)
	res, err := checker.Check(ctx, renewed)
	fmt.Println(res.Subject, err)
	_, err = checker.Check(ctx, tokenkit.NewBearerToken("made-up", time.Time{}))
	fmt.Println(tokenkit.Rejected(err))
	// Output:
	// ada@example.com <nil>
	// true
}

// Renew a token that still works by presenting it, as Oracle's own toolkit
// does; RequestToken combines the forms when an instance wants that.
func ExampleClient_RenewAccessToken() {
	fake := oracletest.NewServer()
	defer fake.Close()
	fake.AddUser(oracletest.User{Username: "ada", Password: "pw-1"})
	c, _ := oracle.New(fake.URL())
	ctx := context.Background()
	old, _ := c.ExchangePassword(ctx, oracle.Credentials{Username: "ada", Password: "pw-1"})

	renewed, err := c.RenewAccessToken(ctx, old)
	fmt.Println(err, renewed.Value() != old.Value())
	both, err := c.RequestToken(ctx, oracle.TokenRequest{
		Credentials:  &oracle.Credentials{Username: "ada", Password: "pw-1"},
		RefreshToken: renewed.RefreshToken,
	})
	fmt.Println(err, both.RefreshToken != renewed.RefreshToken)
	// Output:
	// <nil> true
	// <nil> true
}
