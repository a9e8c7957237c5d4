package cgscantest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
	"github.com/tokenkit/tokenkit/fakes"
)

// Example signs in over plain HTTP, after one injected 429 answer.
func Example() {
	srv := cgscantest.NewServer()
	defer srv.Close()
	srv.AddUser(cgscantest.User{Username: "alice", Password: "secret123"})
	srv.FailNext(1, fakes.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})

	for range 2 {
		req, _ := http.NewRequest("POST", srv.URL()+"/auth/sign_in", strings.NewReader(`{"username":"alice","password":"secret123"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-api-key", srv.APIKey())
		resp, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		var body struct {
			Status     int    `json:"status"`
			StatusText string `json:"status_text"`
			Username   string `json:"username"`
			Token      string `json:"token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		_ = resp.Body.Close()
		fmt.Printf("HTTP %d retry-after=%q status=%d %q user=%q token=%t\n",
			resp.StatusCode, resp.Header.Get("Retry-After"), body.Status, body.StatusText, body.Username, body.Token != "")
	}
	fmt.Println(srv.Calls("SignIn"), srv.Applied("SignIn"))
	// Output:
	// HTTP 429 retry-after="1" status=429 "Too Many Requests" user="" token=false
	// HTTP 200 retry-after="" status=200 "OK" user="alice" token=true
	// 2 1
}

// Example_withSDK is the whole setup of a downstream test: a fake portal with
// a 2FA user, and the SDK pointed at it.
func Example_withSDK() {
	fake := cgscantest.NewServer() // in a test: fake := cgscantest.New(t)
	defer fake.Close()
	fake.AddUser(cgscantest.User{Username: "alice", Password: "secret123", TwoFactor: true})
	c, _ := cgscan.New(fake.URL(), cgscan.WithAPIKey(tokenkit.Secret(fake.APIKey())))
	ctx := context.Background()

	res, _ := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: "secret123"})
	session, _ := c.VerifyOTP(ctx, res.SecondFactor, tokenkit.Secret(fake.OTP("alice")))
	tok, err := c.GenerateAccessToken(ctx, session)
	fmt.Println(err, tok.Value() == fake.AccessToken("alice"), fake.Applied("GenerateAccessToken"))
	// Output:
	// <nil> true 1
}

// A lost response: the token is generated, the answer never arrives, and the
// SDK does not replay the call.
func Example_dropAfterApply() {
	fake := cgscantest.NewServer()
	defer fake.Close()
	fake.AddUser(cgscantest.User{Username: "bob", Password: "hunter22"})
	c, _ := cgscan.New(fake.URL(), cgscan.WithAPIKey(tokenkit.Secret(fake.APIKey())))
	ctx := context.Background()
	res, _ := c.SignIn(ctx, cgscan.SignInRequest{Username: "bob", Password: "hunter22"})

	fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	_, err := c.GenerateAccessToken(ctx, res.Session)
	fmt.Println(err != nil, fake.Calls("GenerateAccessToken"), fake.Applied("GenerateAccessToken"), fake.AccessToken("bob") != "")
	// Output:
	// true 1 1 true
}
