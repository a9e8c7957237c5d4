package commvaulttest

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit/commvault/internal/api"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
)

// API paths the fake serves, the same state under both: BasePath, which
// commvault.New adds by default, and the legacy Web Console path, which a
// client selects with commvault.WithAPIPath(LegacyBasePath).
const (
	BasePath       = "/commandcenter/api"
	LegacyBasePath = "/webconsole/api"
)

// Operation ids, as in openapi/commvault.yaml; Calls and Applied take them.
const (
	OpLogin             = "Login"
	OpRenewLoginToken   = "RenewLoginToken"
	OpLogout            = "Logout"
	OpListAccessTokens  = "ListAccessTokens"
	OpCreateAccessToken = "CreateAccessToken"
	OpUpdateAccessToken = "UpdateAccessToken"
	OpDeleteAccessToken = "DeleteAccessToken"
	OpRenewAccessToken  = "RenewAccessToken"
	OpWhoAmI            = "WhoAmI"
	// OpWhoAmIV2 (GET /v2/whoami, Commvault MCP server's token check) and
	// OpServiceProbe (GET {base}/, cvpysdk's first request) are served by
	// the fake but are not operations of openapi/commvault.yaml, since the
	// SDK does not call them.
	OpWhoAmIV2     = "WhoAmIV2"
	OpServiceProbe = "ServiceProbe"
)

// Defaults of the fake. The documented ones cite their source; the rest are
// the fake's choice.
const (
	defaultSessionTimeout = 30 * time.Minute      // "expires after 30 minutes of inactivity" (POST Login page)
	defaultAccessTTL      = 30 * time.Minute      // 11.38/11.42/SaaS access-token pages (11.44 says 2 hours)
	refreshGrace          = 14 * 24 * time.Hour   // "can be renewed within 14 days after it expires"
	defaultRenewable      = 90 * 24 * time.Hour   // "default value is 90days from creation time" (seed 001)
	maxRenewable          = 365 * 24 * time.Hour  // "extendable to 365 days"
	defaultSCIMExpiry     = 30 * 24 * time.Hour   // MS_SCIM default (11.38 page)
	maxSCIMExpiry         = 365 * 24 * time.Hour  // MS_SCIM maximum
	defaultOneTouchExpiry = 7 * 24 * time.Hour    // 1-Touch default
	maxOneTouchExpiry     = 14 * 24 * time.Hour   // 1-Touch maximum
	defaultLockFailures   = 5                     // fake's choice
	defaultLockDuration   = 30 * time.Minute      // fake's choice
	firstUserID           = 1001                  // fake's choice
	firstTokenID          = 501                   // fake's choice
	maxSessionTimeout     = 7 * 24 * time.Hour    // fake's choice
	sessionRenewWindow    = 24 * time.Hour        // how long after expiry RenewLoginToken works; fake's choice
	hyperscaleName        = api.TokenTypeName("") // Hyperscale has no documented name
)

// Token type codes (cvpysdk: 0 DEFAULT/ALL, 1 MS_SCIM, 2 ALL, 3 CUSTOM, 4 OneTouch, 5 Hyperscale).
const (
	typeDefault    = 0
	typeMSSCIM     = 1
	typeAll        = 2
	typeCustom     = 3
	typeOneTouch   = 4
	typeHyperscale = 5
)

func renewableType(t int) bool {
	return t == typeDefault || t == typeAll || t == typeCustom || t == typeHyperscale
}

// TokenTypeWire says which forms of tokenType the fake accepts, since the
// documentation does not say which the real server does.
type TokenTypeWire int

const (
	// AcceptBoth accepts integers and names (the default).
	AcceptBoth TokenTypeWire = iota
	// AcceptCodes accepts only integers, as Commvault's Python SDK sends.
	AcceptCodes
	// AcceptNames accepts only the enum names of the OpenAPI page.
	AcceptNames
)

// Server is a fake Commvault Command Center REST API (login sessions and V4
// access tokens). It embeds the fakes.Server every fake shares (URL, Client,
// Handler, Responder, FailNext, Calls, Applied, Requests, SetClock,
// StrictPaths, Close); the methods below are Commvault's own. Its state is
// guarded by a mutex: every method is safe for concurrent use. Create one
// with NewServer or New.
type Server struct {
	// Server is the engine every fake shares (the httptest server, the
	// faults, the counters, the recorded requests and the clock); its
	// methods, documented once in package fakes, are this fake's.
	*fakes.Server

	mux http.Handler

	mu                 sync.Mutex
	accessTTL          time.Duration
	lockMax            int
	lockFor            time.Duration
	saas               bool
	typeWire           TokenTypeWire
	renewInBand        bool
	users              map[string]*user // by lower-case name
	nextUserID         int64
	sessions           map[string]*session
	tokens             map[int64]*token
	stale              map[string]int64 // spent refresh token -> chain (token id)
	nextTokenID        int64
	chainInvalidations int
}

