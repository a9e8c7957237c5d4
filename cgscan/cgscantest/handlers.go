package cgscantest

import (
	"context"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"github.com/tokenkit/tokenkit/cgscan/internal/api"
	"github.com/tokenkit/tokenkit/internal/fakekit"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// newRouter builds the generated strict server behind a ServeMux whose
// catch-all answers 404 with the API's error body.
func (s *Server) newRouter() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, nil, errBody(http.StatusNotFound, "No route matches ["+r.Method+"] \""+r.URL.Path+"\""))
	})
	strict := api.NewStrictHandlerWithOptions(handlers{s}, []api.StrictMiddlewareFunc{s.checkRequest},
		api.StrictHTTPServerOptions{
			RequestErrorHandlerFunc:  requestError,
			ResponseErrorHandlerFunc: responseError,
		})
	return api.HandlerWithOptions(strict, api.StdHTTPServerOptions{BaseRouter: mux, ErrorHandlerFunc: requestError})
}

// errBody is the API's error shape, {status, status_text, message} (the
// sign-in body's status and status_text, ref C.2, C.5; message is the fake's
// choice).
func errBody(status int, message string, errs ...string) api.ErrorResponse {
	e := api.ErrorResponse{Status: ptr.To(status), StatusText: ptr.To(http.StatusText(status))}
	if message != "" {
		e.Message = ptr.To(message)
	}
	if len(errs) > 0 {
		e.Errors = errs
	}
	return e
}

// requestError answers a body the generated code could not decode with 400.
func requestError(w http.ResponseWriter, _ *http.Request, err error) {
	writeJSON(w, http.StatusBadRequest, nil, errBody(http.StatusBadRequest, err.Error()))
}

// responseError answers a failure to encode a response with 500.
func responseError(w http.ResponseWriter, _ *http.Request, err error) {
	writeJSON(w, http.StatusInternalServerError, nil, errBody(http.StatusInternalServerError, err.Error()))
}

type userTokenKey struct{}

// checkRequest is a strict middleware: it refuses a body that is not JSON on
// the operations that take one (the sign-in page sends Content-Type:
// application/json; the fake's choice is 415 for anything else) and carries
// the user token of the configured presentation (SetPresentation) to the
// handlers.
func (s *Server) checkRequest(f api.StrictHandlerFunc, op string) api.StrictHandlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, req any) (any, error) {
		switch op {
		case opSignIn, opSignInWithRecoveryCode, opCheckTwoFactor, opSendSMSOTP:
			if fakekit.MediaType(r.Header.Get("Content-Type")) != "application/json" {
				writeJSON(w, http.StatusUnsupportedMediaType, nil,
					errBody(http.StatusUnsupportedMediaType, "Content-Type must be application/json"))
				return nil, nil
			}
		}
		s.mu.Lock()
		presents := s.presents
		s.mu.Unlock()
		for _, p := range presents {
			v := r.Header.Get(p.Header)
			if v != "" && len(v) >= len(p.Prefix) && strings.EqualFold(v[:len(p.Prefix)], p.Prefix) {
				ctx = context.WithValue(ctx, userTokenKey{}, strings.TrimSpace(v[len(p.Prefix):]))
				break
			}
		}
		return f(ctx, w, r, req)
	}
}

// handlers implements api.StrictServerInterface on the Server's state.
type handlers struct{ s *Server }

var _ api.StrictServerInterface = handlers{}

func unauthorized(message string) api.ErrorResponse {
	return errBody(http.StatusUnauthorized, message)
}

