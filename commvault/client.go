package commvault

import (
	"context"
	"fmt"
	"net/http"
	"strings"
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

// DefaultAPIPath is the API root New adds to the origin unless WithAPIPath
// names another: "https://<CommandCenterHost>/commandcenter/api", the base of
// every curl example of Commvault's API reference.
const DefaultAPIPath = "/commandcenter/api"

// LegacyAPIPath is the older Web Console root, "/webconsole/api", which
// older clients still use; from 2024E Commvault redirects it to
// /commandcenter/api (and this client never follows a redirect), so give it
// with WithAPIPath only for a server that still serves it.
const LegacyAPIPath = "/webconsole/api"

// New returns a client for the Command Center REST API of the host at base,
// the product's origin: "https://commandcenter.example.com" (a trailing "/"
// is allowed). The client adds the API path itself, DefaultAPIPath
// ("/commandcenter/api") unless WithAPIPath names another. A base with a path
// (such as the full API base URL "https://host/commandcenter/api" that
// earlier versions of this package took) is an error of kind
// tokenkit.KindConfig naming the origin to give instead. base must be https
// (plain http is accepted only for a loopback host, such as a commvaulttest
// fake).
//
// New accepts the shared options of package tokenkit (tokenkit.WithHTTPClient,
// tokenkit.WithLogger, tokenkit.WithRetryMax, …) and this package's own
// (WithAPIPath, WithPresentation, WithRenewPresentation,
// WithTokenTypeNames). The clock of tokenkit.WithClock stamps session and
// token expiries, decides whether a token can still be renewed and drives
// the sources' refresh decisions.
func New(base string, opts ...tokenkit.Option) (*Client, error) {
	s, err := httpx.Apply(vendor, opts)
	if err != nil {
		return nil, err
	}
	vo := config.Vendor[vendorOptions](s)
	if vo.apiPath == "" {
		vo.apiPath = DefaultAPIPath
	}
	if len(vo.presentation) == 0 {
		vo.presentation = []tokenkit.Presentation{Authtoken()}
	}
	if !vo.renewSet {
		vo.renewPresentation = []tokenkit.Presentation{Authtoken()}
	}
	u, err := httpx.Origin(vendor, base, vo.apiPath)
	if err != nil {
		return nil, err
	}
	tx := httpx.New(vendor, s, decodeError)
	generated, err := api.NewClient(u.String(), api.WithHTTPClient(tx), api.WithRequestEditorFn(acceptJSON))
	if err != nil {
		return nil, httpx.OptionError(vendor, "invalid base URL")
	}
	return &Client{base: u.String(), api: generated, tx: tx, opts: vo}, nil
}

// acceptJSON asks for JSON: Command Center also serves XML, and Commvault's
// own clients always send Accept: application/json.
func acceptJSON(_ context.Context, r *http.Request) error {
	r.Header.Set("Accept", "application/json")
	return nil
}

// BaseURL returns the API base URL the client calls: the origin given to New
// followed by the API path.
func (c *Client) BaseURL() string { return c.base }

// Authtoken is "Authtoken: <token>", the header the Command Center OpenAPI
// pages declare for every operation and Commvault's own MCP server uses for
// access tokens: the default presentation of access tokens and of the renew
// call, and how a QSDK login session is always sent.
func Authtoken() tokenkit.Presentation { return tokenkit.Presentation{Header: "Authtoken"} }

type vendorOptions struct {
	apiPath           string
	presentation      []tokenkit.Presentation
	renewPresentation []tokenkit.Presentation
	renewSet          bool // WithRenewPresentation was given (it may give none)
	typeNames         bool
}

// WithAPIPath selects the API root the client adds to the origin given to
// New, instead of DefaultAPIPath ("/commandcenter/api"). Commvault documents
// two roots on the same host: "/commandcenter/api" and the older Web Console
// "/webconsole/api" (LegacyAPIPath), which from 2024E redirects to the
// first ("Available Web Services for REST API", Commvault documentation
// 2024E; see the API reference notes, vendors-commvault-canvus A.0). p must
// be an absolute path without a query, fragment, "." or ".." segment or
// "//"; a trailing "/" is dropped. Anything else makes New fail with an
// error of kind tokenkit.KindConfig.
func WithAPIPath(p string) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithAPIPath", func(s *config.Settings) {
		clean, err := apiPath(p)
		if err != nil {
			s.Fail(httpx.OptionError(vendor, "WithAPIPath: %v", err))
			return
		}
		config.UpdateVendor(s, func(v *vendorOptions) { v.apiPath = clean })
	})
}