// NewServer starts a fake on a new plain-HTTP httptest.Server. The caller
// must call Close; New does that through t.Cleanup.
func NewServer() *Server {
	s := &Server{
		accessTTL:   defaultAccessTTL,
		lockMax:     defaultLockFailures,
		lockFor:     defaultLockDuration,
		users:       make(map[string]*user),
		nextUserID:  firstUserID,
		sessions:    make(map[string]*session),
		tokens:      make(map[int64]*token),
		stale:       make(map[string]int64),
		nextTokenID: firstTokenID,
	}
	s.mux = s.newRouter()
	s.Server = fakes.New(fakes.Config{
		Name:      "commvaulttest",
		Operation: func(r *http.Request) string { return operationOf(r.Method, r.URL.Path) },
		Serve:     s.serve,
		Status:    statusFault,
		Malformed: `{"error":{"errorCode":0},"accessToken":`,
		HTML:      htmlPage,
	})
	s.Start()
	return s
}

// New is NewServer for tests: it registers Close with t.Cleanup.
func New(t testing.TB) *Server { return fakekit.Cleanup(t, NewServer()) }

// SetRenewFailuresInBand makes a refused renew (POST /V4/AccessToken/Renew)
// answer HTTP 200 with a top-level {errorCode, errorMessage} instead of HTTP
// 400 with the same body. Which one the real server answers is not
// published; Commvault's Python SDK handles both (user.py
// renew_access_token checks a top-level errorCode), and so must a client.
func (s *Server) SetRenewFailuresInBand(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renewInBand = on
}

// SetAccessTokenTTL sets the lifetime of the access tokens of renewable
// types (default 30 minutes), truncated to whole seconds.
func (s *Server) SetAccessTokenTTL(d time.Duration) {
	d = max(d, time.Second).Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessTTL = d
}

// SetLockout locks an account for d after failures consecutive failed logins
// (default 5 and 30 minutes, the fake's choice: Commvault's values are
// configurable and not documented). failures <= 0 disables lockout.
func (s *Server) SetLockout(failures int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lockMax, s.lockFor = failures, d
}

// SetSaaS makes Login answer the SaaS shape {"data":{"authToken":"…"}}
// (a token without the QSDK prefix, presented as Authorization: Bearer)
// instead of the customer-managed {"token":"QSDK …", …}.
func (s *Server) SetSaaS(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saas = on
}

// SetTokenTypeWire restricts the forms of tokenType the fake accepts
// (default AcceptBoth). A refused form is answered in HTTP 200 with
// error.errorCode, like any invalid create.
func (s *Server) SetTokenTypeWire(w TokenTypeWire) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.typeWire = w
}

// User is an account of the fake.
type User struct {
	// Name is the user name (matched case-insensitively); required.
	Name string
	// Password is the plain password; Login must send it Base64-encoded.
	// Required.
	Password string
	// Domain, if set, must be sent as domain.
	Domain string
	// Email is the smtpAddress of the login answer.
	Email string
	// Admin users may list and create tokens of other users.
	Admin bool
}

type user struct {
	User
	id          int64
	guid        string
	failures    int
	lockedUntil time.Time
}

type session struct {
	value    string
	user     *user
	deviceID string
	timeout  time.Duration
	lastUsed time.Time
}

func (ss *session) expired(now time.Time) bool { return !now.Before(ss.lastUsed.Add(ss.timeout)) }

type token struct {
	id             int64
	user           *user
	name           string
	typ            int
	typeAsName     bool
	apiEndpoints   []string
	allowedIPs     []string
	access         string
	refresh        string
	created        time.Time
	lastUsed       time.Time
	expires        time.Time
	refreshExpires time.Time
	renewableUntil time.Time
}

// AddUser registers an account and returns its user id. It panics if Name
// or Password is empty or the name exists.
func (s *Server) AddUser(u User) int64 {
	if u.Name == "" || u.Password == "" {
		panic("commvaulttest: AddUser needs a Name and a Password")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(u.Name)
	if s.users[key] != nil {
		panic("commvaulttest: AddUser: user " + u.Name + " exists")
	}
	id := s.nextUserID
	s.nextUserID++
	s.users[key] = &user{User: u, id: id, guid: fakekit.RandomHex(16)}
	return id
}

// ChainInvalidations returns how many times a renewal used a pair that had
// already been renewed, which made the fake (like Commvault) delete every
// token of that create-and-renew chain.
func (s *Server) ChainInvalidations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chainInvalidations
}

