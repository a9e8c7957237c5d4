package tokenkit_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

// recorder is an Observer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []tokenkit.Event
}

func (r *recorder) Observe(ctx context.Context, e tokenkit.Event) context.Context {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	return ctx
}

func (r *recorder) all() []tokenkit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tokenkit.Event(nil), r.events...)
}

// waitFor returns the events once n of them arrived (fetch events come from
// the fetching goroutine, after the callers are released).
func (r *recorder) waitFor(t *testing.T, n int) []tokenkit.Event {
	t.Helper()
	for range 2000 {
		if ev := r.all(); len(ev) >= n {
			return ev
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("got %d events, want %d: %+v", len(r.all()), n, r.all())
	return nil
}

func TestSourceEmitsFetchEvents(t *testing.T) {
	clock := newClock()
	f := &fetcher{clock: clock, life: time.Hour}
	rec := &recorder{}
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{Clock: clock, Observer: rec, Vendor: "acme",
		Name: "Login", Jitter: -1})

	tok := mustToken(t, s) // missing
	ev := rec.waitFor(t, 2)
	start, done := ev[0], ev[1]
	if start.Type != tokenkit.EventFetchStart || start.Reason != tokenkit.FetchMissing || start.Vendor != "acme" ||
		start.Op != "Login" || start.Source != s {
		t.Errorf("start = %+v", start)
	}
	if done.Type != tokenkit.EventFetchDone || done.Err != nil || done.Outcome() != "ok" || done.Waiters != 1 ||
		!done.Expiry.Equal(tok.Expiry()) || done.Reason != tokenkit.FetchMissing {
		t.Errorf("done = %+v", done)
	}

	// Cache hits emit nothing.
	for range 10 {
		mustToken(t, s)
	}
	if n := len(rec.all()); n != 2 {
		t.Fatalf("cache hits emitted events: %d", n)
	}
	if d, ok := s.Remaining(); !ok || d != time.Hour {
		t.Errorf("Remaining = %v, %v; want 1h", d, ok)
	}

	// Early refresh (the window of a 1h token is 12m), then a failed early one.
	clock.Advance(50 * time.Minute)
	mustToken(t, s)
	ev = rec.waitFor(t, 4)
	if ev[2].Reason != tokenkit.FetchEarly || ev[3].Reason != tokenkit.FetchEarly || ev[3].Waiters != 0 || ev[3].Err != nil {
		t.Errorf("early refresh events = %+v", ev[2:])
	}
	f.fail.Store(true)
	clock.Advance(50 * time.Minute)
	mustToken(t, s)
	ev = rec.waitFor(t, 6)
	if ev[5].Err == nil || ev[5].Reason != tokenkit.FetchEarly || ev[5].Outcome() != "other" || ev[5].Wait != 30*time.Second {
		t.Errorf("failed refresh = %+v", ev[5])
	}

	// Expired: the caller waits for a fetch that fails.
	clock.Advance(time.Hour)
	if _, err := s.Token(context.Background()); err == nil {
		t.Fatal("want the fetch's error")
	}
	ev = rec.waitFor(t, 8)
	// The second failure in a row (the early one was the first) backs off
	// 2s, jittered into [1s, 2s].
	if ev[6].Reason != tokenkit.FetchExpired || ev[7].Waiters != 1 || ev[7].Err == nil ||
		ev[7].Wait < time.Second || ev[7].Wait > 2*time.Second {
		t.Errorf("expired fetch = %+v %+v", ev[6], ev[7])
	}

	// Invalidate a served token.
	f.fail.Store(false)
	s.Reset()
	tok = mustToken(t, s)
	rec.waitFor(t, 10)
	s.Invalidate(tok)
	ev = rec.waitFor(t, 11)
	if ev[10].Type != tokenkit.EventInvalidated || ev[10].Op != "Login" {
		t.Errorf("invalidated = %+v", ev[10])
	}
	s.Invalidate(tok) // already gone: no event
	if n := len(rec.all()); n != 11 {
		t.Errorf("second Invalidate emitted: %d events", n)
	}
	if _, ok := s.Remaining(); ok {
		t.Error("Remaining reports a token after Invalidate")
	}
}

func TestSourceFetchRunsWithObserverContext(t *testing.T) {
	type key struct{}
	clock := newClock()
	f := &fetcher{clock: clock, life: time.Hour, seen: make(chan context.Context, 1)}
	doneCtx := make(chan context.Context, 1)
	obs := tokenkit.ObserverFunc(func(ctx context.Context, e tokenkit.Event) context.Context {
		if e.Type == tokenkit.EventFetchStart {
			return context.WithValue(ctx, key{}, "span")
		}
		if e.Type == tokenkit.EventFetchDone {
			doneCtx <- ctx
		}
		return ctx
	})
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{Clock: clock, Observer: obs})
	mustToken(t, s)
	if got := (<-f.seen).Value(key{}); got != "span" {
		t.Errorf("fetch context value = %v, want the observer's", got)
	}
	if (<-doneCtx).Value(key{}) != "span" {
		t.Error("EventFetchDone was not observed with the context of EventFetchStart")
	}
}

