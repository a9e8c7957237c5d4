package csptest_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/fakes"
)

const (
	pathExchange = "/csp/gateway/am/api/auth/api-tokens/authorize"
	pathClient   = "/csp/gateway/am/api/auth/authorize"
	pathDetails  = "/csp/gateway/am/api/auth/api-tokens/details"
	pathKey      = "/csp/gateway/am/api/auth/token-public-key"
)

// t0 is a fixed instant for tests that inject a clock.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable, concurrency-safe fake clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// tokenDTO mirrors AccessTokenDto on the wire, with presence visible.
type tokenDTO struct {
	AccessToken  string  `json:"access_token"`
	TokenType    string  `json:"token_type"`
	ExpiresIn    int64   `json:"expires_in"`
	Scope        string  `json:"scope"`
	RefreshToken *string `json:"refresh_token"`
	IDToken      *string `json:"id_token"`
}

// cspErr mirrors CspErrorResponse on the wire.
type cspErr struct {
	StatusCode int    `json:"statusCode"`
	ModuleCode *int   `json:"moduleCode"`
	ErrorCode  string `json:"errorCode"`
	Message    string `json:"message"`
	RequestID  string `json:"requestId"`
	TraceID    string `json:"traceId"`
}

type claims struct {
	Iss         string   `json:"iss"`
	Sub         string   `json:"sub"`
	Username    string   `json:"username"`
	Domain      string   `json:"domain"`
	Context     string   `json:"context"`
	ContextName string   `json:"context_name"`
	Perms       []string `json:"perms"`
	Azp         string   `json:"azp"`
	Iat         int64    `json:"iat"`
	Exp         int64    `json:"exp"`
	Jti         string   `json:"jti"`
}

func do(t *testing.T, c *http.Client, req *http.Request) reply {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func newReq(t *testing.T, method, u, contentType, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) reply {
	t.Helper()
	return do(t, c, newReq(t, http.MethodPost, u, "application/x-www-form-urlencoded", form.Encode()))
}

func exchange(t *testing.T, srv *csptest.Server, form url.Values) reply {
	t.Helper()
	return postForm(t, srv.Client(), srv.URL()+pathExchange, form)
}

func details(t *testing.T, srv *csptest.Server, value string) reply {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"tokenValue": value})
	return do(t, srv.Client(), newReq(t, http.MethodPost, srv.URL()+pathDetails, "application/json", string(b)))
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, b, err)
	}
	return v
}

func wantToken(t *testing.T, r reply) tokenDTO {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	return decode[tokenDTO](t, r.body)
}

func wantError(t *testing.T, r reply, status int, code, msgPart string) cspErr {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	e := decode[cspErr](t, r.body)
	if e.StatusCode != status || e.ErrorCode != code || !strings.Contains(e.Message, msgPart) {
		t.Errorf("error = %+v, want statusCode %d, errorCode %q, message containing %q", e, status, code, msgPart)
	}
	if e.RequestID == "" || e.TraceID == "" {
		t.Errorf("error %+v lacks requestId or traceId", e)
	}
	return e
}

// verifyJWT checks an RS256 JWT against key and returns its claims.
func verifyJWT(t *testing.T, jwt string, key *rsa.PublicKey, kid string) claims {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT has %d parts", len(parts))
	}
	raw := base64.RawURLEncoding
	hb, err := raw.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct{ Alg, Typ, Kid string }
	if err := json.Unmarshal(hb, &hdr); err != nil {
		t.Fatal(err)
	}
	if hdr.Alg != "RS256" || hdr.Typ != "JWT" || hdr.Kid != kid {
		t.Errorf("header = %+v, want RS256/JWT/%s", hdr, kid)
	}
	sig, err := raw.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	pb, err := raw.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return decode[claims](t, pb)
}

