package cgscan

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/redact"
)

// present sets the token on r in each of the presentations (the default,
// tokenkit.Bearer(), when there are none), then the API key. A presentation
// that is invalid or names the x-api-key header (a token field set by hand)
// is skipped: the token never replaces the API key.
func present(r *http.Request, apiKey tokenkit.Secret, ps []tokenkit.Presentation, token tokenkit.Secret) {
	if len(ps) == 0 {
		ps = defaultPresentations()
	}
	for _, p := range ps {
		if validPresentation(p) == nil {
			p.Set(r, token.Reveal())
		}
	}
	if apiKey != "" {
		r.Header.Set(apiKeyHeader, apiKey.Reveal())
	}
}

// presentationsString names the presentations without any token.
func presentationsString(ps []tokenkit.Presentation) string {
	if len(ps) == 0 {
		ps = defaultPresentations()
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return strings.Join(names, " + ")
}

// Organization is the user's organization in the sign-in answer.
type Organization struct {
	// UUID is the organization's uuid.
	UUID string
	// Name is the organization's name.
	Name string
}

// Session is a signed-in user: the token of POST /auth/sign_in and what the
// answer says about the user. It implements tokenkit.Token (no expiry is
// documented, so Expiry is zero) and tokenkit.TokenSource (it hands out
// itself), so it can authenticate GenerateAccessToken, RevokeAccessToken and
// SignOut directly. Printing or logging it never shows the token or the API
// key.
type Session struct {
	token  tokenkit.Secret
	apiKey tokenkit.Secret

	// Username is the signed-in user.
	Username string
	// Role is the user's role, e.g. "User".
	Role string
	// Timezone is the user's time zone, e.g. "UTC".
	Timezone string
	// Provider is the authentication provider, e.g. "email".
	Provider string
	// Verified reports whether the account is verified.
	Verified bool
	// SignInCount is how many times the user has signed in.
	SignInCount int
	// Organization is the user's organization.
	Organization Organization
	// presentations are how SetAuthHeader presents the token: the client's
	// WithPresentation (tokenkit.Bearer() when empty), validated, never the
	// x-api-key header.
	presentations []tokenkit.Presentation
}

var (
	_ tokenkit.Token       = (*Session)(nil)
	_ tokenkit.TokenSource = (*Session)(nil)
)

// errNoToken is the cause when a nil token is used to authenticate a call.
var errNoToken = tokenkit.Refine(tokenkit.ErrInvalidInput, "cgscan: no token")

// Value returns the session token.
func (s *Session) Value() string {
	if s == nil {
		return ""
	}
	return s.token.Reveal()
}

// Expiry returns the zero time: the API documents no session lifetime. A
// tokenkit.Source keeps a session until a 401 invalidates it.
func (s *Session) Expiry() time.Time { return time.Time{} }

// SetAuthHeader sets the session token as the client's WithPresentation said, and x-api-key.
func (s *Session) SetAuthHeader(r *http.Request) {
	if s == nil {
		return
	}
	present(r, s.apiKey, s.presentations, s.token)
}

// Token returns the session itself, so that a *Session can be passed where a
// tokenkit.TokenSource authenticates a call.
func (s *Session) Token(context.Context) (tokenkit.Token, error) {
	if s == nil || s.token == "" {
		return nil, errNoToken
	}
	return s, nil
}

// String describes the session without any secret.
func (s Session) String() string {
	return fmt.Sprintf("cgscan.Session{token: %s, username: %q, role: %q, organization: %q, auth: %s}",
		redact.Mask, s.Username, s.Role, s.Organization.Name, presentationsString(s.presentations))
}

// GoString is String, for %#v.
func (s Session) GoString() string { return s.String() }

// Format writes String for every verb.
func (s Session) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue logs the user, never the token.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("token", redact.Mask),
		slog.String("username", s.Username),
		slog.String("role", s.Role),
		slog.String("organization", s.Organization.Name),
	)
}

// AccessToken is a user access token from PUT /v2/user/generate_access_token,
// for the API's "Access Token Authentication method". Generating a new one
// replaces it. It implements tokenkit.Token (no lifetime is documented, so
// Expiry is zero unless NewAccessToken was told one) and
// tokenkit.TokenSource. Printing or logging it never shows the token or the
// API key.
type AccessToken struct {
	token  tokenkit.Secret
	apiKey tokenkit.Secret
	expiry time.Time // HeldToken.Expiry, for a token made with NewAccessToken

	// Username is the user the token belongs to, as the answer says.
	Username string
	// Message is the answer's message, if any.
	Message string
	// IssuedAt is when the client received the token, on the client's clock
	// (tokenkit.WithClock); it is zero for a token made with NewAccessToken.
	IssuedAt time.Time
	// presentations are how SetAuthHeader presents the token: the client's
	// WithPresentation (tokenkit.Bearer() when empty), validated, never the
	// x-api-key header.
	presentations []tokenkit.Presentation
}

