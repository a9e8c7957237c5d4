package oracle

import (
	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/config"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/oracle/internal/api"
)

// vendor names this package in errors and the User-Agent.
const vendor = "oracle"

// Client calls the token API of one Oracle Content Management instance. It
// is safe for concurrent use; build one per instance and share it.
type Client struct {
	base string
	api  *api.Client
	tx   *httpx.Client
	opts vendorOptions
}

// New returns a client for the OCM instance whose origin is base, such
// as "https://mycompany-oce.cec.ocp.oraclecloud.com": scheme and host (and
// port) only, a trailing slash allowed. The operations carry their whole
// path (/system/api/v1/...), so a base with a path is refused with an error
// of kind tokenkit.KindConfig that names the origin to give. base must be
// https (plain http is accepted only for a loopback host, such as an
// oracletest fake). New accepts the shared options of package tokenkit
// (tokenkit.WithHTTPClient, tokenkit.WithLogger, tokenkit.WithRetryMax, …)
// and this package's own (WithRefreshTokenRotation, WithPresentation); an
// option of another vendor's package is an error. The clock of
// tokenkit.WithClock turns expiresInMillis into an expiry, decides whether
// a token is still good for a renewal and drives the refresh of a Source.
func New(base string, opts ...tokenkit.Option) (*Client, error) {
	u, err := httpx.Origin(vendor, base, "")
	if err != nil {
		return nil, err
	}
	s, err := httpx.Apply(vendor, opts)
	if err != nil {
		return nil, err
	}
	vo := config.Vendor[vendorOptions](s)
	tx := httpx.New(vendor, s, decodeError)
	generated, err := api.NewClient(u.String(), api.WithHTTPClient(tx))
	if err != nil {
		return nil, httpx.OptionError(vendor, "invalid base URL")
	}
	return &Client{base: u.String(), api: generated, tx: tx, opts: vo}, nil
}

// BaseURL returns the normalised instance origin the client calls.
func (c *Client) BaseURL() string { return c.base }

type vendorOptions struct {
	noRotation bool // zero value: refresh tokens may rotate
	// present is WithPresentation's list; nil: "Authorization:
	// <tokenType> <token>", the scheme the instance returned.
	present []tokenkit.Presentation
}

// WithRefreshTokenRotation says whether the instance may rotate refresh
// tokens: answer a refresh with a new refreshToken and refuse the old one
// from then on. Oracle does not document it either way, so the default is
// true, the safe assumption: a refresh-token exchange is then retried only
// when it provably never reached the server (or after 429), because replaying
// a refresh whose answer was lost would present a token the server has
// already consumed. Pass false for an instance known to keep refresh tokens
// valid; the refresh-token exchange is then retried like a GET, as the
// password and access-token exchanges always are.
func WithRefreshTokenRotation(on bool) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithRefreshTokenRotation", func(s *config.Settings) { config.UpdateVendor(s, func(v *vendorOptions) { v.noRotation = !on }) })
}

// WithPresentation sets how the access tokens of this client present
// themselves on a request (AccessToken.SetAuthHeader), overriding the
// default, "Authorization: <tokenType> <token>" with the tokenType the
// instance returned (Bearer when it returned none or one that is not a
// valid HTTP auth-scheme). Oracle documents only that default; use this for
// a gateway in front of an instance that wants the token elsewhere, for
// example WithPresentation(tokenkit.Bearer()) to ignore the tokenType. Each
// presentation given is set, in order. Giving none, an invalid one
// (tokenkit.Presentation.Validate) or two for the same header makes New
// fail with an error of kind tokenkit.KindConfig. The token calls
// themselves are unaffected: credentials go as HTTP Basic, a refresh token
// in the body, and a token to renew as its own SetAuthHeader says.
func WithPresentation(p ...tokenkit.Presentation) tokenkit.Option {
	return httpx.PresentationOption(vendor, "WithPresentation", p, func(s *config.Settings, ps []tokenkit.Presentation) {
		config.UpdateVendor(s, func(v *vendorOptions) { v.present = ps })
	})
}
