package canvustest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
)

// APIPath is where the fake serves the API, as a Canvus Server does.
const APIPath = "/api/v1"

// Operation ids of the fake, as in openapi/canvus.yaml.
const (
	OpGetServerInfo     = "GetServerInfo"
	OpLogin             = "Login"
	OpLogout            = "Logout"
	OpListAccessTokens  = "ListAccessTokens"
	OpCreateAccessToken = "CreateAccessToken"
	OpGetAccessToken    = "GetAccessToken"
	OpRenameAccessToken = "RenameAccessToken"
	OpDeleteAccessToken = "DeleteAccessToken"
)

// Defaults of the fake.
const (
	// DefaultSessionLifetime is the lifetime of a login token: "expires
	// after 24 hours" (older vendor docs).
	DefaultSessionLifetime = 24 * time.Hour
	// DefaultRememberLifetime is the lifetime of a login token signed in
	// with remember. The vendor does not document it (fake's choice).
	DefaultRememberLifetime = 30 * 24 * time.Hour
	// DefaultKeepAlive is the interval of keep-alive lines on a stream:
	// "default 15 seconds" (vendor docs, canvases/).
	DefaultKeepAlive = 15 * time.Second
	// ServerVersion is what /server-info reports (fake's choice).
	ServerVersion = "3.4.0-canvustest"
)

// Server is a fake Canvus Server (the sign-in, access-token and server-info
// endpoints of /api/v1). It embeds the fakes.Server every fake shares (URL,
// Client, Handler, Responder, FailNext, Calls, Applied, Requests, SetClock,
// StrictPaths, Close); the methods below are Canvus's own. Its state (users,
// login sessions, access tokens, subscriptions) is guarded by a mutex, so
// every method is safe for concurrent use. Create one with NewServer or New.
type Server struct {
	// Server is the engine every fake shares (the httptest server, the
	// faults, the counters, the recorded requests and the clock); its
	// methods, documented once in package fakes, are this fake's.
	*fakes.Server

	// Immutable after construction.
	mux      http.Handler
	serverID string

	mu          sync.Mutex
	loc         *time.Location
	sessionTTL  time.Duration
	rememberTTL time.Duration
	rotate      bool
	keepAlive   time.Duration
	legacy      bool
	sparse      bool
	users       map[int64]*User
	nextUser    int64
	sessions    map[string]*session
	tokens      map[string]*AccessToken // by id
	order       []string                // token ids in creation order
	subs        map[*subscriber]struct{}
}

type session struct {
	userID   int64
	expires  time.Time
	remember bool
}

// NewServer starts a fake Canvus Server on a new plain-HTTP
// httptest.Server. The caller must call Close when done; New does that
// through t.Cleanup.
func NewServer() *Server {
	s := &Server{
		serverID:    fakekit.RandomUUID(),
		loc:         time.UTC,
		sessionTTL:  DefaultSessionLifetime,
		rememberTTL: DefaultRememberLifetime,
		rotate:      true,
		keepAlive:   DefaultKeepAlive,
		users:       make(map[int64]*User),
		nextUser:    1000, // the vendor docs' examples use 1000 and 1001
		sessions:    make(map[string]*session),
		tokens:      make(map[string]*AccessToken),
		subs:        make(map[*subscriber]struct{}),
	}
	s.mux = s.newRouter()
	s.Server = fakes.New(fakes.Config{
		Name:      "canvustest",
		Operation: operation,
		Serve:     s.serve,
		Status:    s.writeError,
		Malformed: `{"id":`,
		Stream:    subscription,
	})
	s.Start()
	return s
}

// New is NewServer for tests: it registers Close with t.Cleanup.
func New(t testing.TB) *Server { return fakekit.Cleanup(t, NewServer()) }

// SetSessionTTL sets how long a login token lives after sign-in or
// after being prolonged (default DefaultSessionLifetime), and with remember
// (default DefaultRememberLifetime).
func (s *Server) SetSessionTTL(normal, remember time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessionTTL, s.rememberTTL = max(normal, 0), max(remember, 0)
}

// SetRotateOnTokenLogin sets whether signing in with {"token"} answers a
// new login token and invalidates the old one (default true, as the
// vendor's documented example answers a different token), or prolongs and
// returns the same one.
func (s *Server) SetRotateOnTokenLogin(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rotate = on
}

// SetKeepAlive sets the interval of the blank keep-alive lines on every
// subscription opened afterwards (default DefaultKeepAlive); 0 disables
// them.
func (s *Server) SetKeepAlive(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keepAlive = max(d, 0)
}

// KeepAlive sends one keep-alive line on every open subscription now.
func (s *Server) KeepAlive() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub := range s.subs {
		sub.send(nil)
	}
}

// SetLegacyErrors makes error bodies use the older {"message": …} shape
// instead of {"msg": …}.
func (s *Server) SetLegacyErrors(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.legacy = on
}

// SetSparseUpdates makes subscription updates carry only what changed
// (id and description for a rename, id and state for a deletion) instead of
// the whole token; third-party clients report that real updates may be
// sparse.
func (s *Server) SetSparseUpdates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sparse = on
}

