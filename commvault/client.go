package commvault

import (
	"context"
	"net/http"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault/internal/api"
	"github.com/tokenkit/tokenkit/internal/config"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
	"github.com/tokenkit/tokenkit/internal/wiretime"
)

// vendor names this package in errors and the User-Agent.
const vendor = "commvault"

// Client calls the Command Center REST API of one host. It is safe for
// concurrent use; build one per host and share it.
type Client struct {
	base string
	api  *api.Client
	tx   *httpx.Client
	opts vendorOptions
}

// New returns a client for the Command Center REST API at base, the full
// API base URL: usually "https://<CommandCenterHost>/commandcenter/api"; a
// host still on the legacy path works with
// "https://<webserver>/webconsole/api". A trailing slash is ignored. base must
// be https (plain http is accepted only for a loopback host, such as a
// commvaulttest fake).
//
// New accepts the shared options of package tokenkit (tokenkit.WithHTTPClient,
// tokenkit.WithLogger, tokenkit.WithRetryMax, …) and this package's own
// (WithPresentation, WithRenewPresentation, WithTokenTypeNames). The clock of
// tokenkit.WithClock stamps session and token expiries, decides whether a
// token can still be renewed and drives the sources' refresh decisions.
func New(base string, opts ...tokenkit.Option) (*Client, error) {
	u, err := httpx.BaseURL(vendor, base)
	if err != nil {
		return nil, err
	}
	s, err := httpx.Apply(vendor, opts)
	if err != nil {
		return nil, err
	}
	tx := httpx.New(vendor, s, decodeError)
	generated, err := api.NewClient(u.String(), api.WithHTTPClient(tx), api.WithRequestEditorFn(acceptJSON))
	if err != nil {
		return nil, httpx.OptionError(vendor, "invalid base URL")
	}
	return &Client{base: u.String(), api: generated, tx: tx, opts: config.Vendor[vendorOptions](s)}, nil
}

// acceptJSON asks for JSON: Command Center also serves XML, and Commvault's
// own clients always send Accept: application/json.
func acceptJSON(_ context.Context, r *http.Request) error {
	r.Header.Set("Accept", "application/json")
	return nil
}

// BaseURL returns the normalised API base URL the client calls.
func (c *Client) BaseURL() string { return c.base }

// Presentation is how a token is sent on a request.
type Presentation int

const (
	// PresentAuthtoken sends "Authtoken: <token>", as the Command Center
	// OpenAPI pages declare for every operation and Commvault's own MCP
	// server does for access tokens (the default).
	PresentAuthtoken Presentation = iota
	// PresentBearer sends "Authorization: Bearer <token>", as the access-token
	// documentation describes.
	PresentBearer
	// PresentNone sends no header. It is valid only for the renew call
	// (WithRenewPresentation), where the access token travels in the body
	// anyway, as Commvault's MCP server sends it.
	PresentNone
)

// String names the presentation.
func (p Presentation) String() string {
	switch p {
	case PresentAuthtoken:
		return "Authtoken"
	case PresentBearer:
		return "Bearer"
	case PresentNone:
		return "none"
	}
	return "unknown"
}

// set presents value on r.
func (p Presentation) set(r *http.Request, value string) {
	switch p {
	case PresentBearer:
		r.Header.Set("Authorization", "Bearer "+value)
	case PresentNone:
	default:
		r.Header.Set("Authtoken", value)
	}
}

type vendorOptions struct {
	presentation      Presentation
	renewPresentation Presentation
	typeNames         bool
}

// WithPresentation sets how the access tokens this client creates and renews
// present themselves in SetAuthHeader: PresentAuthtoken (the default) or
// PresentBearer. The public documentation disagrees on which one a server
// accepts (openapi/commvault.yaml, x-unverified); both are in use.
func WithPresentation(p Presentation) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithPresentation", func(s *config.Settings) {
		if p != PresentAuthtoken && p != PresentBearer {
			s.Fail(httpx.OptionError(vendor, "WithPresentation: want PresentAuthtoken or PresentBearer"))
			return
		}
		config.UpdateVendor(s, func(v *vendorOptions) { v.presentation = p })
	})
}

// WithRenewPresentation sets which header carries the current access token
// on POST /V4/AccessToken/Renew: PresentAuthtoken (the default, as the
// OpenAPI page's example and a field report have it), PresentBearer (as the
// documentation page shows) or PresentNone (as Commvault's MCP server does).
// The body carries the token in every case.
func WithRenewPresentation(p Presentation) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithRenewPresentation", func(s *config.Settings) {
		if p < PresentAuthtoken || p > PresentNone {
			s.Fail(httpx.OptionError(vendor, "WithRenewPresentation: unknown Presentation"))
			return
		}
		config.UpdateVendor(s, func(v *vendorOptions) { v.renewPresentation = p })
	})
}

// WithTokenTypeNames sends tokenType as the enum name the OpenAPI page lists
// ("ALL", "CUSTOM", "MS_SCIM", "OneTouch", "DEFAULT") instead of the integer
// Commvault's Python SDK sends (the default). Which form a server accepts is
// undocumented. Answers are decoded in either form whatever this option says.
func WithTokenTypeNames() tokenkit.Option {
	return httpx.VendorOption(vendor, "WithTokenTypeNames", func(s *config.Settings) { config.UpdateVendor(s, func(v *vendorOptions) { v.typeNames = true }) })
}

// run sends one operation and returns its 2xx answer. When auth is a
// tokenkit.Invalidator (a SessionSource, an AccessTokenSource) and the server
// answers 401, the rejected token is invalidated and the request is sent once
// more with a fresh one (the shared transport does both): a 401 means the
// server did not act, so this is safe even for operations that create state.
// For Mutating operations the shared
// transport marks a request that may have reached the server without an
// answer coming back with tokenkit.ErrOutcomeUnknown.
func (c *Client) run(ctx context.Context, name string, class httpx.Class, auth tokenkit.TokenSource, send httpx.Send) (*httpx.Result, *httpx.Op, error) {
	op := &httpx.Op{Name: name, Class: class, Auth: auth}
	res, err := httpx.Run(ctx, c.tx, op, send)
	if err != nil {
		return nil, op, err
	}
	return res, op, nil
}

// epoch decodes Commvault's epoch seconds, clamped like every vendor's
// timestamps (internal/wiretime): absent, 0 and negative values are "not
// set", and values past the year 9999 are the end of 9999.
func epoch(p *int64) time.Time {
	if p == nil {
		return time.Time{}
	}
	return wiretime.Unix(*p)
}

// seconds encodes t as epoch seconds, or nil for the zero time.
func seconds(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	return ptr.To(t.Unix())
}
