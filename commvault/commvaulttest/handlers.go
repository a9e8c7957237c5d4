package commvaulttest

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit/commvault/internal/api"
	"github.com/tokenkit/tokenkit/internal/fakekit"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// Error codes. Only 5 ("Access denied") is documented (POST Logout OpenAPI
// page); the others are the fake's choice, since Commvault does not publish
// the codes of these failures.
const (
	codeAccessDenied     int32 = 5
	codeInvalidRequest   int32 = 1
	codeDuplicateName    int32 = 2
	codeTokenNotFound    int32 = 3
	codeInvalidTokenType int32 = 4
	codeNotRenewable     int32 = 6
	codeRefreshExpired   int32 = 7
	codeChainInvalidated int32 = 8
	codeInvalidPair      int32 = 9
	codeDeviceMismatch   int32 = 11
	codeInvalidTimestamp int32 = 12
	codeLoginFailed      int32 = 1116
	codeAccountLocked    int32 = 1117
)

func (s *Server) newRouter() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.notFound)
	strict := api.NewStrictHandlerWithOptions(handlers{s}, []api.StrictMiddlewareFunc{capture},
		api.StrictHTTPServerOptions{RequestErrorHandlerFunc: requestError, ResponseErrorHandlerFunc: responseError})
	for _, base := range []string{BasePath, LegacyBasePath} {
		api.HandlerWithOptions(strict, api.StdHTTPServerOptions{BaseURL: base, BaseRouter: mux, ErrorHandlerFunc: requestError})
		mux.HandleFunc("GET "+base+"/v2/whoami", s.whoAmIV2)
		mux.HandleFunc("GET "+base, probe) // {base}/ arrives here: fakes.Server strips the trailing slash
	}
	return mux
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if allow := allowedMethods(r.URL.Path); allow != "" {
		fakekit.WriteJSON(w, http.StatusMethodNotAllowed, http.Header{"Allow": {allow}},
			errorBody(codeInvalidRequest, "Request method '"+r.Method+"' is not supported")) // fake's choice
		return
	}
	fakekit.WriteJSON(w, http.StatusNotFound, nil, errorBody(codeInvalidRequest, "The requested resource was not found")) // fake's choice
}

func requestError(w http.ResponseWriter, _ *http.Request, err error) {
	fakekit.WriteJSON(w, http.StatusBadRequest, nil, errorBody(codeInvalidRequest, "Invalid request: "+err.Error())) // fake's choice
}

func responseError(w http.ResponseWriter, _ *http.Request, err error) {
	fakekit.WriteJSON(w, http.StatusInternalServerError, nil, errorBody(codeInvalidRequest, err.Error()))
}

// creds are the credentials a request presents.
type creds struct {
	authtoken     string // the Authtoken header
	authorization string // the Authorization header
}

type credsKey struct{}

// candidates returns the token values a request presents: Authtoken as
// sent and without a "Bearer " prefix (Commvault's Python SDK sends
// "Authtoken: Bearer <token>"), and the Authorization bearer token.
func (c creds) candidates() []string {
	var out []string
	if v := strings.TrimSpace(c.authtoken); v != "" {
		out = append(out, v)
		if rest, ok := strings.CutPrefix(v, "Bearer "); ok {
			out = append(out, strings.TrimSpace(rest))
		}
	}
	if rest, ok := strings.CutPrefix(strings.TrimSpace(c.authorization), "Bearer "); ok {
		out = append(out, strings.TrimSpace(rest))
	}
	return out
}

