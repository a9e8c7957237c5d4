package canvustest

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"runtime"
	"strings"

	"github.com/tokenkit/tokenkit/canvus/internal/api"
	"github.com/tokenkit/tokenkit/internal/fakekit"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// Messages of the fake. Those marked "real" are live-verified bodies
// (jaypaulb/MT-Canvus-Tools: docs/api-reference/VERIFIED-CORRECTIONS.md) or
// vendor docs; the others are the fake's wording, since no source shows them.
const (
	msgBadLogin      = "Invalid username or password."                              // real (verified §4)
	msgLoginShape    = "Login request must have either email and password or token" // real (verified §4)
	msgUnauthorized  = "401 Unauthorized"                                           // real (older docs index, as "message")
	msgDenied        = "Permission denied"                                          // real (older docs, error reporting)
	msgInvalidToken  = "Invalid token"                                              // fake's wording (the docs use it for reset tokens)
	msgBlocked       = "User is blocked"                                            // fake's wording
	msgNoUser        = "User not found"                                             // fake's wording
	msgNoToken       = "Access token not found"                                     // fake's wording
	msgNoDescription = "Description is required"                                    // fake's wording
	msgLoggedOut     = "Logged out successfully"                                    // third party, unverified
)

// newRouter builds the generated strict server under /api/v1 behind a
// ServeMux whose catch-all answers 404 with {"msg": …}.
func (s *Server) newRouter() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.writeError(w, http.StatusNotFound, "Not found") })
	strict := api.NewStrictHandlerWithOptions(handlers{s}, nil, api.StrictHTTPServerOptions{
		RequestErrorHandlerFunc:  s.requestError,
		ResponseErrorHandlerFunc: s.responseError,
	})
	api.HandlerWithOptions(strict, api.StdHTTPServerOptions{
		BaseURL:          APIPath,
		BaseRouter:       mux,
		ErrorHandlerFunc: s.requestError,
	})
	return mux
}

// requestError answers a request the generated code could not decode. A
// user id that is not an integer gets the real message
// {"msg":"User ID me is not an integer"} (verified §5); the status, 400, is
// the fake's choice.
func (s *Server) requestError(w http.ResponseWriter, r *http.Request, err error) {
	var pe *api.InvalidParamFormatError
	if errors.As(err, &pe) && pe.ParamName == "id" {
		s.writeError(w, http.StatusBadRequest, "User ID "+r.PathValue("id")+" is not an integer")
		return
	}
	s.writeError(w, http.StatusBadRequest, err.Error())
}

func (s *Server) responseError(w http.ResponseWriter, _ *http.Request, err error) {
	s.writeError(w, http.StatusInternalServerError, err.Error())
}

// failure is an error answer of any operation: it implements the response
// interface of each.
type failure struct {
	s      *Server
	status int
	msg    string
}

func (f failure) visit(w http.ResponseWriter) error {
	f.s.writeError(w, f.status, f.msg)
	return nil
}

func (f failure) VisitGetServerInfoResponse(w http.ResponseWriter) error     { return f.visit(w) }
func (f failure) VisitLoginResponse(w http.ResponseWriter) error             { return f.visit(w) }
func (f failure) VisitLogoutResponse(w http.ResponseWriter) error            { return f.visit(w) }
func (f failure) VisitListAccessTokensResponse(w http.ResponseWriter) error  { return f.visit(w) }
func (f failure) VisitCreateAccessTokenResponse(w http.ResponseWriter) error { return f.visit(w) }
func (f failure) VisitGetAccessTokenResponse(w http.ResponseWriter) error    { return f.visit(w) }
func (f failure) VisitRenameAccessTokenResponse(w http.ResponseWriter) error { return f.visit(w) }
func (f failure) VisitDeleteAccessTokenResponse(w http.ResponseWriter) error { return f.visit(w) }

func (s *Server) fail(status int, msg string) failure { return failure{s, status, msg} }

// handlers implements api.StrictServerInterface on the Server's state.
type handlers struct{ s *Server }

var _ api.StrictServerInterface = handlers{}

// GetServerInfo implements GET /server-info (no authentication).
func (h handlers) GetServerInfo(context.Context, api.GetServerInfoRequestObject) (api.GetServerInfoResponseObject, error) {
	return api.GetServerInfo200JSONResponse{
		Version:  ptr.To(ServerVersion),
		ServerId: ptr.To(h.s.serverID),
		Api:      ptr.To([]string{"v1", "v1.1", "v1.2"}),
		Go:       ptr.To(runtime.Version()),
	}, nil
}

