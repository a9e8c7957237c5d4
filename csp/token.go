package csp

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/redact"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
)

// AccessToken is a CSP access token (AccessTokenDto): a JWT that lives for
// expires_in seconds. It implements tokenkit.Token. Printing or logging it
// never shows the token, the ID token or the refresh token.
type AccessToken struct {
	value  tokenkit.Secret
	bearer []string // "Bearer <value>", built once and shared between requests

	// TokenType is the token_type CSP returned, usually "bearer".
	TokenType string
	// IssuedTokenType is issued_token_type, documented only on the Tanzu
	// CSP page (unverified).
	IssuedTokenType string
	// Scope is the space-separated scope the token carries.
	Scope string
	// IDToken is present only for the authorization-code flow.
	IDToken tokenkit.Secret
	// RefreshToken is what CSP returns as refresh_token (for an API-token
	// exchange, the API token itself).
	RefreshToken tokenkit.Secret
	// ExpiresAt is when the token expires: the time of the answer plus
	// expires_in (at most a century, however large the number), or the
	// JWT's exp when expires_in is absent, zero or negative; zero if
	// neither is known.
	ExpiresAt time.Time
	// presentations are how SetAuthHeader sends the token, every one in
	// order: the client's WithPresentation, copied into each token it
	// returns (unexported, so that only a validated list is ever sent).
	// Empty means tokenkit.Bearer().
	presentations []tokenkit.Presentation
}

var _ tokenkit.Token = (*AccessToken)(nil)

// Value returns the JWT.
func (t *AccessToken) Value() string { return t.value.Reveal() }

// Expiry returns ExpiresAt.
func (t *AccessToken) Expiry() time.Time { return t.ExpiresAt }

// Scopes returns Scope split on spaces.
func (t *AccessToken) Scopes() []string { return strings.Fields(t.Scope) }

// SetAuthHeader presents the token as its client's WithPresentation said (by default
// "Authorization: Bearer <token>").
func (t *AccessToken) SetAuthHeader(r *http.Request) {
	if len(t.presentations) == 0 {
		t.setBearer(r)
		return
	}
	for _, p := range t.presentations {
		if p == tokenkit.Bearer() {
			t.setBearer(r)
			continue
		}
		p.Set(r, t.Value())
	}
}

// setBearer sets "Authorization: Bearer <token>" from the header value
// built once per token, so that a request costs no allocation.
func (t *AccessToken) setBearer(r *http.Request) {
	if t.bearer == nil { // a zero AccessToken: nothing shared to reuse
		r.Header.Set("Authorization", "Bearer "+t.Value())
		return
	}
	r.Header["Authorization"] = t.bearer
}

// String describes the token without any secret.
func (t AccessToken) String() string {
	return fmt.Sprintf("csp.AccessToken{value: %s, type: %q, scope: %q, expires: %s}",
		redact.Mask, t.TokenType, t.Scope, tokenfmt.Expiry(t.ExpiresAt))
}

// GoString is String, for %#v.
func (t AccessToken) GoString() string { return t.String() }

// Format writes String for every verb.
func (t AccessToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue logs the token's type, scope and expiry, never its value.
func (t AccessToken) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("value", redact.Mask),
		slog.String("type", t.TokenType),
		slog.String("scope", t.Scope),
		slog.Time("expires", t.ExpiresAt),
	)
}

// Claims are the claims of a CSP access token (vmware-labs/marketplace-cli:
// internal/csp/claims.go; vmware-tanzu/tanzu-cli: pkg/auth/csp/token.go).
type Claims struct {
	// Issuer is the iss claim.
	Issuer string `json:"-"`
	// Subject is the sub claim: the user, or an OAuth app's client id.
	Subject string `json:"-"`
	// Audience is the aud claim, as a list even when the token has one
	// string.
	Audience []string `json:"-"`
	// ID is the jti claim, the token's unique id.
	ID string `json:"-"`
	// IssuedAt is the iat claim; zero when absent.
	IssuedAt time.Time `json:"-"`
	// ExpiresAt is the exp claim; zero when absent.
	ExpiresAt time.Time `json:"-"`
	// NotBefore is the nbf claim; zero when absent.
	NotBefore time.Time `json:"-"`
	// Username is the username claim: the user the token acts for.
	Username string `json:"-"`
	// Domain is the domain claim: the user's identity domain.
	Domain string `json:"-"`
	// OrgID is the context_name claim: the org the token is scoped to.
	OrgID string `json:"-"`
	// Context is the context claim, CSP's id of the token's context.
	Context string `json:"-"`
	// AuthorizedParty is the azp claim: the client the token was issued
	// to.
	AuthorizedParty string `json:"-"`
	// Perms are the perms claim, such as csp:org_owner or
	// external/<service>/<role>.
	Perms []string `json:"-"`
}

type rawClaims struct {
	Iss         string          `json:"iss"`
	Sub         string          `json:"sub"`
	Aud         json.RawMessage `json:"aud"`
	Jti         string          `json:"jti"`
	Iat         json.Number     `json:"iat"`
	Exp         json.Number     `json:"exp"`
	Nbf         json.Number     `json:"nbf"`
	Username    string          `json:"username"`
	Domain      string          `json:"domain"`
	ContextName string          `json:"context_name"`
	Context     string          `json:"context"`
	Azp         string          `json:"azp"`
	Perms       []string        `json:"perms"`
}

