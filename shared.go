package tokenkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// SharedConfig configures NewSharedSource.
type SharedConfig struct {
	// Store keeps the shared token; required.
	Store Store
	// Key names the token in the store; required. Processes that share a
	// token use the same key, and a key holds one vendor's token of one
	// account.
	Key string
	// Import rebuilds a stored token: the vendor package's Import function.
	// Required.
	Import ImportFunc
	// Refresh obtains a new token. current is the stored token (nil when
	// the store has none): a rotating exchange spends the refresh
	// credential it carries. The token returned must implement Exportable.
	// Required.
	Refresh func(ctx context.Context, current Token) (Token, error)
	// Rotating says that Refresh spends a credential of current that must
	// never be sent twice (a Commvault refresh token, a rotating Oracle
	// refresh token): a claim is written by compare-and-swap before it is
	// sent, and a credential found claimed but never committed is not sent
	// again (ErrCredentialSpent). A Refresh error is taken to leave the
	// credential unspent only when it is a *tokenkit.Error that does not
	// match ErrOutcomeUnknown (the vendor answered and refused, or nothing
	// was sent); any other error leaves it possibly spent.
	Rotating bool
	// Bootstrap, if set, obtains a token from scratch, without current (a
	// login and create): used when the store is empty and when the stored
	// credential is spent or refused. Without it, Refresh(ctx, nil) is
	// called when the store is empty.
	Bootstrap FetchFunc
	// LeaseTTL is how long the lease outlives a process that died holding
	// it (default 10s). A backend whose lease ends with its holder (the
	// file store) is not delayed by it.
	LeaseTTL time.Duration
	// ExchangeTimeout bounds one upstream exchange, and is how long a claim
	// is honoured before its credential is declared spent (default 1m).
	ExchangeTimeout time.Duration
	// PollInterval is how often a process waiting for another's claim reads
	// the store again (default 200ms).
	PollInterval time.Duration
	// Holder identifies this process in claims, for diagnostics (default
	// host:pid).
	Holder string
	// Observe, if set, is called synchronously at each step of the
	// protocol (see SharedEvent). It must not call the source.
	Observe func(SharedEvent)
	// Source tunes the in-memory cache in front of the store. Its Initial
	// is ignored: the store is the source of truth.
	Source SourceConfig
}

// SharedStep is one step of the shared-refresh protocol.
type SharedStep int

// The steps SharedConfig.Observe sees.
const (
	StepAdopted   SharedStep = iota + 1 // a fresh token was read from the store
	StepLeased                          // this process holds the lease
	StepClaimed                         // the claim is written; the credential is about to be sent
	StepExchanged                       // the upstream exchange returned a token
	StepCommitted                       // the new token is stored
	StepStale                           // the commit lost the compare-and-swap: the claim was no longer ours
	StepSpent                           // a claimed credential was found never committed
	StepBootstrap                       // the Bootstrap function is about to run
)

var stepNames = [...]string{"", "adopted", "leased", "claimed", "exchanged", "committed", "stale", "spent", "bootstrap"}

// String names the step.
func (s SharedStep) String() string {
	if s > 0 && int(s) < len(stepNames) {
		return stepNames[s]
	}
	return "SharedStep(" + strconv.Itoa(int(s)) + ")"
}

// SharedEvent reports a step of the protocol; it holds no secret.
type SharedEvent struct {
	// Step is the step of the protocol.
	Step SharedStep
	// Key is the store key of the shared token.
	Key        string
	Generation uint64 // the generation the step read or wrote
	Fence      uint64 // the lease's fence number, 0 outside a lease
}

