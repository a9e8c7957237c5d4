package oracle

import (
	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/config"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/oracle/internal/api"
)

// vendor names this package in errors and the User-Agent.
const vendor = "oracle"

// Operation names, as the operationIds of openapi/oracle.yaml. Errors carry
// them in tokenkit.Error.Op.
const (
	opGetAccessToken = "GetAccessToken"
	opGetCurrentUser = "GetCurrentUser"
)

// Client calls the token API of one Oracle Content Management instance. It
// is safe for concurrent use; build one per instance and share it.
type Client struct {
	base string
	api  *api.Client
	tx   *httpx.Client
	opts vendorOptions
}

// New returns a client for the OCM instance at instance, such as
// "https://mycompany-oce.cec.ocp.oraclecloud.com"; the API lives under
// /system/api/v1 of that host. A trailing slash is ignored and a path prefix
// (a proxy) is kept. instance must be https (plain http is accepted only for
// a loopback host, such as an oracletest fake). New accepts the shared
// options of package tokenkit (tokenkit.WithHTTPClient, tokenkit.WithLogger,
// tokenkit.WithRetryMax, …) and this package's own
// (WithRefreshTokenRotation). The clock of tokenkit.WithClock turns
// expiresInMillis into an expiry, decides whether a token is still good for
// a renewal and drives the refresh of a Source.
func New(instance string, opts ...tokenkit.Option) (*Client, error) {
	u, err := httpx.BaseURL(vendor, instance)
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

// BaseURL returns the normalised instance URL the client calls.
func (c *Client) BaseURL() string { return c.base }

type vendorOptions struct {
	noRotation bool // zero value: refresh tokens may rotate
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

// op builds one call's operation descriptor.
func op(name string, class httpx.Class, auth tokenkit.TokenSource) *httpx.Op {
	return &httpx.Op{Name: name, Class: class, Auth: auth}
}
