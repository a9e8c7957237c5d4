package oracletest

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
	"github.com/tokenkit/tokenkit/internal/ptr"
	"github.com/tokenkit/tokenkit/oracle/internal/api"
)

// Paths and operation ids of the fake, as in openapi/oracle.yaml.
const (
	basePath = "/system/api/v1"

	pathGetAccessToken = basePath + "/security/token"
	pathGetCurrentUser = basePath + "/me"
	pathCSRFToken      = basePath + "/csrfToken"

	opGetAccessToken = "GetAccessToken"
	opGetCurrentUser = "GetCurrentUser"
	// OpCSRFToken counts GET /system/api/v1/csrfToken, which Oracle's cec
	// CLI sends before its POSTs; the SDK does not call it, so it is not an
	// operation of openapi/oracle.yaml.
	OpCSRFToken = "CSRFToken"
)

// DefaultAccessTokenLifetime is the lifetime of the access tokens the fake
// issues unless SetAccessTokenTTL changes it: 1209600000 ms, the
// expiresInMillis of Oracle's own example (14 days).
const DefaultAccessTokenLifetime = 1209600000 * time.Millisecond

// Server is a fake Oracle Content Management token API. It embeds the
// fakes.Server every fake shares (URL, Client, Handler, Responder, FailNext,
// Calls, Applied, Requests, SetClock, StrictPaths, Close); the methods below
// are Oracle's own. Its state (users, access and refresh tokens) is guarded
// by a mutex, so every method is safe for concurrent use. Create one with
// NewServer or New.
type Server struct {
	// Server is the engine every fake shares (the httptest server, the
	// faults, the counters, the recorded requests and the clock); its
	// methods, documented once in package fakes, are this fake's.
	*fakes.Server

	// Immutable after construction.
	mux http.Handler

	mu           sync.Mutex
	public       string // SetPublicURL's base URL; "" means the request's origin
	accessTTL    time.Duration
	refreshTTL   time.Duration // 0: refresh tokens do not expire
	rotate       bool
	issueRefresh bool
	users        map[string]*User
	access       map[string]*accessToken
	refresh      map[string]*refreshToken
}

// accessToken is the fake's record of an issued access token.
type accessToken struct {
	username  string
	expiresAt time.Time
	revoked   bool
}

// refreshToken is the fake's record of an issued refresh token.
type refreshToken struct {
	username  string
	expiresAt time.Time // zero: never
	revoked   bool      // by the test
	consumed  bool      // rotated out by a refresh
}

// NewServer starts a fake OCM instance on a new plain-HTTP
// httptest.Server. The caller must call Close when done; New does that
// through t.Cleanup.
func NewServer() *Server {
	s := &Server{
		accessTTL:    DefaultAccessTokenLifetime,
		rotate:       true,
		issueRefresh: true,
		users:        make(map[string]*User),
		access:       make(map[string]*accessToken),
		refresh:      make(map[string]*refreshToken),
	}
	s.mux = s.newRouter()
	s.Server = fakes.New(fakes.Config{
		Name:      "oracletest",
		Operation: func(r *http.Request) string { return operationOf(r.Method, r.URL.Path) },
		Serve:     s.serve,
		Status:    statusFault,
		Malformed: `{"accessToken":`,
	})
	s.Start()
	return s
}

// New is NewServer for tests: it registers Close with t.Cleanup.
func New(t testing.TB) *Server { return fakekit.Cleanup(t, NewServer()) }

// SetPublicURL sets the base URL clients reach the fake at when it is served
// through Handler under a path prefix (tokenctl fake serves it under
// http://HOST:PORT/oracle): the self links of /me start with it. "" restores
// the default, the scheme and host the request was sent to.
func (s *Server) SetPublicURL(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.public = strings.TrimSuffix(base, "/")
}

// SetAccessTokenTTL sets the lifetime of the access tokens issued from
// now on (expiresInMillis), truncated to whole milliseconds. The default is
// DefaultAccessTokenLifetime. A d below one millisecond is treated as one.
func (s *Server) SetAccessTokenTTL(d time.Duration) {
	d = max(d.Truncate(time.Millisecond), time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessTTL = d
}

// SetRefreshTokenTTL makes the refresh tokens issued from now on expire
// after d; zero (the default) means they never expire. Oracle documents no
// refresh-token lifetime (fake's choice).
func (s *Server) SetRefreshTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshTTL = max(d, 0)
}

// SetRotation turns refresh-token rotation on (the default) or off. With
// rotation, a refresh answers with a new refresh token and the one sent is
// refused from then on; without, the answer repeats the refresh token sent.
// Oracle does not document which one it does.
func (s *Server) SetRotation(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rotate = on
}

