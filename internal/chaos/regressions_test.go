package chaos

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
	"github.com/tokenkit/tokenkit/fakes"
)

// Regression tests of bugs the fault suite found outside internal/chaos.

// TestSlowTokenFetchIsNotAnAttemptTimeout: httpx used to wait for a call's
// token inside the per-attempt timeout (an http.Client Timeout around the
// attempt RoundTripper). When a Source's fetch outlasted it, net/http
// replaced the error by a plain timeout, so a mutating call whose request
// never left the client was reported as tokenkit.ErrOutcomeUnknown. The
// attempt's clock now starts once the token is attached.
func TestSlowTokenFetchIsNotAnAttemptTimeout(t *testing.T) {
	f := canvustest.New(t)
	f.AddUser(canvustest.User{Email: "a@example.com", Password: "pw-0123456789"})
	slow := must(canvus.New(f.URL(), tokenkit.WithAttemptTimeout(5*time.Second)))
	src := must(slow.LoginSource(canvus.Credentials{Email: "a@example.com", Password: "pw-0123456789"}, tokenkit.SourceConfig{}))
	c := must(canvus.New(f.URL(), tokenkit.WithAttemptTimeout(200*time.Millisecond), tokenkit.WithRetryMax(0)))

	f.FailNext(1, fakes.Fault{Delay: 500 * time.Millisecond}) // the sign-in is slow, then succeeds
	_, err := must(c.Tokens(src)).Create(context.Background(), "bot")
	if errors.Is(err, tokenkit.ErrOutcomeUnknown) {
		t.Fatalf("a slow sign-in made Create report an unknown outcome: %v", err)
	}
	if err != nil {
		t.Fatalf("Create after a slow sign-in: %v", err)
	}
	if n := f.Calls(canvustest.OpCreateAccessToken); n != 1 {
		t.Fatalf("the create request was sent %d times, want 1", n)
	}
}

// TestCloneGuardReauthAfter401: every cgscan call wraps its token source
// in boundSource (to add the API key), which used to hide the Invalidator of
// a *tokenkit.Source: after a 401 the shared re-auth of httpx never ran, so
// a SignInSource kept handing out a session the server had ended.
func TestCloneGuardReauthAfter401(t *testing.T) {
	f := cgscantest.New(t)
	f.AddUser(cgscantest.User{Username: "alice", Password: "pw-0123456789"})
	c := must(cgscan.New(f.URL(), cgscan.WithAPIKey(tokenkit.Secret(f.APIKey()))))
	src := must(c.SignInSource(cgscan.SignInRequest{Username: "alice", Password: "pw-0123456789"}, tokenkit.SourceConfig{}))
	ctx := context.Background()
	session, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SignOut(ctx, tokenkit.StaticSource(session)); err != nil { // the session ends
		t.Fatal(err)
	}
	if _, err := c.GenerateAccessToken(ctx, src); err != nil {
		t.Errorf("GenerateAccessToken with a SignInSource whose session ended: %v; want a new sign-in and success, as with the other vendors", err)
	}
}
