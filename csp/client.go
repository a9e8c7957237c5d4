package csp

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp/internal/api"
	"github.com/tokenkit/tokenkit/internal/config"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

// The two CSP deployments. Pass one of them, or your own host, to New.
const (
	// CloudVMware is VMware Cloud Services (VMC, vRA Cloud, Aria SaaS).
	CloudVMware = "https://console.cloud.vmware.com"
	// TanzuBroadcom is the Tanzu Cloud Services Platform ("TCSP").
	TanzuBroadcom = "https://console.tanzu.broadcom.com"
)

// vendor names this package in errors and the User-Agent.
const vendor = "csp"

// Client calls the CSP identity API of one host. It is safe for concurrent
// use; build one per host and share it.
type Client struct {
	base string
	api  *api.Client
	tx   *httpx.Client
	opts vendorOptions
	keys keyCache // the host's signing keys, for Verify
}

// New returns a client for the CSP host base: the origin
// (scheme://host[:port]) of a deployment, such as CloudVMware or
// TanzuBroadcom, or the URL of a csptest fake. A trailing slash is allowed;
// a base with a path is refused with an error of kind tokenkit.KindConfig
// that names the origin to give (CSP's operations carry their whole path,
// /csp/gateway/am/api/…, so the client adds nothing). base must be https
// (plain http is accepted only for a loopback host, such as a csptest
// fake). It accepts the shared options of package tokenkit
// (tokenkit.WithHTTPClient, tokenkit.WithLogger, tokenkit.WithRetryMax, …)
// and this package's own (WithPresentation, WithClientCredentialsPath,
// WithVerification, WithClockSkew, WithDetailsTimeUnit). The clock of
// tokenkit.WithClock computes expiries from expires_in, verifies tokens and
// times the cache of the host's public keys.
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
	tx := httpx.New(vendor, s, decodeError)
	generated, err := api.NewClient(u.String(), api.WithHTTPClient(tx))
	if err != nil {
		return nil, httpx.OptionError(vendor, "invalid base URL")
	}
	return &Client{base: u.String(), api: generated, tx: tx, opts: vo}, nil
}

// BaseURL returns the normalised origin the client calls.
func (c *Client) BaseURL() string { return c.base }

// CSPAuthToken is the presentation "csp-auth-token: <token>", which the VMC
// on AWS, Network Insight and Aria Operations for Networks APIs expect. Pass
// it to WithPresentation, alone or beside tokenkit.Bearer() (both headers,
// as terraform-provider-nsxt sends them for NSX on VMC).
func CSPAuthToken() tokenkit.Presentation { return tokenkit.Presentation{Header: "csp-auth-token"} }

// DetailsTimeUnit says how APITokenDetails reads createdAt, lastUsedAt and
// expiresAt, whose unit the public documentation disagrees on.
type DetailsTimeUnit int

const (
	// DetailsAuto reads a value of 1e12 or more as milliseconds and a smaller
	// one as seconds (the default: both readings give dates between 1970
	// and 33658, so the two never overlap for real timestamps).
	DetailsAuto DetailsTimeUnit = iota
	// DetailsSeconds reads epoch seconds, as the identity-governance page says.
	DetailsSeconds
	// DetailsMilliseconds reads epoch milliseconds, as PowerCLI's
	// Get-CSPRefreshTokenExpiry does.
	DetailsMilliseconds
)

type vendorOptions struct {
	presentation  []tokenkit.Presentation // nil: tokenkit.Bearer()
	ccPath        string
	verify        bool
	skew          time.Duration
	detailsUnit   DetailsTimeUnit
	keysCacheTime time.Duration
}

func vendorSettings(s *config.Settings) vendorOptions {
	v := config.Vendor[vendorOptions](s)
	if v.skew == 0 {
		v.skew = DefaultClockSkew
	}
	if v.keysCacheTime == 0 {
		v.keysCacheTime = time.Hour
	}
	return v
}

// DefaultClockSkew is the allowance for clock differences when verifying a
// token's exp, nbf and iat: vmware-labs/marketplace-cli allows 10 seconds for
// the same reason.
const DefaultClockSkew = 10 * time.Second

// WithPresentation sets how access tokens from this client present
// themselves in SetAuthHeader: every presentation given, in order. The
// default is tokenkit.Bearer() alone ("Authorization: Bearer <token>"), as
// CSP's own APIs, TMC and most VMware services expect; CSPAuthToken() is
// the csp-auth-token header VMC wants, and
// WithPresentation(tokenkit.Bearer(), csp.CSPAuthToken()) sends both. New
// fails with an error of kind tokenkit.KindConfig when no presentation is
// given, when one fails tokenkit.Presentation.Validate, or when two name
// the same header (the second would replace the first).
func WithPresentation(p ...tokenkit.Presentation) tokenkit.Option {
	return httpx.PresentationOption(vendor, "WithPresentation", p, func(s *config.Settings, ps []tokenkit.Presentation) {
		config.UpdateVendor(s, func(v *vendorOptions) { v.presentation = ps })
	})
}