func unprocessable(errs ...string) api.ErrorResponse {
	return errBody(http.StatusUnprocessableEntity, "Validation failed", errs...)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// pendingLocked returns the live pending sign-in of state. Callers hold s.mu.
func (s *Server) pendingLocked(state string) (*pendingSignIn, *user) {
	p := s.pending[state]
	if p == nil {
		return nil, nil
	}
	if !s.Now().Before(p.created.Add(OTPSessionTTL)) {
		delete(s.pending, state)
		return nil, nil
	}
	u := s.users[p.username]
	if u == nil {
		delete(s.pending, state)
		return nil, nil
	}
	return p, u
}

// signedInLocked creates a session for u and returns the sign-in body
// (sign-in page example). Callers hold s.mu.
func (s *Server) signedInLocked(op string, u *user) api.SignInResult {
	tok := randomToken(32)
	s.tokens[tok] = &tokenRec{username: u.Username}
	u.signInCount++
	s.Apply(op)
	return api.SignInResult{
		Status:       ptr.To(http.StatusOK),
		StatusText:   ptr.To("OK"),
		Username:     ptr.To(u.Username),
		Token:        ptr.To(tok),
		SignInCount:  ptr.To(u.signInCount),
		Role:         ptr.To(u.Role),
		Timezone:     ptr.To(u.Timezone),
		Verified:     ptr.To(true),
		Provider:     ptr.To(provider),
		Organization: &api.Organization{Uuid: ptr.To(s.orgUUID), Name: ptr.To(u.Organization)},
	}
}

// SignIn implements POST /auth/sign_in, both steps of the 2FA flow.
func (h handlers) SignIn(_ context.Context, req api.SignInRequestObject) (api.SignInResponseObject, error) {
	s, b := h.s, req.Body
	s.mu.Lock()
	defer s.mu.Unlock()

	if b.OtpAttempt != nil || b.OtpSessionState != nil {
		// Second step: {otp_attempt, otp_session_state} (sign-in page; ref C.2).
		state, code := ptr.Deref(b.OtpSessionState), strings.TrimSpace(ptr.Deref(b.OtpAttempt))
		var errs []string
		if state == "" {
			errs = append(errs, "otp_session_state can't be blank")
		}
		if code == "" {
			errs = append(errs, "otp_attempt can't be blank")
		}
		if len(errs) > 0 {
			return api.SignIn422JSONResponse(unprocessable(errs...)), nil
		}
		p, u := s.pendingLocked(state)
		if p == nil {
			return api.SignIn401JSONResponse(unauthorized("Invalid or expired two-factor session")), nil
		}
		if !equal(code, u.otp) {
			p.failures++
			if p.failures >= MaxOTPFailures {
				delete(s.pending, state)
			}
			return api.SignIn401JSONResponse(unauthorized("Invalid two-factor code")), nil
		}
		delete(s.pending, state)
		u.otp = newOTP() // a code works once
		return api.SignIn200JSONResponse(s.signedInLocked(opSignIn, u)), nil
	}

	username, password := ptr.Deref(b.Username), ptr.Deref(b.Password)
	var errs []string
	if username == "" {
		errs = append(errs, "username can't be blank")
	}
	if password == "" {
		errs = append(errs, "password can't be blank")
	}
	if len(errs) > 0 {
		return api.SignIn422JSONResponse(unprocessable(errs...)), nil
	}
	u := s.users[username]
	if u == nil || !equal(password, u.Password) {
		return api.SignIn401JSONResponse(unauthorized("Invalid username or password")), nil
	}
	if u.TwoFactor {
		state := randomToken(24)
		s.pending[state] = &pendingSignIn{username: u.Username, created: s.Now()}
		return api.SignIn200JSONResponse{
			Status:          ptr.To(http.StatusOK),
			StatusText:      ptr.To("OK"),
			Username:        ptr.To(u.Username),
			OtpSessionState: ptr.To(state),
			Message:         ptr.To("Two-factor authentication required"), // fake's wording
		}, nil
	}
	return api.SignIn200JSONResponse(s.signedInLocked(opSignIn, u)), nil
}

// SignInWithRecoveryCode implements POST /auth/sign_in_with_recovery_code
// (path and body unverified): a recovery code with either the pending
// sign-in's otp_session_state or the user name and password.
func (h handlers) SignInWithRecoveryCode(_ context.Context, req api.SignInWithRecoveryCodeRequestObject) (api.SignInWithRecoveryCodeResponseObject, error) {
	s, b := h.s, req.Body
	code := strings.TrimSpace(b.RecoveryCode)
	if code == "" {
		return api.SignInWithRecoveryCode422JSONResponse(unprocessable("recovery_code can't be blank")), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var u *user
	state := ptr.Deref(b.OtpSessionState)
	switch {
	case state != "":
		_, u = s.pendingLocked(state)
		if u == nil {
			return api.SignInWithRecoveryCode401JSONResponse(unauthorized("Invalid or expired two-factor session")), nil
		}
	case ptr.Deref(b.Username) != "":
		u = s.users[ptr.Deref(b.Username)]
		if u == nil || !equal(ptr.Deref(b.Password), u.Password) {
			return api.SignInWithRecoveryCode401JSONResponse(unauthorized("Invalid username or password")), nil
		}
	default:
		return api.SignInWithRecoveryCode422JSONResponse(unprocessable("otp_session_state or username can't be blank")), nil
	}
	i := slices.IndexFunc(u.unused, func(c string) bool { return equal(c, code) })
	if i < 0 {
		return api.SignInWithRecoveryCode401JSONResponse(unauthorized("Invalid recovery code")), nil
	}
	u.unused = slices.Delete(u.unused, i, i+1) // each code works once
	if state != "" {
		delete(s.pending, state)
	}
	return api.SignInWithRecoveryCode200JSONResponse(s.signedInLocked(opSignInWithRecoveryCode, u)), nil
}

// CheckTwoFactor implements POST /auth/check_2fa (unverified): the second
// factor of a pending sign-in.
func (h handlers) CheckTwoFactor(_ context.Context, req api.CheckTwoFactorRequestObject) (api.CheckTwoFactorResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	_, u := s.pendingLocked(ptr.Deref(req.Body.OtpSessionState))
	if u == nil {
		return api.CheckTwoFactor401JSONResponse(unauthorized("Invalid or expired two-factor session")), nil
	}
	out := api.CheckTwoFactor200JSONResponse{
		Status:      ptr.To(http.StatusOK),
		StatusText:  ptr.To("OK"),
		OtpRequired: ptr.To(true),
		OtpMethod:   ptr.To(u.Method),
	}
	if u.Phone != "" {
		out.Phone = ptr.To(maskPhone(u.Phone))
	}
	return out, nil
}

// SendSMSOTP implements POST /auth/send_sms_otp (unverified): a new code for
// the pending sign-in, "sent" to the user's phone.
func (h handlers) SendSMSOTP(_ context.Context, req api.SendSMSOTPRequestObject) (api.SendSMSOTPResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	_, u := s.pendingLocked(ptr.Deref(req.Body.OtpSessionState))
	if u == nil {
		return api.SendSMSOTP401JSONResponse(unauthorized("Invalid or expired two-factor session")), nil
	}
	if u.Phone == "" {
		return api.SendSMSOTP422JSONResponse(unprocessable("phone number is not set up for two-factor authentication")), nil
	}
	u.otp = newOTP()
	u.smsSent++
	s.Apply(opSendSMSOTP)
	return api.SendSMSOTP200JSONResponse{
		Status: ptr.To(http.StatusOK), StatusText: ptr.To("OK"),
		Message: ptr.To("A one-time code was sent to " + maskPhone(u.Phone)),
	}, nil
}

// authenticated returns the user of the request's token. Callers hold s.mu.
func (s *Server) authenticated(ctx context.Context) (string, *tokenRec, *user) {
	tok, _ := ctx.Value(userTokenKey{}).(string)
	if tok == "" {
		return "", nil, nil
	}
	rec := s.tokens[tok]
	if rec == nil {
		return "", nil, nil
	}
	u := s.users[rec.username]
	if u == nil {
		return "", nil, nil
	}
	return tok, rec, u
}

const invalidToken = "Invalid or expired token" // fake's wording

// GenerateAccessToken implements PUT /v2/user/generate_access_token: a new
// access token that replaces the previous one (seed 000).
func (h handlers) GenerateAccessToken(ctx context.Context, _ api.GenerateAccessTokenRequestObject) (api.GenerateAccessTokenResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, u := s.authenticated(ctx)
	if u == nil {
		return api.GenerateAccessToken401JSONResponse(unauthorized(invalidToken)), nil
	}
	delete(s.tokens, u.accessToken)
	tok := randomToken(32)
	s.tokens[tok] = &tokenRec{username: u.Username, access: true}
	u.accessToken = tok
	s.Apply(opGenerateAccessToken)
	return api.GenerateAccessToken200JSONResponse{
		Token: ptr.To(tok), Username: ptr.To(u.Username), Message: ptr.To("Access token generated successfully"), // fake's wording
	}, nil
}

// RevokeAccessToken implements PUT /v2/user/revoke_access_token (unverified):
// the user's current access token stops working. Without one it answers 200
// and changes nothing (fake's choice).
func (h handlers) RevokeAccessToken(ctx context.Context, _ api.RevokeAccessTokenRequestObject) (api.RevokeAccessTokenResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, u := s.authenticated(ctx)
	if u == nil {
		return api.RevokeAccessToken401JSONResponse(unauthorized(invalidToken)), nil
	}
	msg := "No access token to revoke"
	if u.accessToken != "" {
		delete(s.tokens, u.accessToken)
		u.accessToken = ""
		s.Apply(opRevokeAccessToken)
		msg = "Access token revoked successfully"
	}
	return api.RevokeAccessToken200JSONResponse{Status: ptr.To(http.StatusOK), StatusText: ptr.To("OK"), Message: ptr.To(msg)}, nil
}

// CheckToken implements GET /v2/user/check_token (unverified): 200 for a
// valid token, 401 otherwise.
func (h handlers) CheckToken(ctx context.Context, _ api.CheckTokenRequestObject) (api.CheckTokenResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, u := s.authenticated(ctx)
	if u == nil {
		return api.CheckToken401JSONResponse(unauthorized(invalidToken)), nil
	}
	return api.CheckToken200JSONResponse{
		Status: ptr.To(http.StatusOK), StatusText: ptr.To("OK"), Valid: ptr.To(true), Username: ptr.To(u.Username),
	}, nil
}

// SignOut implements DELETE /auth/sign_out (unverified): the presented token
// stops working, whether a session or an access token (fake's choice).
func (h handlers) SignOut(ctx context.Context, _ api.SignOutRequestObject) (api.SignOutResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, rec, u := s.authenticated(ctx)
	if u == nil {
		return api.SignOut401JSONResponse(unauthorized(invalidToken)), nil
	}
	delete(s.tokens, tok)
	if rec.access && u.accessToken == tok {
		u.accessToken = ""
	}
	s.Apply(opSignOut)
	return api.SignOut200JSONResponse{Status: ptr.To(http.StatusOK), StatusText: ptr.To("OK"), Message: ptr.To("Signed out successfully")}, nil
}
