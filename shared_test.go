package tokenkit_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/store"
)

// upstream is a fake vendor for the protocol tests: each exchange returns a
// new bearer token "tok-<n>" living for life; with rotate, it accepts only the
// latest token as the credential of the next exchange and counts replays.
type upstream struct {
	life    time.Duration
	calls   atomic.Int64
	replays atomic.Int64
	mu      sync.Mutex
	latest  string
	block   chan struct{} // if set, each exchange waits for it
	entered chan struct{} // if set, closed when the first exchange starts
	once    sync.Once
}

func (u *upstream) refresh(_ context.Context, cur tokenkit.Token) (tokenkit.Token, error) {
	if u.entered != nil {
		u.once.Do(func() { close(u.entered) })
	}
	if u.block != nil {
		<-u.block
	}
	n := u.calls.Add(1)
	u.mu.Lock()
	defer u.mu.Unlock()
	if cur != nil && u.latest != "" && cur.Value() != u.latest {
		u.replays.Add(1)
		return nil, &tokenkit.Error{Vendor: "fake", Op: "Refresh", StatusCode: 401, Err: tokenkit.ErrInvalidCredential}
	}
	u.latest = "tok-" + strconv.FormatInt(n, 10)
	return tokenkit.NewBearerToken(u.latest, time.Now().Add(u.life)), nil
}

