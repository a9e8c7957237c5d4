package cgscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/cgscan/internal/api"
	"github.com/tokenkit/tokenkit/internal/config"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

// vendor names this package in errors and the User-Agent.
const vendor = "cgscan"

// apiKeyHeader carries the customer's API key on every call (sign-in page;
// the legacy v1 API did the same).
const apiKeyHeader = "x-api-key"

// Client calls the authentication and access-token endpoints of one Clone
// Guard scanning portal. It is safe for concurrent use; build one per portal
// and API key and share it.
type Client struct {
	base string
	api  *api.Client
	tx   *httpx.Client
	opts vendorOptions
}

// New returns a client for the portal at base, the portal's origin such as
// "https://scanning.example.com" (the API is hosted per customer, so there is
// no default). base is scheme://host[:port] and nothing more (a trailing "/"
// is allowed): every operation's path is a whole path from the origin
// (/auth/sign_in, /v2/user/generate_access_token, …), and a portal that
// serves one elsewhere, a path prefix included, is reached with WithPath. A
// base with a path is a config error naming the origin to give. base must be
// https (plain http is accepted only for a loopback host, such as a
// cgscantest fake). WithAPIKey is required. New accepts the shared options of
// package tokenkit (tokenkit.WithHTTPClient, tokenkit.WithLogger,
// tokenkit.WithRetryMax, …) and this package's own (WithAPIKey, WithPath,
// WithPresentation). The clock of tokenkit.WithClock stamps
// AccessToken.IssuedAt and is the clock of a SignInSource.
func New(base string, opts ...tokenkit.Option) (*Client, error) {
	u, err := httpx.Origin(vendor, base, "")
	if err != nil {
		return nil, err
	}
	s, err := httpx.Apply(vendor, opts)
	if err != nil {
		return nil, err
	}
	vo := vendorSettings(s)
	if strings.TrimSpace(vo.apiKey.Reveal()) == "" {
		return nil, httpx.OptionError(vendor, "an API key is required (cgscan.WithAPIKey)")
	}
	tx := httpx.New(vendor, s, decodeError)
	tx.SetInBand(func(op *httpx.Op, res *httpx.Result) error { return inBand(tx, op, res) })
	generated, err := api.NewClient(u.String(), api.WithHTTPClient(tx))
	if err != nil {
		return nil, httpx.OptionError(vendor, "invalid base URL")
	}
	return &Client{base: u.String(), api: generated, tx: tx, opts: vo}, nil
}

// BaseURL returns the portal's origin, the base every operation path is
// joined to.
func (c *Client) BaseURL() string { return c.base }

// Operation names one call of the API: the operationId of
// openapi/cgscan.yaml, the key of WithPath and the operation id of the
// cgscantest fake (Calls, FailNextOp). It is not the Op of a *tokenkit.Error:
// that names the Go method the caller called ("SignIn", "VerifyOTP",
// "Check", "Issue", …).
type Operation string

// The operations of this package, with their default paths. Only the paths of
// OpSignIn and OpGenerateAccessToken are confirmed by the public
// documentation; the others are tokenkit's best guess (see Unverified) and
// can be moved with WithPath.
const (
	OpSignIn                 Operation = "SignIn"                 // POST /auth/sign_in (both steps of 2FA)
	OpSignInWithRecoveryCode Operation = "SignInWithRecoveryCode" // POST /auth/sign_in_with_recovery_code
	OpCheckTwoFactor         Operation = "CheckTwoFactor"         // POST /auth/check_2fa
	OpSendSMSOTP             Operation = "SendSMSOTP"             // POST /auth/send_sms_otp
	OpSignOut                Operation = "SignOut"                // DELETE /auth/sign_out
	OpGenerateAccessToken    Operation = "GenerateAccessToken"    // PUT /v2/user/generate_access_token
	OpRevokeAccessToken      Operation = "RevokeAccessToken"      // PUT /v2/user/revoke_access_token
	OpCheckToken             Operation = "CheckToken"             // GET /v2/user/check_token
)

// endpoint is what the package knows about one operation.
type endpoint struct {
	method, path string
	verified     bool
}

// endpoints are the defaults of openapi/cgscan.yaml.
var endpoints = map[Operation]endpoint{
	OpSignIn:                 {http.MethodPost, "/auth/sign_in", true},
	OpSignInWithRecoveryCode: {http.MethodPost, "/auth/sign_in_with_recovery_code", false},
	OpCheckTwoFactor:         {http.MethodPost, "/auth/check_2fa", false},
	OpSendSMSOTP:             {http.MethodPost, "/auth/send_sms_otp", false},
	OpSignOut:                {http.MethodDelete, "/auth/sign_out", false},
	OpGenerateAccessToken:    {http.MethodPut, "/v2/user/generate_access_token", true},
	OpRevokeAccessToken:      {http.MethodPut, "/v2/user/revoke_access_token", false},
	OpCheckToken:             {http.MethodGet, "/v2/user/check_token", false},
}

