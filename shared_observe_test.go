package tokenkit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/store"
)

// eventLog records the types of the events an Observer sees.
type eventLog struct {
	mu    sync.Mutex
	types []tokenkit.EventType
}

func (l *eventLog) Observe(ctx context.Context, e tokenkit.Event) context.Context {
	l.mu.Lock()
	l.types = append(l.types, e.Type)
	l.mu.Unlock()
	return ctx
}

func (l *eventLog) count(t tokenkit.EventType) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, x := range l.types {
		if x == t {
			n++
		}
	}
	return n
}

// TestSharedSourceEmitsLifecycleEvents: the shared-refresh steps reach the
// Source's observers as lifecycle events, so OpenTelemetry and slog see
// them: the exchanging process acquires the lease, the other adopts the
// token, and a rotation of unknown outcome is reported as ambiguous.
func TestSharedSourceEmitsLifecycleEvents(t *testing.T) {
	t.Parallel()
	st := store.NewMemory()
	u := &upstream{life: time.Hour}
	la, lb := &eventLog{}, &eventLog{}
	a := newShared(t, st, u, func(c *tokenkit.SharedConfig) { c.Source.Observer = la })
	b := newShared(t, st, u, func(c *tokenkit.SharedConfig) { c.Source.Observer = lb })
	ctx := context.Background()
	if _, err := a.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if la.count(tokenkit.EventLeaseAcquired) != 1 || lb.count(tokenkit.EventAdopted) != 1 || lb.count(tokenkit.EventLeaseAcquired) != 0 {
		t.Fatalf("events: exchanging process %v, adopting process %v", la.types, lb.types)
	}

	e, _ := tokenkit.NewBearerToken("tok-0", time.Now().Add(-time.Minute)).Export()
	st2 := store.NewMemory()
	_, _ = st2.Put(ctx, "k", "", tokenkit.Record{Token: e, Expiry: e.Expiry, Generation: 1})
	lc := &eventLog{}
	c := newShared(t, st2, &upstream{}, func(c *tokenkit.SharedConfig) {
		c.Source.Observer = lc
		c.Rotating = true
		c.Refresh = func(context.Context, tokenkit.Token) (tokenkit.Token, error) {
			return nil, &tokenkit.Error{Vendor: "fake", Op: "Refresh", Err: tokenkit.ErrOutcomeUnknown}
		}
	})
	_, _ = c.Token(ctx)
	if lc.count(tokenkit.EventAmbiguousRotation) != 1 {
		t.Fatalf("an unknown-outcome rotation: events %v", lc.types)
	}
}