// Login implements POST /users/login.
func (h handlers) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	s := h.s
	// The real server rejects any field but these (verified §4); the
	// generated decoder would silently drop them, so check the raw body.
	var raw map[string]json.RawMessage
	if json.Unmarshal(infoFrom(ctx).body, &raw) != nil {
		return s.fail(http.StatusBadRequest, msgLoginShape), nil
	}
	for k := range raw {
		switch k {
		case "email", "password", "remember", "token":
		default:
			return s.fail(http.StatusBadRequest, msgLoginShape), nil
		}
	}
	b := req.Body
	email, password, token := ptr.Deref(b.Email), ptr.Deref(b.Password), ptr.Deref(b.Token)
	remember := ptr.Deref(b.Remember)
	withPassword := email != "" && password != ""
	if (token != "") == (email != "" || password != "") || (token == "" && !withPassword) {
		return s.fail(http.StatusBadRequest, msgLoginShape), nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	var u *User
	var tok string
	if withPassword {
		u = s.userByEmail(email)
		if u == nil || subtle.ConstantTimeCompare([]byte(password), []byte(u.Password)) != 1 {
			return s.fail(http.StatusUnauthorized, msgBadLogin), nil
		}
		if u.Blocked {
			return s.fail(http.StatusForbidden, msgBlocked), nil
		}
		tok = s.newSessionLocked(u.ID, remember)
	} else {
		// A valid login token is prolonged, and replaced by a new one when
		// rotation is on (the vendor's example answers a different token).
		// An access token signs its owner in with a new login token (fake's
		// choice; jaypaulb/CanvusPythonAPI uses it that way).
		if se := s.sessions[token]; se != nil && now.Before(se.expires) {
			u = s.users[se.userID]
			remember = remember || se.remember
			if u.Blocked {
				return s.fail(http.StatusForbidden, msgBlocked), nil
			}
			if s.rotate {
				delete(s.sessions, token)
				tok = s.newSessionLocked(u.ID, remember)
			} else {
				se.expires, se.remember, tok = now.Add(s.ttlLocked(remember)), remember, token
			}
		} else if at := s.tokenByPlainLocked(token); at != nil {
			u = s.users[at.UserID]
			if u.Blocked {
				return s.fail(http.StatusForbidden, msgBlocked), nil
			}
			tok = s.newSessionLocked(u.ID, remember)
		} else {
			return s.fail(http.StatusUnauthorized, msgInvalidToken), nil
		}
	}
	u.LastLogin = now
	s.Apply(OpLogin)
	return api.Login200JSONResponse{Token: tok, User: apiUser(u)}, nil
}

func apiUser(u *User) api.User {
	out := api.User{
		Id: u.ID, Name: ptr.To(u.Name), Email: ptr.To(u.Email), Admin: ptr.To(u.Admin),
		Approved: ptr.To(true), Blocked: ptr.To(u.Blocked), State: ptr.To("normal"),
		CreatedAt: ptr.To(userTime(u.CreatedAt)),
	}
	if !u.LastLogin.IsZero() {
		out.LastLogin = ptr.To(userTime(u.LastLogin))
	}
	return out
}

// authenticateLocked finds the user of the request's Private-Token: a
// login token that has not expired, or an access token.
func (s *Server) authenticateLocked(ctx context.Context) (*User, *failure) {
	tok := infoFrom(ctx).token
	var u *User
	if se := s.sessions[tok]; tok != "" && se != nil && s.Now().Before(se.expires) {
		u = s.users[se.userID]
	} else if at := s.tokenByPlainLocked(tok); tok != "" && at != nil {
		u = s.users[at.UserID]
	}
	if u == nil {
		f := s.fail(http.StatusUnauthorized, msgUnauthorized)
		return nil, &f
	}
	if u.Blocked {
		f := s.fail(http.StatusForbidden, msgBlocked)
		return nil, &f
	}
	return u, nil
}

// authorizeLocked checks that the caller may manage the tokens of userID:
// their own, or anyone's for an administrator (seed 004).
func (s *Server) authorizeLocked(ctx context.Context, userID int64) *failure {
	u, f := s.authenticateLocked(ctx)
	if f != nil {
		return f
	}
	if u.ID != userID && !u.Admin {
		f := s.fail(http.StatusForbidden, msgDenied)
		return &f
	}
	if s.users[userID] == nil {
		f := s.fail(http.StatusNotFound, msgNoUser)
		return &f
	}
	return nil
}

// Logout implements POST /users/logout: it signs out the body's token, or
// the Private-Token when the body has none.
func (h handlers) Logout(ctx context.Context, req api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	u, f := s.authenticateLocked(ctx)
	if f != nil {
		return f, nil
	}
	target := infoFrom(ctx).token
	if req.Body != nil && ptr.Deref(req.Body.Token) != "" {
		target = *req.Body.Token
	}
	se := s.sessions[target]
	if se == nil {
		return s.fail(http.StatusBadRequest, msgInvalidToken), nil // not a login token (fake's choice)
	}
	if se.userID != u.ID && !u.Admin {
		return s.fail(http.StatusForbidden, msgDenied), nil
	}
	delete(s.sessions, target)
	s.Apply(OpLogout)
	return api.Logout200JSONResponse{Msg: ptr.To(msgLoggedOut)}, nil
}

