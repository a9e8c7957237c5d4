package tokenkit_test

import (
	"context"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

// nopObserver is an Observer that does nothing: the cost of the hook alone.
type nopObserver struct{}

func (nopObserver) Observe(ctx context.Context, _ tokenkit.Event) context.Context { return ctx }

func newObservedSource(tb testing.TB) *tokenkit.Source {
	s := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		return tokenkit.NewBearerToken("cached", time.Now().Add(time.Hour)), nil
	}, tokenkit.SourceConfig{Observer: nopObserver{}, Vendor: "bench", Name: "Bench"})
	if _, err := s.Token(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkCachedTokenkitSourceObserved is BenchmarkCachedTokenkitSource with
// an Observer installed that does nothing: a cache hit emits no event, so
// the two must not differ. Compare them with
//
//	go test -run '^$' -bench 'CachedTokenkitSource(Observed)?$' -benchmem -count 10 .
func BenchmarkCachedTokenkitSourceObserved(b *testing.B) {
	s := newObservedSource(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// TestObservedCachedTokenDoesNotAllocate pins that an Observer adds no
// allocation to the hot path.
func TestObservedCachedTokenDoesNotAllocate(t *testing.T) {
	s := newObservedSource(t)
	ctx := context.Background()
	if n := testing.AllocsPerRun(1000, func() { _, _ = s.Token(ctx) }); n != 0 {
		t.Fatalf("cached Token with an Observer allocates %.1f times per call, want 0", n)
	}
}
