package csp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
	"github.com/tokenkit/tokenkit/internal/redact"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
	"github.com/tokenkit/tokenkit/internal/wiretime"
)

// APITokenRequest exchanges an organization-scoped API token, created in the
// CSP console, for an access token.
type APITokenRequest struct {
	// APIToken is the API token; required.
	APIToken tokenkit.Secret
	// Passcode is the MFA passcode for an MFA-protected API token. A
	// passcode is good for one exchange, so APITokenExchanger and
	// APITokenSource, which exchange again, refuse it: set PasscodeFunc
	// for them.
	Passcode tokenkit.Secret
	// PasscodeFunc, if set, supplies a fresh passcode for each exchange.
	// Set Passcode or PasscodeFunc, not both.
	PasscodeFunc func(ctx context.Context) (tokenkit.Secret, error)
	// Scopes asks for a token scoped down to these scopes (sent
	// space-separated in scope); empty means all the API token's scopes.
	Scopes []string
	// AllowedResourceScope, if set, is the JSON of a
	// ServicesPermissionsScopesDto limiting the token to resources (Tanzu
	// CSP only).
	AllowedResourceScope json.RawMessage
}

// ClientCredentials exchanges an OAuth app's client id and secret for an
// access token (grant_type=client_credentials, HTTP Basic).
type ClientCredentials struct {
	// ClientID is the OAuth app's client id; required, and without ':'
	// (it travels in HTTP Basic).
	ClientID string
	// ClientSecret is the OAuth app's secret; required.
	ClientSecret tokenkit.Secret
	// OrgID limits the token to one organization (documented for the
	// CSP-compatible VCF identity service; unverified for cloud CSP).
	OrgID string
}

// ExchangeAPIToken exchanges an API token for an access token
// (POST /csp/gateway/am/api/auth/api-tokens/authorize). The exchange has no
// side effect, so it is retried like a GET after transport errors, 429 and
// 5xx. A rejected API token gives a *tokenkit.Error matching
// tokenkit.ErrInvalidCredential.
func (c *Client) ExchangeAPIToken(ctx context.Context, req APITokenRequest) (*AccessToken, error) {
	const op = "ExchangeAPIToken"
	if err := c.checkAPITokenRequest(op, req, false); err != nil {
		return nil, err
	}
	body := api.ExchangeAPITokenFormdataRequestBody{ApiToken: ptr.To(req.APIToken.Reveal())}
	passcode := req.Passcode
	if req.PasscodeFunc != nil {
		p, err := req.PasscodeFunc(ctx)
		if err != nil {
			return nil, &tokenkit.Error{Vendor: vendor, Op: op, Message: "getting the MFA passcode", Err: err}
		}
		passcode = p
	}
	if passcode != "" {
		body.Passcode = ptr.To(passcode.Reveal())
	}
	if len(req.Scopes) > 0 {
		body.Scope = ptr.To(strings.Join(req.Scopes, " "))
	}
	if len(req.AllowedResourceScope) > 0 {
		body.AllowedResourceScope = ptr.To(string(req.AllowedResourceScope))
	}
	dto, err := httpx.Call[api.AccessTokenDto](ctx, c.tx, &httpx.Op{Name: op, Class: httpx.Idempotent}, func(ctx context.Context) (*http.Response, error) {
		return c.api.ExchangeAPITokenWithFormdataBody(ctx, nil, body) // never the deprecated query parameter
	})
	if err != nil {
		return nil, err
	}
	return c.accessToken(ctx, op, dto)
}

// ExchangeClientCredentials exchanges an OAuth app's credentials for an
// access token (POST /csp/gateway/am/api/auth/authorize, or the path set with
// WithClientCredentialsPath). Like ExchangeAPIToken it is retried as a
// side-effect-free call.
func (c *Client) ExchangeClientCredentials(ctx context.Context, req ClientCredentials) (*AccessToken, error) {
	const op = "ExchangeClientCredentials"
	if err := c.checkClientCredentials(op, req); err != nil {
		return nil, err
	}
	body := api.ExchangeClientCredentialsFormdataRequestBody{GrantType: api.ClientCredentialsGrantRequestGrantTypeClientCredentials}
	if req.OrgID != "" {
		body.OrgId = ptr.To(req.OrgID)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(req.ClientID+":"+req.ClientSecret.Reveal()))
	editors := []api.RequestEditorFn{func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", basic)
		if c.opts.ccPath != "" {
			r.URL.Path = c.opts.ccPath // the base is an origin: the path is all of it
			r.URL.RawPath = ""
		}
		return nil
	}}
	dto, err := httpx.Call[api.AccessTokenDto](ctx, c.tx, &httpx.Op{Name: op, Class: httpx.Idempotent}, func(ctx context.Context) (*http.Response, error) {
		return c.api.ExchangeClientCredentialsWithFormdataBody(ctx, body, editors...)
	})
	if err != nil {
		return nil, err
	}
	return c.accessToken(ctx, op, dto)
}