// capture is a strict middleware: it refuses a JSON operation sent with
// another Content-Type and hands the request's credentials to the handlers.
func capture(f api.StrictHandlerFunc, op string) api.StrictHandlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, req any) (any, error) {
		switch op {
		case OpLogin, OpRenewLoginToken, OpCreateAccessToken, OpUpdateAccessToken, OpRenewAccessToken:
			if fakekit.MediaType(r.Header.Get("Content-Type")) != "application/json" {
				fakekit.WriteJSON(w, http.StatusUnsupportedMediaType, nil,
					errorBody(codeInvalidRequest, "Content-Type '"+r.Header.Get("Content-Type")+"' is not supported")) // fake's choice
				return nil, nil
			}
		}
		ctx = context.WithValue(ctx, credsKey{}, creds{authtoken: r.Header.Get("Authtoken"), authorization: r.Header.Get("Authorization")})
		return f(ctx, w, r, req)
	}
}

// principal is who a request authenticates as: a session or an access token.
type principal struct {
	user    *user
	session *session
	token   *token
}

// authenticate resolves the request's credentials; mu must be held. A use
// extends a session (inactivity timeout) and records an access token's use.
func (s *Server) authenticate(ctx context.Context) (principal, bool) {
	c, _ := ctx.Value(credsKey{}).(creds)
	now := s.Now()
	for _, v := range c.candidates() {
		if ss := s.sessions[v]; ss != nil && !ss.expired(now) {
			ss.lastUsed = now
			return principal{user: ss.user, session: ss}, true
		}
		if t := s.tokenByAccess(v); t != nil && now.Before(t.expires) {
			t.lastUsed = now
			return principal{user: t.user, token: t}, true
		}
	}
	return principal{}, false
}

var accessDenied = errorBody(codeAccessDenied, "Access denied") // POST Logout OpenAPI page

const tokenCannotManage = "An access token cannot be used to create, edit or delete access tokens" // fake's wording

type handlers struct{ s *Server }

var _ api.StrictServerInterface = handlers{}

func loginFailure(code int32, msg string) api.LoginErrorItem {
	return api.LoginErrorItem{ErrorCode: ptr.To(code), ErrLogMessage: ptr.To(msg)}
}

// Login implements POST /Login.
func (h handlers) Login(_ context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	s := h.s
	b := req.Body
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	u := s.users[strings.ToLower(b.Username)]
	if u != nil && now.Before(u.lockedUntil) {
		return locked(u, now), nil
	}
	password, err := base64.StdEncoding.DecodeString(b.Password)
	ok := u != nil && err == nil && subtle.ConstantTimeCompare(password, []byte(u.Password)) == 1 &&
		(u.Domain == "" || strings.EqualFold(u.Domain, ptr.Deref(b.Domain)))
	if !ok {
		attempts := int32(1)
		if u != nil {
			u.failures++
			attempts = int32(u.failures)
			if s.lockMax > 0 && u.failures >= s.lockMax {
				u.failures = 0
				u.lockedUntil = now.Add(s.lockFor)
				return locked(u, now), nil
			}
		}
		// Failure inside HTTP 200, with errList (cvpysdk _login; A.7).
		return api.Login200JSONResponse{
			ErrList:       &[]api.LoginErrorItem{loginFailure(codeLoginFailed, "Invalid Username or Password")}, // fake's wording
			LoginAttempts: ptr.To(attempts),
		}, nil
	}
	u.failures = 0
	timeout := defaultSessionTimeout
	if m := ptr.Deref(b.Timeout); m > 0 {
		timeout = min(time.Duration(m)*time.Minute, maxSessionTimeout)
	}
	value := "QSDK " + fakekit.RandomHex(64)
	if s.saas {
		value = randomToken()
	}
	s.sessions[value] = &session{value: value, user: u, deviceID: ptr.Deref(b.DeviceId), timeout: timeout, lastUsed: now}
	s.Apply(OpLogin)
	if s.saas {
		return api.Login200JSONResponse{Data: &api.LoginResultData{AuthToken: ptr.To(value)}}, nil
	}
	return api.Login200JSONResponse{
		Token:               ptr.To(value),
		UserName:            ptr.To(u.Name),
		UserGUID:            ptr.To(u.guid),
		AliasName:           ptr.To(strconv.FormatInt(u.id, 10)), // content undocumented: the user id (fake's choice)
		SmtpAddress:         ptr.To(u.Email),
		LoginAttempts:       ptr.To(int32(0)),
		RemainingLockTime:   ptr.To(int64(0)),
		IsAccountLocked:     ptr.To(false),
		ForcePasswordChange: ptr.To(false),
	}, nil
}

