package oracletest

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit/internal/fakekit"
	"github.com/tokenkit/tokenkit/internal/ptr"
	"github.com/tokenkit/tokenkit/oracle/internal/api"
)

// newRouter builds the generated strict server behind a ServeMux whose
// catch-all answers 404 (or 405 on a known path) with an ErrorResponse.
func (s *Server) newRouter() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.notFound)
	mux.HandleFunc("GET "+pathCSRFToken, s.csrfToken)
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

// notFound answers requests that match no operation with the ErrorResponse
// shape of /system/api/v1 (fake's choice: Oracle documents that shape for
// other endpoints of the same API root).
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if allow := allowedMethods(r.URL.Path); allow != "" {
		fakekit.WriteJSON(w, http.StatusMethodNotAllowed, http.Header{"Allow": {allow}},
			errorResponse(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "Method "+r.Method+" is not supported"))
		return
	}
	fakekit.WriteJSON(w, http.StatusNotFound, nil, errorResponse(http.StatusNotFound, CodeNotFound, "Resource not found"))
}

// requestError answers a request the generated code could not decode (a
// body that is not JSON, a query parameter of the wrong type): Oracle's 400
// "Illegal Argument".
func requestError(w http.ResponseWriter, _ *http.Request, err error) {
	fakekit.WriteJSON(w, http.StatusBadRequest, nil, exceptionDetail(http.StatusBadRequest, CodeBadRequest, "Illegal Argument",
		nestedDetail(CodeMalformedBody, "Malformed request", err.Error(), "")))
}

// responseError answers a failure to encode a response with 500.
func responseError(w http.ResponseWriter, _ *http.Request, err error) {
	fakekit.WriteJSON(w, http.StatusInternalServerError, nil, exceptionDetail(http.StatusInternalServerError, CodeInternal, err.Error()))
}

// authHeader is the parsed Authorization header of a request.
type authHeader struct {
	present      bool
	basic        bool
	user, secret string // Basic user name and password, or the token
	bearer       bool
}

type authKey struct{}

// originKey carries the scheme and host the request was sent to, for the
// absolute links of UserInfo.
type originKey struct{}

func origin(r *http.Request) string {
	scheme := r.URL.Scheme
	if scheme == "" {
		scheme = "http"
		if r.TLS != nil {
			scheme = "https"
		}
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return scheme + "://" + host
}

// parseAuth reads an Authorization header. A scheme other than Basic and
// Bearer, or a malformed value, is present but neither basic nor bearer.
func parseAuth(v string) authHeader {
	a := authHeader{present: strings.TrimSpace(v) != ""}
	scheme, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return a
	}
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "Basic"):
		dec, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return a
		}
		user, pass, ok := strings.Cut(string(dec), ":")
		if !ok {
			return a
		}
		a.basic, a.user, a.secret = true, user, pass
	case strings.EqualFold(scheme, "Bearer"):
		a.bearer, a.secret = rest != "", rest
	}
	return a
}

// checkRequest is a strict middleware that validates what the bound request
// objects cannot show, the Content-Type of a body, and passes the
// Authorization header on to the handlers.
func checkRequest(f api.StrictHandlerFunc, op string) api.StrictHandlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, req any) (any, error) {
		if op == opGetAccessToken {
			if tr, ok := req.(api.GetAccessTokenRequestObject); ok && tr.Body != nil {
				if ct := fakekit.MediaType(r.Header.Get("Content-Type")); ct != "application/json" {
					// A JSON body under another media type (fake's choice, as a
					// JAX-RS service answers).
					return api.GetAccessTokendefaultJSONResponse{StatusCode: http.StatusUnsupportedMediaType,
						Body: exceptionDetail(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
							"Content-Type '"+r.Header.Get("Content-Type")+"' is not supported, use application/json")}, nil
				}
			}
		}
		ctx = context.WithValue(ctx, authKey{}, parseAuth(r.Header.Get("Authorization")))
		ctx = context.WithValue(ctx, originKey{}, origin(r))
		return f(ctx, w, r, req)
	}
}

// handlers implements api.StrictServerInterface on the Server's state. It is
// a separate type so that Server's method set stays the documented API.
type handlers struct{ s *Server }

var _ api.StrictServerInterface = handlers{}

func unauthorized(code, detail string) api.ExceptionDetail {
	return exceptionDetail(http.StatusUnauthorized, CodeUnauthorized, "Unauthorized",
		nestedDetail(code, "Authentication failed", detail, ""))
}

func illegalArgument(code, title, detail, path string) api.GetAccessToken400JSONResponse {
	return api.GetAccessToken400JSONResponse(exceptionDetail(http.StatusBadRequest, CodeBadRequest, "Illegal Argument",
		nestedDetail(code, title, detail, path)))
}

