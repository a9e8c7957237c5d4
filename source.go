package tokenkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FetchFunc obtains a new token from upstream. An Exchanger's Exchange method
// is one.
type FetchFunc func(ctx context.Context) (Token, error)

// Clock tells the time. Tests pass a fake one to SourceConfig so that expiry
// and refresh-ahead can be tested without sleeping.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
}

// SourceConfig tunes a Source. The zero value gives the defaults documented
// on each field.
type SourceConfig struct {
	// Clock tells the time; nil means the system clock.
	Clock Clock
	// ExpiryDelta treats a token as expired this long before its Expiry, to
	// absorb clock skew and the time a request takes (default 10s, and never
	// more than a quarter of the token's lifetime).
	ExpiryDelta time.Duration
	// RefreshWindow returns how long before expiry a token of the given
	// lifetime is refreshed in the background while callers keep using it
	// (default DefaultRefreshWindow).
	RefreshWindow func(lifetime time.Duration) time.Duration
	// Jitter spreads refreshes of many processes: the window actually used is
	// drawn from [window·(1−Jitter), window]. Default 0.25; negative means none.
	Jitter float64
	// EarlyRetryBackoff is the pause after a failed background refresh before
	// the next one is tried, while the current token stays valid (default 30s).
	EarlyRetryBackoff time.Duration
	// FetchTimeout bounds one upstream fetch, which runs detached from the
	// callers' contexts (default 2m).
	FetchTimeout time.Duration
	// Initial is a token to start with, for example one persisted by an
	// earlier run.
	Initial Token
	// Save, if set, persists every new token before any caller sees it:
	// write tok's Export (see Export) where the next run will find it.
	// Rotated credentials (a Commvault pair, a rotating Oracle refresh
	// token) exist only in the new token, so a Save that fails does not
	// lose it: the Source holds the unsaved token without handing it out,
	// callers get an error matching ErrNotSaved (and Save's own error),
	// and the next fetch calls Save again with the same token instead of
	// fetching a new one (an unsaved token that has expired meanwhile is
	// replaced by a fetch). Save runs on the fetching goroutine with the
	// fetch's context (bounded by FetchTimeout) and must not call the
	// Source. The Initial token is not saved again.
	Save func(ctx context.Context, tok Token) error
	// Logger receives the Source's lifecycle events as records (see
	// LogObserver): a warning per failed fetch, one info record per new
	// token or invalidation, debug records as fetches start; nil is silent.
	Logger *slog.Logger
	// Observer receives the Source's lifecycle events (see Observer); nil
	// is none. A valid cached token is served without any event.
	Observer Observer
	// Vendor and Name label the events of the Source: the vendor ("csp")
	// and the Source's name (the vendors' Sources use the method that built
	// them: "APITokenSource", "SessionSource", …). The vendors' Sources
	// fill them in; they must never hold a secret.
	Vendor, Name string
	// HoldCredentialFailure is how long a fetch that failed because the
	// credential did not work (an error matching ErrAuth: a wrong password,
	// a revoked API token, a locked account) is held: callers get that same
	// error at once, with no new upstream call, until the period ends,
	// Invalidate or Reset is called. Without it, every Token call of a
	// service with a wrong password makes one login, and the account locks.
	// The period is jittered by ±20%. Default 30s; negative holds nothing.
	HoldCredentialFailure time.Duration
	// FailureBackoff and MaxFailureBackoff bound the pause after a failed
	// fetch of an expired (or absent) token, during which callers get the
	// last error at once: FailureBackoff after the first failure, doubling
	// with each further one up to MaxFailureBackoff, jittered, so that a
	// broken upstream sees a trickle of requests, not a storm. A success
	// resets it. Defaults 1s and 1m; a negative FailureBackoff disables it.
	FailureBackoff time.Duration
	// MaxFailureBackoff caps the doubling pause (see FailureBackoff).
	MaxFailureBackoff time.Duration
}

// DefaultRefreshWindow refreshes a fifth of the lifetime ahead of expiry, at
// least 1s and at most 15 minutes ahead: a 30-minute CSP token is refreshed
// 6 minutes early, a 14-day Oracle token 15 minutes early.
func DefaultRefreshWindow(lifetime time.Duration) time.Duration {
	w := lifetime / 5
	if w > 15*time.Minute {
		w = 15 * time.Minute
	}
	if w < time.Second {
		w = min(time.Second, lifetime/2)
	}
	return w
}