func TestExchangeAPIToken(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	clk := &clock{now: t0}
	srv.SetClock(clk.Now)
	srv.SetAccessTokenTTL(10 * time.Minute)
	value := srv.AddAPIToken(csptest.APIToken{
		Name: "ci", OrgID: "org-1", UserID: "user-1", Username: "alice@example.com", Domain: "example.com",
		Scopes: []string{"csp:org_member", "external/abc/svc:admin"},
	})
	if len(value) != 64 || strings.ContainsAny(value, "+/=") {
		t.Errorf("generated value %q is not 64 url-safe characters", value)
	}

	tok := wantToken(t, exchange(t, srv, url.Values{"api_token": {value}}))
	if tok.TokenType != "bearer" || tok.ExpiresIn != 600 || tok.Scope != "csp:org_member external/abc/svc:admin" {
		t.Errorf("token = %+v", tok)
	}
	if tok.RefreshToken == nil || *tok.RefreshToken != value {
		t.Errorf("refresh_token = %v, want the API token", tok.RefreshToken)
	}
	if tok.IDToken != nil {
		t.Errorf("id_token present: %q", *tok.IDToken)
	}
	c := verifyJWT(t, tok.AccessToken, srv.PublicKey(), srv.KeyID())
	want := claims{
		Iss: srv.Issuer(), Sub: "user-1", Username: "alice@example.com", Domain: "example.com",
		Context: "org-1", ContextName: "org-1", Perms: []string{"csp:org_member", "external/abc/svc:admin"},
		Azp: "csp_gateway", Iat: t0.Unix(), Exp: t0.Unix() + 600, Jti: c.Jti,
	}
	if c.Jti == "" || !equalClaims(c, want) {
		t.Errorf("claims = %+v\nwant     %+v", c, want)
	}
	if !strings.HasPrefix(srv.Issuer(), srv.URL()) {
		t.Errorf("issuer %q not under %q", srv.Issuer(), srv.URL())
	}

	// A second exchange gets a new jti.
	tok2 := wantToken(t, exchange(t, srv, url.Values{"api_token": {value}}))
	if c2 := verifyJWT(t, tok2.AccessToken, srv.PublicKey(), srv.KeyID()); c2.Jti == c.Jti {
		t.Error("jti repeated across exchanges")
	}
}

func equalClaims(a, b claims) bool {
	return a.Iss == b.Iss && a.Sub == b.Sub && a.Username == b.Username && a.Domain == b.Domain &&
		a.Context == b.Context && a.ContextName == b.ContextName && slices.Equal(a.Perms, b.Perms) &&
		a.Azp == b.Azp && a.Iat == b.Iat && a.Exp == b.Exp && a.Jti == b.Jti
}

func TestTokenPublicKey(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)

	t.Run("pem", func(t *testing.T) {
		r := do(t, srv.Client(), newReq(t, http.MethodGet, srv.URL()+pathKey, "", ""))
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		dto := decode[struct{ Alg, Issuer, Value string }](t, r.body)
		if dto.Alg != "RS256" || dto.Issuer != srv.Issuer() {
			t.Errorf("dto = %+v", dto)
		}
		block, _ := pem.Decode([]byte(dto.Value))
		if block == nil || block.Type != "PUBLIC KEY" {
			t.Fatalf("value is not a PUBLIC KEY PEM block: %q", dto.Value)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if !srv.PublicKey().Equal(k) {
			t.Error("PEM key differs from PublicKey()")
		}
	})

	t.Run("jwks", func(t *testing.T) {
		r := do(t, srv.Client(), newReq(t, http.MethodGet, srv.URL()+pathKey+"?format=jwks", "", ""))
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		set := decode[struct {
			Keys  []struct{ Kty, Kid, Alg, Use, N, E string }
			Value *string
		}](t, r.body)
		if len(set.Keys) != 1 || set.Value != nil {
			t.Fatalf("set = %s", r.body)
		}
		k := set.Keys[0]
		if k.Kty != "RSA" || k.Kid != srv.KeyID() || k.Alg != "RS256" || k.Use != "sig" {
			t.Errorf("key = %+v", k)
		}
		n, err := base64.RawURLEncoding.DecodeString(k.N)
		if err != nil {
			t.Fatal(err)
		}
		e, err := base64.RawURLEncoding.DecodeString(k.E)
		if err != nil {
			t.Fatal(err)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if !srv.PublicKey().Equal(pub) {
			t.Error("JWKS key differs from PublicKey()")
		}
	})

	t.Run("unknown format", func(t *testing.T) {
		r := do(t, srv.Client(), newReq(t, http.MethodGet, srv.URL()+pathKey+"?format=der", "", ""))
		wantError(t, r, http.StatusBadRequest, "invalid_request", "der")
	})
}

func TestExchangeMFA(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	value := srv.AddAPIToken(csptest.APIToken{Passcode: "123456"})
	for _, tc := range []struct {
		name, passcode string
		wantOK         bool
		msg            string
	}{
		{"missing", "", false, "Passcode is required"},
		{"wrong", "654321", false, "Invalid passcode"},
		{"right", "123456", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			form := url.Values{"api_token": {value}}
			if tc.passcode != "" {
				form.Set("passcode", tc.passcode)
			}
			r := exchange(t, srv, form)
			if tc.wantOK {
				wantToken(t, r)
				return
			}
			e := wantError(t, r, http.StatusBadRequest, "invalid_grant", tc.msg)
			if strings.Contains(e.Message, "123456") {
				t.Errorf("message leaks the passcode: %q", e.Message)
			}
		})
	}
}

