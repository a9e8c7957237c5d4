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
	// by its own SetAuthHeader (for tokens of this package, as their
	// client's presentation says; see WithPresentation).
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
// reachable with errors.As. Errors name the method called in
// tokenkit.Error.Op: "RequestToken" here, "ExchangePassword",
// "ExchangeRefreshToken", "RenewAccessToken", "Renew" or "Issue" for the
// others.
func (c *Client) RequestToken(ctx context.Context, req TokenRequest) (*AccessToken, error) {
	return c.requestToken(ctx, "RequestToken", req)
}

// requestToken is RequestToken for the method op.
func (c *Client) requestToken(ctx context.Context, op string, req TokenRequest) (*AccessToken, error) {
	if err := c.checkTokenRequest(op, req); err != nil {
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
	dto, err := httpx.Call[api.AuthToken](ctx, c.tx, &httpx.Op{Name: op, Class: class, Auth: auth}, send)
	if err != nil {
		statuses := rejectedCredential
		if req.RefreshToken != "" {
			statuses = rejectedRefresh
		}
		return nil, markRejected(err, statuses)
	}
	return c.accessToken(op, dto)
}

// checkTokenRequest validates req before anything is sent.
func (c *Client) checkTokenRequest(op string, req TokenRequest) error {
	if req.Credentials != nil && req.AccessToken != nil {
		return c.tx.InvalidInput(op, "TokenRequest: set Credentials or AccessToken, not both")
	}
	if req.Credentials == nil && req.AccessToken == nil && req.RefreshToken == "" {
		return c.tx.InvalidInput(op, "TokenRequest: no Credentials, AccessToken or RefreshToken")
	}
	if req.Credentials != nil {
		if err := c.checkCredentials(op, "TokenRequest.Credentials", *req.Credentials); err != nil {
			return err
		}
	}
	if req.AccessToken != nil && strings.TrimSpace(req.AccessToken.Value()) == "" {
		return c.tx.InvalidInput(op, "TokenRequest.AccessToken: empty access token")
	}
	if req.RefreshToken != "" && strings.TrimSpace(req.RefreshToken.Reveal()) == "" {
		return c.tx.InvalidInput(op, "TokenRequest.RefreshToken: blank refresh token")
	}
	return nil
}

// checkCredentials validates credentials sent with HTTP Basic; field names
// them in the error ("Credentials", "RefreshTokenRequest.Credentials").
func (c *Client) checkCredentials(op, field string, cr Credentials) error {
	switch {
	case cr.Username == "":
		return c.tx.InvalidInput(op, "%s.Username: empty user name", field)
	case cr.Password == "":
		return c.tx.InvalidInput(op, "%s.Password: empty password", field)
	case strings.Contains(cr.Username, ":"):
		return c.tx.InvalidInput(op, "%s.Username: must not contain ':' (HTTP Basic)", field)
	}
	return nil
}

// ExchangePassword gets an access token for a user name and password (HTTP
// Basic, no body), the form Oracle documents.
func (c *Client) ExchangePassword(ctx context.Context, cred Credentials) (*AccessToken, error) {
	const op = "ExchangePassword"
	if err := c.checkCredentials(op, "Credentials", cred); err != nil {
		return nil, err
	}
	return c.requestToken(ctx, op, TokenRequest{Credentials: &cred})
}

// ExchangeRefreshToken gets an access token for a refresh token, sent in the
// body without other authentication. The answer's RefreshToken, when
// present, replaces the one sent: keep it (a RefreshTokenSource does).
func (c *Client) ExchangeRefreshToken(ctx context.Context, refreshToken tokenkit.Secret) (*AccessToken, error) {
	const op = "ExchangeRefreshToken"
	if strings.TrimSpace(refreshToken.Reveal()) == "" {
		return nil, c.tx.InvalidInput(op, "refreshToken: empty refresh token")
	}
	return c.requestToken(ctx, op, TokenRequest{RefreshToken: refreshToken})
}

// RenewAccessToken gets a new access token for the user of a token that
// still works, presenting it with its SetAuthHeader and no body, as Oracle's
// own toolkit renews tokens.
func (c *Client) RenewAccessToken(ctx context.Context, current tokenkit.Token) (*AccessToken, error) {
	return c.renew(ctx, "RenewAccessToken", current)
}

// renew is RenewAccessToken for the method op.
func (c *Client) renew(ctx context.Context, op string, current tokenkit.Token) (*AccessToken, error) {
	if current == nil || strings.TrimSpace(current.Value()) == "" {
		return nil, c.tx.InvalidInput(op, "no access token to renew")
	}
	return c.requestToken(ctx, op, TokenRequest{AccessToken: current})
}

// accessToken turns a decoded AuthToken into an AccessToken, refusing a body
// without a token.
func (c *Client) accessToken(op string, dto *api.AuthToken) (*AccessToken, error) {
	if dto.AccessToken == nil || strings.TrimSpace(*dto.AccessToken) == "" {
		return nil, &tokenkit.Error{Vendor: vendor, Op: op, StatusCode: http.StatusOK,
			Message: "response has no accessToken", Err: tokenkit.ErrInvalidResponse}
	}
	t := &AccessToken{
		value:        tokenkit.Secret(*dto.AccessToken),
		present:      c.opts.present,
		TokenType:    ptr.Deref(dto.TokenType),
		RefreshToken: tokenkit.Secret(strings.TrimSpace(ptr.Deref(dto.RefreshToken))),
		// Clamped like every vendor's lifetime (internal/wiretime): zero or
		// negative is unknown, more than a century is a century.
		Lifetime: wiretime.Millis(ptr.Deref(dto.ExpiresInMillis)),
	}
	t.ExpiresAt = wiretime.Expiry(c.tx.Now(), t.Lifetime)
	return t, nil
}

// passwordExchanger signs in with one user name and password on every
// Exchange.
type passwordExchanger struct {
	c    *Client
	cred Credentials
}

var _ tokenkit.Exchanger = (*passwordExchanger)(nil)

// PasswordExchanger returns a tokenkit.Exchanger whose every Exchange signs
// in with req (ExchangePassword): a new access token each time, and the
// refresh token the instance sends with it, unused by the exchanger. req is
// checked now: an empty user name or password, or a user name with ':', is
// an error matching tokenkit.ErrInvalidInput.
func (c *Client) PasswordExchanger(req Credentials) (tokenkit.Exchanger, error) {
	return c.passwordExchanger("PasswordExchanger", req)
}

// PasswordSource returns a cached, refresh-ahead tokenkit.Source of access
// tokens that signs in with req whenever it needs a new token (a 14-day
// token about 15 minutes before it expires, while requests keep using it):
// the simplest way for a long-running program that holds a password to call
// OCM APIs. Pass it to tokenkit.NewClient or tokenkit.Transport. To sign in
// once and then live on refresh tokens, use RefreshTokenSource with
// Credentials instead. An *AccessToken given as cfg.Initial is served until
// it is due, presenting itself as this client's tokens do. req is checked as
// PasswordExchanger does.
func (c *Client) PasswordSource(req Credentials, cfg tokenkit.SourceConfig) (*tokenkit.Source, error) {
	const op = "PasswordSource"
	ex, err := c.passwordExchanger(op, req)
	if err != nil {
		return nil, err
	}
	return tokenkit.NewSource(ex.Exchange, c.sourceConfig(op, cfg)), nil
}

func (c *Client) passwordExchanger(op string, req Credentials) (*passwordExchanger, error) {
	if err := c.checkCredentials(op, "Credentials", req); err != nil {
		return nil, err
	}
	return &passwordExchanger{c: c, cred: req}, nil
}

// sourceConfig is the client's SourceConfig for the Source method op, with
// an *AccessToken given as Initial presenting itself as the client's tokens
// do.
func (c *Client) sourceConfig(op string, cfg tokenkit.SourceConfig) tokenkit.SourceConfig {
	sc := c.tx.SourceConfig(op, cfg)
	if t, ok := sc.Initial.(*AccessToken); ok && t != nil {
		sc.Initial = c.presented(t)
	}
	return sc
}

// Exchange calls ExchangePassword.
func (e *passwordExchanger) Exchange(ctx context.Context) (tokenkit.Token, error) {
	return httpx.AsToken(e.c.ExchangePassword(ctx, e.cred))
}

// String describes the exchanger without the password.
func (e *passwordExchanger) String() string {
	return "oracle.PasswordExchanger{" + e.cred.String() + "}"
}

// GoString is String, for %#v.
func (e *passwordExchanger) GoString() string { return e.String() }

// Format writes String for every verb.
func (e *passwordExchanger) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }
