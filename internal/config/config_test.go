package config_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit/internal/config"
)

type vendorOpts struct {
	A int
	B string
}

type otherOpts struct{ A int }

func TestVendorSettings(t *testing.T) {
	s := config.Defaults()
	if got := config.Vendor[vendorOpts](s); got != (vendorOpts{}) {
		t.Fatalf("no vendor settings yet, got %+v", got)
	}
	config.UpdateVendor(s, func(v *vendorOpts) { v.A = 1 })
	config.UpdateVendor(s, func(v *vendorOpts) { v.B = "x" })
	if got := config.Vendor[vendorOpts](s); got != (vendorOpts{A: 1, B: "x"}) {
		t.Fatalf("got %+v", got)
	}
	if got := config.Vendor[otherOpts](s); got != (otherOpts{}) {
		t.Fatalf("settings of another type must not match, got %+v", got)
	}
	if s.Err() != nil {
		t.Fatal("no error recorded yet")
	}
	e1, e2 := errors.New("one"), errors.New("two")
	s.Fail(e1)
	s.Fail(e2)
	if !errors.Is(s.Err(), e1) || !errors.Is(s.Err(), e2) {
		t.Fatalf("Err = %v", s.Err())
	}
}

func TestNow(t *testing.T) {
	s := config.Defaults()
	before := time.Now()
	if got := s.Now(); got.Before(before) || got.After(time.Now()) {
		t.Fatalf("default clock: %v", got)
	}
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s.Clock = func() time.Time { return t0 }
	if got := s.Now(); !got.Equal(t0) {
		t.Fatalf("Now = %v, want %v", got, t0)
	}
}
