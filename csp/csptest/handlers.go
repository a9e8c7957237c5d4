package csptest

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit/csp/internal/api"
	"github.com/tokenkit/tokenkit/internal/fakekit"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// newRouter builds the generated strict server behind a ServeMux whose
// catch-all answers 404 (or 405 on a known path) with a CspErrorResponse.
func (s *Server) newRouter() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.notFound)
	strict := api.NewStrictHandlerWithOptions(handlers{s}, []api.StrictMiddlewareFunc{checkRequest},
		api.StrictHTTPServerOptions{
			RequestErrorHandlerFunc:  requestError,
			ResponseErrorHandlerFunc: responseError,
		})
	return api.HandlerWithOptions(strict, api.StdHTTPServerOptions{
		BaseRouter:       mux,
		ErrorHandlerFunc: requestError,
	})
}

// notFound answers requests that match no operation.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if allow := allowedMethods(r.URL.Path); allow != "" {
		// A Spring gateway answers 405 with Allow here (fake's choice of body).
		fakekit.WriteJSON(w, http.StatusMethodNotAllowed, http.Header{"Allow": {allow}},
			cspError(http.StatusMethodNotAllowed, "method_not_allowed",
				"Request method '"+r.Method+"' is not supported", false))
		return
	}
	// Seed 003: 404 "The requested resource could not be found".
	fakekit.WriteJSON(w, http.StatusNotFound, nil,
		cspError(http.StatusNotFound, "not_found", "The requested resource could not be found", false))
}

// requestError answers a request the generated code could not decode (a
// JSON body that does not parse, a form that does not bind) with 400
// invalid_request (fake's choice of code).
func requestError(w http.ResponseWriter, _ *http.Request, err error) {
	fakekit.WriteJSON(w, http.StatusBadRequest, nil,
		cspError(http.StatusBadRequest, "invalid_request", "invalid_request: "+err.Error(), false))
}

// responseError answers a failure to encode a response with 500.
func responseError(w http.ResponseWriter, _ *http.Request, err error) {
	fakekit.WriteJSON(w, http.StatusInternalServerError, nil,
		cspError(http.StatusInternalServerError, "internal_error", err.Error(), false))
}

// basicAuth carries the request's HTTP Basic credentials to
// ExchangeClientCredentials, which sees only a context and the bound body.
type basicAuth struct {
	id, secret string
	ok         bool
}

type basicAuthKey struct{}

// checkRequest is a strict middleware that validates what the bound request
// objects cannot show: the Content-Type, the deprecated query-parameter
// token, and the Basic credentials.
func checkRequest(f api.StrictHandlerFunc, op string) api.StrictHandlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, req any) (any, error) {
		ct := fakekit.MediaType(r.Header.Get("Content-Type"))
		switch op {
		case opExchangeAPIToken:
			if ct != "application/x-www-form-urlencoded" {
				return api.ExchangeAPIToken400JSONResponse(contentTypeError(r, "application/x-www-form-urlencoded")), nil
			}
			// The deprecated ?refresh_token= is accepted: the vendor lists it as
			// DEPRECATED, not removed (tcsp-authn operation index). An API token
			// in the query under its current name is not documented at all and
			// is refused (fake's choice).
			if r.URL.Query().Has("api_token") {
				return api.ExchangeAPIToken400JSONResponse(cspError(http.StatusBadRequest, "invalid_request",
					"invalid_request: api_token must be sent in the request body, not as a query parameter", true)), nil
			}
		case opExchangeClientCredentials, opExchangeClientCredentialsToken:
			if ct != "application/x-www-form-urlencoded" {
				return api.ExchangeClientCredentials400JSONResponse(contentTypeError(r, "application/x-www-form-urlencoded")), nil
			}
			var b basicAuth
			b.id, b.secret, b.ok = r.BasicAuth()
			if !b.ok {
				// golang.org/x/oauth2's AuthStyleInParams (and its auto-detect
				// retry) sends the credentials in the form (fake's choice to
				// accept; the vendor documents Basic).
				if f := r.PostForm; f.Get("client_id") != "" {
					b.id, b.secret, b.ok = f.Get("client_id"), f.Get("client_secret"), true
				}
			}
			ctx = context.WithValue(ctx, basicAuthKey{}, b)
		case opGetAPITokenDetails:
			// Reached only when the body parsed as JSON; a body sent with another
			// Content-Type is still refused (fake's choice, as Spring would).
			if ct != "application/json" {
				return api.GetAPITokenDetails400JSONResponse(contentTypeError(r, "application/json")), nil
			}
		}
		return f(ctx, w, r, req)
	}
}