func newShared(t *testing.T, st tokenkit.Store, u *upstream, mod func(*tokenkit.SharedConfig)) *tokenkit.SharedSource {
	t.Helper()
	cfg := tokenkit.SharedConfig{Store: st, Key: "k", Import: tokenkit.ImportBearer, Refresh: u.refresh,
		PollInterval: 5 * time.Millisecond, LeaseTTL: time.Second}
	if mod != nil {
		mod(&cfg)
	}
	s, err := tokenkit.NewSharedSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSharedSourceSharesOneExchange(t *testing.T) {
	t.Parallel()
	st := store.NewMemory()
	u := &upstream{life: time.Hour}
	a, b := newShared(t, st, u, nil), newShared(t, st, u, nil)
	ta, err := a.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if u.calls.Load() != 1 || ta.Value() != tb.Value() {
		t.Fatalf("two sources made %d exchanges; same token: %v", u.calls.Load(), ta.Value() == tb.Value())
	}
}

func TestSharedSourceClaimsBeforeSpending(t *testing.T) {
	t.Parallel()
	st := store.NewMemory()
	u := &upstream{life: time.Hour}
	seed := newShared(t, st, u, nil)
	if _, err := seed.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	var sawClaim bool
	s := newShared(t, st, u, func(c *tokenkit.SharedConfig) {
		c.Rotating = true
		c.Refresh = func(ctx context.Context, cur tokenkit.Token) (tokenkit.Token, error) {
			rec, _, _ := st.Get(ctx, "k")
			sawClaim = rec.Claim != nil && rec.Claim.Generation == rec.Generation && rec.Claim.Fence > 0
			return u.refresh(ctx, cur)
		}
	})
	s.Invalidate(seed.Cached()) // s was told the stored token is rejected
	tok, err := s.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !sawClaim || tok.Value() != "tok-2" {
		t.Fatalf("claim before the exchange: %v; token %q", sawClaim, tok.Value())
	}
	rec, _, _ := st.Get(context.Background(), "k")
	if rec.Generation != 2 || rec.Claim != nil {
		t.Fatalf("after commit: generation %d, claim %v", rec.Generation, rec.Claim)
	}
}

// An abandoned claim (its holder died after sending) is never replayed: the
// source reports ErrCredentialSpent, or recovers through Bootstrap.
func TestSharedSourceNeverReplaysAnAbandonedClaim(t *testing.T) {
	t.Parallel()
	for _, withBootstrap := range []bool{false, true} {
		t.Run(fmt.Sprintf("bootstrap=%v", withBootstrap), func(t *testing.T) {
			t.Parallel()
			st := store.NewMemory()
			u := &upstream{life: time.Hour}
			e, _ := tokenkit.NewBearerToken("tok-0", time.Now().Add(time.Second)).Export()
			ctx := context.Background()
			dead, _ := st.Lease(ctx, "k", time.Second)
			if _, err := st.Put(ctx, "k", "", tokenkit.Record{Token: e, Expiry: e.Expiry, Updated: time.Now().Add(-time.Hour),
				Generation: 7, Claim: &tokenkit.Claim{Generation: 7, Fence: dead.Fence(), Holder: "dead", Deadline: time.Now().Add(-time.Second)}}); err != nil {
				t.Fatal(err)
			}
			st.ExpireLease("k")
			var booted atomic.Int64
			var steps []tokenkit.SharedStep
			s := newShared(t, st, u, func(c *tokenkit.SharedConfig) {
				c.Rotating = true
				c.Observe = func(ev tokenkit.SharedEvent) { steps = append(steps, ev.Step) }
				if withBootstrap {
					c.Bootstrap = func(context.Context) (tokenkit.Token, error) {
						booted.Add(1)
						return tokenkit.NewBearerToken("fresh", time.Now().Add(time.Hour)), nil
					}
				}
			})
			tok, err := s.Token(ctx)
			if u.calls.Load() != 0 {
				t.Fatalf("the spent credential was sent %d times", u.calls.Load())
			}
			if !withBootstrap {
				if !errors.Is(err, tokenkit.ErrCredentialSpent) {
					t.Fatalf("err = %v, want ErrCredentialSpent", err)
				}
				return
			}
			if err != nil || tok.Value() != "fresh" || booted.Load() != 1 {
				t.Fatalf("bootstrap: %v, %d calls", err, booted.Load())
			}
			rec, _, _ := st.Get(ctx, "k")
			if rec.Generation != 8 || rec.Claim != nil {
				t.Fatalf("after bootstrap: generation %d, claim %v (steps %v)", rec.Generation, rec.Claim, steps)
			}
		})
	}
}

// The fence test: a holder whose lease expires in the middle of its exchange
// does not commit over the state of the holder that took over.
func TestSharedSourceLeaseLostMidExchangeNeverCommitsStale(t *testing.T) {
	t.Parallel()
	for _, rotating := range []bool{false, true} {
		t.Run(fmt.Sprintf("rotating=%v", rotating), func(t *testing.T) {
			t.Parallel()
			st := store.NewMemory()
			ctx := context.Background()
			exchanging := make(chan struct{})
			slow := &upstream{life: time.Hour, block: make(chan struct{}), entered: exchanging}
			fast := &upstream{life: time.Hour}
			e, _ := tokenkit.NewBearerToken("tok-0", time.Now().Add(-time.Minute)).Export()
			if _, err := st.Put(ctx, "k", "", tokenkit.Record{Token: e, Expiry: e.Expiry, Generation: 1}); err != nil {
				t.Fatal(err)
			}
			var aSteps []tokenkit.SharedStep
			a := newShared(t, st, slow, func(c *tokenkit.SharedConfig) {
				c.Rotating = rotating
				c.ExchangeTimeout = 50 * time.Millisecond
				c.Observe = func(ev tokenkit.SharedEvent) { aSteps = append(aSteps, ev.Step) }
			})
			b := newShared(t, st, fast, func(c *tokenkit.SharedConfig) {
				c.Rotating = rotating
				c.Bootstrap = func(context.Context) (tokenkit.Token, error) {
					return tokenkit.NewBearerToken("boot", time.Now().Add(time.Hour)), nil
				}
			})
			done := make(chan error, 1)
			go func() { _, err := a.Token(ctx); done <- err }()
			<-exchanging
			st.ExpireLease("k") // a's lease expires while it exchanges
			tb, err := b.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			close(slow.block) // a's exchange answers only now
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			rec, _, _ := st.Get(ctx, "k")
			got, _ := tokenkit.ImportBearer(rec.Token)
			if got.Value() != tb.Value() || rec.Generation != 2 {
				t.Fatalf("store holds %q at generation %d, want b's %q at 2 (a's steps %v)", got.Value(), rec.Generation, tb.Value(), aSteps)
			}
			if aSteps[len(aSteps)-1] != tokenkit.StepStale {
				t.Fatalf("a's last step = %v, want stale", aSteps[len(aSteps)-1])
			}
			if rotating && fast.calls.Load() != 0 {
				t.Fatalf("b replayed a's claimed credential")
			}
		})
	}
}

func TestSharedSourceOutcomeUnknownKeepsTheClaim(t *testing.T) {
	t.Parallel()
	st := store.NewMemory()
	ctx := context.Background()
	e, _ := tokenkit.NewBearerToken("tok-0", time.Now().Add(-time.Minute)).Export()
	_, _ = st.Put(ctx, "k", "", tokenkit.Record{Token: e, Expiry: e.Expiry, Generation: 1})
	var calls atomic.Int64
	s := newShared(t, st, &upstream{}, func(c *tokenkit.SharedConfig) {
		c.Rotating = true
		c.Refresh = func(context.Context, tokenkit.Token) (tokenkit.Token, error) {
			calls.Add(1)
			return nil, &tokenkit.Error{Vendor: "fake", Op: "Refresh", Err: tokenkit.ErrOutcomeUnknown}
		}
	})
	for range 3 {
		if _, err := s.Token(ctx); !errors.Is(err, tokenkit.ErrCredentialSpent) {
			t.Fatalf("err = %v, want ErrCredentialSpent", err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("a credential of unknown outcome was sent %d times", calls.Load())
	}
}

func TestSharedSourceRefusedCredentialWithdrawsTheClaim(t *testing.T) {
	t.Parallel()
	st := store.NewMemory()
	ctx := context.Background()
	e, _ := tokenkit.NewBearerToken("tok-0", time.Now().Add(-time.Minute)).Export()
	_, _ = st.Put(ctx, "k", "", tokenkit.Record{Token: e, Expiry: e.Expiry, Generation: 1})
	s := newShared(t, st, &upstream{}, func(c *tokenkit.SharedConfig) {
		c.Rotating = true
		c.Refresh = func(context.Context, tokenkit.Token) (tokenkit.Token, error) {
			return nil, &tokenkit.Error{Vendor: "fake", Op: "Refresh", StatusCode: 503, Err: tokenkit.ErrServer}
		}
	})
	if _, err := s.Token(ctx); !errors.Is(err, tokenkit.ErrServer) {
		t.Fatalf("err = %v", err)
	}
	rec, _, _ := st.Get(ctx, "k")
	if rec.Claim != nil {
		t.Fatal("an answered, refused exchange left its claim: the credential would be declared spent")
	}
}

func TestSharedSourceFormatsWithoutSecrets(t *testing.T) {
	t.Parallel()
	s := newShared(t, store.NewMemory(), &upstream{life: time.Hour}, nil)
	tok, _ := s.Token(context.Background())
	if out := fmt.Sprintf("%v %+v %#v", s, s, s); tok == nil || strconv.QuoteToASCII(out) == "" || contains(out, tok.Value()) {
		t.Fatalf("%s", out)
	}
}

func contains(s, sub string) bool {
	return sub != "" && len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// failingCommits is a store whose commits (a Put of a new generation) fail.
type failingCommits struct{ *store.Memory }

func (f failingCommits) Put(ctx context.Context, key string, prev tokenkit.RecordVersion, r tokenkit.Record) (tokenkit.RecordVersion, error) {
	if r.Claim == nil && r.Generation > 1 {
		return "", errors.New("store unavailable")
	}
	return f.Memory.Put(ctx, key, prev, r)
}

// A store that fails the commit must not cost this process the successor
// of a credential it just spent: the token is handed out all the same.
func TestSharedSourceKeepsTheTokenWhenTheCommitFails(t *testing.T) {
	t.Parallel()
	st := failingCommits{store.NewMemory()}
	ctx := context.Background()
	e, _ := tokenkit.NewBearerToken("tok-0", time.Now().Add(-time.Minute)).Export()
	_, _ = st.Put(ctx, "k", "", tokenkit.Record{Token: e, Expiry: e.Expiry, Generation: 1})
	u := &upstream{life: time.Hour}
	var steps []tokenkit.SharedStep
	s := newShared(t, st, u, func(c *tokenkit.SharedConfig) {
		c.Rotating = true
		c.Observe = func(ev tokenkit.SharedEvent) { steps = append(steps, ev.Step) }
	})
	tok, err := s.Token(ctx)
	if err != nil || tok.Value() != "tok-1" {
		t.Fatalf("got %v, %v; want the new token", tok, err)
	}
	if steps[len(steps)-1] != tokenkit.StepStale {
		t.Fatalf("steps %v, want stale last", steps)
	}
}

// A token a server rejected (Invalidate, as Transport calls after a 401) is
// replaced in the store, not adopted from it again.
func TestSharedSourceReplacesARejectedStoredToken(t *testing.T) {
	t.Parallel()
	st := store.NewMemory()
	u := &upstream{life: time.Hour}
	a, b := newShared(t, st, u, nil), newShared(t, st, u, nil)
	ctx := context.Background()
	t1, err := a.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Token(ctx); got.Value() != t1.Value() {
		t.Fatal("b did not adopt a's token")
	}
	b.Invalidate(t1) // the server answered 401 to b
	t2, err := b.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if t2.Value() == t1.Value() || u.calls.Load() != 2 {
		t.Fatalf("after a 401, b got %q after %d exchanges; want a new token", t2.Value(), u.calls.Load())
	}
	rec, _, _ := st.Get(ctx, "k")
	if stored, _ := tokenkit.ImportBearer(rec.Token); stored.Value() != t2.Value() {
		t.Fatal("the new token was not stored for the other processes")
	}
}

// A Refresh error that does not say whether the credential was sent (not a
// *tokenkit.Error) leaves the credential possibly spent: never replayed.
func TestSharedSourceAmbiguousErrorIsSpent(t *testing.T) {
	t.Parallel()
	st := store.NewMemory()
	ctx := context.Background()
	e, _ := tokenkit.NewBearerToken("tok-0", time.Now().Add(-time.Minute)).Export()
	_, _ = st.Put(ctx, "k", "", tokenkit.Record{Token: e, Expiry: e.Expiry, Generation: 1})
	var calls atomic.Int64
	s := newShared(t, st, &upstream{}, func(c *tokenkit.SharedConfig) {
		c.Rotating = true
		c.Refresh = func(context.Context, tokenkit.Token) (tokenkit.Token, error) {
			calls.Add(1)
			return nil, errors.New("connection reset by peer")
		}
	})
	for range 3 {
		if _, err := s.Token(ctx); !errors.Is(err, tokenkit.ErrCredentialSpent) {
			t.Fatalf("err = %v, want ErrCredentialSpent", err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("a credential of unknown fate was sent %d times", calls.Load())
	}
}

// A claim written under a newer lease than ours (our lease expired while we
// waited) belongs to a live holder: we wait for its commit and adopt it,
// never declare its credential spent.
func TestSharedSourceWaitsForANewerHoldersClaim(t *testing.T) {
	t.Parallel()
	st := store.NewMemory()
	ctx := context.Background()
	e, _ := tokenkit.NewBearerToken("tok-0", time.Now().Add(-time.Minute)).Export()
	claimed := tokenkit.Record{Token: e, Expiry: e.Expiry, Generation: 1,
		Claim: &tokenkit.Claim{Generation: 1, Fence: 99, Holder: "newer:1", Deadline: time.Now().Add(time.Minute)}}
	ver, err := st.Put(ctx, "k", "", claimed)
	if err != nil {
		t.Fatal(err)
	}
	var booted atomic.Int64
	s := newShared(t, st, &upstream{}, func(c *tokenkit.SharedConfig) {
		c.Rotating = true
		c.Bootstrap = func(context.Context) (tokenkit.Token, error) {
			booted.Add(1)
			return tokenkit.NewBearerToken("bootstrapped", time.Now().Add(time.Hour)), nil
		}
		c.Observe = func(ev tokenkit.SharedEvent) {
			if ev.Step == tokenkit.StepLeased { // the newer holder commits while we wait
				go func() {
					n, _ := tokenkit.NewBearerToken("newer-token", time.Now().Add(time.Hour)).Export()
					_, _ = st.Put(ctx, "k", ver, tokenkit.Record{Token: n, Expiry: n.Expiry, Updated: time.Now(), Generation: 2})
				}()
			}
		}
	})
	tok, err := s.Token(ctx)
	if err != nil || tok.Value() != "newer-token" || booted.Load() != 0 {
		t.Fatalf("got %v, %v after %d bootstraps; want the newer holder's token", tok, err, booted.Load())
	}
}