func TestExchangeInvalidTokens(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	clk := &clock{now: t0}
	srv.SetClock(clk.Now)
	revoked := srv.AddAPIToken(csptest.APIToken{})
	srv.RevokeAPIToken(revoked)
	expiring := srv.AddAPIToken(csptest.APIToken{ExpiresAt: t0.Add(time.Hour)})
	wantToken(t, exchange(t, srv, url.Values{"api_token": {expiring}}))
	clk.Advance(time.Hour) // now == ExpiresAt: expired

	for name, value := range map[string]string{
		"unknown": "no-such-token-value",
		"revoked": revoked,
		"expired": expiring,
	} {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, exchange(t, srv, url.Values{"api_token": {value}}),
				http.StatusBadRequest, "invalid_grant", "invalid_grant: Invalid refresh token: "+value)
			if e.ModuleCode == nil || *e.ModuleCode != 340 {
				t.Errorf("moduleCode = %v, want 340", e.ModuleCode)
			}
		})
	}

	t.Run("details revoked", func(t *testing.T) {
		r := details(t, srv, revoked)
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		if d := decode[struct{ Deactivated bool }](t, r.body); !d.Deactivated {
			t.Errorf("deactivated = false: %s", r.body)
		}
	})
	t.Run("details expired", func(t *testing.T) {
		wantError(t, details(t, srv, expiring), http.StatusBadRequest, "invalid_grant", "invalid_grant")
	})
	t.Run("details unknown", func(t *testing.T) {
		wantError(t, details(t, srv, "nope"), http.StatusBadRequest, "invalid_grant", "invalid_grant")
	})
}

func TestExchangeRequestShape(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	value := srv.AddAPIToken(csptest.APIToken{})

	t.Run("deprecated refresh_token body field", func(t *testing.T) {
		tok := wantToken(t, exchange(t, srv, url.Values{"refresh_token": {value}}))
		verifyJWT(t, tok.AccessToken, srv.PublicKey(), srv.KeyID())
	})
	t.Run("deprecated query refresh_token accepted", func(t *testing.T) {
		// Deprecated, not removed (tcsp-authn operation index).
		u := srv.URL() + pathExchange + "?" + url.Values{"refresh_token": {value}}.Encode()
		r := do(t, srv.Client(), newReq(t, http.MethodPost, u, "application/x-www-form-urlencoded", ""))
		verifyJWT(t, wantToken(t, r).AccessToken, srv.PublicKey(), srv.KeyID())
	})
	t.Run("query api_token rejected", func(t *testing.T) {
		u := srv.URL() + pathExchange + "?" + url.Values{"api_token": {value}}.Encode()
		r := do(t, srv.Client(), newReq(t, http.MethodPost, u, "application/x-www-form-urlencoded", ""))
		wantError(t, r, http.StatusBadRequest, "invalid_request", "query parameter")
	})
	t.Run("JSON body rejected", func(t *testing.T) {
		r := do(t, srv.Client(), newReq(t, http.MethodPost, srv.URL()+pathExchange,
			"application/json", `{"api_token":"`+value+`"}`))
		wantError(t, r, http.StatusBadRequest, "invalid_request", "Content-Type")
	})
	t.Run("missing token", func(t *testing.T) {
		wantError(t, exchange(t, srv, url.Values{}), http.StatusBadRequest, "invalid_request", "api_token")
	})
	t.Run("allowed_resource_scope", func(t *testing.T) {
		wantError(t, exchange(t, srv, url.Values{"api_token": {value}, "allowed_resource_scope": {"{not json"}}),
			http.StatusBadRequest, "invalid_request", "allowed_resource_scope")
		wantToken(t, exchange(t, srv, url.Values{"api_token": {value},
			"allowed_resource_scope": {`{"generalScopes":["csp:org_member"]}`}}))
	})
}