// authenticateLocked resolves the Authorization header to a user. ok is
// false with the error answer to send; a request without Authorization
// gives (nil, nil, true).
func (s *Server) authenticateLocked(a authHeader) (*User, *api.ExceptionDetail, bool) {
	if !a.present {
		return nil, nil, true
	}
	switch {
	case a.basic:
		u := s.users[a.user]
		if u == nil || subtle.ConstantTimeCompare([]byte(a.secret), []byte(u.Password)) != 1 {
			d := unauthorized(CodeInvalidCredentials, "Invalid user name or password.") // fake's wording
			return nil, &d, false
		}
		if u.Locked {
			d := exceptionDetail(http.StatusForbidden, CodeForbidden, "The user account is locked.") // fake's wording
			return nil, &d, false
		}
		return u, nil, true
	case a.bearer:
		u, ok := s.liveAccessLocked(a.secret)
		if !ok {
			d := unauthorized(CodeInvalidToken, "The access token is invalid, expired or revoked.") // fake's wording
			return nil, &d, false
		}
		return u, nil, true
	}
	d := unauthorized(CodeAuthRequired, "Unsupported Authorization scheme; use Basic or Bearer.") // fake's wording
	return nil, &d, false
}

// GetAccessToken implements POST /system/api/v1/security/token.
func (h handlers) GetAccessToken(ctx context.Context, req api.GetAccessTokenRequestObject) (api.GetAccessTokenResponseObject, error) {
	s := h.s
	auth, _ := ctx.Value(authKey{}).(authHeader)
	s.mu.Lock()
	defer s.mu.Unlock()

	subject, failure, ok := s.authenticateLocked(auth)
	if !ok {
		if *failure.Status == http.StatusForbidden {
			return api.GetAccessToken403JSONResponse(*failure), nil
		}
		return api.GetAccessToken401JSONResponse(*failure), nil
	}

	if req.Body != nil && req.Body.RefreshToken != nil {
		value := *req.Body.RefreshToken
		if strings.TrimSpace(value) == "" {
			return illegalArgument(CodeMissingRefreshToken, "Missing refresh token", "refreshToken is empty.", "refreshToken"), nil
		}
		rt, live := s.liveRefreshLocked(value)
		if !live {
			if t := s.refresh[value]; t != nil && !t.revoked && !t.consumed && s.users[t.username] != nil && s.users[t.username].Locked {
				return api.GetAccessToken403JSONResponse(exceptionDetail(http.StatusForbidden, CodeForbidden,
					"The user account is locked.")), nil
			}
			return illegalArgument(CodeInvalidRefreshToken, "Invalid refresh token",
				"The refresh token is invalid, expired or revoked.", "refreshToken"), nil // fake's wording; no echo
		}
		if subject != nil && subject.Username != rt.username {
			// "access token will be obtained for specified refresh token":
			// the caller must not be another user (fake's choice).
			return api.GetAccessToken403JSONResponse(exceptionDetail(http.StatusForbidden, CodeForbidden,
				"The refresh token belongs to another user.")), nil
		}
		answer := api.GetAccessToken200JSONResponse{
			AccessToken:     ptr.To(s.newAccessLocked(rt.username)),
			ExpiresInMillis: ptr.To(s.accessTTL.Milliseconds()),
			TokenType:       ptr.To("Bearer"),
			RefreshToken:    ptr.To(value),
		}
		if s.rotate {
			rt.consumed = true
			answer.RefreshToken = ptr.To(s.newRefreshLocked(rt.username))
		}
		s.Apply(opGetAccessToken)
		return answer, nil
	}

	if subject == nil {
		return api.GetAccessToken401JSONResponse(unauthorized(CodeAuthRequired,
			"Authentication is required: send Basic credentials, a Bearer token or a refresh token.")), nil // fake's wording
	}
	answer := api.GetAccessToken200JSONResponse{
		AccessToken:     ptr.To(s.newAccessLocked(subject.Username)),
		ExpiresInMillis: ptr.To(s.accessTTL.Milliseconds()),
		TokenType:       ptr.To("Bearer"),
	}
	if s.issueRefresh {
		answer.RefreshToken = ptr.To(s.newRefreshLocked(subject.Username))
	}
	s.Apply(opGetAccessToken)
	return answer, nil
}