// TokenState describes a live access token of the fake, without secrets.
type TokenState struct {
	// ID is the token's accessTokenId.
	ID int64
	// UserID is the owner's user id.
	UserID int64
	// Name is the token's name.
	Name string
	// Type is the token type's code (0 DEFAULT … 5 Hyperscale).
	Type int
	// APIEndpoints are the endpoints a CUSTOM token may call.
	APIEndpoints []string
	// AllowedIPs is the token's IP allow-list.
	AllowedIPs []string
	// Created is when the token was created (a renewal keeps it).
	Created time.Time
	// LastUsed is when the token was last used; zero if never.
	LastUsed time.Time
	// Expires is when the access token expires.
	Expires time.Time
	// RefreshExpires is when the refresh token expires; zero for types
	// without a refresh token.
	RefreshExpires time.Time
	// RenewableUntil is the end of the create-and-renew chain; zero for
	// types without a refresh token.
	RenewableUntil time.Time
}

// Tokens returns the live access tokens of a user (all users for 0), by id.
func (s *Server) Tokens(userID int64) []TokenState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []TokenState
	for _, t := range s.tokens {
		if userID != 0 && t.user.id != userID {
			continue
		}
		out = append(out, TokenState{
			ID: t.id, UserID: t.user.id, Name: t.name, Type: t.typ,
			APIEndpoints: slices.Clone(t.apiEndpoints), AllowedIPs: slices.Clone(t.allowedIPs),
			Created: t.created, LastUsed: t.lastUsed, Expires: t.expires,
			RefreshExpires: t.refreshExpires, RenewableUntil: t.renewableUntil,
		})
	}
	slices.SortFunc(out, func(a, b TokenState) int { return int(a.ID - b.ID) })
	return out
}

// ValidAccessToken reports whether value is a live, unexpired access token,
// as a protected Commvault API would check it. It does not count as a use.
func (s *Server) ValidAccessToken(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokenByAccess(value)
	return t != nil && s.Now().Before(t.expires)
}

// ValidSession reports whether value (with its QSDK prefix) is a live,
// unexpired login session. It does not count as a use.
func (s *Server) ValidSession(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[value]
	return ss != nil && !ss.expired(s.Now())
}

// Sessions returns how many login sessions exist, expired ones included.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// tokenByAccess finds a live token by its access token; mu must be held.
func (s *Server) tokenByAccess(value string) *token {
	if value == "" {
		return nil
	}
	for _, t := range s.tokens {
		if t.access == value {
			return t
		}
	}
	return nil
}

// operationOf maps a request line to its operation id, or "".
func operationOf(method, path string) string {
	rest, ok := strings.CutPrefix(path, BasePath)
	if !ok {
		rest, ok = strings.CutPrefix(path, LegacyBasePath)
	}
	if !ok {
		return ""
	}
	switch {
	case method == http.MethodPost && rest == "/Login":
		return OpLogin
	case method == http.MethodPost && rest == "/RenewLoginToken":
		return OpRenewLoginToken
	case method == http.MethodPost && rest == "/Logout":
		return OpLogout
	case method == http.MethodGet && rest == "/V4/AccessToken":
		return OpListAccessTokens
	case method == http.MethodPost && rest == "/V4/AccessToken":
		return OpCreateAccessToken
	case method == http.MethodPost && rest == "/V4/AccessToken/Renew":
		return OpRenewAccessToken
	case method == http.MethodPost && rest == "/WhoAmI":
		return OpWhoAmI
	case (method == http.MethodGet || method == http.MethodHead) && rest == "/v2/whoami":
		return OpWhoAmIV2
	case (method == http.MethodGet || method == http.MethodHead) && rest == "":
		return OpServiceProbe
	case strings.HasPrefix(rest, "/V4/AccessToken/") && !strings.Contains(rest[len("/V4/AccessToken/"):], "/"):
		switch method {
		case http.MethodPut:
			return OpUpdateAccessToken
		case http.MethodDelete:
			return OpDeleteAccessToken
		}
	}
	return ""
}

// allowedMethods returns the methods a known path accepts, or "".
func allowedMethods(path string) string {
	rest, ok := strings.CutPrefix(path, BasePath)
	if !ok {
		rest, ok = strings.CutPrefix(path, LegacyBasePath)
	}
	if !ok {
		return ""
	}
	switch {
	case rest == "/Login", rest == "/RenewLoginToken", rest == "/Logout", rest == "/V4/AccessToken/Renew", rest == "/WhoAmI":
		return http.MethodPost
	case rest == "/v2/whoami", rest == "":
		return "GET, HEAD"
	case rest == "/V4/AccessToken":
		return "GET, POST"
	case strings.HasPrefix(rest, "/V4/AccessToken/") && !strings.Contains(rest[len("/V4/AccessToken/"):], "/"):
		return "PUT, DELETE"
	}
	return ""
}

// randomToken returns an opaque token value (fake's choice of format: the
// real access tokens' format is not documented).
func randomToken() string { return base64.RawURLEncoding.EncodeToString(fakekit.RandomBytes(36)) }
