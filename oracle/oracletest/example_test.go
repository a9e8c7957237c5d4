package oracletest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/oracle"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// Example signs in with the fake over HTTP, after one injected 429 answer.
func Example() {
	srv := oracletest.NewServer()
	defer srv.Close()
	srv.AddUser(oracletest.User{Username: "ada", Password: "s3cret"})
	srv.FailNext(1, fakes.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})

	for range 2 {
		req, _ := http.NewRequest("POST", srv.URL()+"/system/api/v1/security/token", nil)
		req.SetBasicAuth("ada", "s3cret")
		resp, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		var body struct {
			TokenType       string `json:"tokenType"`
			ExpiresInMillis int64  `json:"expiresInMillis"`
			ErrorCode       string `json:"o:errorCode"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		_ = resp.Body.Close()
		fmt.Printf("status=%d retry-after=%q tokenType=%q expiresInMillis=%d o:errorCode=%q\n",
			resp.StatusCode, resp.Header.Get("Retry-After"), body.TokenType, body.ExpiresInMillis, body.ErrorCode)
	}
	fmt.Println(srv.Calls("GetAccessToken"), srv.Applied("GetAccessToken"))
	// Output:
	// status=429 retry-after="1" tokenType="" expiresInMillis=0 o:errorCode="OCETEST-FAULT"
	// status=200 retry-after="" tokenType="Bearer" expiresInMillis=1209600000 o:errorCode=""
	// 2 1
}

// Example_withSDK is the whole setup of a downstream test: a fake instance
// with one user, the SDK pointed at it, and a refresh token revoked under the
// Source's feet.
func Example_withSDK() {
	fake := oracletest.NewServer() // in a test: fake := oracletest.New(t)
	defer fake.Close()
	fake.AddUser(oracletest.User{Username: "ci-bot", Password: "pw"})
	now := time.Now()
	fake.SetClock(func() time.Time { return now })

	c, _ := oracle.New(fake.URL(), tokenkit.WithClock(func() time.Time { return now }))
	r, _ := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{
		Credentials:  &oracle.Credentials{Username: "ci-bot", Password: "pw"},
		RefreshToken: tokenkit.Secret(fake.IssueRefreshToken("ci-bot")),
	})
	tok, err := r.Exchange(context.Background()) // refresh, rotated
	held := tok.(*oracle.AccessToken).RefreshToken
	fmt.Println(err, fake.RefreshTokenActive(held.Reveal()))

	fake.RevokeRefreshToken(held.Reveal())
	_, err = r.Exchange(context.Background()) // refused, then Basic
	fmt.Println(err, fake.Calls("GetAccessToken"), fake.Applied("GetAccessToken"))
	// Output:
	// <nil> true
	// <nil> 3 2
}