// Source caches the token of a FetchFunc and hands it out until it is about
// to expire. It is safe for concurrent use and built for the hot path of every
// request:
//
//   - a valid cached token is returned with one atomic load and no lock and no
//     allocation;
//   - when the token is expired (or absent), exactly one fetch runs however
//     many goroutines ask; each waits on its own context, and the fetch runs
//     on a context that no caller's cancellation can abort;
//   - inside the refresh window (see SourceConfig) one background fetch
//     replaces the token while callers keep the still-valid one; if that fetch
//     fails, callers are not disturbed and it is retried after
//     EarlyRetryBackoff;
//   - a failed fetch of an expired token returns its error to the callers
//     waiting for it; calls during the following backoff (exponential,
//     jittered, see FailureBackoff) get the same error without a new fetch,
//     and a credential failure is held longer (HoldCredentialFailure), so a
//     wrong password never reaches a vendor's lockout threshold;
//   - a fetched token that is already expired is an error of kind
//     KindInvalidResponse, never a success that is refetched on every call;
//   - no lock is held across the fetch.
type Source struct {
	fetch FetchFunc
	cfg   SourceConfig
	now   func() time.Time
	obs   Observer // cfg.Observer and cfg.Logger's LogObserver; nil: none

	cur            atomic.Pointer[cached]
	inflight       atomic.Bool
	earlyNotBefore atomic.Int64 // unix nanoseconds

	mu      sync.Mutex // guards call, failed and unsaved
	call    *flight
	failed  *failure // the last failed fetch, while its hold or backoff lasts
	unsaved Token    // fetched, but SourceConfig.Save failed: saved before any other fetch
}

// failure is a failed fetch whose error callers get at once until until.
type failure struct {
	err   error
	until time.Time
	n     int // consecutive failures
}

type cached struct {
	tok       Token
	validTo   time.Time // zero: never expires
	refreshAt time.Time // zero: never refreshed ahead
}

type flight struct {
	done    chan struct{}
	tok     Token
	err     error
	reason  FetchReason
	waiters int // Token calls waiting for it; guarded by Source.mu
}

// ErrNilToken is returned when a FetchFunc returns neither a token nor an
// error.
var ErrNilToken = errors.New("tokenkit: fetch returned no token and no error")

// NewSource returns a Source around fetch. It panics only on a nil fetch,
// which is a programming error.
func NewSource(fetch FetchFunc, cfg SourceConfig) *Source {
	if fetch == nil {
		panic("tokenkit: NewSource with a nil FetchFunc")
	}
	if cfg.ExpiryDelta <= 0 {
		cfg.ExpiryDelta = 10 * time.Second
	}
	if cfg.RefreshWindow == nil {
		cfg.RefreshWindow = DefaultRefreshWindow
	}
	if cfg.Jitter == 0 {
		cfg.Jitter = 0.25
	} else if cfg.Jitter < 0 {
		cfg.Jitter = 0
	} else if cfg.Jitter > 1 {
		cfg.Jitter = 1
	}
	if cfg.EarlyRetryBackoff <= 0 {
		cfg.EarlyRetryBackoff = 30 * time.Second
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = 2 * time.Minute
	}
	if cfg.HoldCredentialFailure == 0 {
		cfg.HoldCredentialFailure = 30 * time.Second
	}
	if cfg.FailureBackoff == 0 {
		cfg.FailureBackoff = time.Second
	}
	if cfg.MaxFailureBackoff <= 0 {
		cfg.MaxFailureBackoff = time.Minute
	}
	s := &Source{fetch: fetch, cfg: cfg, now: time.Now, obs: Observers(LogObserver(cfg.Logger), cfg.Observer)}
	if cfg.Clock != nil {
		s.now = cfg.Clock.Now
	}
	if cfg.Initial != nil {
		s.cur.Store(s.entry(cfg.Initial, s.now()))
	}
	return s
}

