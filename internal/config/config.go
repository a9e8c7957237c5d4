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

// SetExt stores a vendor-specific setting under a key private to the vendor
// package.
func (s *Settings) SetExt(key, value any) {
	if s.ext == nil {
		s.ext = make(map[any]any)
	}
	s.ext[key] = value
}

// Ext returns the vendor-specific setting stored under key.
func Ext[T any](s *Settings, key any) (T, bool) {
	v, ok := s.ext[key]
	if !ok {
		var zero T
		return zero, false
	}
	t, ok := v.(T)
	return t, ok
}

// Update changes the vendor-specific setting of type T stored under key,
// starting from T's zero value: vendor options are one-liners on top of it.
func Update[T any](s *Settings, key any, f func(*T)) {
	v, _ := Ext[T](s, key)
	f(&v)
	s.SetExt(key, v)
}