// SetIssueRefreshTokens says whether a sign-in (Basic) or a renewal (Bearer)
// answers with a refresh token too (the default) or with an access token
// only.
func (s *Server) SetIssueRefreshTokens(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issueRefresh = on
}

// User is an OCM user of the fake: the Basic credentials it accepts and the
// details GET /system/api/v1/me returns.
type User struct {
	// Username is the user name of the Basic credentials; required, and
	// without ':'.
	Username string
	// Password is the password of the Basic credentials; required.
	Password string
	// Email defaults to Username@example.com (or Username when it holds an
	// "@").
	Email string
	// FirstName is the user's given name.
	FirstName string
	// MiddleName is the user's middle name.
	MiddleName string
	// LastName is the user's family name; it defaults to Username.
	LastName string
	// Locale defaults to "en".
	Locale string
	// RealmUserGUID is returned with includeRealmUserGUID=true. Default: a
	// random 32-digit hex string per user.
	RealmUserGUID string
	// Groups are returned with includeGroupMembership=true.
	Groups []Group
	// AppRoles are returned with includeIDCSAppRoles=true, as strings
	// (fake's choice: the documentation does not show their shape).
	AppRoles []string
	// CustomAttributes are returned when asked for by name
	// (case-insensitive).
	CustomAttributes map[string]any
	// Locked makes every token call of the user fail with 403 Forbidden,
	// and its tokens stop working.
	Locked bool
}

// Group is an IDCS group of a User.
type Group struct {
	// ID is the group's id, returned as id.
	ID string
	// DisplayName is the group's name, returned as displayName.
	DisplayName string
}

// AddUser registers a user, filling in defaults, replacing any user with the
// same Username. It panics if Username or Password is empty, or if Username
// contains ':' (it could not be sent with HTTP Basic).
func (s *Server) AddUser(u User) {
	if u.Username == "" || u.Password == "" {
		panic("oracletest: AddUser needs a non-empty Username and Password")
	}
	if slices.Contains([]byte(u.Username), ':') {
		panic("oracletest: AddUser: Username must not contain ':'")
	}
	if u.Email == "" {
		u.Email = u.Username
		if !slices.Contains([]byte(u.Username), '@') {
			u.Email += "@example.com"
		}
	}
	if u.LastName == "" {
		u.LastName = u.Username
	}
	if u.Locale == "" {
		u.Locale = "en"
	}
	if u.RealmUserGUID == "" {
		u.RealmUserGUID = fakekit.RandomHex(16)
	}
	u.Groups = slices.Clone(u.Groups)
	u.AppRoles = slices.Clone(u.AppRoles)
	u.CustomAttributes = maps.Clone(u.CustomAttributes)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.Username] = &u
}

// LockUser locks or unlocks a registered user (see User.Locked). It panics
// for an unknown user.
func (s *Server) LockUser(username string, locked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser(username).Locked = locked
}

func (s *Server) mustUser(username string) *User {
	u := s.users[username]
	if u == nil {
		panic(fmt.Sprintf("oracletest: unknown user %q", username))
	}
	return u
}

// IssueAccessToken mints an access token for a registered user, as a
// sign-in would, without a request: for test setup. It panics for an
// unknown user.
func (s *Server) IssueAccessToken(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser(username)
	return s.newAccessLocked(username)
}

// IssueRefreshToken mints a refresh token for a registered user without a
// request, for test setup (for example the refresh token a program
// persisted in an earlier run). It panics for an unknown user.
func (s *Server) IssueRefreshToken(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser(username)
	return s.newRefreshLocked(username)
}

// RevokeRefreshToken revokes a refresh token, as an administrator would:
// refreshes with it then fail with 400. It reports whether the token was
// known.
func (s *Server) RevokeRefreshToken(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.refresh[value]
	if t == nil {
		return false
	}
	t.revoked = true
	return true
}

// RevokeAccessToken revokes an access token: calls with it then fail with
// 401. It reports whether the token was known.
func (s *Server) RevokeAccessToken(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.access[value]
	if t == nil {
		return false
	}
	t.revoked = true
	return true
}

// RefreshTokenActive reports whether a refresh exchange with value would
// succeed now: it is known, not revoked, not rotated out, not expired, and
// its user is not locked.
func (s *Server) RefreshTokenActive(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.liveRefreshLocked(value)
	return ok
}

// AccessTokenActive reports whether value is a live access token: known,
// not revoked, not expired, and its user is not locked.
func (s *Server) AccessTokenActive(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.liveAccessLocked(value)
	return ok
}

// newAccessLocked records a new access token for username.
func (s *Server) newAccessLocked(username string) string {
	v := randomToken()
	s.access[v] = &accessToken{username: username, expiresAt: s.Now().Add(s.accessTTL)}
	return v
}

