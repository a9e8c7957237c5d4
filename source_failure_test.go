package tokenkit_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

// TestSourceHoldsCredentialFailures: a Source around an exchange with a
// wrong password, asked 1,000 times over 60 s of fake-clock time, goes
// upstream at most 1 + 60s/24s = 3 times (the hold is 30 s ± 20%), and an
// Invalidate or Reset ends the hold at once.
func TestSourceHoldsCredentialFailures(t *testing.T) {
	clock := newClock()
	var calls atomic.Int32
	wrong := &tokenkit.Error{Vendor: "test", Op: "Login", StatusCode: 200, Message: "Invalid password", Err: tokenkit.ErrInvalidCredential}
	s := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		calls.Add(1)
		return nil, wrong
	}, tokenkit.SourceConfig{Clock: clock})
	for range 1000 {
		_, err := s.Token(context.Background())
		if !errors.Is(err, tokenkit.ErrInvalidCredential) {
			t.Fatalf("got %v", err)
		}
		clock.Advance(60 * time.Millisecond)
	}
	if n := calls.Load(); n > 3 {
		t.Fatalf("%d upstream attempts in 60 s, want at most 3", n)
	}
	before := calls.Load()
	s.Reset()
	_, _ = s.Token(context.Background())
	if calls.Load() != before+1 {
		t.Fatal("Reset must end the hold")
	}
}

// TestSourceBacksOffFailedFetches: an upstream that fails (not a credential
// failure) sees exponentially fewer requests: 1,000 calls over 60 s of
// fake-clock time make at most 1 + log2(60) + 60/30 ≈ 9 fetches.
func TestSourceBacksOffFailedFetches(t *testing.T) {
	clock := newClock()
	var calls atomic.Int32
	s := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		calls.Add(1)
		return nil, &tokenkit.Error{Vendor: "test", Op: "Exchange", StatusCode: 503}
	}, tokenkit.SourceConfig{Clock: clock})
	for range 1000 {
		if _, err := s.Token(context.Background()); !errors.Is(err, tokenkit.ErrServer) {
			t.Fatalf("got %v", err)
		}
		clock.Advance(60 * time.Millisecond)
	}
	n := calls.Load()
	if n > 9 || n < 3 {
		t.Fatalf("%d upstream attempts in 60 s, want between 3 and 9", n)
	}
	t.Logf("%d upstream attempts for 1,000 calls in 60 s", n)
}

// TestSourceRefusesExpiredOnArrival: a token that arrives already expired is
// an ErrInvalidResponse, never a success, and is not refetched on every call.
func TestSourceRefusesExpiredOnArrival(t *testing.T) {
	clock := newClock()
	var calls atomic.Int32
	s := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		n := calls.Add(1)
		return tokenkit.NewBearerToken(fmt.Sprint("t", n), clock.Now().Add(-time.Hour)), nil
	}, tokenkit.SourceConfig{Clock: clock})
	for range 5 {
		tok, err := s.Token(context.Background())
		if tok != nil || !errors.Is(err, tokenkit.ErrInvalidResponse) || tokenkit.KindOf(err) != tokenkit.KindInvalidResponse {
			t.Fatalf("got %v, %v", tok, err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d fetches for 5 calls, want 1", n)
	}
}