// entry computes when tok stops being handed out and when it is refreshed
// ahead. The lifetime is measured from now, the time it was received.
func (s *Source) entry(tok Token, now time.Time) *cached {
	c := &cached{tok: tok}
	exp := tok.Expiry()
	if exp.IsZero() {
		return c
	}
	life := exp.Sub(now)
	delta := s.cfg.ExpiryDelta
	if life > 0 && delta > life/4 {
		delta = life / 4
	}
	c.validTo = exp.Add(-delta)
	if life <= 0 {
		return c
	}
	w := s.cfg.RefreshWindow(life)
	if w <= 0 {
		return c
	}
	if s.cfg.Jitter > 0 {
		w -= time.Duration(float64(w) * s.cfg.Jitter * rand.Float64())
	}
	c.refreshAt = exp.Add(-w)
	return c
}

func (c *cached) valid(now time.Time) bool {
	return c.validTo.IsZero() || now.Before(c.validTo)
}

// Token returns the cached token while it is valid, and otherwise waits for a
// fresh one. ctx bounds only this caller's wait, not the shared fetch.
func (s *Source) Token(ctx context.Context) (Token, error) {
	if c := s.cur.Load(); c != nil {
		now := s.now()
		if c.valid(now) {
			if !c.refreshAt.IsZero() && !now.Before(c.refreshAt) {
				s.refreshAhead(ctx, now)
			}
			return c.tok, nil
		}
	}
	return s.wait(ctx)
}

// refreshAhead starts one background fetch unless one runs already or the
// last one failed less than EarlyRetryBackoff ago. It never blocks on I/O.
func (s *Source) refreshAhead(ctx context.Context, now time.Time) {
	if s.inflight.Load() || now.UnixNano() < s.earlyNotBefore.Load() {
		return
	}
	s.mu.Lock()
	if s.call == nil {
		s.startLocked(ctx, true)
	}
	s.mu.Unlock()
}

func (s *Source) wait(ctx context.Context) (Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, stoppedWaiting(err)
	}
	s.mu.Lock()
	now := s.now()
	if c := s.cur.Load(); c != nil && c.valid(now) {
		s.mu.Unlock()
		return c.tok, nil
	}
	if fl := s.failed; fl != nil && now.Before(fl.until) && s.call == nil {
		s.mu.Unlock()
		return nil, fl.err
	}
	f := s.call
	if f == nil {
		f = s.startLocked(ctx, false)
	}
	f.waiters++
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return nil, stoppedWaiting(ctx.Err())
	}
}

// stoppedWaiting is the error of a caller whose context ended while it
// waited for a token: of kind KindCanceled, matching ErrCanceled and the
// context's own error. The shared fetch goes on for the other callers.
func stoppedWaiting(err error) error {
	return &Error{Vendor: "tokenkit", Op: "Source", Message: "stopped waiting for the token", Err: err}
}

func (s *Source) startLocked(ctx context.Context, early bool) *flight {
	f := &flight{done: make(chan struct{}), reason: FetchEarly}
	if !early {
		f.reason = FetchExpired
		if s.cur.Load() == nil {
			f.reason = FetchMissing
		}
	}
	s.call = f
	s.inflight.Store(true)
	// The fetch keeps the caller's values (trace ids) but not its
	// cancellation: other callers are waiting on the same fetch.
	fctx := context.WithoutCancel(ctx)
	go s.run(fctx, f, early)
	return f
}

