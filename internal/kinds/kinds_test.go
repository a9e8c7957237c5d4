package kinds_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/fakes"
)

// root is one of tokenkit's kind sentinels and the kinds it matches.
type root struct {
	name  string
	err   error
	kinds []tokenkit.Kind
}

// roots are every kind sentinel of the root package, with the kinds the
// documentation says each one stands for.
var roots = []root{
	{"ErrCanceled", tokenkit.ErrCanceled, []tokenkit.Kind{tokenkit.KindCanceled}},
	{"ErrTransport", tokenkit.ErrTransport, []tokenkit.Kind{tokenkit.KindTransport, tokenkit.KindOutcomeUnknown}},
	{"ErrOutcomeUnknown", tokenkit.ErrOutcomeUnknown, []tokenkit.Kind{tokenkit.KindOutcomeUnknown}},
	{"ErrConfig", tokenkit.ErrConfig, []tokenkit.Kind{tokenkit.KindConfig}},
	{"ErrInvalidInput", tokenkit.ErrInvalidInput, []tokenkit.Kind{tokenkit.KindInvalidInput}},
	{"ErrInvalidResponse", tokenkit.ErrInvalidResponse, []tokenkit.Kind{tokenkit.KindInvalidResponse}},
	{"ErrAuth", tokenkit.ErrAuth, []tokenkit.Kind{tokenkit.KindInvalidCredential, tokenkit.KindLocked, tokenkit.KindUnauthorized, tokenkit.KindForbidden}},
	{"ErrInvalidCredential", tokenkit.ErrInvalidCredential, []tokenkit.Kind{tokenkit.KindInvalidCredential}},
	{"ErrLocked", tokenkit.ErrLocked, []tokenkit.Kind{tokenkit.KindLocked}},
	{"ErrUnauthorized", tokenkit.ErrUnauthorized, []tokenkit.Kind{tokenkit.KindUnauthorized}},
	{"ErrForbidden", tokenkit.ErrForbidden, []tokenkit.Kind{tokenkit.KindForbidden}},
	{"ErrNotFound", tokenkit.ErrNotFound, []tokenkit.Kind{tokenkit.KindNotFound}},
	{"ErrConflict", tokenkit.ErrConflict, []tokenkit.Kind{tokenkit.KindConflict}},
	{"ErrRateLimited", tokenkit.ErrRateLimited, []tokenkit.Kind{tokenkit.KindRateLimited}},
	{"ErrServer", tokenkit.ErrServer, []tokenkit.Kind{tokenkit.KindServer}},
	{"ErrBadRequest", tokenkit.ErrBadRequest, []tokenkit.Kind{tokenkit.KindBadRequest}},
}

// checkKind asserts that err is a *tokenkit.Error of kind want that matches
// exactly the root sentinels standing for want, and that it is retryable
// exactly when the kind is.
func checkKind(t *testing.T, err error, want tokenkit.Kind) *tokenkit.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one of kind %q", want)
	}
	var te *tokenkit.Error
	if !errors.As(err, &te) {
		t.Fatalf("%T %v is not a *tokenkit.Error", err, err)
	}
	if got := tokenkit.KindOf(err); got != want {
		t.Fatalf("KindOf = %q, want %q; error: %v", got, want, err)
	}
	for _, r := range roots {
		if got, should := errors.Is(err, r.err), slices.Contains(r.kinds, want); got != should {
			t.Errorf("errors.Is(err, %s) = %t, want %t (kind %q); error: %v", r.name, got, should, want, err)
		}
	}
	if te.Retryable() != want.Retryable() {
		t.Errorf("Retryable() = %t, want %t for kind %q", te.Retryable(), want.Retryable(), want)
	}
	return te
}