// SharedSource is a Source whose token is shared through a Store by every
// process that uses the same key. Its hot path is the plain Source's: one
// atomic load of the in-memory token. When that token is due, the process
// follows one protocol, the same for every vendor:
//
//  1. read the store; a token that is not due is adopted as is;
//  2. otherwise take the key's lease, read again, and adopt the token if
//     another process refreshed meanwhile;
//  3. for a rotating credential, write a claim (generation, fence) by
//     compare-and-swap before sending the credential upstream;
//  4. exchange, on a context no caller's cancellation can abort;
//  5. commit the next generation by compare-and-swap, which succeeds only if
//     the record is still the one this process claimed.
//
// A claim found past its deadline with no commit (the claimer died or hung
// after sending) means the credential may be spent: it is never sent again;
// the refresh fails with ErrCredentialSpent, or recovers through Bootstrap
// when configured. A non-rotating exchange (a CSP API token, Oracle
// credentials) needs no claim: processes simply share its result, so N
// processes make one exchange per token lifetime instead of N.
type SharedSource struct {
	src *Source
	sh  *shared
}

var (
	_ TokenSource = (*SharedSource)(nil)
	_ Invalidator = (*SharedSource)(nil)
)

// Token returns the token in memory while it is valid (one atomic load, as
// Source.Token) and otherwise follows the protocol above. ctx bounds only
// this caller's wait.
func (s *SharedSource) Token(ctx context.Context) (Token, error) { return s.src.Token(ctx) }

// Cached returns the token in memory without fetching, or nil, as
// Source.Cached.
func (s *SharedSource) Cached() Token { return s.src.Cached() }

type shared struct {
	cfg SharedConfig
	now func() time.Time
	src *Source // the in-memory Source in front of the store: its observers get the events

	mu       sync.Mutex // guards the fields below
	rejected Token
	lastVer  RecordVersion
	lastTok  Token
}

// NewSharedSource returns a SharedSource for cfg. It returns an error
// wrapping ErrInvalidInput when a required field is missing.
func NewSharedSource(cfg SharedConfig) (*SharedSource, error) {
	switch {
	case cfg.Store == nil, cfg.Key == "", cfg.Import == nil, cfg.Refresh == nil:
		return nil, &Error{Vendor: "tokenkit", Op: "NewSharedSource", Message: "Store, Key, Import and Refresh are required", Err: ErrInvalidInput}
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 10 * time.Second
	}
	if cfg.ExchangeTimeout <= 0 {
		cfg.ExchangeTimeout = time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		cfg.Holder = host + ":" + strconv.Itoa(os.Getpid())
	}
	sc := cfg.Source
	sc.Initial = nil
	if sc.RefreshWindow == nil {
		sc.RefreshWindow = DefaultRefreshWindow
	}
	// The fetch below waits for leases and claims before its exchange.
	if min := cfg.ExchangeTimeout*2 + cfg.LeaseTTL; sc.FetchTimeout < min {
		sc.FetchTimeout = min
	}
	sh := &shared{cfg: cfg, now: time.Now}
	if sc.Clock != nil {
		sh.now = sc.Clock.Now
	}
	sh.cfg.Source = sc
	sh.src = NewSource(sh.fetch, sc)
	return &SharedSource{src: sh.src, sh: sh}, nil
}

// Invalidate drops rejected from memory, as Source.Invalidate does, and
// remembers it so that the next refresh does not adopt it from the store
// again but replaces it there.
func (s *SharedSource) Invalidate(rejected Token) {
	if rejected == nil {
		return
	}
	s.sh.mu.Lock()
	s.sh.rejected = rejected
	s.sh.mu.Unlock()
	s.src.Invalidate(rejected)
}

// String describes the source without any secret.
func (s *SharedSource) String() string {
	return "tokenkit.SharedSource{key: " + strconv.Quote(s.sh.cfg.Key) + "}"
}

// GoString is String, for %#v.
func (s *SharedSource) GoString() string { return s.String() }

// Format writes String for every verb.
func (s *SharedSource) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

