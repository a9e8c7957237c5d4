package commvaulttest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/realclient"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("status %d body %q: %v", r.status, r.body, err)
	}
	return m
}

// client sends raw requests to a fake.
type client struct {
	t    *testing.T
	srv  *commvaulttest.Server
	http *http.Client
	base string
}

func newClient(t *testing.T) (*client, *commvaulttest.Server, *clock) {
	t.Helper()
	srv := commvaulttest.New(t)
	clk := &clock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	srv.SetClock(clk.Now)
	srv.AddUser(commvaulttest.User{Name: "alice", Password: "wonderland"})
	return &client{t: t, srv: srv, http: srv.Client(), base: srv.URL() + commvaulttest.BasePath}, srv, clk
}

func (c *client) do(method, path string, headers map[string]string, body string) reply {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func (c *client) login(user, password string) string {
	c.t.Helper()
	r := c.do("POST", "/Login", nil, fmt.Sprintf(`{"username":%q,"password":%q,"deviceId":"dev"}`, user, b64(password)))
	tok, _ := r.json(c.t)["token"].(string)
	if r.status != 200 || !strings.HasPrefix(tok, "QSDK ") {
		c.t.Fatalf("login: %d %s", r.status, r.body)
	}
	return tok
}

func (c *client) create(session, body string) map[string]any {
	c.t.Helper()
	r := c.do("POST", "/V4/AccessToken", map[string]string{"Authtoken": session}, body)
	if r.status != 200 {
		c.t.Fatalf("create: %d %s", r.status, r.body)
	}
	return r.json(c.t)
}

func errCode(m map[string]any) float64 {
	if e, ok := m["error"].(map[string]any); ok {
		n, _ := e["errorCode"].(float64)
		return n
	}
	n, _ := m["errorCode"].(float64)
	return n
}

func TestLoginChecksBase64AndLocksOut(t *testing.T) {
	t.Parallel()
	c, srv, clk := newClient(t)
	srv.SetLockout(3, 5*time.Minute)
	// The plain password is refused: the API wants it Base64-encoded.
	r := c.do("POST", "/Login", nil, `{"username":"alice","password":"wonderland"}`)
	m := r.json(t)
	if r.status != 200 || m["token"] != nil || m["errList"] == nil {
		t.Fatalf("plain password: %d %s", r.status, r.body)
	}
	c.do("POST", "/Login", nil, `{"username":"ALICE","password":"`+b64("nope")+`"}`)
	r = c.do("POST", "/Login", nil, `{"username":"alice","password":"`+b64("nope")+`"}`)
	m = r.json(t)
	if m["isAccountLocked"] != true || m["remainingLockTime"] != float64(300) {
		t.Fatalf("third failure must lock: %s", r.body)
	}
	r = c.do("POST", "/Login", nil, `{"username":"alice","password":"`+b64("wonderland")+`"}`)
	if r.json(t)["isAccountLocked"] != true {
		t.Fatalf("locked: %s", r.body)
	}
	clk.Advance(5 * time.Minute)
	c.login("alice", "wonderland")
	if srv.Applied("Login") != 1 || srv.Calls("Login") != 5 {
		t.Fatalf("applied %d calls %d", srv.Applied("Login"), srv.Calls("Login"))
	}
}

func TestSessionsExpireAndRenew(t *testing.T) {
	t.Parallel()
	c, srv, clk := newClient(t)
	s := c.login("alice", "wonderland")
	auth := map[string]string{"Authtoken": s}
	clk.Advance(20 * time.Minute)
	if r := c.do("GET", "/V4/AccessToken", auth, ""); r.status != 200 {
		t.Fatalf("list: %d", r.status)
	}
	clk.Advance(20 * time.Minute) // 40 minutes after login, 20 after the last use: still alive
	if !srv.ValidSession(s) {
		t.Fatal("each use extends the session")
	}
	clk.Advance(31 * time.Minute)
	r := c.do("GET", "/V4/AccessToken", auth, "")
	if r.status != 401 || r.json(t)["errorCode"] != float64(5) || r.json(t)["errorMessage"] != "Access denied" {
		t.Fatalf("expired: %d %s", r.status, r.body)
	}
	r = c.do("POST", "/RenewLoginToken", auth, `{"deviceId":"other","sessionId":"`+s+`"}`)
	if r.status != 200 || errCode(r.json(t)) == 0 {
		t.Fatalf("wrong device: %s", r.body)
	}
	r = c.do("POST", "/RenewLoginToken", auth, `{"deviceId":"dev","sessionId":"`+s+`"}`)
	n, _ := r.json(t)["token"].(string)
	if r.status != 200 || !srv.ValidSession(n) || srv.ValidSession(s) {
		t.Fatalf("renew: %s", r.body)
	}
	if r := c.do("POST", "/Logout", map[string]string{"Authtoken": n}, ""); r.status != 200 || r.body != "User logged out" ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("logout: %d %q", r.status, r.body)
	}
	if r := c.do("POST", "/Logout", map[string]string{"Authtoken": n}, ""); r.status != 401 {
		t.Fatalf("second logout: %d", r.status)
	}
}