func (s *Source) run(ctx context.Context, f *flight, early bool) {
	var start time.Time
	if s.obs != nil {
		ctx = s.observe(ctx, Event{Type: EventFetchStart, Reason: f.reason})
		start = time.Now()
	}
	fctx, cancel := context.WithTimeout(ctx, s.cfg.FetchTimeout)
	s.mu.Lock()
	tok := s.unsaved
	s.mu.Unlock()
	var err error
	if tok == nil || expiredOnArrival(tok, s.now()) != nil {
		tok, err = s.safeFetch(fctx)
	}
	timedOut := fctx.Err() == context.DeadlineExceeded
	if k := KindOf(err); err != nil && timedOut && (k == KindCanceled || k == KindOutcomeUnknown && errors.Is(err, context.DeadlineExceeded)) {
		err = s.fetchTimedOut(err, k)
	}
	if err == nil && tok == nil {
		err = ErrNilToken
	}
	if err == nil {
		err = expiredOnArrival(tok, s.now())
	}
	saved := true
	if err == nil && s.cfg.Save != nil {
		if serr := s.safeSave(fctx, tok); serr != nil {
			err, saved = serr, false
		}
	}
	cancel()
	now := s.now()
	var retryIn time.Duration
	s.mu.Lock()
	if tok != nil && !saved {
		s.unsaved = tok
	} else if err == nil {
		s.unsaved = nil
	}
	if err == nil {
		s.cur.Store(s.entry(tok, now))
		s.earlyNotBefore.Store(0)
		s.failed = nil
	} else {
		tok = nil
		if early {
			s.earlyNotBefore.Store(now.Add(s.cfg.EarlyRetryBackoff).UnixNano())
		}
		s.failed = s.nextFailure(s.failed, err, now)
		retryIn = s.failed.until.Sub(now)
		if early {
			retryIn = s.cfg.EarlyRetryBackoff
		}
	}
	f.tok, f.err = tok, err
	waiters := f.waiters
	s.call = nil
	s.inflight.Store(false)
	s.mu.Unlock()
	close(f.done)
	if s.obs != nil {
		e := Event{Type: EventFetchDone, Reason: f.reason, Err: err, Waiters: waiters,
			Duration: time.Since(start)}
		if err != nil {
			e.Kind, e.Wait = KindOf(err), retryIn
		} else {
			e.Expiry = tok.Expiry()
		}
		s.observe(ctx, e)
	}
}

// fetchTimedOut is the error of a fetch that its own FetchTimeout ended
// (err, of kind k). No caller cancelled it, since the fetch runs detached
// from them: for the callers, whose contexts are live, it is a transport
// failure, backed off and retryable (or, when a mutating fetch such as a
// login was in flight, of unknown outcome), and it does not match their
// context's errors.
func (s *Source) fetchTimedOut(err error, k Kind) error {
	out := &Error{Vendor: "tokenkit", Op: "Source"}
	var te *Error
	if errors.As(err, &te) {
		out.Vendor, out.Op, out.TokenOp, out.Attempts = te.Vendor, te.Op, te.TokenOp, te.Attempts
	}
	out.Message = "the token fetch did not finish within " + s.cfg.FetchTimeout.String() + " (SourceConfig.FetchTimeout)"
	out.Err = ErrTransport
	if k == KindOutcomeUnknown {
		out.Err = ErrOutcomeUnknown
	}
	return out
}

// observe labels e with the Source and passes it to the observers.
func (s *Source) observe(ctx context.Context, e Event) context.Context {
	e.Vendor, e.Op, e.Source = s.cfg.Vendor, s.cfg.Name, s
	if c := s.obs.Observe(ctx, e); c != nil {
		return c
	}
	return ctx
}

// expiredOnArrival returns the error for a fetched token that has already
// expired: serving it would make every call fetch again.
func expiredOnArrival(tok Token, now time.Time) error {
	exp := tok.Expiry()
	if exp.IsZero() || exp.After(now) {
		return nil
	}
	return &Error{Vendor: "tokenkit", Op: "Source", Message: "the fetched token expired at " + exp.UTC().Format(time.RFC3339) +
		", before it arrived (" + now.UTC().Format(time.RFC3339) + "): check the clocks, or the lifetime the server sends",
		Err: ErrInvalidResponse}
}

// nextFailure returns how long the failure err holds after prev: a
// credential failure for HoldCredentialFailure, any other for an
// exponential, jittered backoff.
func (s *Source) nextFailure(prev *failure, err error, now time.Time) *failure {
	n := 1
	if prev != nil {
		n = prev.n + 1
	}
	var wait time.Duration
	switch {
	case KindOf(err) == KindCanceled:
		wait = 0 // the fetch timed out or was stopped: nothing said no
	case errors.Is(err, ErrAuth) && s.cfg.HoldCredentialFailure > 0:
		h := s.cfg.HoldCredentialFailure
		wait = h - h/5 + time.Duration(rand.Int64N(int64(2*(h/5))+1))
	case s.cfg.FailureBackoff > 0:
		d := s.cfg.MaxFailureBackoff
		if n < 32 {
			if x := s.cfg.FailureBackoff << (n - 1); x > 0 && x < d {
				d = x
			}
		}
		wait = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	}
	return &failure{err: err, until: now.Add(wait), n: n}
}