func TestExchangeScope(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	value := srv.AddAPIToken(csptest.APIToken{Scopes: []string{"a", "b", "c"}})
	for _, tc := range []struct {
		scope, want string
		ok          bool
	}{
		{"", "a b c", true},
		{"b", "b", true},
		{"c a", "c a", true},
		{"a d", "", false},
	} {
		t.Run(tc.scope, func(t *testing.T) {
			t.Parallel()
			form := url.Values{"api_token": {value}}
			if tc.scope != "" {
				form.Set("scope", tc.scope)
			}
			r := exchange(t, srv, form)
			if !tc.ok {
				wantError(t, r, http.StatusBadRequest, "invalid_scope", "'d'")
				return
			}
			tok := wantToken(t, r)
			c := verifyJWT(t, tok.AccessToken, srv.PublicKey(), srv.KeyID())
			if tok.Scope != tc.want || strings.Join(c.Perms, " ") != tc.want {
				t.Errorf("scope %q, perms %q, want %q", tok.Scope, c.Perms, tc.want)
			}
		})
	}
}

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	clk := &clock{now: t0}
	srv.SetClock(clk.Now)
	srv.AddOAuthApp(csptest.OAuthApp{ID: "app-1", Secret: "s3cret", OrgID: "org-9", Scopes: []string{"csp:org_owner"}})

	post := func(t *testing.T, user, pass string, basic bool, form url.Values) reply {
		req := newReq(t, http.MethodPost, srv.URL()+pathClient, "application/x-www-form-urlencoded", form.Encode())
		if basic {
			req.SetBasicAuth(user, pass)
		}
		return do(t, srv.Client(), req)
	}
	grant := url.Values{"grant_type": {"client_credentials"}}

	t.Run("good", func(t *testing.T) {
		tok := wantToken(t, post(t, "app-1", "s3cret", true, url.Values{"grant_type": {"client_credentials"}, "orgId": {"org-9"}}))
		if tok.RefreshToken != nil || tok.Scope != "csp:org_owner" || tok.ExpiresIn != 1800 {
			t.Errorf("token = %+v", tok)
		}
		c := verifyJWT(t, tok.AccessToken, srv.PublicKey(), srv.KeyID())
		if c.Sub != "app-1" || c.Azp != "app-1" || c.Context != "org-9" || c.ContextName != "org-9" ||
			!slices.Equal(c.Perms, []string{"csp:org_owner"}) || c.Exp-c.Iat != 1800 || c.Iat != t0.Unix() {
			t.Errorf("claims = %+v", c)
		}
	})
	t.Run("bad secret", func(t *testing.T) {
		wantError(t, post(t, "app-1", "wrong", true, grant), http.StatusUnauthorized,
			"invalid_client", "invalid_client: Bad client credentials")
	})
	t.Run("unknown app", func(t *testing.T) {
		wantError(t, post(t, "app-2", "s3cret", true, grant), http.StatusUnauthorized, "invalid_client", "Bad client credentials")
	})
	t.Run("missing credentials", func(t *testing.T) {
		wantError(t, post(t, "", "", false, grant), http.StatusUnauthorized, "invalid_client", "Bad client credentials")
	})
	t.Run("wrong grant type", func(t *testing.T) {
		wantError(t, post(t, "app-1", "s3cret", true, url.Values{"grant_type": {"password"}}),
			http.StatusBadRequest, "unsupported_grant_type", "password")
	})
	t.Run("missing grant type", func(t *testing.T) {
		wantError(t, post(t, "app-1", "s3cret", true, url.Values{}), http.StatusBadRequest, "invalid_request", "grant")
	})
	t.Run("other org", func(t *testing.T) {
		wantError(t, post(t, "app-1", "s3cret", true, url.Values{"grant_type": {"client_credentials"}, "orgId": {"org-1"}}),
			http.StatusBadRequest, "invalid_request", "org-1")
	})
}