// apiPath validates a WithAPIPath argument and drops a trailing "/".
func apiPath(p string) (string, error) {
	switch {
	case !strings.HasPrefix(p, "/"):
		return "", fmt.Errorf("path %q is not absolute: want a path such as %q", p, DefaultAPIPath)
	case strings.ContainsAny(p, "?#"):
		return "", fmt.Errorf("path %q has a query or fragment", p)
	case strings.Contains(p, "//"):
		return "", fmt.Errorf("path %q has an empty segment (\"//\")", p)
	case strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' || r == '%' }):
		return "", fmt.Errorf("path %q has a space, control character, backslash or escape", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return "", fmt.Errorf("path %q has a %q segment", p, seg)
		}
	}
	clean := strings.TrimRight(p, "/")
	if clean == "" {
		return "", fmt.Errorf("path %q names no API root: want a path such as %q", p, DefaultAPIPath)
	}
	return clean, nil
}

// WithPresentation sets how the access tokens this client creates, renews
// and wraps (NewAccessToken) present themselves in SetAuthHeader: each of
// ps in turn, so that WithPresentation(Authtoken(), tokenkit.Bearer())
// sends both headers. The default is Authtoken(); tokenkit.Bearer() sends
// "Authorization: Bearer <token>", as the access-token documentation
// describes. The public documentation disagrees on which one a server
// accepts (openapi/commvault.yaml, x-unverified); both are in use. Each
// presentation must pass tokenkit.Presentation.Validate; none at all, or a
// header given twice, makes New fail with an error of kind
// tokenkit.KindConfig. Login sessions are not affected: a QSDK session is
// always sent as Authtoken.
func WithPresentation(ps ...tokenkit.Presentation) tokenkit.Option {
	return httpx.PresentationOption(vendor, "WithPresentation", ps, func(s *config.Settings, ps []tokenkit.Presentation) {
		config.UpdateVendor(s, func(o *vendorOptions) { o.presentation = ps })
	})
}

// WithRenewPresentation sets which headers carry the current access token
// on POST /V4/AccessToken/Renew: by default Authtoken() (as the OpenAPI
// page's example and a field report have it); tokenkit.Bearer() as the
// documentation page shows. WithRenewPresentation() with no argument sends
// no header at all, as Commvault's MCP server does. The body carries the
// token in every case. Each presentation must pass
// tokenkit.Presentation.Validate, and no header may be given twice.
func WithRenewPresentation(ps ...tokenkit.Presentation) tokenkit.Option {
	set := func(s *config.Settings, ps []tokenkit.Presentation) {
		config.UpdateVendor(s, func(o *vendorOptions) { o.renewPresentation, o.renewSet = ps, true })
	}
	if len(ps) == 0 { // no header, as the MCP server sends
		return httpx.VendorOption(vendor, "WithRenewPresentation", func(s *config.Settings) { set(s, nil) })
	}
	return httpx.PresentationOption(vendor, "WithRenewPresentation", ps, set)
}

// WithTokenTypeNames sends tokenType as the enum name the OpenAPI page lists
// ("ALL", "CUSTOM", "MS_SCIM", "OneTouch", "DEFAULT") instead of the integer
// Commvault's Python SDK sends (the default). Which form a server accepts is
// undocumented. Answers are decoded in either form whatever this option says.
func WithTokenTypeNames() tokenkit.Option {
	return httpx.VendorOption(vendor, "WithTokenTypeNames", func(s *config.Settings) { config.UpdateVendor(s, func(v *vendorOptions) { v.typeNames = true }) })
}

// present sets every presentation of ps on r.
func present(r *http.Request, ps []tokenkit.Presentation, value string) {
	for _, p := range ps {
		p.Set(r, value)
	}
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