// WithClientCredentialsPath overrides the path of the client-credentials
// token endpoint. The default is /csp/gateway/am/api/auth/authorize, used by
// wavefront-sdk-go, tanzu-cli and terraform-provider-nsxt;
// terraform-provider-vmc and kubeapps use /csp/gateway/am/api/auth/token, and
// no public document says which one is canonical.
func WithClientCredentialsPath(path string) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithClientCredentialsPath", func(s *config.Settings) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#") {
			s.Fail(httpx.OptionError(vendor, "client-credentials path must start with / and have no query"))
			return
		}
		config.UpdateVendor(s, func(v *vendorOptions) { v.ccPath = path })
	})
}

// WithVerification makes every exchange check the access token as Verify
// does (RS256 signature against the host's token-public-key; exp, nbf and iat
// with the clock-skew allowance; no issuer or audience check) before
// returning it.
func WithVerification() tokenkit.Option {
	return httpx.VendorOption(vendor, "WithVerification", func(s *config.Settings) { config.UpdateVendor(s, func(v *vendorOptions) { v.verify = true }) })
}

// WithClockSkew sets the allowance used when checking exp, nbf and iat
// (default DefaultClockSkew).
func WithClockSkew(d time.Duration) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithClockSkew", func(s *config.Settings) {
		if d < 0 {
			s.Fail(httpx.OptionError(vendor, "negative clock skew"))
			return
		}
		config.UpdateVendor(s, func(v *vendorOptions) { v.skew = d })
	})
}

// WithDetailsTimeUnit fixes the unit APITokenDetails reads its timestamps
// in (default DetailsAuto).
func WithDetailsTimeUnit(u DetailsTimeUnit) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithDetailsTimeUnit", func(s *config.Settings) {
		if u < DetailsAuto || u > DetailsMilliseconds {
			s.Fail(httpx.OptionError(vendor, "unknown DetailsTimeUnit"))
			return
		}
		config.UpdateVendor(s, func(v *vendorOptions) { v.detailsUnit = u })
	})
}

// ErrorResponse is CSP's error body (CspErrorResponse). It is the cause of the
// *tokenkit.Error of a failed call; reach it with errors.As. Any secret the
// server echoed is already masked.
type ErrorResponse struct {
	// CSPErrorCode is cspErrorCode, CSP's own error code; often empty.
	CSPErrorCode string `json:"cspErrorCode,omitempty"`
	// ErrorCode is errorCode; often empty, the code then starting Message
	// ("invalid_grant: …").
	ErrorCode string `json:"errorCode,omitempty"`
	// Message is the human-readable message, with any secret the server
	// echoed masked.
	Message string `json:"message,omitempty"`
	// ModuleCode is the code of the CSP module that failed, such as 340
	// for the token service.
	ModuleCode int32 `json:"moduleCode,omitempty"`
	// RequestID is the request id to quote to VMware support.
	RequestID string `json:"requestId,omitempty"`
	// StatusCode is the HTTP status repeated in the body.
	StatusCode int32 `json:"statusCode,omitempty"`
	// TraceID is the trace id, which some answers carry instead of a
	// request id (not on the vendor's pages).
	TraceID string `json:"traceId,omitempty"`
	// Metadata is free-form detail (not on the vendor's pages).
	Metadata map[string]any `json:"metadata,omitempty"`
}

// Error returns the vendor's message with its code.
func (e *ErrorResponse) Error() string {
	code := e.code()
	if code == "" {
		return "csp: " + e.Message
	}
	return "csp: " + code + ": " + e.Message
}

// code is the most specific code the body carries. CSP often leaves the code
// fields empty and starts the message with an OAuth error such as
// "invalid_grant: …" (terraform-provider-nsxt#581).
func (e *ErrorResponse) code() string {
	switch {
	case e.ErrorCode != "":
		return e.ErrorCode
	case e.CSPErrorCode != "":
		return e.CSPErrorCode
	}
	if head, _, ok := strings.Cut(e.Message, ":"); ok && isOAuthCode(head) {
		return head
	}
	return ""
}

func isOAuthCode(s string) bool {
	switch s {
	case "invalid_grant", "invalid_client", "invalid_request", "invalid_scope", "unauthorized_client", "unsupported_grant_type", "access_denied":
		return true
	}
	return false
}

// Is reports a rejected credential (invalid_grant, invalid_client) as
// tokenkit.ErrInvalidCredential.
func (e *ErrorResponse) Is(target error) bool {
	if target != tokenkit.ErrInvalidCredential {
		return false
	}
	c := e.code()
	return c == "invalid_grant" || c == "invalid_client"
}

// decodeError reads a CspErrorResponse; any other body keeps only the
// excerpt the transport already stored.
func decodeError(body []byte, _ http.Header, e *tokenkit.Error) {
	var r ErrorResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return
	}
	if r.Message == "" && r.ErrorCode == "" && r.CSPErrorCode == "" && r.RequestID == "" && r.TraceID == "" && r.ModuleCode == 0 {
		return // JSON, but not CSP's error shape
	}
	e.Code = r.code()
	msg := r.Message
	if e.Code != "" {
		msg = strings.TrimSpace(strings.TrimPrefix(msg, e.Code+":"))
	}
	e.Message = msg
	if e.RequestID == "" {
		e.RequestID = r.RequestID
	}
	if e.RequestID == "" {
		e.RequestID = r.TraceID
	}
	e.Err = &r
}
