package csp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
	"github.com/tokenkit/tokenkit/internal/wiretime"
)

// APITokenRequest exchanges an organization-scoped API token, created in the
// CSP console, for an access token.
type APITokenRequest struct {
	// APIToken is the API token; required.
	APIToken tokenkit.Secret
	// Passcode is the MFA passcode for an MFA-protected API token. A
	// passcode is good for one exchange: for a Source, set PasscodeFunc.
	Passcode tokenkit.Secret
	// PasscodeFunc, if set, supplies a fresh passcode for each exchange.
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
	// ClientID and ClientSecret identify the OAuth app; required.
	ClientID     string
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
	if strings.TrimSpace(req.APIToken.Reveal()) == "" {
		return nil, c.tx.InvalidInput(op, "empty API token")
	}
	if len(req.AllowedResourceScope) > 0 && !json.Valid(req.AllowedResourceScope) {
		return nil, c.tx.InvalidInput(op, "AllowedResourceScope is not valid JSON")
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
	dto, err := call[api.AccessTokenDto](ctx, c, op, httpx.Idempotent, func(ctx context.Context) (*http.Response, error) {
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
	if req.ClientID == "" || req.ClientSecret == "" {
		return nil, c.tx.InvalidInput(op, "client id and client secret are required")
	}
	if strings.Contains(req.ClientID, ":") {
		return nil, c.tx.InvalidInput(op, "client id must not contain ':' (HTTP Basic)")
	}
	body := api.ExchangeClientCredentialsFormdataRequestBody{GrantType: api.ClientCredentialsGrantRequestGrantTypeClientCredentials}
	if req.OrgID != "" {
		body.OrgId = ptr.To(req.OrgID)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(req.ClientID+":"+req.ClientSecret.Reveal()))
	editors := []api.RequestEditorFn{func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", basic)
		if c.opts.ccPath != "" {
			r.URL.Path = strings.TrimSuffix(r.URL.Path, "/csp/gateway/am/api/auth/authorize") + c.opts.ccPath
			r.URL.RawPath = ""
		}
		return nil
	}}
	dto, err := call[api.AccessTokenDto](ctx, c, op, httpx.Idempotent, func(ctx context.Context) (*http.Response, error) {
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
		Presentation:    c.opts.presentation,
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
		if _, err := c.Verify(ctx, tokenkit.Secret(t.Value())); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// APITokenExchanger is a tokenkit.Exchanger that exchanges one API token.
type APITokenExchanger struct {
	Client  *Client
	Request APITokenRequest
}

var _ tokenkit.Exchanger = (*APITokenExchanger)(nil)

// Exchange calls ExchangeAPIToken.
func (e *APITokenExchanger) Exchange(ctx context.Context) (tokenkit.Token, error) {
	return httpx.AsToken(e.Client.ExchangeAPIToken(ctx, e.Request))
}

// ClientCredentialsExchanger is a tokenkit.Exchanger for an OAuth app.
type ClientCredentialsExchanger struct {
	Client  *Client
	Request ClientCredentials
}

var _ tokenkit.Exchanger = (*ClientCredentialsExchanger)(nil)

// Exchange calls ExchangeClientCredentials.
func (e *ClientCredentialsExchanger) Exchange(ctx context.Context) (tokenkit.Token, error) {
	return httpx.AsToken(e.Client.ExchangeClientCredentials(ctx, e.Request))
}

// APITokenSource returns a cached, refresh-ahead tokenkit.Source of access
// tokens for an API token: the usual way for a long-running program to call
// VMware APIs. Pass it to tokenkit.NewClient or tokenkit.Transport. A 30-minute
// CSP token is refreshed about 5 minutes before it expires while requests keep
// using it. cfg may be omitted; the first one given is used.
func (c *Client) APITokenSource(req APITokenRequest, cfg ...tokenkit.SourceConfig) *tokenkit.Source {
	e := &APITokenExchanger{Client: c, Request: req}
	return tokenkit.NewSource(e.Exchange, c.tx.SourceConfig("APITokenSource", firstConfig(cfg)))
}

// ClientCredentialsSource is APITokenSource for an OAuth app.
func (c *Client) ClientCredentialsSource(req ClientCredentials, cfg ...tokenkit.SourceConfig) *tokenkit.Source {
	e := &ClientCredentialsExchanger{Client: c, Request: req}
	return tokenkit.NewSource(e.Exchange, c.tx.SourceConfig("ClientCredentialsSource", firstConfig(cfg)))
}