var (
	_ tokenkit.Token       = (*AccessToken)(nil)
	_ tokenkit.TokenSource = (*AccessToken)(nil)
)

// NewAccessToken wraps a user token you already hold (an access token from
// an earlier run or the environment, or a session token) so that it can
// authenticate calls of this client: it carries the client's API key and
// presentations. h.Value is required. Clone Guard tokens have no refresh
// token and no id but the user's current one, so a RefreshToken, or an ID
// other than "" or CurrentAccessToken, is an error matching
// tokenkit.ErrInvalidInput that names the field. h.Expiry, when set, is the
// token's Expiry (the API documents no lifetime; zero means unknown).
func (c *Client) NewAccessToken(h tokenkit.HeldToken) (*AccessToken, error) {
	const name = "NewAccessToken"
	switch {
	case strings.TrimSpace(h.Value.Reveal()) == "":
		return nil, c.tx.InvalidInput(name, "Value is required")
	case h.RefreshToken != "":
		return nil, c.tx.InvalidInput(name, "RefreshToken: Clone Guard tokens have no refresh token")
	case h.ID != "" && h.ID != CurrentAccessToken:
		return nil, c.tx.InvalidInput(name, "ID: Clone Guard names no token by id; give %q or nothing", CurrentAccessToken)
	}
	return &AccessToken{token: h.Value, apiKey: c.opts.apiKey, expiry: h.Expiry,
		presentations: slices.Clone(c.opts.presentations)}, nil
}

// Value returns the access token.
func (t *AccessToken) Value() string {
	if t == nil {
		return ""
	}
	return t.token.Reveal()
}

// Expiry returns the zero time (the API documents no access-token
// lifetime), or the Expiry a token made with NewAccessToken was given.
func (t *AccessToken) Expiry() time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.expiry
}

// SetAuthHeader sets the access token as the client's WithPresentation said, and x-api-key.
func (t *AccessToken) SetAuthHeader(r *http.Request) {
	if t == nil {
		return
	}
	present(r, t.apiKey, t.presentations, t.token)
}

// Token returns the access token itself, so that it can be passed where a
// tokenkit.TokenSource authenticates a call.
func (t *AccessToken) Token(context.Context) (tokenkit.Token, error) {
	if t == nil || t.token == "" {
		return nil, errNoToken
	}
	return t, nil
}

// String describes the token without any secret.
func (t AccessToken) String() string {
	issued := "unknown"
	if !t.IssuedAt.IsZero() {
		issued = t.IssuedAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("cgscan.AccessToken{token: %s, username: %q, issued: %s, auth: %s}",
		redact.Mask, t.Username, issued, presentationsString(t.presentations))
}

// GoString is String, for %#v.
func (t AccessToken) GoString() string { return t.String() }

// Format writes String for every verb.
func (t AccessToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue logs the user, never the token.
func (t AccessToken) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("token", redact.Mask),
		slog.String("username", t.Username),
		slog.Time("issued", t.IssuedAt),
	)
}

// bind makes the client's API key go with every token src hands out for this
// client's calls, whatever key (if any) the token itself carries: a token of
// another client, or a tokenkit.BearerToken, then works as well.
func (c *Client) bind(src tokenkit.TokenSource) tokenkit.TokenSource {
	return boundSource{src: src, apiKey: c.opts.apiKey}
}

type boundSource struct {
	src    tokenkit.TokenSource
	apiKey tokenkit.Secret
}

func (b boundSource) Token(ctx context.Context) (tokenkit.Token, error) {
	t, err := b.src.Token(ctx)
	if err != nil {
		return nil, err
	}
	if isNil(t) {
		return nil, errNoToken
	}
	return boundToken{Token: t, apiKey: b.apiKey}, nil
}

// Invalidate passes a token the server refused (401) on to the wrapped
// source, so that a *tokenkit.Source (SignInSource) signs in again and the
// shared transport resends once with the new session.
func (b boundSource) Invalidate(rejected tokenkit.Token) {
	inv, ok := b.src.(tokenkit.Invalidator)
	if !ok {
		return
	}
	if bt, isBound := rejected.(boundToken); isBound {
		rejected = bt.Token
	}
	inv.Invalidate(rejected)
}

// withoutReauth hides the Invalidator of a bound source, for calls where a
// 401 must not make the source sign in again (SignOut: the session is
// already gone).
type withoutReauth struct{ src tokenkit.TokenSource }

func (w withoutReauth) Token(ctx context.Context) (tokenkit.Token, error) { return w.src.Token(ctx) }

// boundToken presents its token as the token says, then the client's API key.
type boundToken struct {
	tokenkit.Token
	apiKey tokenkit.Secret
}

func (t boundToken) SetAuthHeader(r *http.Request) {
	t.Token.SetAuthHeader(r)
	r.Header.Set(apiKeyHeader, t.apiKey.Reveal())
}

// Format never shows the token or the API key.
func (t boundToken) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "cgscan.token{"+redact.Mask+"}")
}