func contentTypeError(r *http.Request, want string) api.CspErrorResponse {
	return cspError(http.StatusBadRequest, "invalid_request",
		"invalid_request: Content-Type '"+r.Header.Get("Content-Type")+"' is not supported, use "+want, false)
}

// handlers implements api.StrictServerInterface on the Server's state. It is
// a separate type so that Server's method set stays the documented API.
type handlers struct{ s *Server }

var _ api.StrictServerInterface = handlers{}

// invalidGrant is CSP's answer to an unknown, revoked or expired API token:
// HTTP 400, moduleCode 340, and a message that echoes the submitted token
// (vmware/terraform-provider-nsxt#581; vmware-labs/marketplace-cli:
// internal/csp/token_services.go matches "invalid_grant: Invalid refresh token").
func invalidGrant(message string) api.ExchangeAPIToken400JSONResponse {
	return api.ExchangeAPIToken400JSONResponse(cspError(http.StatusBadRequest, "invalid_grant", "invalid_grant: "+message, true))
}

// ExchangeAPIToken implements POST /csp/gateway/am/api/auth/api-tokens/authorize.
func (h handlers) ExchangeAPIToken(_ context.Context, req api.ExchangeAPITokenRequestObject) (api.ExchangeAPITokenResponseObject, error) {
	s := h.s
	b := req.Body
	value := ptr.Deref(b.ApiToken)
	if value == "" {
		value = ptr.Deref(b.RefreshToken) // deprecated body field, still accepted (seed 003)
	}
	if value == "" {
		value = ptr.Deref(req.Params.RefreshToken) // deprecated query parameter, still accepted (tcsp-authn index)
	}
	if value == "" {
		return api.ExchangeAPIToken400JSONResponse(cspError(http.StatusBadRequest, "invalid_request",
			"invalid_request: api_token is required", true)), nil // fake's choice
	}
	if b.AllowedResourceScope != nil {
		var scopes api.ServicesPermissionsScopesDto // the form field's documented shape
		if err := json.Unmarshal([]byte(*b.AllowedResourceScope), &scopes); err != nil {
			return api.ExchangeAPIToken400JSONResponse(cspError(http.StatusBadRequest, "invalid_request",
				"invalid_request: allowed_resource_scope is not valid JSON: "+err.Error(), true)), nil // fake's choice
		}
	}
	requested := dedupe(strings.Fields(ptr.Deref(b.Scope)))

	s.mu.Lock()
	now := s.Now()
	t := s.tokens[value]
	if t == nil || t.revoked || !now.Before(t.ExpiresAt) {
		s.mu.Unlock()
		return invalidGrant("Invalid refresh token: " + value), nil
	}
	if t.Passcode != "" {
		p := ptr.Deref(b.Passcode)
		if p == "" {
			s.mu.Unlock()
			return invalidGrant("Passcode is required for this MFA-protected API token"), nil // fake's wording
		}
		if subtle.ConstantTimeCompare([]byte(p), []byte(t.Passcode)) != 1 {
			s.mu.Unlock()
			return invalidGrant("Invalid passcode"), nil // fake's wording
		}
	}
	perms := t.Scopes
	if len(requested) > 0 {
		for _, sc := range requested {
			if !slices.Contains(t.Scopes, sc) {
				s.mu.Unlock()
				return api.ExchangeAPIToken400JSONResponse(cspError(http.StatusBadRequest, "invalid_scope",
					"invalid_scope: Scope '"+sc+"' is not granted to this API token", true)), nil // fake's wording
			}
		}
		perms = requested
	}
	t.lastUsedAt = now
	ttl := s.ttl
	claims := accessClaims{
		Iss:         s.issuer(),
		Sub:         t.UserID,
		Username:    t.Username,
		Domain:      t.Domain,
		Context:     t.OrgID,
		ContextName: t.OrgID,
		Perms:       append([]string(nil), perms...),
		Azp:         gatewayAzp,
		Iat:         now.Unix(),
		Exp:         now.Add(ttl).Unix(),
		Jti:         fakekit.RandomUUID(),
	}
	s.mu.Unlock()
	s.Apply(opExchangeAPIToken)

	return api.ExchangeAPIToken200JSONResponse{
		AccessToken:  ptr.To(s.signJWT(claims)),
		TokenType:    ptr.To("bearer"),
		ExpiresIn:    ptr.To(int64(ttl / time.Second)),
		Scope:        ptr.To(strings.Join(claims.Perms, " ")),
		RefreshToken: ptr.To(value),
	}, nil
}

