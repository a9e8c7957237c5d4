package csp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/csp/csptest"
)

// Exchange an API token for an access token. The fake stands in for
// csp.CloudVMware.
func ExampleClient_ExchangeAPIToken() {
	fake := csptest.NewServer()
	defer fake.Close()
	apiToken := fake.AddAPIToken(csptest.APIToken{OrgID: "org-1", Scopes: []string{"csp:org_member"}})

	c, err := csp.New(fake.URL())
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken)})
	if err != nil {
		fmt.Println(err)
		return
	}
	claims, _ := tok.Claims()
	fmt.Println(tok.Scope, claims.OrgID)
	fmt.Println(strings.Contains(fmt.Sprint(tok), tok.Value())) // printing never shows the token
	// Output:
	// csp:org_member org-1
	// false
}

// A rejected API token is a *tokenkit.Error that matches
// tokenkit.ErrInvalidCredential; CSP's own body is a *csp.ErrorResponse.
func ExampleErrorResponse() {
	fake := csptest.NewServer()
	defer fake.Close()
	c, _ := csp.New(fake.URL())
	_, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: "revoked-or-mistyped"})

	var te *tokenkit.Error
	var er *csp.ErrorResponse
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidCredential), errors.As(err, &er), er.ModuleCode)
	if errors.As(err, &te) {
		fmt.Println(te.StatusCode, te.Code, te.Message) // the echoed API token is masked
	}
	// Output:
	// true true 340
	// 400 invalid_grant Invalid refresh token: REDACTED
}

// A long-running program: the source caches the access token, refreshes it
// ahead of expiry, and the client presents it on every request (here as VMC's
// csp-auth-token header).
func ExampleClient_APITokenSource() {
	fake := csptest.NewServer()
	defer fake.Close()
	apiToken := fake.AddAPIToken(csptest.APIToken{})
	vmc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("VMC got a token:", r.Header.Get("csp-auth-token") != "")
	}))
	defer vmc.Close()

	c, _ := csp.New(fake.URL(), csp.WithPresentation(csp.CSPAuthToken()))
	src, err := c.APITokenSource(csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken)}, tokenkit.SourceConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	hc := tokenkit.NewClient(src, nil)
	for range 2 {
		resp, err := hc.Get(vmc.URL + "/vmc/api/orgs")
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
	}
	fmt.Println("exchanges:", fake.Calls("ExchangeAPIToken"))
	// Output:
	// VMC got a token: true
	// VMC got a token: true
	// exchanges: 1
}

// Verify a token received from elsewhere against the host's published key,
// requiring the host's issuer. Verify does not check the org or perms: the
// caller reads them from the claims.
func ExampleClient_Verify() {
	fake := csptest.NewServer()
	defer fake.Close()
	c, _ := csp.New(fake.URL())
	tok, _ := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{
		APIToken: tokenkit.Secret(fake.AddAPIToken(csptest.APIToken{Username: "ada", OrgID: "org-1"})),
	})
	claims, err := c.Verify(context.Background(), tokenkit.Secret(tok.Value()), csp.RequireIssuer(fake.Issuer()))
	fmt.Println(claims.Username, claims.OrgID == "org-1", err)

	_, err = c.Verify(context.Background(), tokenkit.Secret(tok.Value()), csp.RequireIssuer("https://other.example"))
	fmt.Println(errors.Is(err, csp.ErrInvalidToken))
	// Output:
	// ada true <nil>
	// true
}

// Client is a tokenkit.Checker: Check verifies the token's signature and
// expiry (CSP has no introspection call). A token that fails is an error for
// which tokenkit.Rejected is true.
func ExampleClient_Check() {
	fake := csptest.NewServer()
	defer fake.Close()
	c, _ := csp.New(fake.URL())
	tok, _ := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{
		APIToken: tokenkit.Secret(fake.AddAPIToken(csptest.APIToken{Username: "ada"})),
	})
	var checker tokenkit.Checker = c
	res, err := checker.Check(context.Background(), tok)
	fmt.Println(res.Subject, !res.ExpiresAt.IsZero(), err)
	_, err = checker.Check(context.Background(), tokenkit.NewBearerToken(tok.Value()+"x", time.Time{}))
	fmt.Println(tokenkit.Rejected(err))
	// Output:
	// ada true <nil>
	// true
}