func TestDetails(t *testing.T) {
	t.Parallel()
	type dto struct {
		TokenID, TokenName, UserID, Username, OrgID, Domain string
		Scope                                               []string
		Deactivated                                         bool
		CreatedAt, ExpiresAt                                int64
		LastUsedAt                                          *int64
	}
	for _, millis := range []bool{false, true} {
		t.Run(fmt.Sprint("millis=", millis), func(t *testing.T) {
			t.Parallel()
			srv := csptest.New(t)
			clk := &clock{now: t0}
			srv.SetClock(clk.Now)
			srv.SetDetailsInMillis(millis)
			unit := func(tm time.Time) int64 {
				if millis {
					return tm.UnixMilli()
				}
				return tm.Unix()
			}
			expires := t0.Add(90 * 24 * time.Hour)
			value := srv.AddAPIToken(csptest.APIToken{Name: "n", OrgID: "o", UserID: "u", Username: "un",
				Domain: "d", Scopes: []string{"s1", "s2"}, ExpiresAt: expires})

			r := details(t, srv, value)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			d := decode[dto](t, r.body)
			if d.TokenID == "" || d.TokenName != "n" || d.UserID != "u" || d.Username != "un" || d.OrgID != "o" ||
				d.Domain != "d" || !slices.Equal(d.Scope, []string{"s1", "s2"}) || d.Deactivated ||
				d.CreatedAt != unit(t0) || d.ExpiresAt != unit(expires) || d.LastUsedAt != nil {
				t.Errorf("details = %s", r.body)
			}

			clk.Advance(time.Minute)
			wantToken(t, exchange(t, srv, url.Values{"api_token": {value}}))
			d = decode[dto](t, details(t, srv, value).body)
			if d.LastUsedAt == nil || *d.LastUsedAt != unit(t0.Add(time.Minute)) {
				t.Errorf("lastUsedAt = %v, want %d", d.LastUsedAt, unit(t0.Add(time.Minute)))
			}
		})
	}
	t.Run("bad bodies", func(t *testing.T) {
		t.Parallel()
		srv := csptest.New(t)
		wantError(t, do(t, srv.Client(), newReq(t, http.MethodPost, srv.URL()+pathDetails, "application/json", "{")),
			http.StatusBadRequest, "invalid_request", "JSON")
		wantError(t, do(t, srv.Client(), newReq(t, http.MethodPost, srv.URL()+pathDetails, "application/json", "{}")),
			http.StatusBadRequest, "invalid_request", "tokenValue")
		wantError(t, do(t, srv.Client(), newReq(t, http.MethodPost, srv.URL()+pathDetails, "text/plain", `{"tokenValue":"x"}`)),
			http.StatusBadRequest, "invalid_request", "Content-Type")
	})
}

func TestRouting(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	r := do(t, srv.Client(), newReq(t, http.MethodGet, srv.URL()+"/csp/gateway/am/api/nope", "", ""))
	wantError(t, r, http.StatusNotFound, "not_found", "could not be found")
	r = do(t, srv.Client(), newReq(t, http.MethodGet, srv.URL()+pathExchange, "", ""))
	wantError(t, r, http.StatusMethodNotAllowed, "method_not_allowed", "GET")
	if got := r.header.Get("Allow"); got != http.MethodPost {
		t.Errorf("Allow = %q", got)
	}
	// A doubled slash is routed as the canonical path, as CSP does (clients
	// join a base ending in "/" with "/csp/..."), with no redirect.
	r = do(t, srv.Client(), newReq(t, http.MethodPost, srv.URL()+"/"+pathExchange+"/", "application/x-www-form-urlencoded", ""))
	wantError(t, r, http.StatusBadRequest, "invalid_request", "api_token is required")
	if srv.Calls("") != 2 || srv.TotalCalls() != 3 || srv.Calls("ExchangeAPIToken") != 1 {
		t.Errorf("Calls(\"\") = %d, TotalCalls = %d", srv.Calls(""), srv.TotalCalls())
	}
	// /./ is still refused.
	r = do(t, srv.Client(), newReq(t, http.MethodPost, srv.URL()+"/csp/./gateway/am/api/auth/api-tokens/authorize", "application/x-www-form-urlencoded", ""))
	wantError(t, r, http.StatusNotFound, "not_found", "")
}