// SetTimeZone sets the zone in which the fake writes access-token
// created_at values, which carry no zone (default UTC).
func (s *Server) SetTimeZone(loc *time.Location) {
	if loc == nil {
		loc = time.UTC
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loc = loc
}

// User is a user of the fake. Register users with AddUser.
type User struct {
	// ID is the user id; 0 assigns the next free one from 1000.
	ID int64
	// Email signs the user in; required and unique (compared without
	// case).
	Email string
	// Name is the display name; default the part of Email before '@'.
	Name string
	// Password signs the user in; required.
	Password string
	// Admin users may manage every user's access tokens.
	Admin bool
	// Blocked users cannot sign in, and their tokens stop working.
	Blocked bool
	// CreatedAt defaults to the clock's now at AddUser time.
	CreatedAt time.Time
	// LastLogin is set by every sign-in.
	LastLogin time.Time
}

// AddUser registers u, filling in defaults, and returns it. It panics if
// Email or Password is empty or the email or id is taken: a test-only
// helper.
func (s *Server) AddUser(u User) User {
	if u.Email == "" || u.Password == "" {
		panic("canvustest: AddUser needs an Email and a Password")
	}
	if u.Name == "" {
		u.Name, _, _ = strings.Cut(u.Email, "@")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.userByEmail(u.Email) != nil {
		panic("canvustest: AddUser: email already registered: " + u.Email)
	}
	if u.ID == 0 {
		for s.users[s.nextUser] != nil {
			s.nextUser++
		}
		u.ID = s.nextUser
		s.nextUser++
	} else if s.users[u.ID] != nil {
		panic(fmt.Sprintf("canvustest: AddUser: user id %d already registered", u.ID))
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = s.Now()
	}
	stored := u
	s.users[u.ID] = &stored
	return u
}

// SetBlocked blocks or unblocks a user. It panics for an unknown user.
func (s *Server) SetBlocked(userID int64, blocked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		panic(fmt.Sprintf("canvustest: SetBlocked: no user %d", userID))
	}
	u.Blocked = blocked
}

func (s *Server) userByEmail(email string) *User {
	for _, u := range s.users {
		if strings.EqualFold(u.Email, email) {
			return u
		}
	}
	return nil
}

// NewSession signs a user in without a request and returns the login
// token, as POST /users/login would. It panics for an unknown user.
func (s *Server) NewSession(userID int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[userID] == nil {
		panic(fmt.Sprintf("canvustest: NewSession: no user %d", userID))
	}
	return s.newSessionLocked(userID, false)
}

func (s *Server) newSessionLocked(userID int64, remember bool) string {
	tok := fakekit.RandomURLSafe(32)
	s.sessions[tok] = &session{userID: userID, expires: s.Now().Add(s.ttlLocked(remember)), remember: remember}
	return tok
}

func (s *Server) ttlLocked(remember bool) time.Duration {
	if remember {
		return s.rememberTTL
	}
	return s.sessionTTL
}

// ActiveSessions returns how many unexpired login tokens a user has.
func (s *Server) ActiveSessions(userID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	now := s.Now()
	for _, se := range s.sessions {
		if se.userID == userID && now.Before(se.expires) {
			n++
		}
	}
	return n
}

// AccessToken is a personal access token of the fake.
type AccessToken struct {
	// ID is the token id. AddAccessToken generates one like Canvus's: the
	// standard base64 of a bcrypt-style hash, 80 characters.
	ID string
	// UserID owns the token; required.
	UserID int64
	// Description is the token's description.
	Description string
	// Plain is the secret. AddAccessToken generates 43 base64url
	// characters, the length of the vendor's examples.
	Plain string
	// CreatedAt defaults to the clock's now.
	CreatedAt time.Time
}

// AddAccessToken registers an access token, filling in defaults, and
// returns it. A test may choose the ID, for example one containing '/',
// '+' and '='. It panics for an unknown user or a taken id or value. It
// does not count as applied and does not notify subscriptions.
func (s *Server) AddAccessToken(t AccessToken) AccessToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[t.UserID] == nil {
		panic(fmt.Sprintf("canvustest: AddAccessToken: no user %d", t.UserID))
	}
	if t.ID == "" {
		t.ID = newTokenID()
	}
	if t.Plain == "" {
		t.Plain = fakekit.RandomURLSafe(32)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.Now()
	}
	if s.tokens[t.ID] != nil || s.tokenByPlainLocked(t.Plain) != nil {
		panic("canvustest: AddAccessToken: token id or value already registered")
	}
	stored := t
	s.tokens[t.ID] = &stored
	s.order = append(s.order, t.ID)
	return t
}

// AccessTokens returns a user's access tokens in creation order.
func (s *Server) AccessTokens(userID int64) []AccessToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AccessToken
	for _, id := range s.order {
		if t := s.tokens[id]; t.UserID == userID {
			out = append(out, *t)
		}
	}
	return out
}

func (s *Server) tokenByPlainLocked(plain string) *AccessToken {
	for _, t := range s.tokens {
		if t.Plain == plain {
			return t
		}
	}
	return nil
}

func (s *Server) deleteTokenLocked(id string) {
	delete(s.tokens, id)
	s.order = slices.DeleteFunc(s.order, func(x string) bool { return x == id })
}

// Subscribers returns how many subscription streams are open.
func (s *Server) Subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// canvusTime writes an access-token timestamp as Canvus does: milliseconds
// and no zone ("2021-07-02T06:38:36.025", seed 004).
func canvusTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02T15:04:05.000")
}

// userTime writes a user timestamp: RFC 3339 in UTC with milliseconds
// ("2025-03-15T09:22:41.817Z", vendor docs users/).
func userTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// newTokenID returns an id shaped like Canvus's: the standard base64 of a
// 60-character bcrypt string "$2a$04$…" (the vendor's example ids decode to
// such strings, reference B.4).
func newTokenID() string {
	const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := fakekit.RandomBytes(53)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return base64.StdEncoding.EncodeToString(append([]byte("$2a$04$"), b...))
}