// ExchangeClientCredentialsToken implements POST
// /csp/gateway/am/api/auth/token, the documented twin of /auth/authorize:
// the same grant, the same answers.
func (h handlers) ExchangeClientCredentialsToken(ctx context.Context, req api.ExchangeClientCredentialsTokenRequestObject) (api.ExchangeClientCredentialsTokenResponseObject, error) {
	res, err := h.clientCredentials(ctx, opExchangeClientCredentialsToken, req.Body)
	return tokenAnswer{res}, err
}

// ExchangeClientCredentials implements POST /csp/gateway/am/api/auth/authorize.
func (h handlers) ExchangeClientCredentials(ctx context.Context, req api.ExchangeClientCredentialsRequestObject) (api.ExchangeClientCredentialsResponseObject, error) {
	return h.clientCredentials(ctx, opExchangeClientCredentials, req.Body)
}

// clientCredentials is the client-credentials grant of both paths; op says
// which one Applied counts. The response types of both operations have the
// same shape, so those of /auth/authorize serve both.
func (h handlers) clientCredentials(ctx context.Context, op string, body *api.ClientCredentialsGrantRequest) (api.ExchangeClientCredentialsResponseObject, error) {
	s := h.s
	creds, _ := ctx.Value(basicAuthKey{}).(basicAuth)
	req := struct {
		Body *api.ClientCredentialsGrantRequest
	}{body}

	s.mu.Lock()
	app, known := s.apps[creds.id]
	now := s.Now()
	ttl := s.ttl
	s.mu.Unlock()

	// Client authentication comes before the grant is looked at, as in any
	// OAuth 2.0 server (RFC 6749 section 5.2).
	if !creds.ok || !known || subtle.ConstantTimeCompare([]byte(creds.secret), []byte(app.Secret)) != 1 {
		return api.ExchangeClientCredentials401JSONResponse(cspError(http.StatusUnauthorized, "invalid_client",
			"invalid_client: Bad client credentials", false)), nil
	}
	switch grant := string(req.Body.GrantType); grant {
	case string(api.ClientCredentialsGrantRequestGrantTypeClientCredentials):
	case "":
		return api.ExchangeClientCredentials400JSONResponse(cspError(http.StatusBadRequest, "invalid_request",
			"invalid_request: Missing grant type", false)), nil // fake's wording
	default:
		return api.ExchangeClientCredentials400JSONResponse(cspError(http.StatusBadRequest, "unsupported_grant_type",
			"unsupported_grant_type: Unsupported grant type: "+grant, false)), nil // fake's wording
	}
	if org := ptr.Deref(req.Body.OrgId); org != "" && org != app.OrgID {
		return api.ExchangeClientCredentials400JSONResponse(cspError(http.StatusBadRequest, "invalid_request",
			"invalid_request: OAuth app is not a member of organization "+org, false)), nil // fake's choice
	}
	claims := accessClaims{
		Iss:         s.Issuer(),
		Sub:         app.ID,
		Context:     app.OrgID,
		ContextName: app.OrgID,
		Perms:       append([]string(nil), app.Scopes...),
		Azp:         app.ID,
		Iat:         now.Unix(),
		Exp:         now.Add(ttl).Unix(),
		Jti:         fakekit.RandomUUID(),
	}
	s.Apply(op)
	return api.ExchangeClientCredentials200JSONResponse{
		AccessToken: ptr.To(s.signJWT(claims)),
		TokenType:   ptr.To("bearer"),
		ExpiresIn:   ptr.To(int64(ttl / time.Second)),
		Scope:       ptr.To(strings.Join(claims.Perms, " ")),
	}, nil
}

