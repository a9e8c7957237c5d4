package httpx

import (
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/config"
)

// Now returns the time on the clock of the client's settings
// (tokenkit.WithClock, default time.Now).
func (c *Client) Now() time.Time { return c.settings.Now() }

// clockFunc adapts a func() time.Time to tokenkit.Clock.
type clockFunc func() time.Time

// Now calls f.
func (f clockFunc) Now() time.Time { return f() }

// SourceConfig returns the configuration of a Source that a vendor client
// with settings s builds: cfg, the config argument of the vendor's Source
// method, with its Clock, Logger and Observer filled from s where the user
// left them nil.
func SourceConfig(s *config.Settings, sc tokenkit.SourceConfig) tokenkit.SourceConfig {
	if sc.Clock == nil && s.Clock != nil {
		sc.Clock = clockFunc(s.Clock)
	}
	if sc.Logger == nil {
		sc.Logger = s.Logger
	}
	if o, ok := s.Observer.(tokenkit.Observer); ok && sc.Observer == nil {
		sc.Observer = o
	}
	return sc
}

// SourceConfig is the package function SourceConfig for a Source of this
// client whose fetch is the operation op: its events are labelled with the
// client's vendor and op (unless cfg names them), and go to the client's
// Observer (WithObserver) unless cfg brings one.
func (c *Client) SourceConfig(op string, cfg tokenkit.SourceConfig) tokenkit.SourceConfig {
	sc := SourceConfig(c.settings, cfg)
	if sc.Vendor == "" {
		sc.Vendor = c.vendor
	}
	if sc.Name == "" {
		sc.Name = op
	}
	return sc
}

// AsToken returns t as a tokenkit.Token, or a nil Token with err when err is
// not nil. It lets an Exchanger or Issuer return the concrete token of a
// vendor call in one line: return httpx.AsToken(e.Client.Login(ctx, cr)).
func AsToken[T tokenkit.Token](t T, err error) (tokenkit.Token, error) {
	if err != nil {
		return nil, err
	}
	return t, nil
}
