package canvus

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus/internal/api"
	"github.com/tokenkit/tokenkit/internal/config"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

// vendor names this package in errors and the User-Agent.
const vendor = "canvus"

// APIPath is the path under which a Canvus Server serves its REST API. New
// appends it to the origin it is given.
const APIPath = "/api/v1"

// Defaults of the options of this package.
const (
	// DefaultSessionLifetime is how long a login token is taken to live:
	// "expires after 24 hours" in the older vendor docs. How much longer
	// Remember makes it is undocumented.
	DefaultSessionLifetime = 24 * time.Hour
	// DefaultMaxFrameBytes bounds one line of a subscription stream, as
	// the third-party Go SDK of Canvus does (8 MiB).
	DefaultMaxFrameBytes = 8 << 20
)

// Client calls the REST API of one Canvus Server. It is safe for concurrent
// use; build one per server and share it.
type Client struct {
	base string
	api  *api.Client
	tx   *httpx.Client
	opts vendorOptions
}

// New returns a client for the Canvus Server at base, its origin such as
// "https://canvus.example.com" (a trailing slash is ignored). The client
// adds the API path, APIPath, itself; a base with a path is an error of
// kind tokenkit.KindConfig that names the origin to give. base must be https
// (plain http is accepted only for a loopback host, such as a canvustest
// fake).
//
// New accepts the shared options of package tokenkit (tokenkit.WithHTTPClient,
// tokenkit.WithLogger, tokenkit.WithRetryMax, …) and this package's own
// (WithPresentation, WithSessionLifetime, WithTimeZone, WithMaxFrameBytes,
// WithBareSubscribe, WithStreamIdleTimeout). The clock of tokenkit.WithClock
// stamps login-token expiries and drives the refresh of a LoginSource.
func New(base string, opts ...tokenkit.Option) (*Client, error) {
	u, err := httpx.Origin(vendor, base, APIPath)
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

// BaseURL returns the API base URL the client calls: the origin given to
// New followed by APIPath.
func (c *Client) BaseURL() string { return c.base }

type vendorOptions struct {
	sessionLifetime time.Duration
	loc             *time.Location
	maxFrame        int
	bareSubscribe   bool
	idleTimeout     time.Duration
	// presentations are how tokens of this client are sent (never empty
	// after vendorSettings).
	presentations []tokenkit.Presentation
}

func vendorSettings(s *config.Settings) vendorOptions {
	v := config.Vendor[vendorOptions](s)
	if v.sessionLifetime == 0 {
		v.sessionLifetime = DefaultSessionLifetime
	}
	if v.loc == nil {
		v.loc = time.UTC
	}
	if v.maxFrame == 0 {
		v.maxFrame = DefaultMaxFrameBytes
	}
	if len(v.presentations) == 0 {
		v.presentations = []tokenkit.Presentation{PrivateToken()}
	}
	return v
}

// PrivateToken is "Private-Token: <token>", how Canvus takes a login token
// or an access token (vendor docs, users/ and access-tokens/): the default
// presentation of this package's tokens.
func PrivateToken() tokenkit.Presentation { return tokenkit.Presentation{Header: privateTokenHeader} }

// WithPresentation sets how the client's tokens are sent, overriding the
// default PrivateToken(): each presentation given is set on every request
// (for example a proxy in front of the server that wants tokenkit.Bearer()
// as well as PrivateToken()). Every p must pass p.Validate; no presentation
// at all, or the same header twice, is an error of kind tokenkit.KindConfig
// from New. It applies to the tokens this client returns (Login, Create,
// NewAccessToken); their Export records it and Import restores it.
func WithPresentation(p ...tokenkit.Presentation) tokenkit.Option {
	return httpx.PresentationOption(vendor, "WithPresentation", p, func(s *config.Settings, ps []tokenkit.Presentation) {
		config.UpdateVendor(s, func(v *vendorOptions) { v.presentations = ps })
	})
}

// WithSessionLifetime sets how long a login token is taken to live after a
// successful Login (default DefaultSessionLifetime, 24 hours, from the older
// vendor docs). The server does not say; set it to your server's session
// lifetime, or shorter. Session.Expiry and the refresh of a LoginSource
// follow it.
func WithSessionLifetime(d time.Duration) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithSessionLifetime", func(s *config.Settings) {
		if d <= 0 {
			s.Fail(httpx.OptionError(vendor, "session lifetime must be positive, got %s", d))
			return
		}
		config.UpdateVendor(s, func(v *vendorOptions) { v.sessionLifetime = d })
	})
}

// WithTimeZone sets the zone in which timestamps without a zone are read,
// such as an access token's created_at ("2021-07-02T06:38:36.025"). The
// default is UTC: the vendor's own examples put such a value minutes after a
// user timestamp in UTC ("Z"). Pass time.Local, or the server's zone, if your
// server writes local time. Timestamps that carry a zone keep it.
func WithTimeZone(loc *time.Location) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithTimeZone", func(s *config.Settings) {
		if loc == nil {
			s.Fail(httpx.OptionError(vendor, "nil time zone"))
			return
		}
		config.UpdateVendor(s, func(v *vendorOptions) { v.loc = loc })
	})
}

