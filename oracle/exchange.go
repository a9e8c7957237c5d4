package oracle

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
	"github.com/tokenkit/tokenkit/internal/redact"
	"github.com/tokenkit/tokenkit/internal/wiretime"
	"github.com/tokenkit/tokenkit/oracle/internal/api"
)

// TokenRequest is one call of POST /system/api/v1/security/token. It
// authenticates with Credentials (HTTP Basic) or with AccessToken (an
// existing token), or with neither when RefreshToken alone identifies the
// user; at most one of Credentials and AccessToken may be set.
type TokenRequest struct {
	// Credentials authenticates the call with HTTP Basic.
	Credentials *Credentials
	// AccessToken authenticates the call with an existing token, presented
	// by its SetAuthHeader ("Authorization: Bearer …" for tokens of this
	// package and tokenkit.BearerToken).
	AccessToken tokenkit.Token
	// RefreshToken, if set, is sent as the body {"refreshToken": …}: the
	// token is then obtained for that refresh token. Without it no body is
	// sent, as Oracle's own toolkit does.
	RefreshToken tokenkit.Secret
}

// String describes the request without any secret.
func (r TokenRequest) String() string {
	auth := "none"
	switch {
	case r.Credentials != nil:
		auth = "basic " + r.Credentials.String()
	case r.AccessToken != nil:
		auth = "token " + redact.Mask
	}
	return fmt.Sprintf("oracle.TokenRequest{auth: %s, refresh token: %t}", auth, r.RefreshToken != "")
}

// GoString is String, for %#v.
func (r TokenRequest) GoString() string { return r.String() }

// Format writes String for every verb.
func (r TokenRequest) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// RequestToken calls POST /system/api/v1/security/token in the form req
// describes and returns the new access token (with its refresh token, if the
// instance sent one).
//
// Retries: the password and access-token forms only issue a token, so they
// are retried like GETs after transport errors, 408, 429 and 5xx. The
// refresh-token form may rotate the refresh token (see
// WithRefreshTokenRotation), so by default it is retried only when the
// request never reached the instance, or after 429.
//
// A refused credential gives a *tokenkit.Error matching
// tokenkit.ErrInvalidCredential: 401 or 403 for every form, and also 400 for
// the refresh-token form. Oracle's ExceptionDetail (or ErrorResponse) is
// reachable with errors.As.
func (c *Client) RequestToken(ctx context.Context, req TokenRequest) (*AccessToken, error) {
	if err := c.checkTokenRequest(req); err != nil {
		return nil, err
	}
	class := httpx.Idempotent
	if req.RefreshToken != "" && !c.opts.noRotation {
		class = httpx.Mutating
	}
	var auth tokenkit.TokenSource
	editors := []api.RequestEditorFn{}
	switch {
	case req.Credentials != nil:
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(req.Credentials.Username+":"+req.Credentials.Password.Reveal()))
		// Credentials never change between attempts: one header per call.
		editors = append(editors, func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", basic)
			return nil
		})
	case req.AccessToken != nil:
		auth = tokenkit.StaticSource(req.AccessToken)
	}
	send := func(ctx context.Context) (*http.Response, error) {
		if req.RefreshToken == "" {
			return c.api.GetAccessTokenWithBody(ctx, "", nil, editors...) // httpx drops the empty Content-Type
		}
		body := api.GetAccessTokenJSONRequestBody{RefreshToken: ptr.To(req.RefreshToken.Reveal())}
		return c.api.GetAccessToken(ctx, body, editors...)
	}
	dto, err := httpx.Call[api.AuthToken](ctx, c.tx, op(opGetAccessToken, class, auth), send)
	if err != nil {
		statuses := rejectedCredential
		if req.RefreshToken != "" {
			statuses = rejectedRefresh
		}
		return nil, markRejected(err, statuses)
	}
	return c.accessToken(dto)
}

func (c *Client) checkTokenRequest(req TokenRequest) error {
	const op = opGetAccessToken
	if req.Credentials != nil && req.AccessToken != nil {
		return c.tx.InvalidInput(op, "set Credentials or AccessToken, not both")
	}
	if req.Credentials == nil && req.AccessToken == nil && req.RefreshToken == "" {
		return c.tx.InvalidInput(op, "no credentials, access token or refresh token")
	}
	if cr := req.Credentials; cr != nil {
		if cr.Username == "" || cr.Password == "" {
			return c.tx.InvalidInput(op, "user name and password are required")
		}
		if strings.Contains(cr.Username, ":") {
			return c.tx.InvalidInput(op, "user name must not contain ':' (HTTP Basic)")
		}
	}
	if req.AccessToken != nil && strings.TrimSpace(req.AccessToken.Value()) == "" {
		return c.tx.InvalidInput(op, "empty access token")
	}
	if req.RefreshToken != "" && strings.TrimSpace(req.RefreshToken.Reveal()) == "" {
		return c.tx.InvalidInput(op, "blank refresh token")
	}
	return nil
}

// ExchangePassword gets an access token for a user name and password (HTTP
// Basic, no body), the form Oracle documents.
func (c *Client) ExchangePassword(ctx context.Context, cred Credentials) (*AccessToken, error) {
	return c.RequestToken(ctx, TokenRequest{Credentials: &cred})
}

// ExchangeRefreshToken gets an access token for a refresh token, sent in the
// body without other authentication. The answer's RefreshToken, when
// present, replaces the one sent: keep it (a Source does).
func (c *Client) ExchangeRefreshToken(ctx context.Context, refreshToken tokenkit.Secret) (*AccessToken, error) {
	if refreshToken == "" {
		return nil, c.tx.InvalidInput(opGetAccessToken, "empty refresh token")
	}
	return c.RequestToken(ctx, TokenRequest{RefreshToken: refreshToken})
}

// RenewAccessToken gets a new access token for the user of a token that
// still works, presenting it with its SetAuthHeader and no body, as Oracle's
// own toolkit renews tokens.
func (c *Client) RenewAccessToken(ctx context.Context, current tokenkit.Token) (*AccessToken, error) {
	if current == nil {
		return nil, c.tx.InvalidInput(opGetAccessToken, "no access token to renew")
	}
	return c.RequestToken(ctx, TokenRequest{AccessToken: current})
}

// accessToken turns a decoded AuthToken into an AccessToken, refusing a body
// without a token.
func (c *Client) accessToken(dto *api.AuthToken) (*AccessToken, error) {
	if dto.AccessToken == nil || strings.TrimSpace(*dto.AccessToken) == "" {
		return nil, &tokenkit.Error{Vendor: vendor, Op: opGetAccessToken, StatusCode: http.StatusOK,
			Message: "response has no accessToken", Err: tokenkit.ErrInvalidResponse}
	}
	t := &AccessToken{
		value:        tokenkit.Secret(*dto.AccessToken),
		TokenType:    ptr.Deref(dto.TokenType),
		RefreshToken: tokenkit.Secret(strings.TrimSpace(ptr.Deref(dto.RefreshToken))),
		// Clamped like every vendor's lifetime (internal/wiretime): zero or
		// negative is unknown, more than a century is a century.
		Lifetime: wiretime.Millis(ptr.Deref(dto.ExpiresInMillis)),
	}
	t.ExpiresAt = wiretime.Expiry(c.tx.Now(), t.Lifetime)
	return t, nil
}

// PasswordExchanger is a tokenkit.Exchanger that exchanges one user name and
// password.
type PasswordExchanger struct {
	Client      *Client
	Credentials Credentials
}

var _ tokenkit.Exchanger = (*PasswordExchanger)(nil)

// Exchange calls ExchangePassword.
func (e *PasswordExchanger) Exchange(ctx context.Context) (tokenkit.Token, error) {
	return httpx.AsToken(e.Client.ExchangePassword(ctx, e.Credentials))
}

// SessionIssuer is a tokenkit.Issuer: it issues a new access token for the
// user of an authenticated session, the token Auth hands out (see
// RenewAccessToken). Oracle's token call takes no name, lifetime or scope,
// and the new token lives as long as the instance decides (14 days in
// Oracle's example): a request with a Lifetime or Scopes is an error
// matching tokenkit.ErrInvalidInput, and nothing is sent; req.Name, a mere
// label, is dropped.
type SessionIssuer struct {
	Client *Client
	Auth   tokenkit.TokenSource
}

var _ tokenkit.Issuer = (*SessionIssuer)(nil)

// Issue returns a new access token for the session's user.
func (s *SessionIssuer) Issue(ctx context.Context, req tokenkit.IssueRequest) (tokenkit.Token, error) {
	if s == nil || s.Client == nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: opGetAccessToken, Message: "SessionIssuer has no Client", Err: tokenkit.ErrInvalidInput}
	}
	if req.Lifetime != 0 {
		return nil, s.Client.tx.InvalidInput(opGetAccessToken, "Lifetime: Oracle access tokens live as long as the instance decides")
	}
	if len(req.Scopes) > 0 {
		return nil, s.Client.tx.InvalidInput(opGetAccessToken, "Scopes: Oracle access tokens take no scopes")
	}
	if s.Auth == nil {
		return nil, s.Client.tx.InvalidInput(opGetAccessToken, "SessionIssuer has no Auth")
	}
	cur, err := s.Auth.Token(ctx)
	if err != nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: opGetAccessToken, Message: "getting the session token", Err: err}
	}
	return httpx.AsToken(s.Client.RenewAccessToken(ctx, cur))
}