func TestTokenRulesAndChainInvalidation(t *testing.T) {
	t.Parallel()
	c, srv, _ := newClient(t)
	s := c.login("alice", "wonderland")
	auth := map[string]string{"Authtoken": s}

	scim := c.create(s, `{"tokenName":"scim","tokenType":"MS_SCIM"}`)["tokenInfo"].(map[string]any)
	if scim["refreshToken"] != nil || scim["renewableUntilTimestamp"] != nil {
		t.Fatalf("MS_SCIM has no refresh token: %v", scim)
	}
	if m := c.create(s, `{"tokenName":"custom","tokenType":3}`); errCode(m) == 0 {
		t.Fatalf("CUSTOM without apiEndpoints must be refused inside 200: %v", m)
	}
	if m := c.create(s, `{"tokenName":"scim"}`); errCode(m) != 2 {
		t.Fatalf("duplicate name: %v", m)
	}
	// An access token cannot create tokens.
	if r := c.do("POST", "/V4/AccessToken", map[string]string{"Authorization": "Bearer " + scim["accessToken"].(string)}, `{"tokenName":"x"}`); r.status != 403 {
		t.Fatalf("create with an access token: %d", r.status)
	}

	all := c.create(s, `{"tokenName":"all","tokenType":2}`)["tokenInfo"].(map[string]any)
	renew := func(access, refresh any) reply {
		return c.do("POST", "/V4/AccessToken/Renew", nil, fmt.Sprintf(`{"accessToken":%q,"refreshToken":%q}`, access, refresh))
	}
	r := renew(all["accessToken"], all["refreshToken"])
	next := r.json(t)
	if r.status != 200 || next["accessToken"] == all["accessToken"] || next["tokenInfo"] != nil || next["accessTokenId"] != all["accessTokenId"] {
		t.Fatalf("renew (flat answer): %s", r.body)
	}
	if srv.ChainInvalidations() != 0 || len(srv.Tokens(0)) != 2 {
		t.Fatal("nothing invalidated yet")
	}
	r = renew(all["accessToken"], all["refreshToken"]) // the stale pair
	if r.status != 400 || srv.ChainInvalidations() != 1 || len(srv.Tokens(0)) != 1 || srv.ValidAccessToken(next["accessToken"].(string)) {
		t.Fatalf("stale pair: %d %s; invalidations %d", r.status, r.body, srv.ChainInvalidations())
	}
	if r := renew(next["accessToken"], next["refreshToken"]); r.status != 400 || srv.ChainInvalidations() != 1 {
		t.Fatalf("the chain is gone: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/V4/AccessToken", auth, ""); len(r.json(t)["tokens"].([]any)) != 1 {
		t.Fatalf("list after invalidation: %s", r.body)
	}
	if srv.Applied("RenewAccessToken") != 1 {
		t.Fatalf("applied renewals %d", srv.Applied("RenewAccessToken"))
	}
}

func TestRenewWindow(t *testing.T) {
	t.Parallel()
	c, _, clk := newClient(t)
	s := c.login("alice", "wonderland")
	until := clk.Now().Add(2 * time.Hour).Unix()
	tok := c.create(s, fmt.Sprintf(`{"tokenName":"w","renewableUntilTimestamp":%d}`, until))["tokenInfo"].(map[string]any)
	clk.Advance(3 * time.Hour)
	r := c.do("POST", "/V4/AccessToken/Renew", nil, fmt.Sprintf(`{"accessToken":%q,"refreshToken":%q}`, tok["accessToken"], tok["refreshToken"]))
	if r.status != 400 || r.json(t)["errorCode"] != float64(7) {
		t.Fatalf("past renewableUntil: %d %s", r.status, r.body)
	}
}

func TestTokenTypeWire(t *testing.T) {
	t.Parallel()
	c, srv, _ := newClient(t)
	s := c.login("alice", "wonderland")
	srv.SetTokenTypeWire(commvaulttest.AcceptCodes)
	if m := c.create(s, `{"tokenName":"a","tokenType":"ALL"}`); errCode(m) != 4 {
		t.Fatalf("names refused: %v", m)
	}
	if m := c.create(s, `{"tokenName":"a","tokenType":2}`); errCode(m) != 0 {
		t.Fatalf("codes accepted: %v", m)
	}
	srv.SetTokenTypeWire(commvaulttest.AcceptNames)
	if m := c.create(s, `{"tokenName":"b","tokenType":2}`); errCode(m) != 4 {
		t.Fatalf("codes refused: %v", m)
	}
	if m := c.create(s, `{"tokenName":"b","tokenType":"OneTouch"}`); errCode(m) != 0 {
		t.Fatalf("names accepted: %v", m)
	}
	r := c.do("GET", "/V4/AccessToken", map[string]string{"Authtoken": s}, "")
	toks := r.json(t)["tokens"].([]any)
	if toks[0].(map[string]any)["tokenType"] != float64(2) || toks[1].(map[string]any)["tokenType"] != "OneTouch" {
		t.Fatalf("types answered in the form they were sent: %s", r.body)
	}
}

func TestRoutingAndValidation(t *testing.T) {
	t.Parallel()
	c, srv, _ := newClient(t)
	if r := c.do("GET", "/Login", nil, ""); r.status != 405 || r.header.Get("Allow") != "POST" {
		t.Fatalf("GET /Login: %d", r.status)
	}
	// cvpysdk's .../api//V4/AccessToken is routed as the canonical path.
	if r := c.do("POST", "//V4/AccessToken", nil, `{}`); r.status != 401 || srv.Calls(commvaulttest.OpCreateAccessToken) != 1 {
		t.Fatalf("double slash: %d", r.status)
	}
	if r := c.do("POST", "/./V4/AccessToken", nil, `{}`); r.status != 404 {
		t.Fatalf("dot segment: %d", r.status)
	}
	// A JSON body sent as something else is refused (the body is decoded
	// first: a body that is not JSON at all is a 400).
	req, _ := http.NewRequest("POST", c.base+"/Login", strings.NewReader(`{"username":"alice","password":"`+b64("wonderland")+`"}`))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := c.http.Do(req)
	if err != nil || resp.StatusCode != 415 {
		t.Fatalf("text/plain body: %v %v", resp, err)
	}
	resp.Body.Close()
	if r := c.do("POST", "/Login", nil, `{`); r.status != 400 {
		t.Fatalf("bad JSON: %d", r.status)
	}
	// The legacy path serves the same state.
	legacy := &client{t: t, srv: srv, http: srv.Client(), base: srv.URL() + commvaulttest.LegacyBasePath}
	s := legacy.login("alice", "wonderland")
	if !srv.ValidSession(s) || srv.Calls("Login") != 3 || srv.Applied("Login") != 1 || srv.Calls("") != 2 {
		t.Fatalf("legacy path: calls %d, unrouted %d", srv.Calls("Login"), srv.Calls(""))
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	c, srv, _ := newClient(t)
	s := c.login("alice", "wonderland")
	srv.FailNext(1, fakes.Fault{Status: 429, RetryAfter: "3"})
	srv.FailNext(1, fakes.Fault{HTML: true})
	srv.FailNext(1, fakes.Fault{Malformed: true})
	if r := c.do("GET", "/V4/AccessToken", map[string]string{"Authtoken": s}, ""); r.status != 429 || r.header.Get("Retry-After") != "3" {
		t.Fatalf("429: %d", r.status)
	}
	if r := c.do("GET", "/V4/AccessToken", map[string]string{"Authtoken": s}, ""); r.status != 503 || !strings.Contains(r.body, "<html>") {
		t.Fatalf("HTML: %d", r.status)
	}
	if r := c.do("GET", "/V4/AccessToken", map[string]string{"Authtoken": s}, ""); r.status != 200 || json.Valid([]byte(r.body)) {
		t.Fatalf("malformed: %d %q", r.status, r.body)
	}

	// Drop does not act; DropAfterApply does, and loses the answer.
	srv.FailNext(1, fakes.Fault{Drop: true})
	if _, err := c.http.Post(c.base+"/V4/AccessToken", "application/json", strings.NewReader(`{"tokenName":"x"}`)); err == nil {
		t.Fatal("drop: want a connection error")
	}
	if srv.Applied("CreateAccessToken") != 0 {
		t.Fatal("a dropped request must not act")
	}
	srv.FailNext(1, fakes.Fault{DropAfterApply: true})
	req, _ := http.NewRequest("POST", c.base+"/V4/AccessToken", strings.NewReader(`{"tokenName":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authtoken", s)
	if _, err := c.http.Do(req); err == nil {
		t.Fatal("drop after apply: want a connection error")
	}
	if srv.Applied("CreateAccessToken") != 1 || len(srv.Tokens(0)) != 1 {
		t.Fatal("the request must have been applied")
	}
}

func TestResponderAndHandler(t *testing.T) {
	t.Parallel()
	srv := commvaulttest.New(t)
	srv.AddUser(commvaulttest.User{Name: "bob", Password: "pw"})
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(srv.Responder())
	hc := &http.Client{Transport: mt}
	body := `{"username":"bob","password":"` + b64("pw") + `"}`
	srv.FailNext(1, fakes.Fault{DropAfterApply: true})
	if _, err := hc.Post("https://cv.example.test/commandcenter/api/Login", "application/json", strings.NewReader(body)); err == nil {
		t.Fatal("want an error for DropAfterApply")
	}
	resp, err := hc.Post("https://cv.example.test/commandcenter/api/Login", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("responder: %v", err)
	}
	resp.Body.Close()
	if srv.Applied("Login") != 2 || srv.Sessions() != 2 {
		t.Fatalf("applied %d sessions %d", srv.Applied("Login"), srv.Sessions())
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/commandcenter/api/Logout", nil))
	if rec.Code != 401 {
		t.Fatalf("handler: %d", rec.Code)
	}
}

func TestRecordedRequestsNeverPrintSecrets(t *testing.T) {
	t.Parallel()
	c, srv, _ := newClient(t)
	s := c.login("alice", "wonderland")
	c.create(s, `{"tokenName":"x"}`)
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[1].Header.Get("Authtoken") != s || reqs[0].JSON["password"] != b64("wonderland") {
		t.Fatalf("requests %v", reqs)
	}
	text := fmt.Sprintf("%v %+v %#v %s", reqs, reqs[0], reqs[1], commvaulttest.User{Name: "alice", Password: "wonderland"})
	for _, secret := range []string{s, b64("wonderland"), "wonderland"} {
		if strings.Contains(text, secret) {
			t.Fatalf("secret in %s", text)
		}
	}
}

// TestCVPySDKWire replays what Commvault's Python SDK sends (probe, login
// with mode and clientType, WhoAmI, the V4 calls with their doubled and
// trailing slashes, renew, delete, logout) against the fake.
func TestCVPySDKWire(t *testing.T) {
	t.Parallel()
	srv := commvaulttest.New(t)
	srv.AddUser(commvaulttest.User{Name: "ada", Password: "pw-ada"})
	if got := realclient.CVPySDK(t, srv.Client(), srv.URL()+commvaulttest.BasePath, "ada", "pw-ada"); got != "ada" {
		t.Fatalf("who_am_i read %q", got)
	}
	reqs := srv.Requests()
	if reqs[0].Operation != commvaulttest.OpServiceProbe || reqs[0].Path != commvaulttest.BasePath+"/" {
		t.Fatalf("first request %v path %q", reqs[0], reqs[0].Path)
	}
	if login := reqs[1].JSON; login["mode"] != float64(4) || login["clientType"] != float64(30) || srv.Applied(commvaulttest.OpLogin) != 1 {
		t.Fatalf("login %v", reqs[1])
	}
	if srv.Calls(commvaulttest.OpListAccessTokens) != 1 || srv.Calls(commvaulttest.OpRenewAccessToken) != 2 || srv.Applied(commvaulttest.OpDeleteAccessToken) != 1 {
		t.Fatalf("calls: list %d renew %d", srv.Calls(commvaulttest.OpListAccessTokens), srv.Calls(commvaulttest.OpRenewAccessToken))
	}

	// The same client against a fake that refuses renewals inside HTTP 200.
	srv2 := commvaulttest.New(t)
	srv2.SetRenewFailuresInBand(true)
	srv2.AddUser(commvaulttest.User{Name: "ada", Password: "pw-ada"})
	realclient.CVPySDK(t, srv2.Client(), srv2.URL()+commvaulttest.BasePath, "ada", "pw-ada")

	// GET /v2/whoami, the MCP server's check: 401 for an unknown token.
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+commvaulttest.BasePath+"/v2/whoami", nil)
	req.Header.Set("Authtoken", "nope")
	resp, err := srv.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("v2/whoami: %v %v", resp, err)
	}
	resp.Body.Close()
}
