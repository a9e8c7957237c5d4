package commvault

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault/internal/api"
	"github.com/tokenkit/tokenkit/internal/redact"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
)

// TokenType is the type of a V4 access token. Its values are the integers
// Commvault's Python SDK sends; WithTokenTypeNames sends the names the
// OpenAPI page lists instead (see String).
type TokenType int

const (
	// TokenTypeDefault is "DEFAULT" (0), which the documentation says "is
	// ALL". As the zero value of CreateRequest.Type it is not sent at all,
	// and the server applies its default, ALL.
	TokenTypeDefault TokenType = 0
	// TokenTypeMSSCIM is "MS_SCIM" (1), for Azure SCIM operations: no
	// refresh token; its expiry is set with tokenExpiryTimestamp (default 30
	// days, at most 365).
	TokenTypeMSSCIM TokenType = 1
	// TokenTypeAll is "ALL" (2): access to every API, renewable with its
	// refresh token until renewableUntil (default 90 days).
	TokenTypeAll TokenType = 2
	// TokenTypeCustom is "CUSTOM" (3): access limited to APIEndpoints, which
	// are required; renewable like ALL.
	TokenTypeCustom TokenType = 3
	// TokenTypeOneTouch is "OneTouch" (4), for 1-Touch recovery: no refresh
	// token; expiry default 7 days, at most 14.
	TokenTypeOneTouch TokenType = 4
	// TokenTypeHyperscale (5) appears only in a fork of Commvault's Python
	// SDK and in the 11.42 documentation, not in the SP38 OpenAPI enum; it has
	// no documented name, so it cannot be sent with WithTokenTypeNames.
	// Unverified.
	TokenTypeHyperscale TokenType = 5
	// TokenTypeUnknown is what an answer with an unrecognised tokenType
	// decodes to.
	TokenTypeUnknown TokenType = -1
)

var typeNames = map[TokenType]api.TokenTypeName{
	TokenTypeDefault:  api.TokenTypeNameDEFAULT,
	TokenTypeMSSCIM:   api.TokenTypeNameMSSCIM,
	TokenTypeAll:      api.TokenTypeNameALL,
	TokenTypeCustom:   api.TokenTypeNameCUSTOM,
	TokenTypeOneTouch: api.TokenTypeNameOneTouch,
}

// String returns the wire name ("ALL", "CUSTOM", …; "Hyperscale" and
// "unknown" for the two types without one).
func (t TokenType) String() string {
	if n, ok := typeNames[t]; ok {
		return string(n)
	}
	if t == TokenTypeHyperscale {
		return "Hyperscale"
	}
	return "unknown"
}

// Renewable reports whether tokens of this type come with a refresh token
// (DEFAULT, ALL, CUSTOM and Hyperscale).
func (t TokenType) Renewable() bool {
	switch t {
	case TokenTypeDefault, TokenTypeAll, TokenTypeCustom, TokenTypeHyperscale:
		return true
	}
	return false
}

func (t TokenType) valid() bool { return t >= TokenTypeDefault && t <= TokenTypeHyperscale }

// wire encodes t as a code or, with names, as its name.
func (t TokenType) wire(names bool) (*api.TokenType, bool) {
	var w api.TokenType
	if names {
		n, ok := typeNames[t]
		if !ok {
			return nil, false
		}
		_ = w.FromTokenTypeName(n) // marshalling a string cannot fail
		return &w, true
	}
	_ = w.FromTokenTypeCode(api.TokenTypeCode(t))
	return &w, true
}

// decodeType reads a tokenType given as a code or a name.
func decodeType(w *api.TokenType) (TokenType, bool) {
	if w == nil {
		return TokenTypeUnknown, false
	}
	if n, err := w.AsTokenTypeCode(); err == nil {
		if t := TokenType(n); t.valid() {
			return t, true
		}
		return TokenTypeUnknown, true
	}
	if n, err := w.AsTokenTypeName(); err == nil {
		for t, name := range typeNames {
			if strings.EqualFold(string(name), string(n)) {
				return t, true
			}
		}
		if strings.EqualFold(string(n), "Hyperscale") {
			return TokenTypeHyperscale, true
		}
		if v, err := strconv.Atoi(string(n)); err == nil && TokenType(v).valid() {
			return TokenType(v), true
		}
	}
	return TokenTypeUnknown, true
}

// Session is a login session token ("QSDK <hex>", or a SaaS authToken). It
// implements tokenkit.Token, and tokenkit.TokenSource by handing out itself,
// so it can be passed where an operation needs a login session. Printing or
// logging it never shows the token.
type Session struct {
	value tokenkit.Secret

	// UserName is the logged-in user's name, as the server spelled it.
	UserName string
	// UserGUID is the user's GUID, if the server sent it.
	UserGUID string
	// Email is the user's smtpAddress, if the server sent it.
	Email string
	// DeviceID is the deviceId sent to Login; RenewLogin needs it.
	DeviceID string
	// ForcePasswordChange is set when the server asks for a new password.
	ForcePasswordChange bool
	// ExpiresAt is when the session expires if it is not used: the login
	// time plus the inactivity timeout (30 minutes unless
	// Credentials.Timeout says otherwise). Commvault extends a session on
	// every use, so this is a lower bound.
	ExpiresAt time.Time

	// present is how SetAuthHeader sends the session: Authtoken for a QSDK
	// token (the zero value), Authorization: Bearer for a SaaS authToken
	// (documented as "added to the bearer token"; unverified).
	present tokenkit.Presentation
	timeout time.Duration // the inactivity timeout asked for at login
}

var (
	_ tokenkit.Token       = (*Session)(nil)
	_ tokenkit.TokenSource = (*Session)(nil)
)

// Value returns the session token, with its "QSDK " prefix.
func (s *Session) Value() string { return s.value.Reveal() }

// Expiry returns ExpiresAt.
func (s *Session) Expiry() time.Time { return s.ExpiresAt }

// SetAuthHeader presents the session: "Authtoken: QSDK …" for a QSDK
// session, "Authorization: Bearer …" for a SaaS authToken.
func (s *Session) SetAuthHeader(r *http.Request) { s.presentation().Set(r, s.Value()) }

// presentation is how the session is sent; the zero value is Authtoken.
func (s *Session) presentation() tokenkit.Presentation {
	if s.present.Header == "" {
		return Authtoken()
	}
	return s.present
}

// Token returns the session itself, so that a *Session is a
// tokenkit.TokenSource that never refreshes.
func (s *Session) Token(context.Context) (tokenkit.Token, error) { return s, nil }

// String describes the session without its token.
func (s Session) String() string {
	return fmt.Sprintf("commvault.Session{value: %s, user: %q, expires: %s}",
		redact.Mask, s.UserName, tokenfmt.Expiry(s.ExpiresAt))
}

// GoString is String, for %#v.
func (s Session) GoString() string { return s.String() }

// Format writes String for every verb.
func (s Session) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue logs the user and expiry, never the token.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("value", redact.Mask), slog.String("user", s.UserName), slog.Time("expires", s.ExpiresAt))
}

// AccessToken is a V4 access token and, for renewable types, its refresh
// token: one "pair" of a create-and-renew chain. It implements
// tokenkit.Token, and tokenkit.TokenSource by handing out itself. Printing
// or logging it never shows either token.
//
// Treat an AccessToken as read-only once issued: renewing returns a new one.
// Renewing the same pair twice makes Commvault delete the whole chain; an
// AccessTokenSource or AccessTokenExchanger never does.
type AccessToken struct {
	value tokenkit.Secret

	// RefreshToken renews the pair; empty for MS_SCIM and OneTouch tokens.
	RefreshToken tokenkit.Secret
	// ID is the accessTokenId, used by UpdateAccessToken and
	// DeleteAccessToken.
	ID int64
	// Name is the token's name.
	Name string
	// UserID is the owner's user id.
	UserID int64
	// Type is the token's type, from the answer or, when the answer has none
	// (create's has none), from the request.
	Type TokenType
	// ExpiresAt is when the access token expires (tokenExpiryTimestamp).
	// Every timestamp of the answer reads zero or negative as not sent, and
	// one past the year 9999 as the end of 9999.
	ExpiresAt time.Time
	// RefreshExpiresAt is when the refresh token expires
	// (refreshTokenExpiryTimestamp); zero if not sent.
	RefreshExpiresAt time.Time
	// RenewableUntil is the end of the chain: no renewal after it
	// (renewableUntilTimestamp); zero if not sent.
	RenewableUntil time.Time

	// present is how SetAuthHeader sends the token: the client's
	// WithPresentation; empty means Authtoken.
	present []tokenkit.Presentation
}

var (
	_ tokenkit.Token       = (*AccessToken)(nil)
	_ tokenkit.TokenSource = (*AccessToken)(nil)
)

// Value returns the access token.
func (t *AccessToken) Value() string { return t.value.Reveal() }

// TokenID returns ID in decimal: the id Tokens.Revoke takes and
// TokenInfo.ID gives.
func (t *AccessToken) TokenID() string { return strconv.FormatInt(t.ID, 10) }

