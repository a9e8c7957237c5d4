package tokenkit_test

import (
	"context"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/store"
)

// The hot path of a SharedSource is the plain Source's: a valid token in
// memory is handed out without touching the store. Run both in one go so
// that the ratio holds on a noisy machine:
//
//	go test -run '^$' -bench 'HotPath' -benchmem -count 5 .

func BenchmarkHotPathPlainSource(b *testing.B) {
	s := newCachedSource(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHotPathSharedSource(b *testing.B) {
	s, err := tokenkit.NewSharedSource(tokenkit.SharedConfig{
		Store: store.NewMemory(), Key: "bench", Import: tokenkit.ImportBearer,
		Refresh: func(context.Context, tokenkit.Token) (tokenkit.Token, error) {
			return tokenkit.NewBearerToken("cached", time.Now().Add(time.Hour)), nil
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Token(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