// accessToken turns a decoded AccessTokenDto into an AccessToken, refusing a
// body without a token.
func (c *Client) accessToken(ctx context.Context, op string, dto *api.AccessTokenDto) (*AccessToken, error) {
	if dto.AccessToken == nil || strings.TrimSpace(*dto.AccessToken) == "" {
		return nil, &tokenkit.Error{Vendor: vendor, Op: op, StatusCode: http.StatusOK, Message: "response has no access_token",
			Err: tokenkit.ErrInvalidResponse}
	}
	now := c.tx.Now()
	t := &AccessToken{
		value:           tokenkit.Secret(*dto.AccessToken),
		bearer:          tokenfmt.BearerHeader(*dto.AccessToken),
		TokenType:       ptr.Deref(dto.TokenType),
		IssuedTokenType: ptr.Deref(dto.IssuedTokenType),
		Scope:           ptr.Deref(dto.Scope),
		IDToken:         tokenkit.Secret(ptr.Deref(dto.IdToken)),
		RefreshToken:    tokenkit.Secret(ptr.Deref(dto.RefreshToken)),
		presentations:   slices.Clone(c.opts.presentation),
	}
	// expires_in is clamped like every vendor's lifetime (internal/wiretime):
	// 9223372037 seconds once wrapped to an expiry in 1734, and a Source then
	// exchanged on every call. Zero or negative is unknown: the JWT's exp
	// decides.
	if life := wiretime.Seconds(ptr.Deref(dto.ExpiresIn)); life > 0 {
		t.ExpiresAt = wiretime.Expiry(now, life)
	} else if cl, err := t.Claims(); err == nil {
		t.ExpiresAt = cl.ExpiresAt
	}
	if c.opts.verify {
		if _, err := c.verify(ctx, op, t.value, nil); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// checkAPITokenRequest is the validation ExchangeAPIToken,
// APITokenExchanger and APITokenSource share; reusable (the exchanger and
// the source, which exchange again) also refuses a one-time Passcode.
func (c *Client) checkAPITokenRequest(op string, req APITokenRequest, reusable bool) error {
	switch {
	case strings.TrimSpace(req.APIToken.Reveal()) == "":
		return c.tx.InvalidInput(op, "APIToken is empty")
	case len(req.AllowedResourceScope) > 0 && !json.Valid(req.AllowedResourceScope):
		return c.tx.InvalidInput(op, "AllowedResourceScope is not valid JSON")
	case req.Passcode != "" && req.PasscodeFunc != nil:
		return c.tx.InvalidInput(op, "set Passcode or PasscodeFunc, not both")
	case reusable && req.Passcode != "":
		return c.tx.InvalidInput(op, "Passcode is good for one exchange and %s exchanges again: set PasscodeFunc", op)
	}
	return nil
}

// checkClientCredentials is the validation ExchangeClientCredentials,
// ClientCredentialsExchanger and ClientCredentialsSource share.
func (c *Client) checkClientCredentials(op string, req ClientCredentials) error {
	switch {
	case req.ClientID == "":
		return c.tx.InvalidInput(op, "ClientID is empty")
	case strings.Contains(req.ClientID, ":"):
		return c.tx.InvalidInput(op, "ClientID must not contain ':' (it is sent with HTTP Basic)")
	case req.ClientSecret == "":
		return c.tx.InvalidInput(op, "ClientSecret is empty")
	}
	return nil
}

// apiTokenExchanger exchanges one API token (APITokenExchanger).
type apiTokenExchanger struct {
	c   *Client
	req APITokenRequest
}

var (
	_ tokenkit.Exchanger = (*apiTokenExchanger)(nil)
	_ tokenkit.Exchanger = (*clientCredentialsExchanger)(nil)
)

// Exchange calls ExchangeAPIToken.
func (e *apiTokenExchanger) Exchange(ctx context.Context) (tokenkit.Token, error) {
	return httpx.AsToken(e.c.ExchangeAPIToken(ctx, e.req))
}

// String names the exchanger without the API token or passcode it holds.
func (e apiTokenExchanger) String() string {
	base := ""
	if e.c != nil {
		base = e.c.base
	}
	return fmt.Sprintf("csp.APITokenExchanger{base: %q, api_token: %s, scopes: %q}", base, redact.Mask, e.req.Scopes)
}

// Format writes String for every verb: fmt would otherwise print the
// request it holds, API token included, field by field.
func (e apiTokenExchanger) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }

// clientCredentialsExchanger exchanges one OAuth app's credentials
// (ClientCredentialsExchanger).
type clientCredentialsExchanger struct {
	c   *Client
	req ClientCredentials
}

// Exchange calls ExchangeClientCredentials.
func (e *clientCredentialsExchanger) Exchange(ctx context.Context) (tokenkit.Token, error) {
	return httpx.AsToken(e.c.ExchangeClientCredentials(ctx, e.req))
}

// String names the exchanger without the client secret it holds.
func (e clientCredentialsExchanger) String() string {
	base := ""
	if e.c != nil {
		base = e.c.base
	}
	return fmt.Sprintf("csp.ClientCredentialsExchanger{base: %q, client_id: %q, client_secret: %s}", base, e.req.ClientID, redact.Mask)
}

// Format writes String for every verb: fmt would otherwise print the
// client secret field by field.
func (e clientCredentialsExchanger) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }

// APITokenExchanger returns a tokenkit.Exchanger whose every Exchange
// exchanges req's API token (ExchangeAPIToken), for code that manages
// tokens across vendors. req is checked now: an empty APIToken, an
// AllowedResourceScope that is not JSON, or a one-time Passcode (set
// PasscodeFunc instead) is an error matching tokenkit.ErrInvalidInput that
// names the field. req is copied: changing it later has no effect.
func (c *Client) APITokenExchanger(req APITokenRequest) (tokenkit.Exchanger, error) {
	e, err := c.apiTokenExchanger("APITokenExchanger", req)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return e, nil
}

func (c *Client) apiTokenExchanger(op string, req APITokenRequest) (*apiTokenExchanger, error) {
	if err := c.checkAPITokenRequest(op, req, true); err != nil {
		return nil, err
	}
	req.Scopes = slices.Clone(req.Scopes)
	req.AllowedResourceScope = slices.Clone(req.AllowedResourceScope)
	return &apiTokenExchanger{c: c, req: req}, nil
}

// ClientCredentialsExchanger returns a tokenkit.Exchanger whose every
// Exchange exchanges req (ExchangeClientCredentials). req is checked now:
// an empty ClientID or ClientSecret, or a ClientID with ':', is an error
// matching tokenkit.ErrInvalidInput that names the field.
func (c *Client) ClientCredentialsExchanger(req ClientCredentials) (tokenkit.Exchanger, error) {
	e, err := c.clientCredentialsExchanger("ClientCredentialsExchanger", req)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return e, nil
}

func (c *Client) clientCredentialsExchanger(op string, req ClientCredentials) (*clientCredentialsExchanger, error) {
	if err := c.checkClientCredentials(op, req); err != nil {
		return nil, err
	}
	return &clientCredentialsExchanger{c: c, req: req}, nil
}

// APITokenSource returns a cached, refresh-ahead tokenkit.Source of access
// tokens for an API token: the usual way for a long-running program to call
// VMware APIs. Pass it to tokenkit.NewClient or tokenkit.Transport. A 30-minute
// CSP token is refreshed about 5 minutes before it expires while requests keep
// using it. req is checked as APITokenExchanger checks it; cfg configures the
// Source (its zero value is fine), and its Save, if set, persists each new
// access token before the Source serves it.
func (c *Client) APITokenSource(req APITokenRequest, cfg tokenkit.SourceConfig) (*tokenkit.Source, error) {
	const op = "APITokenSource"
	e, err := c.apiTokenExchanger(op, req)
	if err != nil {
		return nil, err
	}
	return tokenkit.NewSource(e.Exchange, c.tx.SourceConfig(op, cfg)), nil
}

// ClientCredentialsSource is APITokenSource for an OAuth app: req is
// checked as ClientCredentialsExchanger checks it.
func (c *Client) ClientCredentialsSource(req ClientCredentials, cfg tokenkit.SourceConfig) (*tokenkit.Source, error) {
	const op = "ClientCredentialsSource"
	e, err := c.clientCredentialsExchanger(op, req)
	if err != nil {
		return nil, err
	}
	return tokenkit.NewSource(e.Exchange, c.tx.SourceConfig(op, cfg)), nil
}
