package tokenkit_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

// TestSourceSaveFailureHoldsTheToken: a token whose Save failed is never
// handed out and never lost; the next fetch saves that same token instead of
// fetching another (which, for a rotating credential, would spend the
// unsaved one).
func TestSourceSaveFailureHoldsTheToken(t *testing.T) {
	clock := newClock()
	f := &fetcher{clock: clock, life: 10 * time.Minute}
	diskFull := errors.New("disk full")
	var mu sync.Mutex
	var saved []string
	failing := true
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{
		Clock: clock, Jitter: -1, FailureBackoff: -1,
		Save: func(_ context.Context, tok tokenkit.Token) error {
			mu.Lock()
			defer mu.Unlock()
			if failing {
				return diskFull
			}
			saved = append(saved, tok.Value())
			return nil
		},
	})
	ctx := context.Background()
	for i := range 3 {
		tok, err := s.Token(ctx)
		if tok != nil || !errors.Is(err, tokenkit.ErrNotSaved) || !errors.Is(err, diskFull) {
			t.Fatalf("call %d with Save failing: (%v, %v), want no token and an error matching ErrNotSaved and the Save error", i, tok, err)
		}
		if strings.Contains(err.Error(), "t1") {
			t.Fatalf("the error shows the token: %v", err)
		}
	}
	if got := f.calls.Load(); got != 1 {
		t.Fatalf("fetches = %d, want 1: an unsaved token is saved again, not replaced", got)
	}
	if s.Cached() != nil {
		t.Fatal("an unsaved token is cached for use")
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	tok, err := s.Token(ctx)
	if err != nil || tok.Value() != "t1" {
		t.Fatalf("after Save recovers: (%v, %v), want t1", tok, err)
	}
	if f.calls.Load() != 1 || len(saved) != 1 || saved[0] != "t1" {
		t.Fatalf("fetches %d, saved %v: want the held t1 saved once", f.calls.Load(), saved)
	}
}

// TestSourceUnsavedExpiredTokenIsReplaced: an unsaved token that expired while
// Save kept failing is replaced by a fetch (the fetch holds the newest
// credential), and the replacement is what gets saved.
func TestSourceUnsavedExpiredTokenIsReplaced(t *testing.T) {
	clock := newClock()
	f := &fetcher{clock: clock, life: time.Minute}
	fail := true
	var saved []string
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{
		Clock: clock, Jitter: -1, FailureBackoff: -1,
		Save: func(_ context.Context, tok tokenkit.Token) error {
			if fail {
				return errors.New("store down")
			}
			saved = append(saved, tok.Value())
			return nil
		},
	})
	if _, err := s.Token(context.Background()); !errors.Is(err, tokenkit.ErrNotSaved) {
		t.Fatalf("err = %v", err)
	}
	clock.Advance(2 * time.Minute)
	fail = false
	tok, err := s.Token(context.Background())
	if err != nil || tok.Value() != "t2" || len(saved) != 1 || saved[0] != "t2" {
		t.Fatalf("got (%v, %v), saved %v: want t2 fetched and saved", tok, err, saved)
	}
}

// TestSourceSavePanicIsAnError: a panicking Save releases the waiters with
// an error, like a panicking fetch.
func TestSourceSavePanicIsAnError(t *testing.T) {
	clock := newClock()
	f := &fetcher{clock: clock, life: time.Hour}
	s := tokenkit.NewSource(f.fetch, tokenkit.SourceConfig{
		Clock: clock,
		Save:  func(context.Context, tokenkit.Token) error { panic("boom") },
	})
	if _, err := s.Token(context.Background()); !errors.Is(err, tokenkit.ErrNotSaved) {
		t.Fatalf("err = %v", err)
	}
}

func TestExportRefusesTokensWithoutPersistedForm(t *testing.T) {
	if _, err := tokenkit.Export(plainToken{}); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("err = %v", err)
	}
	if _, err := tokenkit.Export(nil); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("nil: err = %v", err)
	}
	e, err := tokenkit.Export(tokenkit.NewBearerToken("v", time.Time{}))
	if err != nil || e == nil {
		t.Fatalf("bearer: (%v, %v)", e, err)
	}
}

type plainToken struct{}

func (plainToken) Value() string               { return "x" }
func (plainToken) Expiry() time.Time           { return time.Time{} }
func (plainToken) SetAuthHeader(*http.Request) {}
