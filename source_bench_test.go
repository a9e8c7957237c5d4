package tokenkit_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenkit/tokenkit"
)

// The benchmarks below hand out a cached, valid token: tokenkit.Source and
// golang.org/x/oauth2.ReuseTokenSource side by side, serially and from all
// cores. Run them with
//
//	go test -run '^$' -bench 'Cached' -benchmem .
//
// The numbers measured for the README are quoted there.

type staticOAuth2 struct{ tok *oauth2.Token }

func (s staticOAuth2) Token() (*oauth2.Token, error) { return s.tok, nil }

func newCachedSource(b *testing.B) *tokenkit.Source {
	s := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		return tokenkit.NewBearerToken("cached", time.Now().Add(time.Hour)), nil
	}, tokenkit.SourceConfig{})
	if _, err := s.Token(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

func newCachedOAuth2(b *testing.B) oauth2.TokenSource {
	tok := &oauth2.Token{AccessToken: "cached", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	ts := oauth2.ReuseTokenSource(nil, staticOAuth2{tok})
	if _, err := ts.Token(); err != nil {
		b.Fatal(err)
	}
	return ts
}

func BenchmarkCachedTokenkitSource(b *testing.B) {
	s := newCachedSource(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCachedOAuth2ReuseTokenSource(b *testing.B) {
	ts := newCachedOAuth2(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ts.Token(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCachedTokenkitSourceParallel(b *testing.B) {
	s := newCachedSource(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Token(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCachedOAuth2ReuseTokenSourceParallel(b *testing.B) {
	ts := newCachedOAuth2(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCachedTokenDoesNotAllocate pins the zero-allocation promise in the
// ordinary test run, not only in benchmarks.
func TestCachedTokenDoesNotAllocate(t *testing.T) {
	s := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		return tokenkit.NewBearerToken("cached", time.Now().Add(time.Hour)), nil
	}, tokenkit.SourceConfig{})
	ctx := context.Background()
	if _, err := s.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() { _, _ = s.Token(ctx) }); n != 0 {
		t.Fatalf("cached Token allocates %.1f times per call, want 0", n)
	}
}
