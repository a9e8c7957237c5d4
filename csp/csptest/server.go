package csptest

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit/csp/internal/api"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// Paths and operation ids of the fake, as in openapi/csp.yaml.
const (
	basePath = "/csp/gateway/am/api"

	pathExchangeAPIToken               = basePath + "/auth/api-tokens/authorize"
	pathExchangeClientCredentials      = basePath + "/auth/authorize"
	pathExchangeClientCredentialsToken = basePath + "/auth/token"
	pathGetAPITokenDetails             = basePath + "/auth/api-tokens/details"
	pathGetTokenPublicKey              = basePath + "/auth/token-public-key"

	opExchangeAPIToken               = "ExchangeAPIToken"
	opExchangeClientCredentials      = "ExchangeClientCredentials"
	opExchangeClientCredentialsToken = "ExchangeClientCredentialsToken"
	opGetAPITokenDetails             = "GetAPITokenDetails"
	opGetTokenPublicKey              = "GetTokenPublicKey"
)

// Defaults of the fake. No vendor page states a default access-token TTL;
// 30 minutes is third-party reported (vmware/terraform-provider-vra#165).
const (
	defaultAccessTokenTTL = 30 * time.Minute
	defaultAPITokenTTL    = 180 * 24 * time.Hour // fake's choice
	defaultTokenName      = "csptest token"      // fake's choice
	defaultUsername       = "csptest-user@example.com"
	defaultDomain         = "example.com"
	defaultScope          = "csp:org_member"
	gatewayAzp            = "csp_gateway" // azp of access tokens exchanged from API tokens
)

// Server is a fake CSP token API. It embeds the fakes.Server every fake
// shares (URL, Client, Handler, Responder, FailNext, Calls, Applied,
// Requests, SetClock, StrictPaths, Close); the methods below are CSP's own.
// Its state (API tokens, OAuth apps) is guarded by a mutex, so every method
// is safe for concurrent use. Create one with NewServer or New.
type Server struct {
	// Server is the engine every fake shares (the httptest server, the
	// faults, the counters, the recorded requests and the clock); its
	// methods, documented once in package fakes, are this fake's.
	*fakes.Server

	// Immutable after construction.
	key        *rsa.PrivateKey
	kid        string
	defaultOrg string
	defaultUID string
	mux        http.Handler

	mu     sync.Mutex
	public string // SetPublicURL's base URL; "" means the httptest server's
	ttl    time.Duration
	millis bool
	tokens map[string]*apiToken
	apps   map[string]OAuthApp
}

// NewServer starts a fake CSP on a new plain-HTTP httptest.Server with a
// fresh RSA-2048 signing key. The caller must call Close when done; New does
// that through t.Cleanup.
func NewServer() *Server {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("csptest: generate RSA key: %v", err))
	}
	s := &Server{
		key:        key,
		kid:        jwkThumbprint(&key.PublicKey),
		defaultOrg: fakekit.RandomUUID(),
		defaultUID: fakekit.RandomUUID(),
		ttl:        defaultAccessTokenTTL,
		tokens:     make(map[string]*apiToken),
		apps:       make(map[string]OAuthApp),
	}
	s.mux = s.newRouter()
	s.Server = fakes.New(fakes.Config{
		Name:      "csptest",
		Operation: func(r *http.Request) string { return operationOf(r.Method, r.URL.Path) },
		Serve:     s.serve,
		Status:    statusFault,
		Malformed: `{"access_token":`,
	})
	s.Start()
	return s
}

// New is NewServer for tests: it registers Close with t.Cleanup.
func New(t testing.TB) *Server { return fakekit.Cleanup(t, NewServer()) }

// Issuer returns the iss claim of the access tokens the fake issues, the
// base URL followed by /csp/gateway/am/api (the shape of CSP's issuer in
// vmware-tanzu/tanzu-cli: pkg/auth/csp/csp.go).
func (s *Server) Issuer() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuer()
}

// issuer is Issuer; mu must be held.
func (s *Server) issuer() string {
	if s.public != "" {
		return s.public + basePath
	}
	return s.URL() + basePath
}

// SetPublicURL sets the base URL clients reach the fake at when it is served
// through Handler under another address or path (tokenctl fake serves it
// under http://HOST:PORT/csp): the iss claim of new tokens and the issuer of
// the token-public-key answer name it. "" restores URL.
func (s *Server) SetPublicURL(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.public = strings.TrimSuffix(base, "/")
}

// PublicKey returns the public half of the key that signs the fake's access
// tokens; it is also served by the token-public-key endpoint.
func (s *Server) PublicKey() *rsa.PublicKey { return &s.key.PublicKey }

// KeyID returns the kid of the signing key: the header of every issued JWT
// and the JWKS entry carry it. It is the RFC 7638 thumbprint of the key.
func (s *Server) KeyID() string { return s.kid }

// SetAccessTokenTTL sets the lifetime of issued access tokens (expires_in,
// and exp minus iat in the JWT), truncated to whole seconds. The default is
// 30 minutes. A negative d is treated as zero.
func (s *Server) SetAccessTokenTTL(d time.Duration) {
	d = max(d, 0).Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ttl = d
}

// SetDetailsInMillis makes api-tokens/details answer createdAt, lastUsedAt
// and expiresAt in milliseconds since the epoch instead of seconds. The
// public documentation disagrees on the unit, so clients must accept both.
func (s *Server) SetDetailsInMillis(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.millis = on
}

