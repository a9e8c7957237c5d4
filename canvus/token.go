package canvus

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/redact"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
)

// privateTokenHeader is how Canvus takes a token (docs users/; seed 004).
const privateTokenHeader = "Private-Token"

// present sets value on r as each of ps says, or as PrivateToken() when ps
// is empty (a token built without a client, such as by Import).
func present(r *http.Request, ps []tokenkit.Presentation, value string) {
	if len(ps) == 0 {
		PrivateToken().Set(r, value)
		return
	}
	for _, p := range ps {
		p.Set(r, value)
	}
}

// Session is a Canvus login token, as Login returns it: it authenticates
// as the user who signed in, is sent as "Private-Token", and lives for the
// server's session lifetime (see WithSessionLifetime). It implements
// tokenkit.Token. Printing or logging it never shows the token.
type Session struct {
	value tokenkit.Secret
	pres  []tokenkit.Presentation

	// User is the signed-in user, as the server returned it.
	User User
	// ExpiresAt is when the token is taken to expire: the time of the
	// answer plus the session lifetime. The server does not return it.
	ExpiresAt time.Time
	// Remember reports whether the sign-in asked for a longer session.
	Remember bool
}

var _ tokenkit.Token = (*Session)(nil)

// Value returns the token.
func (t *Session) Value() string { return t.value.Reveal() }

// Expiry returns ExpiresAt.
func (t *Session) Expiry() time.Time { return t.ExpiresAt }

// SetAuthHeader sets the token as the client's presentation says
// ("Private-Token: <token>" unless WithPresentation chose otherwise).
func (t *Session) SetAuthHeader(r *http.Request) { present(r, t.pres, t.Value()) }

// String describes the token without its value.
func (t Session) String() string {
	return fmt.Sprintf("canvus.Session{value: %s, user: %d %q, remember: %t, expires: %s}",
		redact.Mask, t.User.ID, t.User.Email, t.Remember, tokenfmt.Expiry(t.ExpiresAt))
}

// GoString is String, for %#v.
func (t Session) GoString() string { return t.String() }

// Format writes String for every verb.
func (t Session) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue logs the user and expiry, never the value.
func (t Session) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("value", redact.Mask),
		slog.Int64("user", t.User.ID),
		slog.Time("expires", t.ExpiresAt),
	)
}

// AccessToken is a personal access token with its secret: what
// Tokens.Create returns (the only time Canvus shows the secret) or what
// Client.NewAccessToken wraps. It is sent as "Private-Token" (or as
// WithPresentation says) and never expires unless it is deleted. It
// implements tokenkit.Token. Printing or logging it never shows the token.
type AccessToken struct {
	value tokenkit.Secret
	pres  []tokenkit.Presentation

	// ID is the token's id, a long base64 string (not a secret).
	ID string
	// Description is the token's description.
	Description string
	// CreatedAt is when the token was created, read in the zone set with
	// WithTimeZone (default UTC). Zero if unknown.
	CreatedAt time.Time
	// UserID is the owner, when known: Create and Import set it, and
	// NewAccessToken cannot (a held token does not name its user). Set it
	// on a token you wrap to let Client.Check and Client.Tokens use it
	// instead of asking the server.
	UserID int64
}

var _ tokenkit.Token = (*AccessToken)(nil)

// NewAccessToken wraps a personal access token you already hold, for
// example one read from the environment, as an *AccessToken sent with the
// client's presentation. h.Value is required; h.ID, the token's id (the one
// Tokens.Revoke takes), is kept when given. Canvus access tokens have no
// refresh token and never expire, so an h.RefreshToken or a non-zero
// h.Expiry is an error matching tokenkit.ErrInvalidInput that names the
// field. The owner is unknown (UserID 0) until you set it.
func (c *Client) NewAccessToken(h tokenkit.HeldToken) (*AccessToken, error) {
	switch {
	case strings.TrimSpace(h.Value.Reveal()) == "":
		return nil, c.tx.InvalidInput(opNewAccessToken, "Value: the token is required")
	case h.RefreshToken != "":
		return nil, c.tx.InvalidInput(opNewAccessToken, "RefreshToken: Canvus access tokens have no refresh token")
	case !h.Expiry.IsZero():
		return nil, c.tx.InvalidInput(opNewAccessToken, "Expiry: Canvus access tokens never expire")
	}
	return &AccessToken{value: h.Value, pres: c.opts.presentations, ID: h.ID}, nil
}

// Value returns the token.
func (t *AccessToken) Value() string { return t.value.Reveal() }

// TokenID returns ID: the id Tokens.Revoke and TokenInfo.ID use.
func (t *AccessToken) TokenID() string { return t.ID }

var _ tokenkit.Identified = (*AccessToken)(nil)

// Expiry returns the zero time: access tokens never expire (seed 004).
func (t *AccessToken) Expiry() time.Time { return time.Time{} }

// SetAuthHeader sets the token as the client's presentation says
// ("Private-Token: <token>" unless WithPresentation chose otherwise).
func (t *AccessToken) SetAuthHeader(r *http.Request) { present(r, t.pres, t.Value()) }

// Info returns the token's description without its secret.
func (t *AccessToken) Info() AccessTokenInfo {
	return AccessTokenInfo{ID: t.ID, Description: t.Description, CreatedAt: t.CreatedAt}
}

// String describes the token without its value.
func (t AccessToken) String() string {
	return "canvus.AccessToken{value: " + redact.Mask + ", id: " + strconv.Quote(t.ID) +
		", description: " + strconv.Quote(t.Description) + ", user: " + strconv.FormatInt(t.UserID, 10) + "}"
}

// GoString is String, for %#v.
func (t AccessToken) GoString() string { return t.String() }

// Format writes String for every verb.
func (t AccessToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue logs the id and description, never the value.
func (t AccessToken) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("value", redact.Mask),
		slog.String("id", t.ID),
		slog.String("description", t.Description),
	)
}