func (sh *shared) observe(ctx context.Context, step SharedStep, gen, fence uint64, expiry time.Time) {
	if sh.cfg.Observe != nil {
		sh.cfg.Observe(SharedEvent{Step: step, Key: sh.cfg.Key, Generation: gen, Fence: fence})
	}
	// The same steps as lifecycle events, for the Source's observers
	// (SharedConfig.Source.Observer and Logger): OpenTelemetry and slog.
	var e Event
	switch step {
	case StepAdopted:
		e = Event{Type: EventAdopted, Expiry: expiry}
	case StepLeased:
		e = Event{Type: EventLeaseAcquired}
	case StepStale:
		e = Event{Type: EventLeaseLost}
	case StepSpent:
		e = Event{Type: EventAmbiguousRotation, Kind: KindOutcomeUnknown}
	default:
		return
	}
	sh.emit(ctx, e)
}

// emit passes e to the observers of the in-memory Source, if any.
func (sh *shared) emit(ctx context.Context, e Event) {
	if src := sh.src; src != nil && src.obs != nil {
		src.observe(ctx, e)
	}
}

func (sh *shared) fail(msg string, err error) error {
	return &Error{Vendor: "tokenkit", Op: "SharedSource", Message: msg, Err: err}
}

// load imports the stored token, reusing the last import of the same version.
func (sh *shared) load(rec Record, ver RecordVersion) (Token, error) {
	if rec.Token == nil {
		return nil, nil
	}
	sh.mu.Lock()
	if ver != "" && ver == sh.lastVer && sh.lastTok != nil {
		t := sh.lastTok
		sh.mu.Unlock()
		return t, nil
	}
	sh.mu.Unlock()
	t, err := sh.cfg.Import(rec.Token)
	if err != nil {
		return nil, err
	}
	sh.mu.Lock()
	sh.lastVer, sh.lastTok = ver, t
	sh.mu.Unlock()
	return t, nil
}

// due reports whether the stored token should be refreshed now: it is
// missing, rejected here, or inside its refresh window (computed, like the
// Source's, from the lifetime it was committed with, without jitter, so that
// it is due whenever any process's jittered window has begun).
func (sh *shared) due(rec Record, tok Token, now time.Time) bool {
	if tok == nil {
		return true
	}
	sh.mu.Lock()
	rej := sh.rejected
	sh.mu.Unlock()
	if rej != nil && sameToken(rej, tok) {
		return true
	}
	if rec.Expiry.IsZero() {
		return false
	}
	life := rec.Expiry.Sub(rec.Updated)
	w := sh.cfg.Source.RefreshWindow(life)
	if rec.Updated.IsZero() || life <= 0 || w < 0 {
		w = 0
	}
	return !now.Before(rec.Expiry.Add(-w))
}

// pending reports whether rec carries a claim on its own generation: a
// credential sent (or about to be) whose successor is not committed.
func pending(rec Record) bool {
	return rec.Claim != nil && rec.Claim.Generation == rec.Generation
}

