// Package config holds the settings that every vendor client shares. Users set
// them through the options of the root package (tokenkit.WithHTTPClient, …);
// vendor packages add their own options beside those, stored as extensions.
package config

import (
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Defaults of the shared transport. They are documented on the options of the
// root package that change them.
const (
	DefaultRetryMax         = 3
	DefaultRetryWaitMin     = 200 * time.Millisecond
	DefaultRetryWaitMax     = 5 * time.Second
	DefaultMaxRetryAfter    = 60 * time.Second
	DefaultAttemptTimeout   = 30 * time.Second
	DefaultMaxResponseBytes = 1 << 20
)

// Settings is what the options of every vendor client configure.
type Settings struct {
	HTTPClient       *http.Client
	Logger           *slog.Logger
	UserAgent        string
	RetryMax         int
	RetryWaitMin     time.Duration
	RetryWaitMax     time.Duration
	MaxRetryAfter    time.Duration
	AttemptTimeout   time.Duration
	MaxResponseBytes int64
	// Clock tells the time for expiries computed from lifetimes, token
	// verification and the Sources of a client; nil means time.Now.
	Clock func() time.Time
	// Observer receives lifecycle events (a tokenkit.Observer; this
	// package cannot name the type); nil is none.
	Observer any

	ext  map[any]any
	errs []error
}

// Defaults returns the settings a client has before any option is applied.
func Defaults() *Settings {
	return &Settings{
		RetryMax:         DefaultRetryMax,
		RetryWaitMin:     DefaultRetryWaitMin,
		RetryWaitMax:     DefaultRetryWaitMax,
		MaxRetryAfter:    DefaultMaxRetryAfter,
		AttemptTimeout:   DefaultAttemptTimeout,
		MaxResponseBytes: DefaultMaxResponseBytes,
	}
}

// Fail records an invalid option; Err reports it when the client is built.
func (s *Settings) Fail(err error) { s.errs = append(s.errs, err) }

// Err returns every error recorded by Fail, joined, or nil.
func (s *Settings) Err() error { return errors.Join(s.errs...) }

// Now returns the time on the client's clock: Clock, or time.Now when no
// clock was set.
func (s *Settings) Now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// vendorKey is the key under which the vendor settings of type T are stored.
// T is private to one vendor package, so no two packages share a key.
type vendorKey[T any] struct{}

// Vendor returns the vendor-specific settings of type T that the options of
// one vendor package stored with UpdateVendor, or T's zero value when none
// did. T is a type private to that vendor package.
func Vendor[T any](s *Settings) T {
	v, _ := s.ext[vendorKey[T]{}].(T)
	return v
}

// UpdateVendor changes the vendor-specific settings of type T, starting from
// T's zero value: vendor options are one-liners on top of it.
func UpdateVendor[T any](s *Settings, f func(*T)) {
	v := Vendor[T](s)
	f(&v)
	if s.ext == nil {
		s.ext = make(map[any]any)
	}
	s.ext[vendorKey[T]{}] = v
}

// NewOption builds a tokenkit.Option of vendor (named name, for errors)
// that applies apply, returned as any because this package cannot import
// the root package; ApplyOption applies such an Option to s for a client of
// vendor. The root package sets both in its init; use them through
// httpx.VendorOption and httpx.Apply.
var (
	NewOption   func(vendor, name string, apply func(*Settings)) any
	ApplyOption func(o any, vendor string, s *Settings)
)