func TestSourceWaitersCounted(t *testing.T) {
	clock := newClock()
	f := &fetcher{clock: clock, life: time.Hour, gate: make(chan struct{}), seen: make(chan context.Context, 1)}
	rec := &recorder{}
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{Clock: clock, Observer: rec})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); mustToken(t, s) }()
	<-f.seen // the fetch runs; the next callers join it
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); mustToken(t, s) }()
	}
	// Joining happens under the Source's lock before each caller blocks:
	// wait until all four are in, then release the fetch.
	for range 2000 {
		if n := tokenkit.WaitingCallers(s); n == 5 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(f.gate)
	wg.Wait()
	ev := rec.waitFor(t, 2)
	if ev[1].Waiters != 5 {
		t.Errorf("Waiters = %d, want 5", ev[1].Waiters)
	}
}

func TestTransportEmitsResend(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer t1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	clock := newClock()
	f := &fetcher{clock: clock, life: time.Hour}
	rec := &recorder{}
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{Clock: clock, Observer: rec, Vendor: "acme", Name: "Login"})
	c := &http.Client{Transport: &tokenkit.Transport{Source: s, Observer: rec}}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var resends, invalidated int
	for _, e := range rec.waitFor(t, 6) {
		switch e.Type {
		case tokenkit.EventResend:
			resends++
			if e.Status != 401 || e.Vendor != "acme" || e.Source != s {
				t.Errorf("resend = %+v", e)
			}
		case tokenkit.EventInvalidated:
			invalidated++
		}
	}
	if resends != 1 || invalidated != 1 {
		t.Errorf("resends %d, invalidated %d; want 1 and 1", resends, invalidated)
	}
}

func TestLogObserverLevels(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o := tokenkit.LogObserver(l)
	ctx := context.Background()
	o.Observe(ctx, tokenkit.Event{Type: tokenkit.EventFetchStart, Vendor: "csp", Reason: tokenkit.FetchEarly})
	o.Observe(ctx, tokenkit.Event{Type: tokenkit.EventFetchDone, Vendor: "csp", Expiry: time.Unix(1e9, 0)})
	o.Observe(ctx, tokenkit.Event{Type: tokenkit.EventFetchDone, Vendor: "csp", Err: errors.New("boom"), Kind: tokenkit.KindServer})
	o.Observe(ctx, tokenkit.Event{Type: tokenkit.EventRetry, Kind: tokenkit.KindRateLimited, Wait: time.Second, Attempt: 1})
	out := buf.String()
	for _, want := range []string{
		`level=DEBUG msg="tokenkit: fetching a token" event=fetch.start vendor=csp reason=early`,
		`level=INFO msg="tokenkit: fetched a token" event=fetch.done vendor=csp outcome=ok`,
		`level=WARN msg="tokenkit: token fetch failed" event=fetch.done vendor=csp outcome=server`,
		`level=WARN msg="tokenkit: retrying" event=retry kind="rate limited" attempt=1 wait=1s`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if tokenkit.LogObserver(nil) != nil {
		t.Error("LogObserver(nil) is not nil")
	}
}

func TestSourceLoggerGetsEvents(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := newClock()
	f := &fetcher{clock: clock, life: time.Hour}
	rec := &recorder{}
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{Clock: clock, Logger: l, Observer: rec})
	mustToken(t, s)
	rec.waitFor(t, 2) // the logger runs before the recorder sees fetch.done
	if !strings.Contains(buf.String(), "tokenkit: fetched a token") {
		t.Errorf("log = %s", buf.String())
	}
	if strings.Contains(buf.String(), "t1") {
		t.Errorf("the token reached the log: %s", buf.String())
	}
}

func TestObserversCombine(t *testing.T) {
	if tokenkit.Observers(nil, nil) != nil {
		t.Error("Observers of nils is not nil")
	}
	a, b := &recorder{}, &recorder{}
	o := tokenkit.Observers(a, nil, tokenkit.Observers(b))
	o.Observe(context.Background(), tokenkit.Event{Type: tokenkit.EventLeaseLost})
	if len(a.all()) != 1 || len(b.all()) != 1 {
		t.Error("an observer missed the event")
	}
	for ty := tokenkit.EventFetchStart; ty <= tokenkit.EventAmbiguousRotation; ty++ {
		if s := ty.String(); s == "" || s == "unknown" {
			t.Errorf("event type %d has no name", ty)
		}
	}
}

// A Transport without an Observer of its own reports resends to its
// Source's observers (tokenkit.NewClient builds such a Transport).
func TestTransportResendReachesSourceObserver(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer t1" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	clock := newClock()
	f := &fetcher{clock: clock, life: time.Hour}
	rec := &recorder{}
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{Clock: clock, Observer: rec})
	resp, err := tokenkit.NewClient(s, nil).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var resends int
	for _, e := range rec.waitFor(t, 6) {
		if e.Type == tokenkit.EventResend {
			resends++
		}
	}
	if resends != 1 {
		t.Errorf("resends = %d, want 1", resends)
	}
}