// options are the client options of every case: quick retries, a small cap
// on Retry-After, and a clock when the case needs one.
func options(extra ...tokenkit.Option) []tokenkit.Option {
	return append([]tokenkit.Option{
		tokenkit.WithRetryMax(2),
		tokenkit.WithRetryWait(time.Millisecond, 5*time.Millisecond),
		tokenkit.WithMaxRetryAfter(time.Second),
		tokenkit.WithAttemptTimeout(30 * time.Second),
	}, extra...)
}

// fixture is one vendor's fake, set up for one case.
type fixture struct {
	base     string
	failNext func(n int, f fakes.Fault)
	total    func() int
	// exchange obtains a token with a valid credential from a new client
	// on base: the call the generic cases fault.
	exchange func(ctx context.Context, base string, opts ...tokenkit.Option) error
	// mutating is set when exchange is a mutating call (a sign-in that
	// creates a session): stopped in flight, its outcome is unknown.
	mutating bool
}

// stoppedKind is the kind of an exchange the caller stopped while its
// request was in flight: canceled, or outcome unknown for a mutating call
// (the server may have acted); the context's error matches either way.
func (fx *fixture) stoppedKind() tokenkit.Kind {
	if fx.mutating {
		return tokenkit.KindOutcomeUnknown
	}
	return tokenkit.KindCanceled
}

// cell is one vendor's version of a case: a run that returns the error to
// check, and the kind it must have. A case that does not apply to a vendor
// has no cell but a reason in vendor.skips.
type cell struct {
	want  tokenkit.Kind
	run   func(t *testing.T, ctx context.Context) error
	check func(t *testing.T, err error) // optional extra assertions
}

// vendor is what the table knows of one vendor.
type vendor struct {
	name  string
	setup func(t *testing.T) *fixture
	// cases are the vendor-specific cells, by case name; each gets a fresh
	// fixture through setup.
	cases func(t *testing.T, fx *fixture) map[string]cell
	// skips are the reasons cases do not apply, by case name.
	skips map[string]string
}

// The case names. The generic ones are run by the table itself through
// fixture.exchange; the vendor-specific ones come from vendor.cases.
const (
	caseWrongCredential = "wrong credential"
	caseLocked          = "locked account"
	caseExpiredRevoked  = "expired or revoked token"
	caseNotFoundStatus  = "not found (HTTP status)"
	caseNotFoundIn200   = "not found (inside HTTP 200)"
	caseRateLimited     = "rate limited past the cap"
	caseServer          = "5xx"
	caseMalformed       = "malformed 2xx body"
	caseCanceled        = "cancelled context"
	caseDeadline        = "deadline"
	caseTLSMismatch     = "https at a plain-http server"
	caseLostAnswer      = "lost answer of a mutating call"
	// A call whose token source fails gets the source's error, with the
	// call's Op and the source's TokenOp: never a status-0 transport
	// wrapper around a wrong password.
	caseWrongCredentialViaSource = "wrong credential (a call's token Source)"
)

// checkViaSource checks the error of a call whose token source failed: the
// call's operation, the source's operation as TokenOp.
func checkViaSource(op, tokenOp string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var te *tokenkit.Error
		if !errors.As(err, &te) || te.Op != op || te.TokenOp != tokenOp {
			t.Errorf("Op %q TokenOp %q, want %q and %q: %v", te.Op, te.TokenOp, op, tokenOp, err)
		}
	}
}

var specific = []string{caseWrongCredential, caseWrongCredentialViaSource, caseLocked, caseExpiredRevoked, caseNotFoundStatus, caseNotFoundIn200, caseLostAnswer}

