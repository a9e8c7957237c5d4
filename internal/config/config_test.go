package config_test

import (
	"errors"
	"testing"

	"github.com/tokenkit/tokenkit/internal/config"
)

type key struct{}

type vendorOpts struct {
	A int
	B string
}

func TestExtensions(t *testing.T) {
	s := config.Defaults()
	if _, ok := config.Ext[vendorOpts](s, key{}); ok {
		t.Fatal("no extension yet")
	}
	config.Update(s, key{}, func(v *vendorOpts) { v.A = 1 })
	config.Update(s, key{}, func(v *vendorOpts) { v.B = "x" })
	got, ok := config.Ext[vendorOpts](s, key{})
	if !ok || got != (vendorOpts{A: 1, B: "x"}) {
		t.Fatalf("got %+v, %v", got, ok)
	}
	if _, ok := config.Ext[int](s, key{}); ok {
		t.Fatal("a value of another type must not match")
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
