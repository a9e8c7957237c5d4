package commvaulttest_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/fakes"
)

// Example logs in over raw HTTP: a plain password is refused inside HTTP
// 200, the Base64-encoded one gives a QSDK session.
func Example() {
	fake := commvaulttest.NewServer()
	defer fake.Close()
	fake.AddUser(commvaulttest.User{Name: "admin", Password: "s3cret"})
	for _, pw := range []string{"s3cret", base64.StdEncoding.EncodeToString([]byte("s3cret"))} {
		resp, err := fake.Client().Post(fake.URL()+commvaulttest.BasePath+"/Login", "application/json",
			strings.NewReader(`{"username":"admin","password":"`+pw+`"}`))
		if err != nil {
			fmt.Println(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, strings.Contains(string(b), `"token":"QSDK `), strings.Contains(string(b), "errList"))
	}
	fmt.Println(fake.Calls("Login"), fake.Applied("Login"))
	// Output:
	// 200 false true
	// 200 true false
	// 2 1
}

// Example_lostRenewal shows the fault that matters most for Commvault: a
// renewal the server applies but whose answer is lost. The SDK does not
// replay the spent pair, so the chain survives.
func Example_lostRenewal() {
	fake := commvaulttest.NewServer() // in a test: fake := commvaulttest.New(t)
	defer fake.Close()
	fake.AddUser(commvaulttest.User{Name: "admin", Password: "s3cret"})
	c, _ := commvault.New(fake.URL())
	ctx := context.Background()
	s, _ := c.Login(ctx, commvault.Credentials{Username: "admin", Password: "s3cret"})
	pair, _ := c.CreateAccessToken(ctx, s, commvault.CreateRequest{Name: "ci"})
	ex, _ := c.AccessTokenExchanger(commvault.AccessTokenRequest{Initial: pair})

	fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	_, err := ex.Exchange(ctx)
	fmt.Println(err != nil, fake.Applied("RenewAccessToken"), fake.ChainInvalidations())
	_, _ = ex.Exchange(ctx) // refused without a request
	fmt.Println(fake.Calls("RenewAccessToken"), fake.ChainInvalidations())
	// Output:
	// true 1 0
	// 1 0
}
