package cgscantest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
)

// Operation ids of the fake, as in openapi/cgscan.yaml.
const (
	opSignIn                 = "SignIn"
	opSignInWithRecoveryCode = "SignInWithRecoveryCode"
	opCheckTwoFactor         = "CheckTwoFactor"
	opSendSMSOTP             = "SendSMSOTP"
	opSignOut                = "SignOut"
	opGenerateAccessToken    = "GenerateAccessToken"
	opRevokeAccessToken      = "RevokeAccessToken"
	opCheckToken             = "CheckToken"
)

// route is the method and default path of one operation (openapi/cgscan.yaml).
type route struct{ method, path string }

var routes = map[string]route{
	opSignIn:                 {http.MethodPost, "/auth/sign_in"},
	opSignInWithRecoveryCode: {http.MethodPost, "/auth/sign_in_with_recovery_code"},
	opCheckTwoFactor:         {http.MethodPost, "/auth/check_2fa"},
	opSendSMSOTP:             {http.MethodPost, "/auth/send_sms_otp"},
	opSignOut:                {http.MethodDelete, "/auth/sign_out"},
	opGenerateAccessToken:    {http.MethodPut, "/v2/user/generate_access_token"},
	opRevokeAccessToken:      {http.MethodPut, "/v2/user/revoke_access_token"},
	opCheckToken:             {http.MethodGet, "/v2/user/check_token"},
}

// Defaults of the fake. The public documentation states none of them.
const (
	// OTPSessionTTL is how long an otp_session_state stays valid (fake's
	// choice).
	OTPSessionTTL = 5 * time.Minute
	// MaxOTPFailures is how many wrong codes end a pending sign-in (fake's
	// choice).
	MaxOTPFailures = 5
	defaultRole    = "User"  // sign-in page example
	defaultTZ      = "UTC"   // sign-in page example
	provider       = "email" // sign-in page example
	defaultOrgName = "cgscantest organization"
	recoveryCodes  = 5 // generated per 2FA user when none are given (fake's choice)
)

// Server is a fake of the authentication and access-token endpoints of the
// Clone Guard scanning API. It embeds the fakes.Server every fake shares
// (URL, Client, Handler, Responder, FailNext, Calls, Applied, Requests,
// SetClock, StrictPaths, Close); the methods below are Clone Guard's own.
// Its state (API keys, users, pending sign-ins, sessions, access tokens,
// routes) is guarded by a mutex, so every method is safe for concurrent use.
// Create one with NewServer or New.
type Server struct {
	// Server is the engine every fake shares (the httptest server, the
	// faults, the counters, the recorded requests and the clock); its
	// methods, documented once in package fakes, are this fake's.
	*fakes.Server

	mux     http.Handler
	apiKey  string
	orgUUID string

	mu       sync.Mutex
	apiKeys  map[string]bool
	users    map[string]*user
	pending  map[string]*pendingSignIn
	tokens   map[string]*tokenRec
	paths    map[string]string // operation → moved path
	presents []tokenkit.Presentation
}

// user is the fake's record of a registered user.
type user struct {
	User
	otp         string
	unused      []string // recovery codes not used yet
	signInCount int
	smsSent     int
	accessToken string // the current access token, "" if none
}

type pendingSignIn struct {
	username string
	created  time.Time
	failures int
}

// tokenRec is a valid user token: a session from sign-in or an access token.
type tokenRec struct {
	username string
	access   bool
}

// NewServer starts a fake on a new plain-HTTP httptest.Server with one API
// key (APIKey). The caller must call Close when done; New does that through
// t.Cleanup.
func NewServer() *Server {
	s := &Server{
		apiKey:   "cgk_" + fakekit.RandomHex(16),
		orgUUID:  fakekit.RandomUUID(),
		apiKeys:  make(map[string]bool),
		users:    make(map[string]*user),
		pending:  make(map[string]*pendingSignIn),
		tokens:   make(map[string]*tokenRec),
		paths:    make(map[string]string),
		presents: []tokenkit.Presentation{tokenkit.Bearer()},
	}
	s.apiKeys[s.apiKey] = true
	s.mux = s.newRouter()
	s.Server = fakes.New(fakes.Config{
		Name:      "cgscantest",
		Operation: s.operation,
		Serve:     s.serve,
		Status:    statusFault,
		Malformed: `{"token":`,
	})
	s.Start()
	return s
}

// New is NewServer for tests: it registers Close with t.Cleanup.
func New(t testing.TB) *Server { return fakekit.Cleanup(t, NewServer()) }

// APIKey returns the API key the fake was created with.
func (s *Server) APIKey() string { return s.apiKey }

// AddAPIKey accepts one more API key. Every call without a known x-api-key is
// answered 401.
func (s *Server) AddAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKeys[key] = true
}

// RemoveAPIKey stops accepting an API key.
func (s *Server) RemoveAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.apiKeys, key)
}