// TestKinds runs every case against every vendor's fake.
func TestKinds(t *testing.T) {
	for _, v := range vendors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			names := map[string]bool{}
			for _, name := range specific {
				names[name] = true
			}
			// The vendor-specific cells, each on its own fixture.
			for name := range v.cases(t, v.setup(t)) {
				names[name] = true
			}
			for _, name := range slices.Sorted(func(yield func(string) bool) {
				for n := range names {
					if !yield(n) {
						return
					}
				}
			}) {
				t.Run(name, func(t *testing.T) {
					if why := v.skips[name]; why != "" {
						t.Skip(why)
					}
					c, ok := v.cases(t, v.setup(t))[name]
					if !ok {
						t.Fatalf("%s: no cell and no reason to skip %q", v.name, name)
					}
					err := c.run(t, context.Background())
					checkKind(t, err, c.want)
					if c.check != nil {
						c.check(t, err)
					}
				})
			}
			for _, g := range generic {
				t.Run(g.name, func(t *testing.T) {
					if why := v.skips[g.name]; why != "" {
						t.Skip(why)
					}
					g.run(t, v.setup(t))
				})
			}
		})
	}
}

// generic are the cases every vendor's exchange shows the same way.
var generic = []struct {
	name string
	run  func(t *testing.T, fx *fixture)
}{
	{caseRateLimited, func(t *testing.T, fx *fixture) {
		fx.failNext(1, fakes.Fault{Status: http.StatusTooManyRequests, RetryAfter: "3600"})
		before := fx.total()
		te := checkKind(t, fx.exchange(context.Background(), fx.base, options()...), tokenkit.KindRateLimited)
		if te.RetryAfter != time.Hour {
			t.Errorf("RetryAfter = %v, want the server's 1h", te.RetryAfter)
		}
		if n := fx.total() - before; n != 1 {
			t.Errorf("%d requests, want 1: a wait past the cap is not waited for", n)
		}
	}},
	{caseServer, func(t *testing.T, fx *fixture) {
		fx.failNext(10, fakes.Fault{Status: http.StatusServiceUnavailable})
		checkKind(t, fx.exchange(context.Background(), fx.base, options()...), tokenkit.KindServer)
	}},
	{caseMalformed, func(t *testing.T, fx *fixture) {
		fx.failNext(1, fakes.Fault{Malformed: true})
		checkKind(t, fx.exchange(context.Background(), fx.base, options()...), tokenkit.KindInvalidResponse)
	}},
	{caseCanceled, func(t *testing.T, fx *fixture) {
		fx.failNext(1, fakes.Fault{Delay: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		before := fx.total()
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			// Cancel once the request reached the fake and waits there.
			for fx.total() == before {
				select {
				case <-done:
					return
				case <-time.After(time.Millisecond):
				}
			}
			cancel()
		})
		err := fx.exchange(ctx, fx.base, options()...)
		close(done)
		wg.Wait()
		checkKind(t, err, fx.stoppedKind())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("errors.Is(err, context.Canceled) = false: %v", err)
		}
	}},
	{caseDeadline, func(t *testing.T, fx *fixture) {
		fx.failNext(1, fakes.Fault{Delay: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		err := fx.exchange(ctx, fx.base, options()...)
		checkKind(t, err, fx.stoppedKind())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("errors.Is(err, context.DeadlineExceeded) = false: %v", err)
		}
	}},
	{caseTLSMismatch, func(t *testing.T, fx *fixture) {
		var conns atomic.Int32
		plain := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		}))
		plain.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
		plain.Start()
		defer plain.Close()
		u, err := url.Parse(fx.base)
		if err != nil {
			t.Fatal(err)
		}
		u.Scheme, u.Host = "https", plain.Listener.Addr().String()
		before := fx.total()
		te := checkKind(t, fx.exchange(context.Background(), u.String(), options(tokenkit.WithRetryMax(3))...), tokenkit.KindConfig)
		if n := conns.Load(); n != 1 {
			t.Errorf("%d connections reached the plain-http listener, want exactly 1 (not retried)", n)
		}
		if te.Attempts > 1 {
			t.Errorf("Attempts = %d, want 1", te.Attempts)
		}
		if fx.total() != before {
			t.Error("the fake itself was reached")
		}
	}},
}

// must returns v, or panics on err: for constructors that cannot fail with
// the arguments the tests give them.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// fakeClock is a clock the tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