func (sh *shared) fetch(ctx context.Context) (Token, error) {
	rec, ver, err := sh.cfg.Store.Get(ctx, sh.cfg.Key)
	if err != nil {
		return nil, sh.fail("reading the store", err)
	}
	if tok, err := sh.load(rec, ver); err == nil && !pending(rec) && !sh.due(rec, tok, sh.now()) {
		sh.observe(ctx, StepAdopted, rec.Generation, 0, rec.Expiry)
		return tok, nil
	}
	start := time.Now()
	lease, err := sh.cfg.Store.Lease(ctx, sh.cfg.Key, sh.cfg.LeaseTTL)
	if waited := time.Since(start); waited >= time.Millisecond {
		sh.emit(ctx, Event{Type: EventLeaseWait, Wait: waited})
	}
	if err != nil {
		return nil, sh.fail("taking the lease", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = lease.Release(rctx)
		cancel()
	}()
	fence := lease.Fence()
	sh.observe(ctx, StepLeased, 0, fence, time.Time{})
	return sh.underLease(ctx, lease, fence)
}

func (sh *shared) underLease(ctx context.Context, lease Lease, fence uint64) (Token, error) {
	for {
		rec, ver, err := sh.cfg.Store.Get(ctx, sh.cfg.Key)
		if err != nil {
			return nil, sh.fail("reading the store", err)
		}
		now := sh.now()
		cur, ierr := sh.load(rec, ver)
		if ierr != nil {
			cur = nil // unreadable: treated as absent, replaced by a new token
		}
		if pending(rec) {
			// Another process's claim. It is abandoned past its deadline,
			// or at once when it is older than a lease that ends only with
			// its holder (that holder is gone). Otherwise its holder may
			// still be exchanging (a process whose lease expired, or a
			// newer holder if ours did): its commit or its deadline
			// settles it.
			c := rec.Claim
			abandoned := !now.Before(c.Deadline) || (c.Fence < fence && endsWithHolder(lease))
			if !abandoned {
				if err := sleep(ctx, sh.cfg.PollInterval); err != nil {
					return nil, sh.fail("waiting for another process's refresh", err)
				}
				continue
			}
			sh.observe(ctx, StepSpent, rec.Generation, fence, time.Time{})
			return sh.bootstrap(ctx, lease, fence, rec, ver, ErrCredentialSpent)
		}
		if cur != nil && !sh.due(rec, cur, now) {
			sh.observe(ctx, StepAdopted, rec.Generation, fence, rec.Expiry)
			return cur, nil
		}
		if cur == nil {
			if sh.cfg.Bootstrap != nil {
				return sh.bootstrap(ctx, lease, fence, rec, ver, nil)
			}
			return sh.exchange(ctx, lease, fence, rec, ver, nil, false)
		}
		claimed := false
		if sh.cfg.Rotating {
			select {
			case <-lease.Lost():
				sh.emit(ctx, Event{Type: EventLeaseLost})
				return nil, sh.fail("the lease was lost before the claim", ErrVersionConflict)
			default:
			}
			claim := rec
			claim.Claim = &Claim{Generation: rec.Generation, Fence: fence, Holder: sh.cfg.Holder,
				Deadline: now.Add(sh.cfg.ExchangeTimeout)}
			nv, err := sh.cfg.Store.Put(ctx, sh.cfg.Key, ver, claim)
			if errors.Is(err, ErrVersionConflict) {
				continue // someone wrote meanwhile: read again
			}
			if err != nil {
				return nil, sh.fail("writing the claim", err)
			}
			rec, ver, claimed = claim, nv, true
			sh.observe(ctx, StepClaimed, rec.Generation, fence, time.Time{})
		}
		return sh.exchange(ctx, lease, fence, rec, ver, cur, claimed)
	}
}

// exchange runs Refresh and commits its token.
func (sh *shared) exchange(ctx context.Context, lease Lease, fence uint64, rec Record, ver RecordVersion, cur Token, claimed bool) (Token, error) {
	xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sh.cfg.ExchangeTimeout)
	tok, err := sh.cfg.Refresh(xctx, cur)
	cancel()
	if err == nil && tok == nil {
		err = ErrNilToken
	}
	if err != nil {
		if !claimed {
			return nil, err
		}
		var te *Error
		if errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &te) {
			// The credential may be spent (the vendor says the outcome
			// is unknown, or the error does not say what happened): the
			// claim stays, so that nobody sends it again, and ends now,
			// so that no process waits for a commit that will not come.
			sh.observe(ctx, StepSpent, rec.Generation, fence, time.Time{})
			ended := rec
			c := *rec.Claim
			c.Deadline = sh.now()
			ended.Claim = &c
			if nv, perr := sh.cfg.Store.Put(ctx, sh.cfg.Key, ver, ended); perr == nil {
				rec, ver = ended, nv
			}
			if sh.cfg.Bootstrap != nil {
				return sh.bootstrap(ctx, lease, fence, rec, ver, err)
			}
			return nil, fmt.Errorf("%w: %w", ErrCredentialSpent, err)
		}
		// The exchange was answered and refused: the credential was not
		// spent by it. Withdraw the claim so that the next try may use it.
		unclaimed := rec
		unclaimed.Claim = nil
		if _, perr := sh.cfg.Store.Put(ctx, sh.cfg.Key, ver, unclaimed); perr == nil {
			ver = ""
		}
		if errors.Is(err, ErrInvalidCredential) && sh.cfg.Bootstrap != nil && ver == "" {
			rec2, ver2, gerr := sh.cfg.Store.Get(ctx, sh.cfg.Key)
			if gerr == nil {
				return sh.bootstrap(ctx, lease, fence, rec2, ver2, err)
			}
		}
		return nil, err
	}
	sh.observe(ctx, StepExchanged, rec.Generation, fence, time.Time{})
	return sh.commit(ctx, fence, rec, ver, tok)
}

