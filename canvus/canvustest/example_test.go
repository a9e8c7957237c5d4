package canvustest_test

import (
	"context"
	"fmt"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
)

// Example signs in to the fake with the SDK, creates a personal access token
// with the login token, and lists it; the fake counts what it applied.
func Example() {
	fake := canvustest.NewServer() // in a test: fake := canvustest.New(t)
	defer fake.Close()
	fake.AddUser(canvustest.User{Email: "alice@example.com", Password: "pw-alice"})
	c, _ := canvus.New(fake.URL())
	ctx := context.Background()
	login, err := c.Login(ctx, canvus.Credentials{Email: "alice@example.com", Password: "pw-alice"})
	if err != nil {
		fmt.Println(err)
		return
	}
	toks, _ := c.Tokens(tokenkit.StaticSource(login)) // the user is the login's
	pat, err := toks.Create(ctx, "ci bot")
	if err != nil {
		fmt.Println(err)
		return
	}
	list, _ := toks.ListInfo(ctx)
	fmt.Println(len(list), list[0].Description == "ci bot", list[0].ID == pat.ID)
	fmt.Println(fake.Applied("CreateAccessToken"))
	// Output:
	// 1 true true
	// 1
}

// Example_blocked: a blocked user's sign-in is a locked account.
func Example_blocked() {
	fake := canvustest.NewServer()
	defer fake.Close()
	bob := fake.AddUser(canvustest.User{Email: "bob@example.com", Password: "pw-bob"})
	fake.SetBlocked(bob.ID, true)
	c, _ := canvus.New(fake.URL())
	_, err := c.Login(context.Background(), canvus.Credentials{Email: "bob@example.com", Password: "pw-bob"})
	fmt.Println(tokenkit.KindOf(err))
	// Output:
	// locked
}
