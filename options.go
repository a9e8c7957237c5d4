package tokenkit

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tokenkit/tokenkit/internal/config"
)

// Option configures a vendor client. The options in this package work with
// every vendor's New; each vendor package adds its own beside them, of the
// same type, so they mix in one call:
//
//	c, err := csp.New(csp.CloudVMware,
//		tokenkit.WithLogger(logger),
//		tokenkit.WithRetryMax(5),
//	)
//
// An invalid option makes New return an error of kind KindConfig (ErrConfig),
// and so does an option of another vendor's package given to a vendor's New
// (csp.WithVerification to commvault.New): options name their vendor.
//
// Option is opaque: build one with a With function.
type Option struct {
	vendor string // "" for the options of every vendor
	name   string // the With function, for errors
	apply  func(*config.Settings)
}

// The vendor packages build and apply options through internal/config,
// which cannot import this package: these hooks connect the two, so that
// nothing of Option's construction is in the public API.
func init() {
	config.NewOption = func(vendor, name string, apply func(*config.Settings)) any {
		return Option{vendor: vendor, name: name, apply: apply}
	}
	config.ApplyOption = func(o any, vendor string, s *config.Settings) { o.(Option).applyTo(vendor, s) }
}

// applyTo applies o to the settings of a client of vendor, recording an
// error there for a zero Option or another vendor's option.
func (o Option) applyTo(vendor string, s *config.Settings) {
	switch {
	case o.apply == nil:
		s.Fail(invalid("a zero Option: build options with the With functions"))
	case o.vendor != "" && o.vendor != vendor:
		s.Fail(invalid("%s is an option of package %s, not of %s", o.name, o.vendor, vendor))
	default:
		o.apply(s)
	}
}

// option builds an option of every vendor.
func option(name string, apply func(*config.Settings)) Option {
	return Option{name: name, apply: apply}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// WithHTTPClient sends every request through c: its Transport (a proxy, a
// custom CA pool, otelhttp, httpmock), its Jar and its CheckRedirect are
// honoured. tokenkit copies c and never modifies it; when c.Timeout is zero
// each attempt is bounded by WithAttemptTimeout instead. Without this option
// tokenkit uses a pooled transport that honours HTTP_PROXY and HTTPS_PROXY.
func WithHTTPClient(c *http.Client) Option {
	return option("WithHTTPClient", func(s *config.Settings) {
		if c == nil {
			s.Fail(invalid("WithHTTPClient: nil client"))
			return
		}
		s.HTTPClient = c
	})
}

// WithLogger logs one debug line per attempt and one warning per retry to l,
// an info line per resend after a 401, and the lifecycle events of the
// client's Sources (see LogObserver). Secrets never reach it: URLs, headers
// and bodies pass the redactor first. Without this option tokenkit is
// silent.
func WithLogger(l *slog.Logger) Option {
	return option("WithLogger", func(s *config.Settings) { s.Logger = l })
}

// WithObserver passes the lifecycle events of the client's calls (retries,
// resends after a 401) and of the Sources it builds (fetches, invalidations)
// to o; see Observer. The nested module github.com/tokenkit/tokenkit/otel
// provides one that records OpenTelemetry metrics and spans. A Source keeps
// an Observer of its own SourceConfig when one is set.
func WithObserver(o Observer) Option {
	return option("WithObserver", func(s *config.Settings) {
		if o == nil {
			s.Fail(invalid("WithObserver: nil observer"))
			return
		}
		s.Observer = o
	})
}

// WithUserAgent puts product (for example "my-bot/1.2") before tokenkit's own
// "tokenkit-go/<Version>" in the User-Agent header.
func WithUserAgent(product string) Option {
	return option("WithUserAgent", func(s *config.Settings) { s.UserAgent = product })
}

// WithRetryMax sets how many times a failed attempt is retried (default 3;
// 0 disables retries). Operations that create or rotate state are retried only
// when the request never reached the server or the server answered 429.
func WithRetryMax(n int) Option {
	return option("WithRetryMax", func(s *config.Settings) {
		if n < 0 {
			s.Fail(invalid("WithRetryMax: negative count %d", n))
			return
		}
		s.RetryMax = n
	})
}

// WithRetryWait sets the bounds of the jittered exponential backoff between
// attempts (default 200ms and 5s): the wait before retry n is drawn uniformly
// from [0, min(max, min·2ⁿ)].
func WithRetryWait(min, max time.Duration) Option {
	return option("WithRetryWait", func(s *config.Settings) {
		if min <= 0 || max < min {
			s.Fail(invalid("WithRetryWait: need 0 < min <= max, got %s and %s", min, max))
			return
		}
		s.RetryWaitMin, s.RetryWaitMax = min, max
	})
}

// WithMaxRetryAfter caps how long tokenkit honours a server's Retry-After
// (default 60s). A longer Retry-After, or one that outlasts the context's
// deadline, ends the call at once with an *Error whose RetryAfter says how long
// the server asked to wait.
func WithMaxRetryAfter(d time.Duration) Option {
	return option("WithMaxRetryAfter", func(s *config.Settings) {
		if d < 0 {
			s.Fail(invalid("WithMaxRetryAfter: negative duration %s", d))
			return
		}
		s.MaxRetryAfter = d
	})
}

// WithAttemptTimeout bounds each attempt, the response body included
// (default 30s); its clock starts once the attempt's token is attached, so a
// slow token fetch never counts against it. For a stream it bounds only the
// wait for the headers. It applies only when the client given to
// WithHTTPClient has no Timeout of its own.
func WithAttemptTimeout(d time.Duration) Option {
	return option("WithAttemptTimeout", func(s *config.Settings) {
		if d <= 0 {
			s.Fail(invalid("WithAttemptTimeout: need a positive duration, got %s", d))
			return
		}
		s.AttemptTimeout = d
	})
}

// WithMaxResponseBytes bounds how much of a response body is read (default
// 1 MiB); a larger body fails the call with ErrInvalidResponse.
func WithMaxResponseBytes(n int64) Option {
	return option("WithMaxResponseBytes", func(s *config.Settings) {
		if n <= 0 {
			s.Fail(invalid("WithMaxResponseBytes: need a positive size, got %d", n))
			return
		}
		s.MaxResponseBytes = n
	})
}

// WithClock sets the clock every vendor client uses for the expiries it
// computes from lifetimes (such as expires_in or a session timeout), for
// token verification and for its Sources' refresh decisions, unless a
// SourceConfig brings a Clock of its own. Tests pass a fake one so that
// expiry can be tested without sleeping. Without this option the client uses
// time.Now.
func WithClock(now func() time.Time) Option {
	return option("WithClock", func(s *config.Settings) {
		if now == nil {
			s.Fail(invalid("WithClock: nil clock"))
			return
		}
		s.Clock = now
	})
}