// ListAccessTokens implements GET /users/{id}/access-tokens[?subscribe].
func (h handlers) ListAccessTokens(ctx context.Context, req api.ListAccessTokensRequestObject) (api.ListAccessTokensResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.authorizeLocked(ctx, req.Id); f != nil {
		return f, nil
	}
	list := []api.AccessToken{}
	for _, id := range s.order {
		if t := s.tokens[id]; t.UserID == req.Id {
			list = append(list, s.apiTokenLocked(t))
		}
	}
	if ptr.Deref(req.Params.Subscribe) {
		initial, _ := json.Marshal(list)
		return s.subscribeLocked(ctx, req.Id, "", initial), nil
	}
	return api.ListAccessTokens200JSONResponse(list), nil
}

// CreateAccessToken implements POST /users/{id}/access-tokens.
func (h handlers) CreateAccessToken(ctx context.Context, req api.CreateAccessTokenRequestObject) (api.CreateAccessTokenResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.authorizeLocked(ctx, req.Id); f != nil {
		return f, nil
	}
	if strings.TrimSpace(req.Body.Description) == "" {
		return s.fail(http.StatusBadRequest, msgNoDescription), nil
	}
	t := &AccessToken{ID: newTokenID(), UserID: req.Id, Description: req.Body.Description, Plain: fakekit.RandomURLSafe(32), CreatedAt: s.Now()}
	for s.tokens[t.ID] != nil {
		t.ID = newTokenID()
	}
	s.tokens[t.ID] = t
	s.order = append(s.order, t.ID)
	s.Apply(OpCreateAccessToken)
	full := s.apiTokenLocked(t)
	s.broadcastLocked(t, full)
	return api.CreateAccessToken200JSONResponse{
		Id: t.ID, Description: t.Description, CreatedAt: full.CreatedAt, PlainToken: t.Plain,
	}, nil
}

// lookupLocked authorizes the caller and finds a token of userID.
func (s *Server) lookupLocked(ctx context.Context, userID int64, id string) (*AccessToken, *failure) {
	if f := s.authorizeLocked(ctx, userID); f != nil {
		return nil, f
	}
	t := s.tokens[id]
	if t == nil || t.UserID != userID {
		f := s.fail(http.StatusNotFound, msgNoToken)
		return nil, &f
	}
	return t, nil
}

// GetAccessToken implements GET /users/{id}/access-tokens/{token-id}[?subscribe].
func (h handlers) GetAccessToken(ctx context.Context, req api.GetAccessTokenRequestObject) (api.GetAccessTokenResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	t, f := s.lookupLocked(ctx, req.Id, req.TokenId)
	if f != nil {
		return f, nil
	}
	full := s.apiTokenLocked(t)
	if ptr.Deref(req.Params.Subscribe) {
		initial, _ := json.Marshal(full)
		return s.subscribeLocked(ctx, req.Id, t.ID, initial), nil
	}
	return api.GetAccessToken200JSONResponse(full), nil
}

// RenameAccessToken implements PATCH /users/{id}/access-tokens/{token-id}.
func (h handlers) RenameAccessToken(ctx context.Context, req api.RenameAccessTokenRequestObject) (api.RenameAccessTokenResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	t, f := s.lookupLocked(ctx, req.Id, req.TokenId)
	if f != nil {
		return f, nil
	}
	if strings.TrimSpace(req.Body.Description) == "" {
		return s.fail(http.StatusBadRequest, msgNoDescription), nil
	}
	if t.Description != req.Body.Description {
		t.Description = req.Body.Description
		s.Apply(OpRenameAccessToken)
		full := s.apiTokenLocked(t)
		if s.sparse {
			s.broadcastLocked(t, map[string]string{"id": t.ID, "description": t.Description})
		} else {
			s.broadcastLocked(t, full)
		}
	}
	return api.RenameAccessToken200JSONResponse(s.apiTokenLocked(t)), nil
}

// DeleteAccessToken implements DELETE /users/{id}/access-tokens/{token-id}.
func (h handlers) DeleteAccessToken(ctx context.Context, req api.DeleteAccessTokenRequestObject) (api.DeleteAccessTokenResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	t, f := s.lookupLocked(ctx, req.Id, req.TokenId)
	if f != nil {
		return f, nil
	}
	s.deleteTokenLocked(t.ID)
	s.Apply(OpDeleteAccessToken)
	if s.sparse {
		s.broadcastLocked(t, map[string]string{"id": t.ID, "state": "deleted"})
	} else {
		full := s.apiTokenLocked(t)
		full.State = ptr.To(api.AccessTokenStateDeleted)
		s.broadcastLocked(t, full)
	}
	return api.DeleteAccessToken200Response{}, nil
}

func (s *Server) apiTokenLocked(t *AccessToken) api.AccessToken {
	return api.AccessToken{Id: t.ID, Description: t.Description, CreatedAt: canvusTime(t.CreatedAt, s.loc)}
}