// Reset forgets the cached token and any failure held or backed off, so
// that the next Token call fetches at once: call it after fixing the
// credential the fetch uses.
func (s *Source) Reset() {
	s.mu.Lock()
	s.cur.Store(nil)
	s.failed = nil
	s.earlyNotBefore.Store(0)
	s.mu.Unlock()
}

// ErrNotSaved is matched by the error callers get when SourceConfig.Save
// failed for a new token: the Source holds the token and saves it again on
// the next fetch; the error also matches Save's own error.
var ErrNotSaved = errors.New("tokenkit: the new token is not saved")

// notSaved is the cause of a failed Save: ErrNotSaved and Save's error.
type notSaved struct{ err error }

func (e *notSaved) Error() string   { return ErrNotSaved.Error() + ": " + e.err.Error() }
func (e *notSaved) Unwrap() []error { return []error{ErrNotSaved, e.err} }

// safeSave calls SourceConfig.Save, turning a panic into an error.
func (s *Source) safeSave(ctx context.Context, tok Token) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("tokenkit: SourceConfig.Save panicked: %v", r)
		}
		if err != nil {
			err = &Error{Vendor: "tokenkit", Op: "Save", Message: "the new token is held unsaved and not used; the next fetch saves it again", Err: &notSaved{err}}
		}
	}()
	return s.cfg.Save(ctx, tok)
}

// safeFetch turns a panic in the FetchFunc into an error, so that waiters are
// released instead of hanging.
func (s *Source) safeFetch(ctx context.Context) (tok Token, err error) {
	defer func() {
		if r := recover(); r != nil {
			tok, err = nil, fmt.Errorf("tokenkit: token fetch panicked: %v", r)
		}
	}()
	return s.fetch(ctx)
}

// Invalidate drops the cached token if it is rejected, so that the next Token
// call fetches a new one. A newer token already cached is kept: a request that
// failed with an old token does not throw away its replacement. A held
// credential failure or failure backoff ends too.
func (s *Source) Invalidate(rejected Token) {
	if rejected == nil {
		return
	}
	s.mu.Lock()
	s.failed = nil
	s.mu.Unlock()
	for {
		c := s.cur.Load()
		if c == nil || !sameToken(c.tok, rejected) {
			return
		}
		if s.cur.CompareAndSwap(c, nil) {
			if s.obs != nil {
				s.observe(context.Background(), Event{Type: EventInvalidated})
			}
			return
		}
	}
}

// Remaining returns how long the token currently cached has left before its
// Expiry on the Source's clock (negative once it has expired), and true; or
// false when no token is cached or it never expires. It is a gauge's reading
// of the served token's lifetime: it neither fetches nor allocates.
func (s *Source) Remaining() (time.Duration, bool) {
	c := s.cur.Load()
	if c == nil {
		return 0, false
	}
	exp := c.tok.Expiry()
	if exp.IsZero() {
		return 0, false
	}
	return exp.Sub(s.now()), true
}

// Cached returns the cached token without fetching, or nil. It may return an
// expired token; use it to persist state, not to authenticate.
func (s *Source) Cached() Token {
	if c := s.cur.Load(); c != nil {
		return c.tok
	}
	return nil
}

// String describes the Source without any secret: its vendor and name, and
// whether a token is cached, held unsaved, and until when it is valid.
func (s *Source) String() string {
	var b strings.Builder
	b.WriteString("tokenkit.Source{")
	if s.cfg.Vendor != "" {
		b.WriteString("vendor: " + strconv.Quote(s.cfg.Vendor) + ", ")
	}
	if s.cfg.Name != "" {
		b.WriteString("name: " + strconv.Quote(s.cfg.Name) + ", ")
	}
	c := s.cur.Load()
	switch {
	case c == nil:
		b.WriteString("cached: none")
	case c.tok.Expiry().IsZero():
		b.WriteString("cached: no expiry")
	default:
		b.WriteString("cached: expires " + c.tok.Expiry().UTC().Format(time.RFC3339))
	}
	s.mu.Lock()
	unsaved := s.unsaved != nil
	s.mu.Unlock()
	if unsaved {
		b.WriteString(", unsaved: 1")
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, for %#v.
func (s *Source) GoString() string { return s.String() }

// Format writes String for every verb, so that no verb prints the tokens
// the Source holds.
func (s *Source) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue is String, for log/slog.
func (s *Source) LogValue() slog.Value { return slog.StringValue(s.String()) }