// TestStrictPaths: tokenkit's own tests turn strict mode on, where a
// doubled slash is a 404 and a test failure.
func TestStrictPaths(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	rep := &strictReporter{TB: t}
	srv.StrictPaths(rep)
	r := do(t, srv.Client(), newReq(t, http.MethodPost, srv.URL()+"/"+pathExchange, "application/x-www-form-urlencoded", "api_token=x"))
	wantError(t, r, http.StatusNotFound, "not_found", "strict mode")
	if rep.reported != 1 || srv.Calls("ExchangeAPIToken") != 0 {
		t.Fatalf("reported %d, calls %d", rep.reported, srv.Calls("ExchangeAPIToken"))
	}
}

// strictReporter counts what strict mode reports instead of failing the
// test.
type strictReporter struct {
	testing.TB
	reported int
}

func (r *strictReporter) Errorf(string, ...any) { r.reported++ }

// faultCase is one fault and what a client sees.
type faultCase struct {
	name  string
	fault fakes.Fault
	check func(t *testing.T, resp *http.Response, body []byte, err error)
}

func faultCases() []faultCase {
	wantStatusJSON := func(status int, retryAfter string) func(*testing.T, *http.Response, []byte, error) {
		return func(t *testing.T, resp *http.Response, body []byte, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			wantError(t, reply{resp.StatusCode, resp.Header, body}, status, strings.ReplaceAll(
				strings.ToLower(http.StatusText(status)), " ", "_"), http.StatusText(status))
			if got := resp.Header.Get("Retry-After"); got != retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, retryAfter)
			}
		}
	}
	return []faultCase{
		{"429", fakes.Fault{Status: 429, RetryAfter: "7"}, wantStatusJSON(429, "7")},
		{"500", fakes.Fault{Status: 500}, wantStatusJSON(500, "")},
		{"503", fakes.Fault{Status: 503, RetryAfter: "2"}, wantStatusJSON(503, "2")},
		{"html", fakes.Fault{HTML: true}, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 503 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
				!strings.HasPrefix(string(body), "<") {
				t.Errorf("got %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			var v any
			if json.Unmarshal(body, &v) == nil {
				t.Error("HTML body decodes as JSON")
			}
		}},
		{"malformed", fakes.Fault{Malformed: true}, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || string(body) != `{"access_token":` {
				t.Errorf("got %d %q", resp.StatusCode, body)
			}
			var v map[string]any
			if json.Unmarshal(body, &v) == nil {
				t.Error("malformed body decodes")
			}
		}},
		{"drop", fakes.Fault{Drop: true}, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err == nil {
				t.Fatalf("no error; status %d body %q", resp.StatusCode, body)
			}
		}},
		{"drop after apply", fakes.Fault{DropAfterApply: true}, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err == nil {
				t.Fatalf("no error; status %d body %q", resp.StatusCode, body)
			}
		}},
		{"delay then serve", fakes.Fault{Delay: 10 * time.Millisecond}, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			wantToken(t, reply{resp.StatusCode, resp.Header, body})
		}},
	}
}