// GetAPITokenDetails implements POST /csp/gateway/am/api/auth/api-tokens/details.
func (h handlers) GetAPITokenDetails(_ context.Context, req api.GetAPITokenDetailsRequestObject) (api.GetAPITokenDetailsResponseObject, error) {
	s := h.s
	if req.Body.TokenValue == "" {
		return api.GetAPITokenDetails400JSONResponse(cspError(http.StatusBadRequest, "invalid_request",
			"invalid_request: tokenValue is required", true)), nil // fake's choice
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	t := s.tokens[req.Body.TokenValue]
	// "Returns the details of an unexpired ... API token" (tcsp-authn operation
	// index): unknown and expired tokens are refused; revoked ones are shown
	// as deactivated.
	if t == nil || !now.Before(t.ExpiresAt) {
		return api.GetAPITokenDetails400JSONResponse(cspError(http.StatusBadRequest, "invalid_grant",
			"invalid_grant: Invalid API token", true)), nil // fake's wording; no echo
	}
	stamp := func(tm time.Time) *int64 {
		if s.millis {
			return ptr.To(tm.UnixMilli())
		}
		return ptr.To(tm.Unix())
	}
	d := api.GetAPITokenDetails200JSONResponse{
		TokenId:     ptr.To(t.id),
		TokenName:   ptr.To(t.Name),
		UserId:      ptr.To(t.UserID),
		Username:    ptr.To(t.Username),
		Acct:        ptr.To(t.Username), // fake's choice
		OrgId:       ptr.To(t.OrgID),
		Domain:      ptr.To(t.Domain),
		Scope:       ptr.To(append([]string(nil), t.Scopes...)),
		Deactivated: ptr.To(t.revoked),
		CreatedAt:   stamp(t.createdAt),
		ExpiresAt:   stamp(t.ExpiresAt),
	}
	if !t.lastUsedAt.IsZero() {
		d.LastUsedAt = stamp(t.lastUsedAt)
	}
	return d, nil
}

// GetTokenPublicKey implements GET /csp/gateway/am/api/auth/token-public-key.
func (h handlers) GetTokenPublicKey(_ context.Context, req api.GetTokenPublicKeyRequestObject) (api.GetTokenPublicKeyResponseObject, error) {
	s := h.s
	if req.Params.Format == nil {
		return api.GetTokenPublicKey200JSONResponse{
			Alg:    ptr.To("RS256"),
			Issuer: ptr.To(s.Issuer()),
			Value:  ptr.To(s.publicKeyPEM()),
		}, nil
	}
	if *req.Params.Format != api.GetTokenPublicKeyParamsFormatJwks {
		return api.GetTokenPublicKey400JSONResponse(cspError(http.StatusBadRequest, "invalid_request",
			"invalid_request: Unsupported format: "+string(*req.Params.Format), false)), nil // fake's choice
	}
	return api.GetTokenPublicKey200JSONResponse{
		Keys: &[]api.JsonWebKeyDto{s.jwk()},
	}, nil
}

// dedupe removes repeated entries, keeping the first occurrence's order.
func dedupe(list []string) []string {
	out := list[:0:0]
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// tokenAnswer serves an answer of /auth/authorize for /auth/token: the
// generated response types of the two operations are the same JSON and
// statuses.
type tokenAnswer struct {
	api.ExchangeClientCredentialsResponseObject
}

func (a tokenAnswer) VisitExchangeClientCredentialsTokenResponse(w http.ResponseWriter) error {
	return a.VisitExchangeClientCredentialsResponse(w)
}