func locked(u *user, now time.Time) api.Login200JSONResponse {
	remaining := int64((u.lockedUntil.Sub(now) + time.Second - 1) / time.Second)
	return api.Login200JSONResponse{
		IsAccountLocked:   ptr.To(true),
		RemainingLockTime: ptr.To(remaining),
		LoginAttempts:     ptr.To(int32(0)),
		ErrList:           &[]api.LoginErrorItem{loginFailure(codeAccountLocked, "User account is locked")}, // fake's wording
	}
}

// RenewLoginToken implements POST /RenewLoginToken.
func (h handlers) RenewLoginToken(_ context.Context, req api.RenewLoginTokenRequestObject) (api.RenewLoginTokenResponseObject, error) {
	s := h.s
	b := req.Body
	if b.DeviceId == "" || b.SessionId == "" {
		return api.RenewLoginToken400JSONResponse(errorBody(codeInvalidRequest, "deviceId and sessionId are required")), nil // fake's choice
	}
	fail := func(code int32, msg string) api.RenewLoginTokenResponseObject {
		// Failure inside HTTP 200 with error.errLogMessage (cvpysdk _renew_login_token; A.8).
		return api.RenewLoginToken200JSONResponse{Error: &api.ErrorInfo{ErrorCode: ptr.To(code), ErrLogMessage: ptr.To(msg)}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	old := s.sessions[b.SessionId]
	switch {
	case old == nil:
		return fail(codeAccessDenied, "Invalid session"), nil // fake's wording
	case old.deviceID == "" || old.deviceID != b.DeviceId:
		return fail(codeDeviceMismatch, "The device id does not match the session"), nil // fake's wording
	case !now.Before(old.lastUsed.Add(old.timeout + sessionRenewWindow)):
		return fail(codeAccessDenied, "The session can no longer be renewed"), nil // fake's wording
	}
	delete(s.sessions, old.value)
	value := "QSDK " + fakekit.RandomHex(64)
	s.sessions[value] = &session{value: value, user: old.user, deviceID: old.deviceID, timeout: old.timeout, lastUsed: now}
	s.Apply(OpRenewLoginToken)
	return api.RenewLoginToken200JSONResponse{Token: ptr.To(value), Error: &api.ErrorInfo{}}, nil
}

// Logout implements POST /Logout.
func (h handlers) Logout(ctx context.Context, _ api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c, _ := ctx.Value(credsKey{}).(creds)
	now := s.Now()
	for _, v := range c.candidates() {
		if ss := s.sessions[v]; ss != nil && !ss.expired(now) {
			delete(s.sessions, v)
			s.Apply(OpLogout)
			return api.Logout200TextResponse("User logged out"), nil
		}
	}
	return api.Logout401JSONResponse(accessDenied), nil
}

// ListAccessTokens implements GET /V4/AccessToken.
func (h handlers) ListAccessTokens(ctx context.Context, req api.ListAccessTokensRequestObject) (api.ListAccessTokensResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.authenticate(ctx)
	if !ok {
		return api.ListAccessTokens401JSONResponse(accessDenied), nil
	}
	uid := p.user.id
	if v := ptr.Deref(req.Params.UserId); v != 0 {
		uid = v
	}
	if uid != p.user.id && !p.user.Admin {
		return api.ListAccessTokens403JSONResponse(accessDenied), nil
	}
	list := []api.AccessTokenSummary{}
	for _, t := range s.sortedTokens() {
		if t.user.id != uid {
			continue
		}
		sum := api.AccessTokenSummary{
			AccessTokenId:        ptr.To(t.id),
			UserId:               ptr.To(t.user.id),
			TokenName:            ptr.To(t.name),
			CreatedTime:          ptr.To(t.created.Unix()),
			LastUsedTime:         ptr.To(unixOrZero(t.lastUsed)),
			TokenExpiryTimestamp: ptr.To(t.expires.Unix()),
			TokenType:            t.wireType(),
		}
		if renewableType(t.typ) {
			sum.RenewableUntilTimestamp = ptr.To(t.renewableUntil.Unix())
		}
		if len(t.apiEndpoints) > 0 {
			sum.ApiEndpoints = ptr.To(slices.Clone(t.apiEndpoints))
		}
		if len(t.allowedIPs) > 0 {
			sum.AllowedIPs = ptr.To(slices.Clone(t.allowedIPs))
		}
		list = append(list, sum)
	}
	return api.ListAccessTokens200JSONResponse{Tokens: &list, Error: &api.ErrorInfo{ErrorCode: ptr.To(int32(0))}}, nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func (s *Server) sortedTokens() []*token {
	out := make([]*token, 0, len(s.tokens))
	for _, t := range s.tokens {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *token) int { return int(a.id - b.id) })
	return out
}

func (t *token) wireType() *api.TokenType {
	var w api.TokenType
	if n := nameOf(t.typ); t.typeAsName && n != hyperscaleName {
		_ = w.FromTokenTypeName(n)
	} else {
		_ = w.FromTokenTypeCode(api.TokenTypeCode(t.typ))
	}
	return &w
}

func nameOf(typ int) api.TokenTypeName {
	switch typ {
	case typeDefault:
		return api.TokenTypeNameDEFAULT
	case typeMSSCIM:
		return api.TokenTypeNameMSSCIM
	case typeAll:
		return api.TokenTypeNameALL
	case typeCustom:
		return api.TokenTypeNameCUSTOM
	case typeOneTouch:
		return api.TokenTypeNameOneTouch
	}
	return hyperscaleName
}

// parseType reads a tokenType in the forms SetTokenTypeWire allows; mu must
// be held.
func (s *Server) parseType(w *api.TokenType) (typ int, asName bool, msg string) {
	if w == nil {
		return typeAll, false, "" // "Default value: ALL" (seed 001)
	}
	if c, err := w.AsTokenTypeCode(); err == nil {
		if s.typeWire == AcceptNames {
			return 0, false, "Invalid token type"
		}
		if !c.Valid() {
			return 0, false, "Invalid token type"
		}
		return int(c), false, ""
	}
	if n, err := w.AsTokenTypeName(); err == nil && n.Valid() {
		if s.typeWire == AcceptCodes {
			return 0, false, "Invalid token type"
		}
		for typ := typeDefault; typ <= typeOneTouch; typ++ {
			if nameOf(typ) == n {
				return typ, true, ""
			}
		}
	}
	return 0, false, "Invalid token type"
}

// createFailure answers a refused create inside HTTP 200 (cvpysdk checks
// error.errorCode; terraform PR #27 sees "Token name already present").
func createFailure(code int32, msg string) api.CreateAccessTokenResponseObject {
	return api.CreateAccessToken200JSONResponse{Error: &api.ErrorInfo{ErrorCode: ptr.To(code), ErrorMessage: ptr.To(msg)}}
}

func (s *Server) nameTaken(u *user, name string, except int64) bool {
	for _, t := range s.tokens {
		if t.user == u && t.id != except && strings.EqualFold(t.name, name) {
			return true
		}
	}
	return false
}

// CreateAccessToken implements POST /V4/AccessToken.
func (h handlers) CreateAccessToken(ctx context.Context, req api.CreateAccessTokenRequestObject) (api.CreateAccessTokenResponseObject, error) {
	s := h.s
	b := req.Body
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.authenticate(ctx)
	if !ok {
		return api.CreateAccessToken401JSONResponse(accessDenied), nil
	}
	if p.session == nil {
		// "You cannot create, edit, and delete an access token using another access token."
		return api.CreateAccessToken403JSONResponse(errorBody(codeAccessDenied, tokenCannotManage)), nil
	}
	owner := p.user
	if uid := ptr.Deref(b.UserId); uid != 0 && uid != owner.id {
		if !owner.Admin {
			return api.CreateAccessToken403JSONResponse(accessDenied), nil
		}
		owner = s.userByID(uid)
		if owner == nil {
			return createFailure(codeInvalidRequest, "User not found"), nil // fake's wording
		}
	}
	name := strings.TrimSpace(b.TokenName)
	if name == "" {
		return createFailure(codeInvalidRequest, "Token name is required"), nil // fake's wording
	}
	if s.nameTaken(owner, name, 0) {
		return createFailure(codeDuplicateName, "Token name already present"), nil // terraform PR #27
	}
	typ, asName, msg := s.parseType(b.TokenType)
	if msg != "" {
		return createFailure(codeInvalidTokenType, msg), nil
	}
	endpoints := ptr.Deref(b.ApiEndpoints)
	if typ == typeCustom && len(endpoints) == 0 {
		return createFailure(codeInvalidRequest, "apiEndpoints is mandatory for a CUSTOM token"), nil // seed 001
	}
	now := s.Now()
	t := &token{
		id: s.nextTokenID, user: owner, name: name, typ: typ, typeAsName: asName,
		allowedIPs: slices.Clone(ptr.Deref(b.AllowedIPs)), created: now, access: randomToken(),
	}
	if typ == typeCustom {
		t.apiEndpoints = slices.Clone(endpoints)
	}
	if renewableType(typ) {
		until := now.Add(defaultRenewable)
		if v := ptr.Deref(b.RenewableUntilTimestamp); v != 0 {
			until = time.Unix(v, 0)
		}
		if !until.After(now) || until.After(now.Add(maxRenewable)) {
			return createFailure(codeInvalidTimestamp, "renewableUntilTimestamp must be in the future and within 365 days"), nil // fake's wording
		}
		t.refresh = randomToken()
		t.expires = now.Add(s.accessTTL)
		t.renewableUntil = until
		t.refreshExpires = minTime(t.expires.Add(refreshGrace), until)
	} else {
		def, limit := defaultSCIMExpiry, maxSCIMExpiry
		if typ == typeOneTouch {
			def, limit = defaultOneTouchExpiry, maxOneTouchExpiry
		}
		t.expires = now.Add(def)
		if v := ptr.Deref(b.TokenExpiryTimestamp); v != 0 {
			t.expires = time.Unix(v, 0)
		}
		if !t.expires.After(now) || t.expires.After(now.Add(limit)) {
			return createFailure(codeInvalidTimestamp, "tokenExpiryTimestamp is out of range for this token type"), nil // fake's wording
		}
	}
	s.nextTokenID++
	s.tokens[t.id] = t
	s.Apply(OpCreateAccessToken)
	info := &api.CreatedAccessToken{
		Error:                &api.ErrorInfo{ErrorCode: ptr.To(int32(0)), ErrorMessage: ptr.To("")},
		AccessTokenId:        ptr.To(t.id),
		TokenName:            ptr.To(t.name),
		UserId:               ptr.To(owner.id),
		TokenExpiryTimestamp: ptr.To(t.expires.Unix()),
		AccessToken:          ptr.To(t.access),
	}
	if t.refresh != "" {
		// MS_SCIM and OneTouch tokens come without these (cvpysdk docstring; A.1).
		info.RefreshToken = ptr.To(t.refresh)
		info.RefreshTokenExpiryTimestamp = ptr.To(t.refreshExpires.Unix())
		info.RenewableUntilTimestamp = ptr.To(t.renewableUntil.Unix())
	}
	return api.CreateAccessToken200JSONResponse{Error: &api.ErrorInfo{ErrorCode: ptr.To(int32(0)), ErrorMessage: ptr.To("")}, TokenInfo: info}, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (s *Server) userByID(id int64) *user {
	for _, u := range s.users {
		if u.id == id {
			return u
		}
	}
	return nil
}

// managed finds a token the session's user may change; mu must be held.
func (s *Server) managed(p principal, rawID string) (*token, bool) {
	id, err := strconv.ParseInt(rawID, 10, 64)
	if err != nil {
		return nil, false
	}
	t := s.tokens[id]
	if t == nil || (t.user != p.user && !p.user.Admin) {
		return nil, true
	}
	return t, true
}

func updateFailure(code int32, msg string) api.UpdateAccessTokenResponseObject {
	return api.UpdateAccessToken200JSONResponse{Error: &api.ErrorInfo{ErrorCode: ptr.To(code), ErrorMessage: ptr.To(msg)}}
}

// UpdateAccessToken implements PUT /V4/AccessToken/{accessTokenId}.
func (h handlers) UpdateAccessToken(ctx context.Context, req api.UpdateAccessTokenRequestObject) (api.UpdateAccessTokenResponseObject, error) {
	s := h.s
	b := req.Body
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.authenticate(ctx)
	if !ok {
		return api.UpdateAccessToken401JSONResponse(accessDenied), nil
	}
	if p.session == nil {
		return api.UpdateAccessToken403JSONResponse(errorBody(codeAccessDenied, tokenCannotManage)), nil
	}
	t, numeric := s.managed(p, req.AccessTokenId)
	if !numeric {
		return api.UpdateAccessToken400JSONResponse(errorBody(codeInvalidRequest, "Invalid access token id")), nil // fake's choice
	}
	if t == nil {
		return updateFailure(codeTokenNotFound, "Access token not found"), nil // fake's wording
	}
	if v := ptr.Deref(b.AccessTokenId); v != 0 && v != t.id {
		return updateFailure(codeInvalidRequest, "accessTokenId does not match the path"), nil // fake's choice
	}
	next := *t
	if b.TokenName != nil {
		name := strings.TrimSpace(*b.TokenName)
		if name == "" {
			return updateFailure(codeInvalidRequest, "Token name is required"), nil
		}
		if s.nameTaken(t.user, name, t.id) {
			return updateFailure(codeDuplicateName, "Token name already present"), nil
		}
		next.name = name
	}
	if b.TokenType != nil {
		typ, asName, msg := s.parseType(b.TokenType)
		if msg != "" {
			return updateFailure(codeInvalidTokenType, msg), nil
		}
		if renewableType(typ) != renewableType(t.typ) {
			return updateFailure(codeInvalidTokenType, "The token type cannot be changed between renewable and non-renewable types"), nil // fake's choice
		}
		next.typ, next.typeAsName = typ, asName
	}
	if b.ApiEndpoints != nil {
		next.apiEndpoints = slices.Clone(*b.ApiEndpoints)
	}
	if next.typ != typeCustom {
		next.apiEndpoints = nil
	} else if len(next.apiEndpoints) == 0 {
		return updateFailure(codeInvalidRequest, "apiEndpoints is mandatory for a CUSTOM token"), nil
	}
	if b.AllowedIPs != nil {
		next.allowedIPs = slices.Clone(*b.AllowedIPs)
	}
	now := s.Now()
	if v := ptr.Deref(b.RenewableUntilTimestamp); v != 0 {
		until := time.Unix(v, 0)
		if !renewableType(next.typ) || !until.After(now) || until.After(t.created.Add(maxRenewable)) {
			return updateFailure(codeInvalidTimestamp, "renewableUntilTimestamp is out of range for this token"), nil
		}
		next.renewableUntil = until
		next.refreshExpires = minTime(next.expires.Add(refreshGrace), until)
	}
	if v := ptr.Deref(b.TokenExpiryTimestamp); v != 0 {
		exp := time.Unix(v, 0)
		limit := maxSCIMExpiry
		if next.typ == typeOneTouch {
			limit = maxOneTouchExpiry
		}
		if renewableType(next.typ) || !exp.After(now) || exp.After(t.created.Add(limit)) {
			return updateFailure(codeInvalidTimestamp, "tokenExpiryTimestamp is out of range for this token"), nil
		}
		next.expires = exp
	}
	*t = next
	s.Apply(OpUpdateAccessToken)
	info := &api.UpdatedAccessToken{
		AccessTokenId:        ptr.To(t.id),
		TokenName:            ptr.To(t.name),
		TokenType:            t.wireType(),
		TokenExpiryTimestamp: ptr.To(t.expires.Unix()),
	}
	if renewableType(t.typ) {
		info.RenewableUntilTimestamp = ptr.To(t.renewableUntil.Unix())
	}
	return api.UpdateAccessToken200JSONResponse{Error: &api.ErrorInfo{ErrorCode: ptr.To(int32(0)), ErrorMessage: ptr.To("")}, TokenInfo: info}, nil
}

// DeleteAccessToken implements DELETE /V4/AccessToken/{accessTokenId}.
func (h handlers) DeleteAccessToken(ctx context.Context, req api.DeleteAccessTokenRequestObject) (api.DeleteAccessTokenResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.authenticate(ctx)
	if !ok {
		return api.DeleteAccessToken401JSONResponse(accessDenied), nil
	}
	if p.session == nil {
		return api.DeleteAccessToken403JSONResponse(errorBody(codeAccessDenied, tokenCannotManage)), nil
	}
	t, numeric := s.managed(p, req.AccessTokenId)
	if !numeric {
		return api.DeleteAccessToken400JSONResponse(errorBody(codeInvalidRequest, "Invalid access token id")), nil // fake's choice
	}
	if t == nil {
		// Top-level {errorMessage, errorCode} in HTTP 200 (cvpysdk delete_access_token; A.4).
		return api.DeleteAccessToken200JSONResponse(errorBody(codeTokenNotFound, "Access token not found")), nil // fake's wording
	}
	s.deleteChain(t.id)
	s.Apply(OpDeleteAccessToken)
	return api.DeleteAccessToken200JSONResponse(errorBody(0, "")), nil
}

// deleteChain removes a token and the spent refresh tokens of its chain;
// mu must be held.
func (s *Server) deleteChain(id int64) {
	delete(s.tokens, id)
	for k, chain := range s.stale {
		if chain == id {
			delete(s.stale, k)
		}
	}
}

// RenewAccessToken implements POST /V4/AccessToken/Renew. The header is not
// checked: the access token is in the body, and Commvault's own MCP server
// sends none.
func (h handlers) RenewAccessToken(_ context.Context, req api.RenewAccessTokenRequestObject) (api.RenewAccessTokenResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	res := s.renewAccessToken(req.Body)
	if bad, ok := res.(api.RenewAccessToken400JSONResponse); ok && s.renewInBand {
		// The refusal inside HTTP 200, as a top-level {errorCode,
		// errorMessage}: cvpysdk's renew_access_token checks for it.
		return api.RenewAccessToken200JSONResponse{ErrorCode: bad.ErrorCode, ErrorMessage: bad.ErrorMessage}, nil
	}
	return res, nil
}

// renewAccessToken is the renew; mu must be held.
func (s *Server) renewAccessToken(b *api.RenewAccessTokenRequest) api.RenewAccessTokenResponseObject {
	if b.AccessToken == "" || b.RefreshToken == "" {
		return api.RenewAccessToken400JSONResponse(errorBody(codeInvalidRequest, "accessToken and refreshToken are required")) // A.6: both required
	}
	var t *token
	for _, c := range s.tokens {
		if c.refresh != "" && c.refresh == b.RefreshToken {
			t = c
			break
		}
	}
	if t == nil {
		if chain, spent := s.stale[b.RefreshToken]; spent {
			// "All access tokens in the create and renew chain will be
			// invalidated and deleted" (SaaS and 11.44 pages; A.6). The answer's
			// shape is not documented (fake's choice).
			s.deleteChain(chain)
			s.chainInvalidations++
			return api.RenewAccessToken400JSONResponse(errorBody(codeChainInvalidated,
				"The refresh token was already used. All access tokens in the create and renew chain have been invalidated and deleted"))
		}
		return api.RenewAccessToken400JSONResponse(errorBody(codeInvalidPair, "Invalid access token or refresh token")) // fake's wording
	}
	if t.access != b.AccessToken {
		return api.RenewAccessToken400JSONResponse(errorBody(codeInvalidPair, "Invalid access token or refresh token"))
	}
	if !renewableType(t.typ) {
		return api.RenewAccessToken400JSONResponse(errorBody(codeNotRenewable, "This token type cannot be renewed"))
	}
	now := s.Now()
	if !now.Before(t.renewableUntil) || !now.Before(t.refreshExpires) {
		return api.RenewAccessToken400JSONResponse(errorBody(codeRefreshExpired, "The refresh token has expired")) // fake's wording
	}
	s.stale[t.refresh] = t.id
	t.access, t.refresh = randomToken(), randomToken()
	t.expires = now.Add(s.accessTTL)
	t.refreshExpires = minTime(t.expires.Add(refreshGrace), t.renewableUntil)
	s.Apply(OpRenewAccessToken)
	return api.RenewAccessToken200JSONResponse{
		Error:                       &api.ErrorInfo{ErrorCode: ptr.To(int32(0)), ErrorMessage: ptr.To("")},
		AccessTokenId:               ptr.To(t.id),
		TokenName:                   ptr.To(t.name),
		UserId:                      ptr.To(t.user.id),
		TokenType:                   t.wireType(),
		TokenExpiryTimestamp:        ptr.To(t.expires.Unix()),
		AccessToken:                 ptr.To(t.access),
		RefreshToken:                ptr.To(t.refresh),
		RefreshTokenExpiryTimestamp: ptr.To(t.refreshExpires.Unix()),
		RenewableUntilTimestamp:     ptr.To(t.renewableUntil.Unix()),
	}
}

// whoAmIUser is the user object of the token-check answers.
func whoAmIUser(u *user) *api.WhoAmIUser {
	return &api.WhoAmIUser{UserName: ptr.To(u.Name), UserId: ptr.To(u.id), UserGUID: ptr.To(u.guid)}
}

// WhoAmI implements POST /WhoAmI, cvpysdk's token check (who_am_i): any
// session or access token in Authtoken (with or without "Bearer ") or in
// Authorization: Bearer. An unknown token is a 401 Access denied, which
// cvpysdk reports as a failed check.
func (h handlers) WhoAmI(ctx context.Context, _ api.WhoAmIRequestObject) (api.WhoAmIResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.authenticate(ctx)
	if !ok {
		return api.WhoAmI401JSONResponse(accessDenied), nil
	}
	return api.WhoAmI200JSONResponse{User: whoAmIUser(p.user)}, nil
}

// whoAmIV2 serves GET /v2/whoami, Commvault MCP server's token check
// (setup.py validate_commvault_tokens: 200 valid, 401 invalid). The answer's
// shape is not published: the fake answers the user object of POST /WhoAmI
// (fake's choice).
func (s *Server) whoAmIV2(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := context.WithValue(r.Context(), credsKey{}, creds{authtoken: r.Header.Get("Authtoken"), authorization: r.Header.Get("Authorization")})
	p, ok := s.authenticate(ctx)
	if !ok {
		fakekit.WriteJSON(w, http.StatusUnauthorized, nil, accessDenied)
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, nil, api.WhoAmIResult{User: whoAmIUser(p.user)})
}

// probe serves GET {base}/: cvpysdk's Commcell() sends it before anything
// else and gives up unless it answers 200 (cvpysdk/cvpysdk.py
// _is_valid_service). What the real server's body is was not published; the
// fake answers a small JSON object (fake's choice).
func probe(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, nil, map[string]string{"service": "commvaulttest"})
}