// User describes a user registered with AddUser. Empty fields get defaults.
type User struct {
	// Username is the user's sign-in name; required.
	Username string
	// Password is the user's password; required.
	Password string
	// TwoFactor makes sign-in ask for a one-time code (read it with OTP).
	TwoFactor bool
	// Method is the user's second factor as Check 2fa reports it: "app"
	// (the default) or "sms".
	Method string
	// Phone is the number SMS codes go to; SendSMSOTP fails without one.
	Phone string
	// RecoveryCodes are the codes that replace a one-time code, each once.
	// A TwoFactor user without any gets five random ones (read them with
	// RecoveryCodes).
	RecoveryCodes []string
	// Role is reported at sign-in (default "User").
	Role string
	// Timezone is reported at sign-in (default "UTC").
	Timezone string
	// Organization is the organization name reported at sign-in.
	Organization string
}

// AddUser registers a user, replacing any user with the same name (their
// tokens stay valid). It panics if Username or Password is empty.
func (s *Server) AddUser(u User) {
	if u.Username == "" || u.Password == "" {
		panic("cgscantest: AddUser needs a Username and a Password")
	}
	u.RecoveryCodes = slices.Clone(u.RecoveryCodes)
	if u.TwoFactor && len(u.RecoveryCodes) == 0 {
		for range recoveryCodes {
			h := fakekit.RandomHex(5)
			u.RecoveryCodes = append(u.RecoveryCodes, h[:5]+"-"+h[5:])
		}
	}
	if u.Method == "" {
		u.Method = "app"
	}
	if u.Role == "" {
		u.Role = defaultRole
	}
	if u.Timezone == "" {
		u.Timezone = defaultTZ
	}
	if u.Organization == "" {
		u.Organization = defaultOrgName
	}
	rec := &user{User: u, unused: slices.Clone(u.RecoveryCodes), otp: newOTP()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.users[u.Username]; old != nil {
		rec.accessToken = old.accessToken
		rec.signInCount = old.signInCount
	}
	s.users[u.Username] = rec
}

// OTP returns the one-time code a 2FA user's authenticator (or last SMS)
// shows now. It changes after every successful use and every SMS. It panics
// for an unknown user.
func (s *Server) OTP(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustUser(username).otp
}

// RecoveryCodes returns the recovery codes of a user that have not been used.
func (s *Server) RecoveryCodes(username string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.mustUser(username).unused)
}

// SMSSent returns how many SMS codes the fake has "sent" to a user.
func (s *Server) SMSSent(username string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustUser(username).smsSent
}

// AccessToken returns a user's current access token, "" if none.
func (s *Server) AccessToken(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustUser(username).accessToken
}

// TokenValid reports whether value is a valid session or access token.
func (s *Server) TokenValid(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.tokens[value]
	return ok
}

func (s *Server) mustUser(username string) *user {
	u := s.users[username]
	if u == nil {
		panic(fmt.Sprintf("cgscantest: unknown user %q", username))
	}
	return u
}

// SetPath serves an operation ("SignIn", "RevokeAccessToken", …) at another
// path, as a portal whose paths differ from the defaults would (see
// cgscan.WithPath); the default path then answers 404. An empty path restores
// the default. It panics for an unknown operation.
func (s *Server) SetPath(op, path string) {
	if _, ok := routes[op]; !ok {
		panic(fmt.Sprintf("cgscantest: unknown operation %q", op))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if path == "" || path == routes[op].path {
		delete(s.paths, op)
		return
	}
	s.paths[op] = path
}

// SetPresentation sets where the fake reads user tokens from: the first of
// ps whose header carries its prefix (default tokenkit.Bearer(); see
// cgscan.WithPresentation). The prefix is compared case-insensitively. No
// presentation restores the default.
func (s *Server) SetPresentation(ps ...tokenkit.Presentation) {
	if len(ps) == 0 {
		ps = []tokenkit.Presentation{tokenkit.Bearer()}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.presents = slices.Clone(ps)
}

// operationOf maps a request line to its operation, honouring SetPath, or "".
// Callers hold s.mu.
func (s *Server) operationOf(method, path string) string {
	for op, r := range routes {
		want := r.path
		if p, ok := s.paths[op]; ok {
			want = p
		}
		if path == want && (method == r.method || method == http.MethodHead && r.method == http.MethodGet) {
			return op
		}
	}
	return ""
}

// knownPath reports whether path serves some operation with another method.
// Callers hold s.mu.
func (s *Server) knownPath(path string) bool {
	for op, r := range routes {
		want := r.path
		if p, ok := s.paths[op]; ok {
			want = p
		}
		if path == want {
			return true
		}
	}
	return false
}

// randomToken returns a URL-safe token of n random bytes (fake's format).
func randomToken(n int) string { return base64.RawURLEncoding.EncodeToString(fakekit.RandomBytes(n)) }

// newOTP returns a random six-digit code.
func newOTP() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	return fmt.Sprintf("%06d", n.Int64())
}

// maskPhone keeps the last four digits of a phone number.
func maskPhone(p string) string {
	if len(p) <= 4 {
		return strings.Repeat("*", len(p))
	}
	return strings.Repeat("*", len(p)-4) + p[len(p)-4:]
}