// runFaults exercises every fault kind through client, then checks that the
// next request is served and the counters saw every request.
func runFaults(t *testing.T, srv *csptest.Server, client *http.Client) {
	value := srv.AddAPIToken(csptest.APIToken{})
	send := func(ctx context.Context) (*http.Response, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+pathExchange,
			strings.NewReader(url.Values{"api_token": {value}}.Encode()))
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	cases := faultCases()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.FailNext(1, tc.fault)
			resp, body, err := send(context.Background())
			tc.check(t, resp, body, err)
		})
	}
	// Fault precedence, stacking and cancellation are tested in
	// package fakes; this proves the wiring: every request counted and
	// marked, and only the delayed and the DropAfterApply ones applied.
	if want := len(cases); srv.Calls("ExchangeAPIToken") != want || srv.TotalCalls() != want {
		t.Errorf("Calls = %d, TotalCalls = %d, want %d", srv.Calls("ExchangeAPIToken"), srv.TotalCalls(), want)
	}
	if got := srv.Applied("ExchangeAPIToken"); got != 2 {
		t.Errorf("Applied = %d, want 2", got)
	}
	for _, r := range srv.Requests() {
		if !r.Faulted {
			t.Errorf("%v is not marked faulted", r)
		}
	}
}

func TestFaultsHTTP(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	runFaults(t, srv, srv.Client())
}

func TestFaultsResponder(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, "=~^"+regexp.QuoteMeta(srv.URL())+"/", srv.Responder())
	runFaults(t, srv, &http.Client{Transport: mt})
	if n := mt.GetTotalCallCount(); n != srv.TotalCalls() {
		t.Errorf("httpmock saw %d calls, fake %d", n, srv.TotalCalls())
	}
}

