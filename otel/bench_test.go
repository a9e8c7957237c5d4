package otel_test

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tokenkit/tokenkit"
	tkotel "github.com/tokenkit/tokenkit/otel"
)

func cachedSource(tb testing.TB, obs tokenkit.Observer) *tokenkit.Source {
	s := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		return tokenkit.NewBearerToken("cached", time.Now().Add(time.Hour)), nil
	}, tokenkit.SourceConfig{Observer: obs, Vendor: "bench", Name: "Bench"})
	if _, err := s.Token(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func sdkObserver(tb testing.TB) *tkotel.Observer {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tp := sdktrace.NewTracerProvider()
	obs, err := tkotel.NewObserver(tkotel.WithMeterProvider(mp), tkotel.WithTracerProvider(tp))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = obs.Shutdown()
		_ = mp.Shutdown(context.Background())
		_ = tp.Shutdown(context.Background())
	})
	return obs
}

// BenchmarkCachedToken compares the cached hot path of a Source without an
// Observer and with the OpenTelemetry one (on the SDK, with a reader):
//
//	cd otel && go test -run '^$' -bench CachedToken -benchmem -count 10 .
func BenchmarkCachedToken(b *testing.B) {
	for _, bc := range []struct {
		name string
		obs  func(testing.TB) tokenkit.Observer
	}{
		{"none", func(testing.TB) tokenkit.Observer { return nil }},
		{"otel", func(tb testing.TB) tokenkit.Observer { return sdkObserver(tb) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := cachedSource(b, bc.obs(b))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Token(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestOTelObservedCachedTokenDoesNotAllocate pins that the OpenTelemetry
// Observer adds no allocation to a cache hit.
func TestOTelObservedCachedTokenDoesNotAllocate(t *testing.T) {
	s := cachedSource(t, sdkObserver(t))
	ctx := context.Background()
	if n := testing.AllocsPerRun(1000, func() { _, _ = s.Token(ctx) }); n != 0 {
		t.Fatalf("cached Token allocates %.1f times per call, want 0", n)
	}
}