// ErrMalformedJWT is returned for a token that is not a well-formed JWT. It
// is under tokenkit.ErrInvalidCredential (and so tokenkit.ErrAuth): such a
// token cannot authenticate anything.
var ErrMalformedJWT = tokenkit.Refine(tokenkit.ErrInvalidCredential, "csp: malformed JWT")

type jwtParts struct {
	header    struct{ Alg, Kid, Typ string }
	claims    *Claims
	signed    string // header.payload
	signature []byte
}

func splitJWT(tok string) (*jwtParts, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, ErrMalformedJWT
	}
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, ErrMalformedJWT
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, ErrMalformedJWT
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, ErrMalformedJWT
	}
	p := &jwtParts{signed: parts[0] + "." + parts[1], signature: sig}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}
	if json.Unmarshal(hdr, &h) != nil {
		return nil, ErrMalformedJWT
	}
	p.header.Alg, p.header.Kid, p.header.Typ = h.Alg, h.Kid, h.Typ
	var rc rawClaims
	if json.Unmarshal(payload, &rc) != nil {
		return nil, ErrMalformedJWT
	}
	c := &Claims{
		Issuer: rc.Iss, Subject: rc.Sub, ID: rc.Jti, Username: rc.Username, Domain: rc.Domain,
		OrgID: rc.ContextName, Context: rc.Context, AuthorizedParty: rc.Azp, Perms: rc.Perms,
		IssuedAt: numericDate(rc.Iat), ExpiresAt: numericDate(rc.Exp), NotBefore: numericDate(rc.Nbf),
	}
	if len(rc.Aud) > 0 {
		var one string
		if json.Unmarshal(rc.Aud, &one) == nil {
			c.Audience = []string{one}
		} else {
			_ = json.Unmarshal(rc.Aud, &c.Audience)
		}
	}
	p.claims = c
	return p, nil
}

func numericDate(n json.Number) time.Time {
	if n == "" {
		return time.Time{}
	}
	f, err := n.Float64()
	if err != nil || f <= 0 || f > 1e11 {
		return time.Time{}
	}
	return time.Unix(int64(f), 0).UTC()
}

// Claims decodes the token's claims without verifying its signature: use it
// to read the org or perms of a token you obtained from CSP yourself. To check
// a token you received from elsewhere, use Client.Verify.
func (t *AccessToken) Claims() (*Claims, error) {
	p, err := splitJWT(t.Value())
	if err != nil {
		return nil, err
	}
	return p.claims, nil
}

// NewAccessToken wraps an access token obtained outside this client (from
// another program, or an earlier run that kept only the JWT) as an
// *AccessToken that presents itself as this client's tokens do
// (WithPresentation).
//
// CSP access tokens are JWTs, and this package reads them as such (Claims,
// Check, Verify), so h.Value must be one: an empty Value, one longer than
// MaxTokenBytes, or one that is not a well-formed JWT is an error matching
// tokenkit.ErrInvalidInput naming Value. A CSP access token has no refresh
// token of its own (a new one is exchanged from the API token or client
// credentials) and no id at CSP (nothing revokes it), so a non-empty
// h.RefreshToken or h.ID is refused the same way rather than dropped.
//
// A zero h.Expiry is read from the JWT's exp claim. That read does not
// verify the token: NewAccessToken makes no call and trusts what it is
// given; check a token you did not obtain from CSP yourself with Check or
// Verify. Without an exp claim the expiry stays zero (unknown). TokenType,
// Scope and IDToken are empty: CSP reports them beside the token, not in
// it.
func (c *Client) NewAccessToken(h tokenkit.HeldToken) (*AccessToken, error) {
	const op = "NewAccessToken"
	switch {
	case h.Value == "":
		return nil, c.tx.InvalidInput(op, "Value is empty")
	case len(h.Value) > MaxTokenBytes:
		return nil, c.tx.InvalidInput(op, "Value of %d bytes is longer than %d (csp.MaxTokenBytes)", len(h.Value), MaxTokenBytes)
	case h.RefreshToken != "":
		return nil, c.tx.InvalidInput(op, "RefreshToken is set, but a CSP access token has no refresh token")
	case h.ID != "":
		return nil, c.tx.InvalidInput(op, "ID is set, but a CSP access token has no id")
	}
	p, err := splitJWT(h.Value.Reveal())
	if err != nil {
		return nil, c.tx.InvalidInput(op, "Value is not a JWT, as every CSP access token is")
	}
	t := &AccessToken{
		value:         h.Value,
		bearer:        tokenfmt.BearerHeader(h.Value.Reveal()),
		ExpiresAt:     h.Expiry,
		presentations: slices.Clone(c.opts.presentation),
	}
	if t.ExpiresAt.IsZero() {
		t.ExpiresAt = p.claims.ExpiresAt
	}
	return t, nil
}
