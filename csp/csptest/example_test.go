package csptest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/fakes"

	"github.com/tokenkit/tokenkit/csp/csptest"
)

// Example exchanges an API token with the fake over HTTP, after one injected
// 429 answer.
func Example() {
	srv := csptest.NewServer()
	defer srv.Close()
	token := srv.AddAPIToken(csptest.APIToken{Scopes: []string{"csp:org_member"}})
	srv.FailNext(1, fakes.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})

	for range 2 {
		resp, err := srv.Client().PostForm(srv.URL()+"/csp/gateway/am/api/auth/api-tokens/authorize",
			url.Values{"api_token": {token}})
		if err != nil {
			fmt.Println(err)
			return
		}
		var body struct {
			TokenType string `json:"token_type"`
			ExpiresIn int    `json:"expires_in"`
			Scope     string `json:"scope"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		_ = resp.Body.Close()
		fmt.Printf("status=%d retry-after=%q token_type=%q expires_in=%d scope=%q\n",
			resp.StatusCode, resp.Header.Get("Retry-After"), body.TokenType, body.ExpiresIn, body.Scope)
	}
	fmt.Println(srv.Calls("ExchangeAPIToken"))
	// Output:
	// status=429 retry-after="1" token_type="" expires_in=0 scope=""
	// status=200 retry-after="" token_type="bearer" expires_in=1800 scope="csp:org_member"
	// 2
}

// Example_withSDK is the whole setup of a downstream test: a fake CSP with
// one API token, and the SDK pointed at it.
func Example_withSDK() {
	fake := csptest.NewServer() // in a test: fake := csptest.New(t)
	defer fake.Close()
	apiToken := fake.AddAPIToken(csptest.APIToken{OrgID: "my-org"})
	c, _ := csp.New(fake.URL())
	tok, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken)})

	fmt.Println(err, tok.Expiry().After(time.Now()), fake.Calls("ExchangeAPIToken"))
	// Output:
	// <nil> true 1
}
