package canvus_test

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
)

// t0 is a fixed instant for tests that inject a clock.
var t0 = time.Date(2026, 3, 15, 9, 22, 41, 817e6, time.UTC)

// clock is a settable, concurrency-safe fake clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const (
	aliceEmail = "alice@example.com"
	alicePass  = "alice-password-0123"
	bobEmail   = "bob@example.com"
	bobPass    = "bob-password-4567"
	adminEmail = "admin@example.com"
	adminPass  = "admin-password-89"
)

// world is a fake with three users and a client for it.
type world struct {
	fake              *canvustest.Server
	c                 *canvus.Client
	alice, bob, admin canvustest.User
}

func newWorld(t *testing.T, opts ...tokenkit.Option) *world {
	t.Helper()
	fake := canvustest.New(t)
	fake.StrictPaths(t) // the SDK must never send a doubled or trailing slash
	w := &world{fake: fake}
	w.alice = fake.AddUser(canvustest.User{Email: aliceEmail, Password: alicePass, Name: "Alice"})
	w.bob = fake.AddUser(canvustest.User{Email: bobEmail, Password: bobPass})
	w.admin = fake.AddUser(canvustest.User{Email: adminEmail, Password: adminPass, Admin: true})
	w.c = newClient(t, fake.URL(), opts...)
	return w
}

func newClient(t *testing.T, base string, opts ...tokenkit.Option) *canvus.Client {
	t.Helper()
	opts = append([]tokenkit.Option{tokenkit.WithRetryWait(time.Millisecond, 2*time.Millisecond)}, opts...)
	c, err := canvus.New(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// login signs a user of the world in and returns their Tokens.
func (w *world) login(t *testing.T, email, pass string) (*canvus.Session, *canvus.Tokens) {
	t.Helper()
	tok, err := w.c.Login(context.Background(), canvus.Credentials{Email: email, Password: tokenkit.Secret(pass)})
	if err != nil {
		t.Fatal(err)
	}
	return tok, tokensFor(t, w.c, tok.User.ID, tokenkit.StaticSource(tok))
}

// newMocked returns a client whose requests go to an httpmock transport.
func newMocked(t *testing.T, opts ...tokenkit.Option) (*canvus.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	opts = append([]tokenkit.Option{tokenkit.WithHTTPClient(&http.Client{Transport: mt})}, opts...)
	return newClient(t, host, opts...), mt
}

const host = "https://canvus.test"

// item is one element of a subscription.
type item struct {
	ev  canvus.Event
	err error
}

// pump ranges over seq in a goroutine and forwards every element; the
// returned channel closes when the sequence ends.
func pump(seq iter.Seq2[canvus.Event, error]) <-chan item {
	ch := make(chan item, 64)
	go func() {
		defer close(ch)
		for ev, err := range seq {
			ch <- item{ev, err}
		}
	}()
	return ch
}

// next waits for the next element, failing the test after a generous
// deadline (a hang, not a timing assertion).
func next(t *testing.T, ch <-chan item) item {
	t.Helper()
	select {
	case it, ok := <-ch:
		if !ok {
			t.Fatal("the subscription ended early")
		}
		return it
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return item{}
}

// ended waits for the subscription to end and returns what it yielded
// before ending.
func ended(t *testing.T, ch <-chan item) []item {
	t.Helper()
	var rest []item
	deadline := time.After(10 * time.Second)
	for {
		select {
		case it, ok := <-ch:
			if !ok {
				return rest
			}
			rest = append(rest, it)
		case <-deadline:
			t.Fatal("the subscription did not end within 10s")
		}
	}
}

// settleGoroutines waits until at most limit goroutines run, and fails with
// their stacks if that does not happen. It is a stdlib-only stand-in for
// goleak: the count may briefly exceed the limit while connections close.
func settleGoroutines(t *testing.T, limit int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= limit {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines still running, want at most %d:\n%s", n, limit, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// leakedStreamGoroutines lists goroutines still inside the canvus stream
// code or the fake's stream writer.
func leakedStreamGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "canvus.(*Tokens).subscribe") || strings.Contains(g, "canvustest.streamResponse") ||
			strings.Contains(g, "canvustest.(*Server).respondStream") {
			out = append(out, g)
		}
	}
	return out
}

func isTK(t *testing.T, err error) *tokenkit.Error {
	t.Helper()
	var te *tokenkit.Error
	if !errors.As(err, &te) {
		t.Fatalf("want a *tokenkit.Error, got %T: %v", err, err)
	}
	if te.Vendor != "canvus" || te.Op == "" {
		t.Fatalf("error does not name the vendor and op: %#v", te)
	}
	return te
}

// firstErr returns the first error a subscription yields, or nil.
func firstErr(seq iter.Seq2[canvus.Event, error]) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}

// responderClient returns a client that reaches fake in process through
// its httpmock Responder.
func responderClient(t *testing.T, fake *canvustest.Server, opts ...tokenkit.Option) (*canvus.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(fake.Responder())
	opts = append([]tokenkit.Option{tokenkit.WithHTTPClient(&http.Client{Transport: mt})}, opts...)
	return newClient(t, host, opts...), mt
}

// tokensFor returns c's Tokens of user uid (when positive) authenticated by
// src.
func tokensFor(t testing.TB, c *canvus.Client, uid int64, src tokenkit.TokenSource) *canvus.Tokens {
	t.Helper()
	toks, err := c.Tokens(src)
	if err != nil {
		t.Fatal(err)
	}
	if uid > 0 {
		if toks, err = toks.ForUser(uid); err != nil {
			t.Fatal(err)
		}
	}
	return toks
}

// held wraps a token value as an *AccessToken of unknown user.
func held(v string) *canvus.AccessToken {
	c, err := canvus.New(host)
	if err != nil {
		panic(err)
	}
	tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(v)})
	if err != nil {
		panic(err)
	}
	return tok
}

func loginSource(t testing.TB, c *canvus.Client, cr canvus.Credentials, cfg tokenkit.SourceConfig) *tokenkit.Source {
	t.Helper()
	src, err := c.LoginSource(cr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// foreign is a token of no canvus type: whose it is cannot be told.
type foreign struct{}

func (foreign) Value() string                 { return "foreign-token-value" }
func (foreign) Expiry() time.Time             { return time.Time{} }
func (foreign) SetAuthHeader(r *http.Request) { r.Header.Set("Private-Token", "foreign-token-value") }