// newRefreshLocked records a new refresh token for username.
func (s *Server) newRefreshLocked(username string) string {
	v := randomToken()
	rt := &refreshToken{username: username}
	if s.refreshTTL > 0 {
		rt.expiresAt = s.Now().Add(s.refreshTTL)
	}
	s.refresh[v] = rt
	return v
}

func (s *Server) liveAccessLocked(value string) (*User, bool) {
	t := s.access[value]
	if t == nil || t.revoked || !s.Now().Before(t.expiresAt) {
		return nil, false
	}
	u := s.users[t.username]
	if u == nil || u.Locked {
		return nil, false
	}
	return u, true
}

func (s *Server) liveRefreshLocked(value string) (*refreshToken, bool) {
	t := s.refresh[value]
	if t == nil || t.revoked || t.consumed || (!t.expiresAt.IsZero() && !s.Now().Before(t.expiresAt)) {
		return nil, false
	}
	u := s.users[t.username]
	if u == nil || u.Locked {
		return nil, false
	}
	return t, true
}

// Error codes of the fake's ExceptionDetail and ErrorResponse bodies. Oracle
// does not publish the codes of its token API; these are the fake's own
// (fake's choice), stable so that tests can match them with
// oracle.ExceptionDetail.Find.
const (
	CodeBadRequest           = "OCETEST-400"             // top level of every 400
	CodeInvalidRefreshToken  = "OCETEST-INVALID-REFRESH" // nested: unknown, revoked, rotated-out or expired refresh token
	CodeMissingRefreshToken  = "OCETEST-EMPTY-REFRESH"   // nested: refreshToken present but empty
	CodeMalformedBody        = "OCETEST-MALFORMED-BODY"  // nested: the body is not a V1AuthTokenRequestInfo
	CodeTooManyAttributes    = "OCETEST-TOO-MANY-ATTRS"  // nested: more than 20 customAttributes
	CodeUnauthorized         = "OCETEST-401"             // top level of every 401
	CodeInvalidCredentials   = "OCETEST-INVALID-USER"    // nested: wrong user name or password
	CodeInvalidToken         = "OCETEST-INVALID-TOKEN"   // nested: unknown, revoked or expired access token
	CodeAuthRequired         = "OCETEST-AUTH-REQUIRED"   // nested: no usable Authorization
	CodeForbidden            = "OCETEST-403"             // locked user, or a refresh token of another user
	CodeUnsupportedMediaType = "OCETEST-415"             // a body that is not application/json
	CodeInjectedFault        = "OCETEST-FAULT"           // a Fault's Status
	CodeNotFound             = "OCETEST-404"             // ErrorResponse: no such path
	CodeMethodNotAllowed     = "OCETEST-405"             // ErrorResponse: wrong method on a known path
	CodeInternal             = "OCETEST-500"             // the fake failed to encode an answer
	CodeRequestTooLarge      = "OCETEST-413"             // a body over 1 MiB
)

// problemBase prefixes the type URI of every ExceptionDetail (fake's choice).
const problemBase = "https://www.rfc-editor.org/rfc/rfc9110#status."

// exceptionDetail builds an ExceptionDetail with Oracle's member names.
func exceptionDetail(status int, code, detail string, nested ...api.ExceptionDetail) api.ExceptionDetail {
	d := api.ExceptionDetail{
		Type:       ptr.To(fmt.Sprintf("%s%d", problemBase, status)),
		Title:      ptr.To(http.StatusText(status)),
		Status:     ptr.To(float32(status)),
		Detail:     ptr.To(detail),
		OErrorCode: ptr.To(code),
	}
	if len(nested) > 0 {
		d.OErrorDetails = &nested
	}
	return d
}

// nestedDetail builds one entry of o:errorDetails.
func nestedDetail(code, title, detail, path string) api.ExceptionDetail {
	d := api.ExceptionDetail{Title: ptr.To(title), Detail: ptr.To(detail), OErrorCode: ptr.To(code)}
	if path != "" {
		d.OErrorPath = ptr.To(path)
	}
	return d
}

// errorResponse builds the other error shape of /system/api/v1.
func errorResponse(status int, code, message string) api.ErrorResponse {
	return api.ErrorResponse{
		ErrorCode:      ptr.To(code),
		ErrorMessage:   ptr.To(message),
		HttpMessage:    ptr.To(http.StatusText(status)),
		HttpStatusCode: ptr.To(int32(status)),
	}
}

// randomToken returns an opaque 256-bit token (fake's choice: OCM's real
// tokens are IDCS-issued and their format is not part of the API).
func randomToken() string { return base64.RawURLEncoding.EncodeToString(fakekit.RandomBytes(32)) }