// bootstrap obtains a token from scratch and commits it over rec.
func (sh *shared) bootstrap(ctx context.Context, lease Lease, fence uint64, rec Record, ver RecordVersion, cause error) (Token, error) {
	if sh.cfg.Bootstrap == nil {
		return nil, sh.fail(fmt.Sprintf("generation %d was claimed by %s and never committed", rec.Generation, claimHolder(rec)), ErrCredentialSpent)
	}
	select {
	case <-lease.Lost():
		sh.emit(ctx, Event{Type: EventLeaseLost})
		return nil, sh.fail("the lease was lost before the bootstrap", ErrVersionConflict)
	default:
	}
	sh.observe(ctx, StepBootstrap, rec.Generation, fence, time.Time{})
	xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sh.cfg.ExchangeTimeout)
	tok, err := sh.cfg.Bootstrap(xctx)
	cancel()
	if err == nil && tok == nil {
		err = ErrNilToken
	}
	if err != nil {
		if cause != nil {
			return nil, fmt.Errorf("%w (after: %w)", err, cause)
		}
		return nil, err
	}
	return sh.commit(ctx, fence, rec, ver, tok)
}

func claimHolder(rec Record) string {
	if rec.Claim == nil {
		return "nobody"
	}
	return strconv.Quote(rec.Claim.Holder)
}

// commit stores tok as the next generation if the record is still ver.
func (sh *shared) commit(ctx context.Context, fence uint64, rec Record, ver RecordVersion, tok Token) (Token, error) {
	ex, ok := tok.(Exportable)
	if !ok {
		return nil, sh.fail(fmt.Sprintf("a %T cannot be stored: it has no Export method", tok), ErrInvalidInput)
	}
	e, err := ex.Export()
	if err != nil {
		return nil, sh.fail("exporting the new token", err)
	}
	next := Record{Token: e, Expiry: tok.Expiry(), Updated: sh.now(), Generation: rec.Generation + 1}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sh.cfg.ExchangeTimeout)
	nv, err := sh.cfg.Store.Put(cctx, sh.cfg.Key, ver, next)
	cancel()
	if errors.Is(err, ErrVersionConflict) {
		// The record moved on without us: our claim is gone. The token is
		// valid for this process, but it is not the shared one.
		sh.observe(ctx, StepStale, next.Generation, fence, time.Time{})
		return tok, nil
	}
	if err != nil {
		// The store failed: this process keeps the token it holds (for a
		// rotating credential, the only copy of the successor); the others
		// find the claim unanswered and recover through Bootstrap.
		sh.observe(ctx, StepStale, next.Generation, fence, time.Time{})
		return tok, nil
	}
	sh.mu.Lock()
	sh.lastVer, sh.lastTok = nv, tok
	if sh.rejected != nil && !sameToken(sh.rejected, tok) {
		sh.rejected = nil
	}
	sh.mu.Unlock()
	sh.observe(ctx, StepCommitted, next.Generation, fence, time.Time{})
	return tok, nil
}

// LeaseEndsWithHolder is implemented by leases that end only when their
// holding process ends or releases them, never by expiry (a file lock). A
// claim of an earlier lease found by such a lease's holder was abandoned by a
// process that is gone, so it is settled at once instead of at its deadline.
type LeaseEndsWithHolder interface {
	// EndsWithHolder reports whether the lease ends only with its holder.
	EndsWithHolder() bool
}

func endsWithHolder(l Lease) bool {
	e, ok := l.(LeaseEndsWithHolder)
	return ok && e.EndsWithHolder()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