// An OAuth app (a service account) exchanges its client id and secret.
func ExampleClient_ExchangeClientCredentials() {
	fake := csptest.NewServer()
	defer fake.Close()
	fake.AddOAuthApp(csptest.OAuthApp{ID: "reporting-bot", Secret: "app-secret", OrgID: "org-1", Scopes: []string{"csp:org_member"}})

	c, _ := csp.New(fake.URL())
	tok, err := c.ExchangeClientCredentials(context.Background(), csp.ClientCredentials{
		ClientID: "reporting-bot", ClientSecret: "app-secret", OrgID: "org-1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	claims, _ := tok.Claims()
	fmt.Println(claims.Subject, claims.OrgID, tok.Scope)
	// Output:
	// reporting-bot org-1 csp:org_member
}

// Look up who owns an API token, what it may do and when it expires.
func ExampleClient_APITokenDetails() {
	fake := csptest.NewServer()
	defer fake.Close()
	apiToken := fake.AddAPIToken(csptest.APIToken{Name: "ci", Username: "ada", OrgID: "org-1", Scopes: []string{"openid"}})

	c, _ := csp.New(fake.URL())
	d, err := c.APITokenDetails(context.Background(), tokenkit.Secret(apiToken))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.TokenName, d.Username, d.OrgID, d.Scopes, d.Deactivated, d.ExpiresAt.After(d.CreatedAt))
	// Output:
	// ci ada org-1 [openid] false true
}

// Fetch the token-signing keys, as PEM or as a JWKS.
func ExampleClient_JWKS() {
	fake := csptest.NewServer()
	defer fake.Close()
	c, _ := csp.New(fake.URL())

	pk, err := c.PublicKey(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	keys, err := c.JWKS(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pk.Alg, len(keys), keys[0].Key.Equal(pk.Key))
	// Output:
	// RS256 1 true
}

// Code written against tokenkit.Exchanger gets one from the client; the
// request is checked when the exchanger is built.
func ExampleClient_APITokenExchanger() {
	fake := csptest.NewServer()
	defer fake.Close()
	c, _ := csp.New(fake.URL())

	if _, err := c.APITokenExchanger(csp.APITokenRequest{}); err != nil {
		fmt.Println(errors.Is(err, tokenkit.ErrInvalidInput), err)
	}
	ex, err := c.APITokenExchanger(csp.APITokenRequest{APIToken: tokenkit.Secret(fake.AddAPIToken(csptest.APIToken{}))})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := ex.Exchange(context.Background())
	fmt.Println(tok.Expiry().After(time.Now()), err)
	// Output:
	// true csp: APITokenExchanger: APIToken is empty: tokenkit: invalid input
	// true <nil>
}

// Wrap an access token obtained elsewhere: its expiry comes from the JWT's
// exp (read, not verified: Check verifies), and it presents itself as the
// client's tokens do, here with both headers NSX on VMC takes.
func ExampleClient_NewAccessToken() {
	fake := csptest.NewServer()
	defer fake.Close()
	issuer, _ := csp.New(fake.URL())
	issued, _ := issuer.ExchangeAPIToken(context.Background(), csp.APITokenRequest{
		APIToken: tokenkit.Secret(fake.AddAPIToken(csptest.APIToken{Username: "ada"})),
	})
	jwt := tokenkit.Secret(issued.Value()) // say, read from another program

	c, _ := csp.New(fake.URL(), csp.WithPresentation(tokenkit.Bearer(), csp.CSPAuthToken()))
	tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: jwt})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := http.NewRequest(http.MethodGet, "https://nsx.example/policy/api/v1/infra", nil)
	tok.SetAuthHeader(r)
	res, err := c.Check(context.Background(), tok)
	fmt.Println(!tok.Expiry().IsZero(), r.Header.Get("Authorization") != "", r.Header.Get("csp-auth-token") != "")
	fmt.Println(res.Subject, err)

	_, err = c.NewAccessToken(tokenkit.HeldToken{Value: jwt, RefreshToken: "r"})
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidInput))
	// Output:
	// true true true
	// ada <nil>
	// true
}
