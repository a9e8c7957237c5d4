package tokenkit_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

// fakeClock is a settable clock: tests move time instead of sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fetcher hands out tokens "t1", "t2", … that live for life, optionally
// blocking until released or failing.
type fetcher struct {
	clock *fakeClock
	life  time.Duration
	calls atomic.Int32
	gate  chan struct{} // if non-nil, each fetch waits for a receive
	fail  atomic.Bool
	seen  chan context.Context
}

func (f *fetcher) fetch(ctx context.Context) (tokenkit.Token, error) {
	n := f.calls.Add(1)
	if f.seen != nil {
		f.seen <- ctx
	}
	if f.gate != nil {
		<-f.gate
	}
	if f.fail.Load() {
		return nil, fmt.Errorf("upstream down (call %d)", n)
	}
	return tokenkit.NewBearerToken(fmt.Sprintf("t%d", n), f.clock.Now().Add(f.life)), nil
}

func mustToken(t *testing.T, s *tokenkit.Source) tokenkit.Token {
	t.Helper()
	tok, err := s.Token(context.Background())
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok
}

func TestSourceOneFetchForManyConcurrentCallers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		initial bool
	}{{"empty cache", false}, {"expired token", true}} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			f := &fetcher{clock: clock, life: time.Hour, gate: make(chan struct{})}
			cfg := tokenkit.SourceConfig{Clock: clock}
			if tc.initial {
				cfg.Initial = tokenkit.NewBearerToken("old", clock.Now().Add(-time.Minute))
			}
			s := tokenkit.NewSource(f.fetch, cfg)

			const callers = 1000
			var wg sync.WaitGroup
			var ready sync.WaitGroup
			ready.Add(callers)
			results := make([]string, callers)
			errs := make([]error, callers)
			for i := range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ready.Done()
					tok, err := s.Token(context.Background())
					errs[i] = err
					if tok != nil {
						results[i] = tok.Value()
					}
				}()
			}
			ready.Wait()
			close(f.gate) // every later fetch passes straight through
			wg.Wait()
			if got := f.calls.Load(); got != 1 {
				t.Fatalf("upstream calls = %d, want exactly 1", got)
			}
			for i := range callers {
				if errs[i] != nil || results[i] != "t1" {
					t.Fatalf("caller %d got (%q, %v), want t1", i, results[i], errs[i])
				}
			}
		})
	}
}

func TestSourceRefreshesAheadWithoutBlocking(t *testing.T) {
	clock := newClock()
	f := &fetcher{clock: clock, life: 10 * time.Minute}
	refreshed := make(chan tokenkit.Token, 4)
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{
		Clock:  clock,
		Jitter: -1, // deterministic window: 2 minutes for a 10-minute token
		Save:   func(_ context.Context, t tokenkit.Token) error { refreshed <- t; return nil },
	})
	if v := mustToken(t, s).Value(); v != "t1" {
		t.Fatalf("first token %q", v)
	}
	<-refreshed

	clock.Advance(7 * time.Minute) // before the window
	if v := mustToken(t, s).Value(); v != "t1" || f.calls.Load() != 1 {
		t.Fatalf("outside the window: token %q, calls %d", v, f.calls.Load())
	}

	f.gate = make(chan struct{}) // the next fetch hangs until released
	clock.Advance(90 * time.Second)
	// Inside the window: the valid token comes back at once although the
	// refresh it triggered is stuck upstream.
	for range 50 {
		if v := mustToken(t, s).Value(); v != "t1" {
			t.Fatalf("during refresh got %q, want the still-valid t1", v)
		}
	}
	close(f.gate)
	if got := (<-refreshed).Value(); got != "t2" {
		t.Fatalf("refreshed to %q", got)
	}
	// Save runs before the Source stores the token: wait for the store.
	for deadline := time.Now().Add(10 * time.Second); s.Cached().Value() != "t2"; {
		if time.Now().After(deadline) {
			t.Fatal("the refreshed token was never cached")
		}
		runtime.Gosched()
	}
	if v := mustToken(t, s).Value(); v != "t2" {
		t.Fatalf("after refresh got %q", v)
	}
	if got := f.calls.Load(); got != 2 {
		t.Fatalf("upstream calls = %d, want 2 (one background refresh)", got)
	}
}

func TestSourceFailedEarlyRefreshKeepsValidToken(t *testing.T) {
	clock := newClock()
	f := &fetcher{clock: clock, life: 10 * time.Minute}
	fetched := make(chan tokenkit.Token, 8)
	failed := &signalHandler{c: make(chan struct{}, 8)}
	// The Source logs its warning after it has recorded the failure and
	// released the flight: the test waits for that, not for the fetch.
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{
		Clock: clock, Jitter: -1, EarlyRetryBackoff: time.Minute,
		Save:   func(_ context.Context, t tokenkit.Token) error { fetched <- t; return nil },
		Logger: slog.New(failed),
	})
	mustToken(t, s)
	<-fetched

	f.fail.Store(true)
	clock.Advance(9 * time.Minute) // inside the 2-minute window, still valid
	if v := mustToken(t, s).Value(); v != "t1" {
		t.Fatalf("got %q, want t1", v)
	}
	<-failed.c // the background refresh failed and is over
	for range 20 {
		if v := mustToken(t, s).Value(); v != "t1" {
			t.Fatalf("after a failed early refresh got %q, want t1", v)
		}
	}
	if got := f.calls.Load(); got != 2 {
		t.Fatalf("calls = %d: a failed early refresh must back off, not retry on every call", got)
	}
	clock.Advance(61 * time.Second) // past the backoff, t1 now expired (minus delta)
	f.fail.Store(false)
	if v := mustToken(t, s).Value(); v != "t3" {
		t.Fatalf("after backoff got %q, want t3", v)
	}
}