// Operations returns every operation of the package, sorted by name.
func Operations() []Operation {
	out := make([]Operation, 0, len(endpoints))
	for op := range endpoints {
		out = append(out, op)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// DefaultPath returns the path the operation uses unless WithPath moves it,
// or "" for an unknown operation.
func (op Operation) DefaultPath() string { return endpoints[op].path }

// Method returns the HTTP method of the operation, or "" for an unknown one.
func (op Operation) Method() string { return endpoints[op].method }

// Unverified reports whether the operation's path (and body) is tokenkit's
// guess rather than documented: true for every operation but OpSignIn and
// OpGenerateAccessToken.
func (op Operation) Unverified() bool {
	e, ok := endpoints[op]
	return ok && !e.verified
}

// Path returns the path the client calls for op: the WithPath override or
// the default.
func (c *Client) Path(op Operation) string {
	if p, ok := c.opts.paths[op]; ok {
		return p
	}
	return op.DefaultPath()
}

type vendorOptions struct {
	apiKey        tokenkit.Secret
	paths         map[Operation]string
	presentations []tokenkit.Presentation
}

func vendorSettings(s *config.Settings) vendorOptions {
	v := config.Vendor[vendorOptions](s)
	if len(v.presentations) == 0 {
		v.presentations = defaultPresentations()
	}
	return v
}

// WithAPIKey sets the customer's API key, sent as x-api-key on every call and
// carried by the tokens the client returns (their SetAuthHeader sends it too).
// It is required.
func WithAPIKey(key tokenkit.Secret) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithAPIKey", func(s *config.Settings) {
		k := key.Reveal()
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, "\r\n\x00") {
			s.Fail(httpx.OptionError(vendor, "WithAPIKey: empty API key or one with control characters"))
			return
		}
		config.UpdateVendor(s, func(v *vendorOptions) { v.apiKey = key })
	})
}

// WithPath moves one operation to another path from the portal's origin, for
// example WithPath(OpRevokeAccessToken, "/v2/user/revoke_token"). The public
// documentation confirms only the paths of OpSignIn and OpGenerateAccessToken;
// the others are guesses (Operation.Unverified), so a portal that differs can
// be reached without forking this package. path is the whole path: a portal
// that serves the API under a prefix (behind a reverse proxy, say) gives
// each operation its prefixed path, e.g. WithPath(OpSignIn,
// "/scan/auth/sign_in"). path must start with "/" and have no query,
// fragment or dot segment. The method stays the operation's.
func WithPath(op Operation, path string) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithPath", func(s *config.Settings) {
		if _, ok := endpoints[op]; !ok {
			s.Fail(httpx.OptionError(vendor, "WithPath: unknown operation %q", string(op)))
			return
		}
		if !validPath(path) {
			s.Fail(httpx.OptionError(vendor, "WithPath(%s): path must start with / and have no query, fragment, dot segment or control character", op))
			return
		}
		config.UpdateVendor(s, func(v *vendorOptions) {
			paths := make(map[Operation]string, len(v.paths)+1)
			for k, p := range v.paths {
				paths[k] = p
			}
			paths[op] = path
			v.paths = paths
		})
	})
}

func validPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "?#\\% \t\r\n\x00") {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// WithPresentation sets how user tokens (from sign-in or generate) are
// presented on later calls: each token is sent in every presentation given.
// The public documentation does not say which one the v2 API wants; the
// default is tokenkit.Bearer() ("Authorization: Bearer <token>"), which is
// unverified for v2. LegacyBasic() is how the legacy v1 API took it, and a
// portal may want another header, e.g. tokenkit.Presentation{Header:
// "X-Access-Token"}. Each presentation must pass Validate and must not be
// the x-api-key header (the token never replaces the API key); no
// presentation, or two for the same header, is a config error. The
// presentations are used by this client's calls and by SetAuthHeader of the
// tokens it returns.
func WithPresentation(p ...tokenkit.Presentation) tokenkit.Option {
	return httpx.PresentationOption(vendor, "WithPresentation", p, func(s *config.Settings, ps []tokenkit.Presentation) {
		config.UpdateVendor(s, func(v *vendorOptions) { v.presentations = ps })
	}, notAPIKey)
}

// LegacyBasic is "Authorization: Basic <token>" with the token verbatim (not
// base64), as the legacy v1 API took the user token (clonesec/
// clone-guard-security-scanning: classes/class-clone-guard-api.php). Whether
// v2 does is not documented: pass it to WithPresentation if your portal
// wants it.
func LegacyBasic() tokenkit.Presentation {
	return tokenkit.Presentation{Header: "Authorization", Prefix: "Basic "}
}

// defaultPresentations is tokenkit.Bearer() alone (unverified for v2).
func defaultPresentations() []tokenkit.Presentation {
	return []tokenkit.Presentation{tokenkit.Bearer()}
}

// validPresentation is p.Validate, and p must not replace the API key.
func validPresentation(p tokenkit.Presentation) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return notAPIKey(p)
}

// notAPIKey refuses a presentation in the x-api-key header: the token never
// replaces the API key.
func notAPIKey(p tokenkit.Presentation) error {
	if strings.EqualFold(p.Header, apiKeyHeader) {
		return errors.New("presentation: the token cannot replace the x-api-key header")
	}
	return nil
}

// editor sets the static parts of every request of op: the API key and, if
// WithPath moved op, the path. Both are the same on every attempt; the user
// token is attached per attempt by the transport (httpx.Op.Auth).
func (c *Client) editor(op Operation) api.RequestEditorFn {
	override, moved := c.opts.paths[op]
	key := c.opts.apiKey.Reveal()
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set(apiKeyHeader, key)
		r.Header.Set("Accept", "application/json")
		if moved {
			r.URL.Path = override
			r.URL.RawPath = ""
		}
		return nil
	}
}

// String describes the client without its API key. String, GoString and
// Format have value receivers so that printing a Client, or a pointer to
// one, never shows the key.
func (c Client) String() string {
	return "cgscan.Client{base: " + c.base + ", api key: " + c.opts.apiKey.String() + ", auth: " + presentationsString(c.opts.presentations) + "}"
}

// GoString is String, for %#v.
func (c Client) GoString() string { return c.String() }

// Format writes String for every verb: the API key never prints.
func (c Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }
