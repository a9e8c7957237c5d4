package oracle

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/redact"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
)

// AccessToken is an Oracle Content Management access token (AuthToken). It
// implements tokenkit.Token. By default it is presented as
// "Authorization: <TokenType> <token>", Bearer when the instance gave no
// type (or one that is not a valid HTTP auth-scheme); a token made by a
// Client built with WithPresentation presents itself as that option says.
// Printing or logging it never shows the token or the refresh token.
type AccessToken struct {
	value tokenkit.Secret
	// present is the client's WithPresentation; nil: the TokenType scheme.
	present []tokenkit.Presentation

	// TokenType is the tokenType the instance returned, usually "Bearer";
	// empty when it returned none. It is the Authorization scheme of the
	// default presentation.
	TokenType string
	// RefreshToken is the refresh token that continues this token: the
	// refreshToken of the answer, or, from a RefreshTokenExchanger or
	// RefreshTokenSource, the refresh token it still holds when the answer
	// brought none. Empty if none. Exchange it with
	// Client.ExchangeRefreshToken; a RefreshTokenSource does that for you.
	// Export includes it, so a token saved through SourceConfig.Save can
	// continue in the next run.
	RefreshToken tokenkit.Secret
	// Lifetime is expiresInMillis as a duration (Oracle's example,
	// 1209600000, is 14 days), at most a century however large the number;
	// zero when the instance gave none, zero or a negative number, and for
	// a token from NewAccessToken.
	Lifetime time.Duration
	// ExpiresAt is the time of the answer plus Lifetime; zero when the
	// lifetime is unknown.
	ExpiresAt time.Time
}

var _ tokenkit.Token = (*AccessToken)(nil)

// NewAccessToken wraps an access token obtained outside this client (from
// another program, or an earlier run that kept only the values) so that it
// presents itself as the client's tokens do. h.Value is required;
// h.RefreshToken, if set, is kept as the token's RefreshToken; h.Expiry
// becomes ExpiresAt (zero: unknown). Oracle access tokens have no id: a
// non-empty h.ID is an error matching tokenkit.ErrInvalidInput, as is an
// empty Value or a blank RefreshToken. Nothing is sent.
func (c *Client) NewAccessToken(h tokenkit.HeldToken) (*AccessToken, error) {
	const op = "NewAccessToken"
	switch {
	case strings.TrimSpace(h.Value.Reveal()) == "":
		return nil, c.tx.InvalidInput(op, "HeldToken.Value: no access token")
	case h.ID != "":
		return nil, c.tx.InvalidInput(op, "HeldToken.ID: Oracle access tokens have no id")
	case h.RefreshToken != "" && strings.TrimSpace(h.RefreshToken.Reveal()) == "":
		return nil, c.tx.InvalidInput(op, "HeldToken.RefreshToken: blank refresh token")
	}
	return &AccessToken{value: h.Value, present: c.opts.present, RefreshToken: h.RefreshToken, ExpiresAt: h.Expiry}, nil
}

// presented returns a copy of t that presents itself with the client's
// presentation (a token imported or made elsewhere, handed to a Source).
func (c *Client) presented(t *AccessToken) *AccessToken {
	cp := *t
	cp.present = c.opts.present
	return &cp
}

// Value returns the access token.
func (t *AccessToken) Value() string { return t.value.Reveal() }

// Expiry returns ExpiresAt.
func (t *AccessToken) Expiry() time.Time { return t.ExpiresAt }

// SetAuthHeader presents the token on r: as the client's WithPresentation
// says, or else "Authorization: <TokenType> <token>" (Bearer when
// TokenType is empty or not a valid HTTP auth-scheme).
func (t *AccessToken) SetAuthHeader(r *http.Request) {
	if len(t.present) > 0 {
		for _, p := range t.present {
			p.Set(r, t.Value())
		}
		return
	}
	r.Header.Set("Authorization", t.scheme()+" "+t.Value())
}

// scheme is the Authorization scheme of the default presentation.
func (t *AccessToken) scheme() string {
	if isToken(t.TokenType) {
		return t.TokenType
	}
	return "Bearer"
}

// String describes the token without any secret.
func (t AccessToken) String() string {
	return fmt.Sprintf("oracle.AccessToken{value: %s, type: %q, refresh token: %t, lifetime: %s, expires: %s}",
		redact.Mask, t.TokenType, t.RefreshToken != "", t.Lifetime, tokenfmt.Expiry(t.ExpiresAt))
}

// GoString is String, for %#v.
func (t AccessToken) GoString() string { return t.String() }

// Format writes String for every verb.
func (t AccessToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue logs the token's type and expiry, never its value or refresh
// token.
func (t AccessToken) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("value", redact.Mask),
		slog.String("type", t.TokenType),
		slog.Bool("refresh_token", t.RefreshToken != ""),
		slog.Duration("lifetime", t.Lifetime),
		slog.Time("expires", t.ExpiresAt),
	)
}

// isToken reports whether s is a non-empty RFC 9110 token, the syntax of an
// auth-scheme.
func isToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' ||
			c == '+' || c == '-' || c == '.' || c == '^' || c == '_' || c == '`' || c == '|' || c == '~':
		default:
			return false
		}
	}
	return true
}

// Credentials are an OCM user name and password, sent with HTTP Basic.
type Credentials struct {
	// Username is the OCM (IDCS) user name; it must not contain ':'.
	Username string
	// Password is the user's password.
	Password tokenkit.Secret
}

// String describes the credentials without the password.
func (c Credentials) String() string {
	return fmt.Sprintf("oracle.Credentials{Username: %q, Password: %s}", c.Username, c.Password.String())
}

// GoString is String, for %#v.
func (c Credentials) GoString() string { return c.String() }

// Format writes String for every verb.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue logs the user name only.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", c.Username), slog.String("password", c.Password.String()))
}