var _ tokenkit.Identified = (*AccessToken)(nil)

// Expiry returns ExpiresAt.
func (t *AccessToken) Expiry() time.Time { return t.ExpiresAt }

// SetAuthHeader presents the token as the client's WithPresentation says
// (by default "Authtoken: <token>").
func (t *AccessToken) SetAuthHeader(r *http.Request) {
	if len(t.present) == 0 {
		Authtoken().Set(r, t.Value())
		return
	}
	present(r, t.present, t.Value())
}

// Token returns the token itself, so that an *AccessToken is a
// tokenkit.TokenSource that never refreshes.
func (t *AccessToken) Token(context.Context) (tokenkit.Token, error) { return t, nil }

// CanRenew reports whether the pair can still be renewed at now: it has a
// refresh token, and now is before RenewableUntil and RefreshExpiresAt (when
// known).
func (t *AccessToken) CanRenew(now time.Time) bool {
	if t == nil || t.RefreshToken == "" || t.value == "" {
		return false
	}
	if !t.RenewableUntil.IsZero() && !now.Before(t.RenewableUntil) {
		return false
	}
	if !t.RefreshExpiresAt.IsZero() && !now.Before(t.RefreshExpiresAt) {
		return false
	}
	return true
}

// samePair reports whether a and b are the same pair.
func samePair(a, b *AccessToken) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.value == b.value && a.RefreshToken == b.RefreshToken
}

// String describes the token without its access or refresh token.
func (t AccessToken) String() string {
	return fmt.Sprintf("commvault.AccessToken{value: %s, refresh: %s, id: %d, name: %q, type: %s, expires: %s, renewable until: %s}",
		redact.Mask, t.RefreshToken.String(), t.ID, t.Name, t.Type, tokenfmt.Expiry(t.ExpiresAt), tokenfmt.Expiry(t.RenewableUntil))
}

// GoString is String, for %#v.
func (t AccessToken) GoString() string { return t.String() }

// Format writes String for every verb.
func (t AccessToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue logs the id, name, type and times, never a token.
func (t AccessToken) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("value", redact.Mask),
		slog.String("refresh", t.RefreshToken.String()),
		slog.Int64("id", t.ID),
		slog.String("name", t.Name),
		slog.String("type", t.Type.String()),
		slog.Time("expires", t.ExpiresAt),
		slog.Time("renewable_until", t.RenewableUntil),
	)
}

// AccessTokenInfo describes an access token without its secrets, as
// ListAccessTokens and UpdateAccessToken return it.
type AccessTokenInfo struct {
	// ID is the accessTokenId, the id UpdateAccessToken and
	// DeleteAccessToken take.
	ID int64
	// UserID is the owner's user id.
	UserID int64
	// Name is the token's name.
	Name string
	// Type is the token's type; TokenTypeUnknown when the answer had none
	// this package knows.
	Type TokenType
	// CreatedAt is when the token was created; zero if not sent.
	CreatedAt time.Time
	// LastUsedAt is when the token was last used; zero if never used or not
	// sent.
	LastUsedAt time.Time
	// ExpiresAt is when the access token expires (tokenExpiryTimestamp);
	// zero if not sent.
	ExpiresAt time.Time
	// RenewableUntil is the end of the create-and-renew chain; zero if not
	// sent.
	RenewableUntil time.Time
	// APIEndpoints are the endpoints a CUSTOM token may call.
	APIEndpoints []string
	// AllowedIPs is the token's IP allow-list, if the server reports one.
	AllowedIPs []string
}

// reported is what Commvault reports of every listed token: name, creation,
// expiry, last use and (for CUSTOM tokens) the API endpoints as scopes.
const reported = tokenkit.FieldName | tokenkit.FieldCreatedAt | tokenkit.FieldExpiresAt |
	tokenkit.FieldLastUsedAt | tokenkit.FieldScopes

// TokenInfo converts to the vendor-neutral form; APIEndpoints become Scopes
// and Reported is set (a zero LastUsedAt means never used).
func (i AccessTokenInfo) TokenInfo() tokenkit.TokenInfo {
	return tokenkit.TokenInfo{
		Reported:   reported,
		ID:         strconv.FormatInt(i.ID, 10),
		Name:       i.Name,
		CreatedAt:  i.CreatedAt,
		ExpiresAt:  i.ExpiresAt,
		LastUsedAt: i.LastUsedAt,
		Scopes:     append([]string(nil), i.APIEndpoints...),
	}
}