// GetCurrentUser implements GET /system/api/v1/me.
func (h handlers) GetCurrentUser(ctx context.Context, req api.GetCurrentUserRequestObject) (api.GetCurrentUserResponseObject, error) {
	s := h.s
	auth, _ := ctx.Value(authKey{}).(authHeader)
	base, _ := ctx.Value(originKey{}).(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.public != "" {
		base = s.public // served under a prefix (tokenctl fake): links name it
	}

	if !auth.bearer {
		// The me page documents Bearer tokens only (fake's choice to refuse
		// Basic here).
		return api.GetCurrentUser401JSONResponse(unauthorized(CodeAuthRequired, "A Bearer access token is required.")), nil
	}
	u, ok := s.liveAccessLocked(auth.secret)
	if !ok {
		return api.GetCurrentUser401JSONResponse(unauthorized(CodeInvalidToken, "The access token is invalid, expired or revoked.")), nil
	}
	p := req.Params
	var attrs []string
	if p.CustomAttributes != nil {
		for _, a := range strings.Split(*p.CustomAttributes, ",") {
			if a = strings.TrimSpace(a); a != "" {
				attrs = append(attrs, a)
			}
		}
		if len(attrs) > 20 {
			return api.GetCurrentUser400JSONResponse(exceptionDetail(http.StatusBadRequest, CodeBadRequest, "Illegal Argument",
				nestedDetail(CodeTooManyAttributes, "Too many custom attributes",
					"Maximum number of custom attributes allowed in the query parameters is 20.", "customAttributes"))), nil
		}
	}
	info := api.GetCurrentUser200JSONResponse{
		Email:    ptr.To(u.Email),
		LastName: ptr.To(u.LastName),
		Locale:   ptr.To(u.Locale),
		Links: &[]api.Link{{
			Href:      ptr.To(base + pathGetCurrentUser),
			Rel:       ptr.To("self"),
			Method:    ptr.To(http.MethodGet),
			MediaType: ptr.To("application/json"),
		}},
	}
	if u.FirstName != "" {
		info.FirstName = ptr.To(u.FirstName)
	}
	if u.MiddleName != "" {
		info.MiddleName = ptr.To(u.MiddleName)
	}
	if len(attrs) > 0 {
		found := map[string]any{}
		for _, want := range attrs {
			for name, v := range u.CustomAttributes {
				if strings.EqualFold(name, want) {
					found[name] = v
				}
			}
		}
		info.CustomAttributes = &found
	}
	if p.IncludeGroupMembership != nil && *p.IncludeGroupMembership {
		groups := make([]api.Group, 0, len(u.Groups))
		for _, g := range u.Groups {
			groups = append(groups, api.Group{Id: ptr.To(g.ID), DisplayName: ptr.To(g.DisplayName)})
		}
		info.MembershipGroupsList = &groups
	}
	if p.IncludeIDCSAppRoles != nil && *p.IncludeIDCSAppRoles {
		roles := make([]any, 0, len(u.AppRoles))
		for _, r := range u.AppRoles {
			roles = append(roles, r)
		}
		info.IdcsappRoles = &roles
	}
	if p.IncludeRealmUserGUID != nil && *p.IncludeRealmUserGUID {
		info.RealmUserGUID = ptr.To(u.RealmUserGUID)
	}
	return info, nil
}

// csrfTokenTTL is how long a CSRF token of the fake is said to be valid
// (fake's choice; the page gives no lifetime).
const csrfTokenTTL = 30 * time.Minute

// csrfToken serves GET /system/api/v1/csrfToken: 200 {token, expiresAt}
// with expiresAt in ISO 8601 UTC, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'" (REST API
// for Webhooks Management, op-csrftoken-get). Oracle's cec CLI calls it
// before every /system/api/ POST, security/token included
// (sites/test/server/serverRest.js _executePost, serverUtils.js
// getSystemCSRFToken), with the same Authorization as the POST. The fake
// answers any request that carries a valid Basic or Bearer credential; its
// token endpoint accepts X-CSRF-TOKEN and X-REQUESTED-WITH without
// requiring or checking them, since nothing documents that it does (fake's
// choice). A missing or refused credential is a 401 in the ErrorResponse
// shape this page documents for its errors.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) {
	a := parseAuth(r.Header.Get("Authorization"))
	s.mu.Lock()
	_, _, ok := s.authenticateLocked(a)
	now := s.Now()
	s.mu.Unlock()
	if !a.present || !ok {
		fakekit.WriteJSON(w, http.StatusUnauthorized, nil,
			errorResponse(http.StatusUnauthorized, CodeUnauthorized, "Authentication is required")) // fake's wording
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, nil, map[string]string{
		"token":     randomToken(),
		"expiresAt": now.UTC().Add(csrfTokenTTL).Format("2006-01-02T15:04:05.000Z"),
	})
}