// APIToken describes an organization API token registered with
// AddAPIToken. Empty fields get defaults.
type APIToken struct {
	// Value is the secret token value. If empty, a random 64-character
	// URL-safe value is generated.
	Value string
	// Name is the display name (tokenName in details). Default "csptest token".
	Name string
	// OrgID is the organization the token belongs to (context and
	// context_name claims, orgId in details). Default: a random UUID fixed
	// per Server.
	OrgID string
	// UserID is the owner's id (sub claim, userId in details). Default: a
	// random UUID fixed per Server.
	UserID string
	// Username is the owner's user name (username claim). Default
	// "csptest-user@example.com".
	Username string
	// Domain is the owner's identity domain (domain claim). Default
	// "example.com".
	Domain string
	// Scopes are the permissions the token may carry; an exchange without
	// scope gets all of them, one with scope gets the requested subset.
	// Default ["csp:org_member"].
	Scopes []string
	// Passcode, if set, makes the token MFA-protected: every exchange must
	// send this passcode.
	Passcode string
	// ExpiresAt is when the API token expires. Zero means the clock's now
	// plus 180 days at AddAPIToken time.
	ExpiresAt time.Time
}

// apiToken is the fake's record of a registered API token.
type apiToken struct {
	APIToken
	id         string
	createdAt  time.Time
	lastUsedAt time.Time
	revoked    bool
}

// AddAPIToken registers an API token, filling in defaults for empty fields,
// and returns its value. Registering a value that already exists replaces
// the earlier token (fake's choice).
func (s *Server) AddAPIToken(t APIToken) string {
	if t.Value == "" {
		t.Value = fakekit.RandomURLSafe(48) // 48 bytes -> 64 base64url characters
	}
	t.Scopes = slices.Clone(t.Scopes)
	if len(t.Scopes) == 0 {
		t.Scopes = []string{defaultScope}
	}
	if t.Name == "" {
		t.Name = defaultTokenName
	}
	if t.OrgID == "" {
		t.OrgID = s.defaultOrg
	}
	if t.UserID == "" {
		t.UserID = s.defaultUID
	}
	if t.Username == "" {
		t.Username = defaultUsername
	}
	if t.Domain == "" {
		t.Domain = defaultDomain
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if t.ExpiresAt.IsZero() {
		t.ExpiresAt = now.Add(defaultAPITokenTTL)
	}
	s.tokens[t.Value] = &apiToken{APIToken: t, id: fakekit.RandomUUID(), createdAt: now}
	return t.Value
}

// RevokeAPIToken deactivates an API token: exchanges then fail with
// invalid_grant and details report deactivated=true. Unknown values are
// ignored.
func (s *Server) RevokeAPIToken(value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[value]; t != nil {
		t.revoked = true
	}
}

// OAuthApp describes an OAuth app (a service account) that may use the
// client-credentials grant.
type OAuthApp struct {
	// ID is the client id; it becomes the sub and azp claims. Required.
	ID string
	// Secret is the client secret. Required.
	Secret string
	// OrgID is the app's organization. Default: the Server's default
	// organization (the same as APIToken's).
	OrgID string
	// Scopes are the perms of the app's access tokens. Default
	// ["csp:org_member"].
	Scopes []string
}

// AddOAuthApp registers an OAuth app, replacing any app with the same ID.
// It panics if ID or Secret is empty.
func (s *Server) AddOAuthApp(a OAuthApp) {
	if a.ID == "" || a.Secret == "" {
		panic("csptest: AddOAuthApp needs a non-empty ID and Secret")
	}
	a.Scopes = slices.Clone(a.Scopes)
	if len(a.Scopes) == 0 {
		a.Scopes = []string{defaultScope}
	}
	if a.OrgID == "" {
		a.OrgID = s.defaultOrg
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[a.ID] = a
}

// operationOf maps a request line to its operationId, or "".
func operationOf(method, path string) string {
	switch {
	case method == http.MethodPost && path == pathExchangeAPIToken:
		return opExchangeAPIToken
	case method == http.MethodPost && path == pathExchangeClientCredentials:
		return opExchangeClientCredentials
	case method == http.MethodPost && path == pathExchangeClientCredentialsToken:
		return opExchangeClientCredentialsToken
	case method == http.MethodPost && path == pathGetAPITokenDetails:
		return opGetAPITokenDetails
	case (method == http.MethodGet || method == http.MethodHead) && path == pathGetTokenPublicKey:
		return opGetTokenPublicKey
	}
	return ""
}

// allowedMethods returns the method a known path accepts, or "".
func allowedMethods(path string) string {
	switch path {
	case pathExchangeAPIToken, pathExchangeClientCredentials, pathExchangeClientCredentialsToken, pathGetAPITokenDetails:
		return http.MethodPost
	case pathGetTokenPublicKey:
		return "GET, HEAD"
	}
	return ""
}

// cspError builds a CspErrorResponse with fresh request and trace ids.
// moduleCode 340 is what CSP's identity module answers with
// (vmware/terraform-provider-nsxt#581); it is set only on API-token errors.
func cspError(status int, code, message string, module bool) api.CspErrorResponse {
	e := api.CspErrorResponse{
		StatusCode: ptr.To(int32(status)),
		ErrorCode:  ptr.To(code),
		Message:    ptr.To(message),
		RequestId:  ptr.To(fakekit.RandomHex(16)), // fake's choice of format
		TraceId:    ptr.To(fakekit.RandomHex(8)),  // fake's choice of format
	}
	if module {
		e.ModuleCode = ptr.To(int32(340))
	}
	return e
}