// signalHandler is a slog.Handler that signals every warning.
type signalHandler struct{ c chan struct{} }

func (h *signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.c <- struct{}{}
	}
	return nil
}
func (h *signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *signalHandler) WithGroup(string) slog.Handler      { return h }

func TestSourceFailedRefreshOfExpiredTokenFailsWaitersThenRetries(t *testing.T) {
	clock := newClock()
	f := &fetcher{clock: clock, life: time.Minute}
	f.fail.Store(true)
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{Clock: clock})
	_, err := s.Token(context.Background())
	if err == nil || f.calls.Load() != 1 {
		t.Fatalf("want the upstream error, got %v after %d calls", err, f.calls.Load())
	}
	f.fail.Store(false)
	// During the backoff the same error comes back without a fetch.
	if _, err2 := s.Token(context.Background()); err2 != err || f.calls.Load() != 1 {
		t.Fatalf("during the backoff: %v after %d calls", err2, f.calls.Load())
	}
	clock.Advance(time.Second) // the first backoff is at most FailureBackoff
	if v := mustToken(t, s).Value(); v != "t2" {
		t.Fatalf("the call after the backoff must try again: got %q", v)
	}
}

func TestSourceCallerCancellationDoesNotAbortSharedFetch(t *testing.T) {
	clock := newClock()
	f := &fetcher{clock: clock, life: time.Hour, gate: make(chan struct{}), seen: make(chan context.Context, 1)}
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{Clock: clock})

	ctx1, cancel1 := context.WithCancel(context.Background())
	err1 := make(chan error, 1)
	go func() {
		_, err := s.Token(ctx1)
		err1 <- err
	}()
	fetchCtx := <-f.seen // the fetch started on behalf of caller 1

	second := make(chan tokenkit.Token, 1)
	go func() {
		tok, err := s.Token(context.Background())
		if err != nil {
			t.Errorf("second caller: %v", err)
		}
		second <- tok
	}()

	cancel1()
	if err := <-err1; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v, want context.Canceled", err)
	}
	if fetchCtx.Err() != nil {
		t.Fatalf("the shared fetch was cancelled with its first caller: %v", fetchCtx.Err())
	}
	close(f.gate)
	if tok := <-second; tok == nil || tok.Value() != "t1" {
		t.Fatalf("second caller got %v", tok)
	}
	if f.calls.Load() != 1 {
		t.Fatalf("calls = %d, want 1", f.calls.Load())
	}
}

func TestSourceInvalidate(t *testing.T) {
	clock := newClock()
	f := &fetcher{clock: clock, life: time.Hour}
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{Clock: clock})
	t1 := mustToken(t, s)

	s.Invalidate(tokenkit.NewBearerToken("someone-else", time.Time{}))
	if v := mustToken(t, s).Value(); v != "t1" {
		t.Fatalf("invalidating another token dropped ours: %q", v)
	}
	s.Invalidate(t1)
	t2 := mustToken(t, s)
	if t2.Value() != "t2" {
		t.Fatalf("after Invalidate got %q, want t2", t2.Value())
	}
	// A late 401 for the old token must not drop the new one.
	s.Invalidate(t1)
	if v := mustToken(t, s).Value(); v != "t2" || f.calls.Load() != 2 {
		t.Fatalf("stale Invalidate dropped the newer token: %q after %d calls", v, f.calls.Load())
	}
	s.Invalidate(nil) // harmless
}

func TestSourceFetchMisbehaviour(t *testing.T) {
	s := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) { return nil, nil }, tokenkit.SourceConfig{})
	if _, err := s.Token(context.Background()); !errors.Is(err, tokenkit.ErrNilToken) {
		t.Fatalf("nil token: got %v", err)
	}
	p := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) { panic("boom") }, tokenkit.SourceConfig{})
	if _, err := p.Token(context.Background()); err == nil {
		t.Fatal("a panicking fetch must become an error")
	}
}

func TestSourceNeverExpiringTokenIsFetchedOnce(t *testing.T) {
	var calls atomic.Int32
	s := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		calls.Add(1)
		return tokenkit.NewBearerToken("forever", time.Time{}), nil
	}, tokenkit.SourceConfig{})
	for range 10 {
		mustToken(t, s)
	}
	if calls.Load() != 1 {
		t.Fatalf("calls = %d", calls.Load())
	}
}

func TestDefaultRefreshWindow(t *testing.T) {
	for _, tc := range []struct{ life, want time.Duration }{
		{30 * time.Minute, 6 * time.Minute},
		{14 * 24 * time.Hour, 15 * time.Minute},
		{2 * time.Minute, 24 * time.Second},
		{2 * time.Second, time.Second},
	} {
		if got := tokenkit.DefaultRefreshWindow(tc.life); got != tc.want {
			t.Errorf("DefaultRefreshWindow(%s) = %s, want %s", tc.life, got, tc.want)
		}
	}
}