func TestResponderSharesState(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(srv.Responder())
	mock := &http.Client{Transport: mt}

	value := srv.AddAPIToken(csptest.APIToken{})
	tok := wantToken(t, postForm(t, mock, "https://console.example.test"+pathExchange, url.Values{"api_token": {value}}))
	verifyJWT(t, tok.AccessToken, srv.PublicKey(), srv.KeyID())

	// A revocation seen over the network applies to the responder and back.
	srv.RevokeAPIToken(value)
	wantError(t, postForm(t, mock, "https://console.example.test"+pathExchange, url.Values{"api_token": {value}}),
		http.StatusBadRequest, "invalid_grant", value)
	wantError(t, exchange(t, srv, url.Values{"api_token": {value}}), http.StatusBadRequest, "invalid_grant", value)

	r := do(t, mock, newReq(t, http.MethodGet, "https://console.example.test"+pathKey+"?format=jwks", "", ""))
	if r.status != http.StatusOK || !strings.Contains(string(r.body), srv.KeyID()) {
		t.Errorf("jwks via responder: %d %s", r.status, r.body)
	}
	if srv.Calls("ExchangeAPIToken") != 3 || srv.Calls("GetTokenPublicKey") != 1 {
		t.Errorf("Calls = %d/%d", srv.Calls("ExchangeAPIToken"), srv.Calls("GetTokenPublicKey"))
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	value := srv.AddAPIToken(csptest.APIToken{})
	req := httptest.NewRequest(http.MethodPost, pathExchange, strings.NewReader(url.Values{"api_token": {value}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	wantToken(t, reply{rec.Code, rec.Header(), rec.Body.Bytes()})
}

func TestRequests(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	srv.AddOAuthApp(csptest.OAuthApp{ID: "app", Secret: "sec"})
	value := srv.AddAPIToken(csptest.APIToken{})
	exchange(t, srv, url.Values{"api_token": {value}, "scope": {"csp:org_member"}})
	details(t, srv, value)
	req := newReq(t, http.MethodPost, srv.URL()+pathClient, "application/x-www-form-urlencoded", "grant_type=client_credentials")
	req.SetBasicAuth("app", "sec")
	do(t, srv.Client(), req)

	rs := srv.Requests()
	if len(rs) != 3 {
		t.Fatalf("%d requests", len(rs))
	}
	if r := rs[0]; r.Operation != "ExchangeAPIToken" || r.Method != "POST" || r.Path != pathExchange ||
		r.ContentType != "application/x-www-form-urlencoded" || r.Form.Get("api_token") != value ||
		r.Form.Get("scope") != "csp:org_member" || r.JSON != nil || r.Faulted {
		t.Errorf("request 0 = %+v", r)
	}
	if r := rs[1]; r.Operation != "GetAPITokenDetails" || r.ContentType != "application/json" ||
		r.JSON["tokenValue"] != value || r.Form != nil {
		t.Errorf("request 1 = %+v", r)
	}
	if r := rs[2]; r.Operation != "ExchangeClientCredentials" || !strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") ||
		r.Form.Get("grant_type") != "client_credentials" {
		t.Errorf("request 2 = %+v", r)
	}
	// Copies are independent.
	rs[0].Form.Set("api_token", "changed")
	if srv.Requests()[0].Form.Get("api_token") != value {
		t.Error("Requests shares state with the caller")
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(srv.Responder())
	clients := []*http.Client{srv.Client(), {Transport: mt}}
	value := srv.AddAPIToken(csptest.APIToken{})
	srv.FailNext(5, fakes.Fault{Status: 503})

	const workers, each = 8, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for w := range workers {
		wg.Go(func() {
			c := clients[w%2]
			for range each {
				req, _ := http.NewRequest(http.MethodPost, srv.URL()+pathExchange,
					strings.NewReader(url.Values{"api_token": {value}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
				srv.AddAPIToken(csptest.APIToken{})
				_ = srv.Requests()
			}
		})
	}
	wg.Wait()
	if statuses[503] != 5 || statuses[200] != workers*each-5 || srv.Calls("ExchangeAPIToken") != workers*each {
		t.Errorf("statuses = %v, calls = %d", statuses, srv.Calls("ExchangeAPIToken"))
	}
}

// TestTokenEndpoint: POST /auth/token, the documented twin of
// /auth/authorize, with Basic, with the credentials in the form (what
// golang.org/x/oauth2 sends with AuthStyleInParams), with and without orgId.
func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	srv.AddOAuthApp(csptest.OAuthApp{ID: "app-1", Secret: "s3cret", OrgID: "org-1", Scopes: []string{"openid"}})
	tokenURL := srv.URL() + "/csp/gateway/am/api/auth/token"
	send := func(form url.Values, basic bool) reply {
		req := newReq(t, http.MethodPost, tokenURL, "application/x-www-form-urlencoded", form.Encode())
		if basic {
			req.SetBasicAuth("app-1", "s3cret")
		}
		return do(t, srv.Client(), req)
	}
	if tok := wantToken(t, send(url.Values{"grant_type": {"client_credentials"}}, true)); tok.AccessToken == "" {
		t.Fatal("no token")
	}
	wantToken(t, send(url.Values{"grant_type": {"client_credentials"}, "orgId": {"org-1"}}, true))
	wantToken(t, send(url.Values{"grant_type": {"client_credentials"}, "client_id": {"app-1"}, "client_secret": {"s3cret"}}, false))
	wantError(t, send(url.Values{"grant_type": {"client_credentials"}, "client_id": {"app-1"}, "client_secret": {"wrong"}}, false),
		http.StatusUnauthorized, "invalid_client", "")
	wantError(t, send(url.Values{"grant_type": {"client_credentials"}}, false), http.StatusUnauthorized, "invalid_client", "")
	if srv.Calls("ExchangeClientCredentialsToken") != 5 || srv.Calls("ExchangeClientCredentials") != 0 {
		t.Fatalf("calls %d", srv.Calls("ExchangeClientCredentialsToken"))
	}
}

// TestSetPublicURL: served under another address (tokenctl fake), the iss
// claim and the public key's issuer name that address.
func TestSetPublicURL(t *testing.T) {
	t.Parallel()
	srv := csptest.New(t)
	srv.SetPublicURL("http://127.0.0.1:9/csp/")
	if got := srv.Issuer(); got != "http://127.0.0.1:9/csp/csp/gateway/am/api" {
		t.Fatalf("Issuer = %q", got)
	}
	value := srv.AddAPIToken(csptest.APIToken{})
	tok := wantToken(t, exchange(t, srv, url.Values{"api_token": {value}}))
	parts := strings.Split(tok.AccessToken, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || !strings.Contains(string(payload), `"iss":"http://127.0.0.1:9/csp/csp/gateway/am/api"`) {
		t.Fatalf("claims %s (%v)", payload, err)
	}
}
