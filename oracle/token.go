package oracle

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/redact"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
)

// AccessToken is an Oracle Content Management access token (AuthToken). It
// implements tokenkit.Token and is presented as
// "Authorization: <TokenType> <token>", Bearer when the instance gave no
// type. Printing or logging it never shows the token or the refresh token.
type AccessToken struct {
	value tokenkit.Secret

	// TokenType is the tokenType the instance returned, usually "Bearer";
	// empty when it returned none.
	TokenType string
	// RefreshToken is the refreshToken of the answer, empty if none came.
	// Exchange it with Client.ExchangeRefreshToken; a Source does that for
	// you and keeps the newest one.
	RefreshToken tokenkit.Secret
	// Lifetime is expiresInMillis as a duration (Oracle's example,
	// 1209600000, is 14 days), at most a century however large the number;
	// zero when the instance gave none, zero or a negative number.
	Lifetime time.Duration
	// ExpiresAt is the time of the answer plus Lifetime; zero when the
	// lifetime is unknown.
	ExpiresAt time.Time
}

var _ tokenkit.Token = (*AccessToken)(nil)

// Value returns the access token.
func (t *AccessToken) Value() string { return t.value.Reveal() }

// Expiry returns ExpiresAt.
func (t *AccessToken) Expiry() time.Time { return t.ExpiresAt }

// Scheme returns the Authorization scheme SetAuthHeader uses: TokenType, or
// "Bearer" when it is empty or not a valid HTTP auth-scheme.
func (t *AccessToken) Scheme() string {
	if isToken(t.TokenType) {
		return t.TokenType
	}
	return "Bearer"
}

// SetAuthHeader sets "Authorization: <Scheme> <token>".
func (t *AccessToken) SetAuthHeader(r *http.Request) {
	r.Header.Set("Authorization", t.Scheme()+" "+t.Value())
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