// WithMaxFrameBytes bounds one line of a subscription stream (default
// DefaultMaxFrameBytes, 8 MiB). A longer line ends the stream with an error
// matching tokenkit.ErrInvalidResponse instead of growing without bound.
// tokenkit.WithMaxResponseBytes does not apply to streams.
func WithMaxFrameBytes(n int) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithMaxFrameBytes", func(s *config.Settings) {
		if n <= 0 {
			s.Fail(httpx.OptionError(vendor, "max frame size must be positive, got %d", n))
			return
		}
		config.UpdateVendor(s, func(v *vendorOptions) { v.maxFrame = n })
	})
}

// WithBareSubscribe sends a subscription as "?subscribe", as the vendor docs
// write it, instead of the default "?subscribe=true" that every public client
// sends. Which one a server accepts is not documented.
func WithBareSubscribe() tokenkit.Option {
	return httpx.VendorOption(vendor, "WithBareSubscribe", func(s *config.Settings) { config.UpdateVendor(s, func(v *vendorOptions) { v.bareSubscribe = true }) })
}

// WithStreamIdleTimeout ends a subscription with an error when nothing, not
// even a keep-alive line, arrives for d: a connection that died without a
// FIN is then noticed. Canvus sends keep-alives every 15 seconds by default,
// but the interval is configurable on the server, so the default is 0 (no
// idle timeout). A few keep-alive intervals, such as one minute, is a good
// value.
func WithStreamIdleTimeout(d time.Duration) tokenkit.Option {
	return httpx.VendorOption(vendor, "WithStreamIdleTimeout", func(s *config.Settings) {
		if d < 0 {
			s.Fail(httpx.OptionError(vendor, "negative stream idle timeout %s", d))
			return
		}
		config.UpdateVendor(s, func(v *vendorOptions) { v.idleTimeout = d })
	})
}

// ErrorResponse is Canvus's error body: {"msg": …}, or {"message": …} in
// the older documentation. It is the cause of the *tokenkit.Error of a
// failed call; reach it with errors.As. Any secret the server echoed is
// already masked.
type ErrorResponse struct {
	// Msg is the message of the current error shape.
	Msg string `json:"msg,omitempty"`
	// LegacyMessage is the message of the older {"message": …} shape.
	LegacyMessage string `json:"message,omitempty"`

	credential bool
	blocked    bool
}

// Text returns Msg, or LegacyMessage when Msg is empty.
func (e *ErrorResponse) Text() string {
	if e.Msg != "" {
		return e.Msg
	}
	return e.LegacyMessage
}

// Error returns the vendor's message.
func (e *ErrorResponse) Error() string { return "canvus: " + e.Text() }

// Is reports a rejected sign-in (wrong email or password, an invalid or
// expired token given to Login) as tokenkit.ErrInvalidCredential, and a
// refusal because the user is blocked as tokenkit.ErrLocked: Canvus's
// locked account, which only an administrator can unblock.
func (e *ErrorResponse) Is(target error) bool {
	switch target {
	case tokenkit.ErrInvalidCredential:
		return e.credential && !e.blocked
	case tokenkit.ErrLocked:
		return e.blocked
	}
	return false
}

// badLogin is the message Canvus answers a wrong email or password with
// (third-party live probe, reference B.1).
const badLogin = "invalid username or password"

// decodeError reads {"msg": …} or {"message": …}; any other body keeps only
// the excerpt the transport already stored.
func decodeError(body []byte, _ http.Header, e *tokenkit.Error) {
	r, ok := parseErrorBody(body)
	if !ok {
		return
	}
	e.Message = r.Text()
	lower := strings.ToLower(r.Text())
	r.credential = strings.Contains(lower, badLogin) ||
		(e.Op == opLogin && e.StatusCode == http.StatusUnauthorized)
	// Blocked users cannot sign in, and their tokens stop working (the
	// vendor's user API, reference B); the wording is unverified, so the
	// word is enough, with the 403 the refusal comes with.
	r.blocked = e.StatusCode == http.StatusForbidden && strings.Contains(lower, "blocked")
	e.Err = r
}

// parseErrorBody decodes an error object whose msg or message is a
// non-empty string; other members are ignored, so a msg that is not a string
// does not hide a usable message.
func parseErrorBody(body []byte) (*ErrorResponse, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, false
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return nil, false
	}
	str := func(k string) string {
		var s string
		if v, ok := raw[k]; ok && json.Unmarshal(v, &s) == nil {
			return strings.TrimSpace(s)
		}
		return ""
	}
	r := &ErrorResponse{Msg: str("msg"), LegacyMessage: str("message")}
	if r.Text() == "" {
		return nil, false
	}
	return r, true
}

// Operation names, as tokenkit.Error.Op reports them: the exported method
// the caller called. (The fake's vocabulary, canvustest.Op…, stays the
// operationIds of openapi/canvus.yaml.)
const (
	opServerInfo     = "ServerInfo"
	opLogin          = "Login"
	opLogout         = "Logout"
	opTokens         = "Tokens"
	opNewAccessToken = "NewAccessToken"
	opCheck          = "Check"
	opListInfo       = "ListInfo"
	opList           = "List"
	opGet            = "Get"
	opCreate         = "Create"
	opIssue          = "Issue"
	opRename         = "Rename"
	opDelete         = "Delete"
	opRevoke         = "Revoke"
	opSubscribe      = "Subscribe"
	opSubscribeToken = "SubscribeToken"
	opLoginExchanger = "LoginExchanger"
	opLoginSource    = "LoginSource"
)
