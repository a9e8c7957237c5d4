package oracletest_test

import (
	"bytes"
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

	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/realclient"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

const (
	tokenPath = "/system/api/v1/security/token"
	mePath    = "/system/api/v1/me"
)

type answer struct {
	status int
	header http.Header
	json   map[string]any
	raw    string
}

func (a answer) str(k string) string { s, _ := a.json[k].(string); return s }

// nestedCodes lists the o:errorCode of every nested detail.
func (a answer) nestedCodes() []string {
	var out []string
	list, _ := a.json["o:errorDetails"].([]any)
	for _, d := range list {
		if m, ok := d.(map[string]any); ok {
			s, _ := m["o:errorCode"].(string)
			out = append(out, s)
		}
	}
	return out
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// do sends one request to the fake over HTTP.
func do(t *testing.T, srv *oracletest.Server, method, path, auth, ctype, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &a.json)
	return a
}

func signIn(t *testing.T, srv *oracletest.Server, user, pass string) answer {
	t.Helper()
	a := do(t, srv, "POST", tokenPath, basic(user, pass), "", "")
	if a.status != 200 {
		t.Fatalf("sign-in: %d %s", a.status, a.raw)
	}
	return a
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestTokenForms(t *testing.T) {
	t.Parallel()
	srv := oracletest.New(t)
	srv.AddUser(oracletest.User{Username: "ada", Password: "pw-1"})

	a := signIn(t, srv, "ada", "pw-1")
	if a.str("tokenType") != "Bearer" || a.json["expiresInMillis"] != float64(1209600000) || a.str("accessToken") == "" || a.str("refreshToken") == "" {
		t.Fatalf("sign-in answer %s", a.raw)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}

	// Bearer renewal: a new access token for the same user.
	b := do(t, srv, "POST", tokenPath, "Bearer "+a.str("accessToken"), "", "")
	if b.status != 200 || b.str("accessToken") == a.str("accessToken") || !srv.AccessTokenActive(b.str("accessToken")) {
		t.Fatalf("renewal %d %s", b.status, b.raw)
	}
	// The scheme is case-insensitive.
	if c := do(t, srv, "POST", tokenPath, "bearer "+a.str("accessToken"), "", ""); c.status != 200 {
		t.Fatalf("lower-case bearer: %d", c.status)
	}

	// Refresh with rotation: a new refresh token; the old one is refused.
	rt := a.str("refreshToken")
	r := do(t, srv, "POST", tokenPath, "", "application/json", `{"refreshToken":"`+rt+`"}`)
	if r.status != 200 || r.str("refreshToken") == rt || srv.RefreshTokenActive(rt) || !srv.RefreshTokenActive(r.str("refreshToken")) {
		t.Fatalf("refresh %d %s", r.status, r.raw)
	}
	again := do(t, srv, "POST", tokenPath, "", "application/json", `{"refreshToken":"`+rt+`"}`)
	if again.status != 400 || again.str("o:errorCode") != oracletest.CodeBadRequest ||
		strings.Join(again.nestedCodes(), ",") != oracletest.CodeInvalidRefreshToken || strings.Contains(again.raw, rt) {
		t.Fatalf("replayed refresh token: %d %s", again.status, again.raw)
	}
	// Refresh with the same user's Basic credentials alongside is fine.
	if x := do(t, srv, "POST", tokenPath, basic("ada", "pw-1"), "application/json; charset=utf-8", `{"refreshToken":"`+r.str("refreshToken")+`"}`); x.status != 200 {
		t.Fatalf("refresh with Basic: %d %s", x.status, x.raw)
	}
	// A body without refreshToken is a sign-in (the body is optional).
	if x := do(t, srv, "POST", tokenPath, basic("ada", "pw-1"), "application/json", `{}`); x.status != 200 {
		t.Fatalf("empty object body: %d %s", x.status, x.raw)
	}

	// Without rotation the same refresh token keeps working.
	srv.SetRotation(false)
	rt2 := srv.IssueRefreshToken("ada")
	for range 2 {
		x := do(t, srv, "POST", tokenPath, "", "application/json", `{"refreshToken":"`+rt2+`"}`)
		if x.status != 200 || x.str("refreshToken") != rt2 {
			t.Fatalf("no rotation: %d %s", x.status, x.raw)
		}
	}
	// Without refresh tokens on sign-in.
	srv.SetIssueRefreshTokens(false)
	if x := signIn(t, srv, "ada", "pw-1"); x.json["refreshToken"] != nil {
		t.Fatalf("refresh token issued: %s", x.raw)
	}
	if n := srv.Applied("GetAccessToken"); n != 9 {
		t.Fatalf("applied %d, want 9", n)
	}
	if n := srv.Calls("GetAccessToken"); n != 10 { // the replayed refresh changed nothing
		t.Fatalf("calls %d, want 10", n)
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	srv := oracletest.New(t)
	srv.AddUser(oracletest.User{Username: "ada", Password: "pw-1"})
	srv.AddUser(oracletest.User{Username: "bob", Password: "pw-2"})
	adaRT := srv.IssueRefreshToken("ada")
	revoked := srv.IssueRefreshToken("ada")
	if !srv.RevokeRefreshToken(revoked) || srv.RevokeRefreshToken("unknown") || srv.RevokeAccessToken("unknown") {
		t.Fatal("revoke must report whether the token was known")
	}
	for _, tc := range []struct {
		name, auth, ctype, body string
		status                  int
		code                    string
		nested                  string
	}{
		{"no credentials", "", "", "", 401, oracletest.CodeUnauthorized, oracletest.CodeAuthRequired},
		{"wrong password", basic("ada", "nope"), "", "", 401, oracletest.CodeUnauthorized, oracletest.CodeInvalidCredentials},
		{"unknown user", basic("zed", "pw-1"), "", "", 401, oracletest.CodeUnauthorized, oracletest.CodeInvalidCredentials},
		{"bad base64", "Basic !!!", "", "", 401, oracletest.CodeUnauthorized, oracletest.CodeAuthRequired},
		{"other scheme", "Token abc", "", "", 401, oracletest.CodeUnauthorized, oracletest.CodeAuthRequired},
		{"unknown bearer", "Bearer not-a-token", "", "", 401, oracletest.CodeUnauthorized, oracletest.CodeInvalidToken},
		{"revoked refresh token", "", "application/json", `{"refreshToken":"` + revoked + `"}`, 400, oracletest.CodeBadRequest, oracletest.CodeInvalidRefreshToken},
		{"empty refresh token", "", "application/json", `{"refreshToken":""}`, 400, oracletest.CodeBadRequest, oracletest.CodeMissingRefreshToken},
		{"malformed body", "", "application/json", `{"refreshToken":`, 400, oracletest.CodeBadRequest, oracletest.CodeMalformedBody},
		{"wrong type", "", "application/json", `{"refreshToken":7}`, 400, oracletest.CodeBadRequest, oracletest.CodeMalformedBody},
		{"JSON as text/plain", "", "text/plain", `{"refreshToken":"` + adaRT + `"}`, 415, oracletest.CodeUnsupportedMediaType, ""},
		{"another user's refresh token", basic("bob", "pw-2"), "application/json", `{"refreshToken":"` + adaRT + `"}`, 403, oracletest.CodeForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, srv, "POST", tokenPath, tc.auth, tc.ctype, tc.body)
			if a.status != tc.status || a.str("o:errorCode") != tc.code || a.json["status"] != float64(tc.status) ||
				a.str("title") != http.StatusText(tc.status) || !strings.HasPrefix(a.str("type"), "https://") {
				t.Fatalf("got %d %s", a.status, a.raw)
			}
			if tc.nested != "" && strings.Join(a.nestedCodes(), ",") != tc.nested {
				t.Fatalf("nested %v, want %s", a.nestedCodes(), tc.nested)
			}
		})
	}
	if !srv.RefreshTokenActive(adaRT) {
		t.Fatal("failed requests must not consume a refresh token")
	}
	if srv.Applied("GetAccessToken") != 0 {
		t.Fatal("failed requests change nothing")
	}

	// A locked user: 403 for Basic and refresh, and the tokens stop working.
	at := srv.IssueAccessToken("ada")
	srv.LockUser("ada", true)
	if a := do(t, srv, "POST", tokenPath, basic("ada", "pw-1"), "", ""); a.status != 403 {
		t.Fatalf("locked Basic: %d", a.status)
	}
	if a := do(t, srv, "POST", tokenPath, "", "application/json", `{"refreshToken":"`+adaRT+`"}`); a.status != 403 {
		t.Fatalf("locked refresh: %d %s", a.status, a.raw)
	}
	if srv.AccessTokenActive(at) || srv.RefreshTokenActive(adaRT) {
		t.Fatal("a locked user's tokens do not work")
	}
	srv.LockUser("ada", false)
	if !srv.AccessTokenActive(at) {
		t.Fatal("unlocking restores the tokens")
	}
}

func TestLifetimesOnTheClock(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv := oracletest.New(t)
	srv.SetClock(c.Now)
	srv.AddUser(oracletest.User{Username: "ada", Password: "pw-1"})
	srv.SetAccessTokenTTL(1500*time.Millisecond + 400*time.Microsecond)
	srv.SetRefreshTokenTTL(time.Hour)
	a := signIn(t, srv, "ada", "pw-1")
	if a.json["expiresInMillis"] != float64(1500) {
		t.Fatalf("expiresInMillis %v", a.json["expiresInMillis"])
	}
	at, rt := a.str("accessToken"), a.str("refreshToken")
	c.Advance(1499 * time.Millisecond)
	if !srv.AccessTokenActive(at) {
		t.Fatal("alive before its lifetime")
	}
	c.Advance(time.Millisecond)
	if srv.AccessTokenActive(at) {
		t.Fatal("expired at its lifetime")
	}
	if me := do(t, srv, "GET", mePath, "Bearer "+at, "", ""); me.status != 401 {
		t.Fatalf("/me with an expired token: %d", me.status)
	}
	c.Advance(time.Hour)
	if srv.RefreshTokenActive(rt) {
		t.Fatal("refresh token past its lifetime")
	}
	srv.SetAccessTokenTTL(0)
	if a := signIn(t, srv, "ada", "pw-1"); a.json["expiresInMillis"] != float64(1) {
		t.Fatalf("minimum lifetime: %v", a.json["expiresInMillis"])
	}
	srv.SetAccessTokenTTL(time.Hour)
	srv.SetClock(nil) // back to time.Now
	if a := signIn(t, srv, "ada", "pw-1"); !srv.AccessTokenActive(a.str("accessToken")) {
		t.Fatal("token on the real clock")
	}
}

func TestCurrentUser(t *testing.T) {
	t.Parallel()
	srv := oracletest.New(t)
	srv.AddUser(oracletest.User{
		Username: "ada", Password: "pw-1", FirstName: "Ada", MiddleName: "King", LastName: "Lovelace", Locale: "en-GB",
		RealmUserGUID: "guid-1", Groups: []oracletest.Group{{ID: "g1", DisplayName: "Authors"}},
		AppRoles: []string{"CECContributor"}, CustomAttributes: map[string]any{"Department": "Engines", "Floor": 2},
	})
	at := signIn(t, srv, "ada", "pw-1").str("accessToken")

	plain := do(t, srv, "GET", mePath, "Bearer "+at, "", "")
	if plain.status != 200 || plain.str("email") != "ada@example.com" || plain.str("firstName") != "Ada" ||
		plain.str("middleName") != "King" || plain.str("lastName") != "Lovelace" || plain.str("locale") != "en-GB" {
		t.Fatalf("me: %d %s", plain.status, plain.raw)
	}
	for _, k := range []string{"membershipGroupsList", "idcsappRoles", "realmUserGUID", "customAttributes"} {
		if _, ok := plain.json[k]; ok {
			t.Errorf("%s returned without being asked for", k)
		}
	}
	links, _ := plain.json["links"].([]any)
	if len(links) != 1 || links[0].(map[string]any)["href"] != srv.URL()+mePath || links[0].(map[string]any)["rel"] != "self" {
		t.Fatalf("links %v", plain.json["links"])
	}

	full := do(t, srv, "GET", mePath+"?includeGroupMembership=true&includeIDCSAppRoles=True&includeRealmUserGUID=true&customAttributes=department,unknown", "Bearer "+at, "", "")
	if full.status != 200 || full.str("realmUserGUID") != "guid-1" {
		t.Fatalf("full: %d %s", full.status, full.raw)
	}
	groups, _ := full.json["membershipGroupsList"].([]any)
	roles, _ := full.json["idcsappRoles"].([]any)
	attrs, _ := full.json["customAttributes"].(map[string]any)
	if len(groups) != 1 || groups[0].(map[string]any)["displayName"] != "Authors" || len(roles) != 1 || roles[0] != "CECContributor" ||
		len(attrs) != 1 || attrs["Department"] != "Engines" {
		t.Fatalf("full: %s", full.raw)
	}

	many := make([]string, 21)
	for i := range many {
		many[i] = fmt.Sprintf("a%d", i)
	}
	for _, tc := range []struct {
		name, path, auth string
		status           int
	}{
		{"21 custom attributes", mePath + "?customAttributes=" + strings.Join(many, ","), "Bearer " + at, 400},
		{"not a boolean", mePath + "?includeGroupMembership=maybe", "Bearer " + at, 400},
		{"Basic is refused", mePath, basic("ada", "pw-1"), 401},
		{"no token", mePath, "", 401},
		{"unknown token", mePath, "Bearer nope", 401},
	} {
		if a := do(t, srv, "GET", tc.path, tc.auth, "", ""); a.status != tc.status || a.json["o:errorCode"] == nil {
			t.Errorf("%s: %d %s", tc.name, a.status, a.raw)
		}
	}
	if srv.Calls("GetCurrentUser") != 7 || srv.Applied("GetCurrentUser") != 0 {
		t.Fatalf("calls %d", srv.Calls("GetCurrentUser"))
	}
}

func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	srv := oracletest.New(t)
	a := do(t, srv, "GET", tokenPath, "", "", "")
	if a.status != 405 || a.header.Get("Allow") != "POST" || a.str("errorCode") != oracletest.CodeMethodNotAllowed ||
		a.json["httpStatusCode"] != float64(405) || a.str("httpMessage") != "Method Not Allowed" {
		t.Fatalf("405: %s", a.raw)
	}
	if a := do(t, srv, "DELETE", mePath, "", "", ""); a.status != 405 || a.header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("405 on /me: %d", a.status)
	}
	if a := do(t, srv, "POST", "/system/api/v1/security/revoke", "", "", ""); a.status != 404 || a.str("errorCode") != oracletest.CodeNotFound {
		t.Fatalf("404: %s", a.raw)
	}
	// A doubled slash is routed as the canonical path (401: no credentials).
	if a := do(t, srv, "POST", "/system/api/v1//security/token", "", "", ""); a.status != 401 {
		t.Fatalf("doubled slash: %d", a.status)
	}
	if a := do(t, srv, "POST", "/system/api/v1/./security/token", "", "", ""); a.status != 404 {
		t.Fatalf("dot segment: %d", a.status)
	}
	big := `{"refreshToken":"` + strings.Repeat("x", 1<<20) + `"}`
	if a := do(t, srv, "POST", tokenPath, "", "application/json", big); a.status != 413 || a.str("o:errorCode") != oracletest.CodeRequestTooLarge {
		t.Fatalf("413: %d", a.status)
	}
	if srv.Calls("") != 4 || srv.TotalCalls() != 6 {
		t.Fatalf("unrouted %d total %d", srv.Calls(""), srv.TotalCalls())
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := oracletest.New(t)
	srv.AddUser(oracletest.User{Username: "ada", Password: "pw-1"})
	auth := basic("ada", "pw-1")

	srv.FailNext(1, fakes.Fault{Status: 429, RetryAfter: "3"})
	srv.FailNext(1, fakes.Fault{HTML: true, RetryAfter: "5"})
	srv.FailNext(1, fakes.Fault{Malformed: true})
	srv.FailNext(1, fakes.Fault{Delay: time.Millisecond})

	a := do(t, srv, "POST", tokenPath, auth, "", "")
	if a.status != 429 || a.header.Get("Retry-After") != "3" || a.str("o:errorCode") != oracletest.CodeInjectedFault {
		t.Fatalf("429: %d %s", a.status, a.raw)
	}
	a = do(t, srv, "POST", tokenPath, auth, "", "")
	if a.status != 503 || a.header.Get("Retry-After") != "5" || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
		t.Fatalf("HTML: %d %s", a.status, a.raw)
	}
	a = do(t, srv, "POST", tokenPath, auth, "", "")
	if a.status != 200 || a.raw != `{"accessToken":` {
		t.Fatalf("malformed: %d %s", a.status, a.raw)
	}
	if a = do(t, srv, "POST", tokenPath, auth, "", ""); a.status != 200 || a.str("accessToken") == "" {
		t.Fatalf("delayed: %d", a.status)
	}
	if srv.Applied("GetAccessToken") != 1 {
		t.Fatalf("only the delayed request is served: applied %d", srv.Applied("GetAccessToken"))
	}

	// Drop: nothing changes. DropAfterApply: the token is issued, the answer lost.
	for _, tc := range []struct {
		f       fakes.Fault
		applied int
	}{{fakes.Fault{Drop: true}, 1}, {fakes.Fault{DropAfterApply: true}, 2}} {
		srv.FailNext(1, tc.f)
		req, _ := http.NewRequest("POST", srv.URL()+tokenPath, nil)
		req.Header.Set("Authorization", auth)
		tr := &http.Transport{DisableKeepAlives: true}
		if _, err := (&http.Client{Transport: tr}).Do(req); err == nil {
			t.Fatalf("%+v: want a connection error", tc.f)
		}
		tr.CloseIdleConnections()
		if srv.Applied("GetAccessToken") != tc.applied {
			t.Fatalf("%+v: applied %d, want %d", tc.f, srv.Applied("GetAccessToken"), tc.applied)
		}
	}

	var faulted int
	for _, r := range srv.Requests() {
		if r.Faulted {
			faulted++
		}
	}
	if faulted != 6 || srv.Calls("GetAccessToken") != 6 {
		t.Fatalf("faulted %d calls %d", faulted, srv.Calls("GetAccessToken"))
	}
}

func TestResponderAndHandler(t *testing.T) {
	t.Parallel()
	srv := oracletest.New(t)
	srv.AddUser(oracletest.User{Username: "ada", Password: "pw-1"})

	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(srv.Responder())
	hc := &http.Client{Transport: mt}
	req, _ := http.NewRequest("POST", "https://ocm.example.test"+tokenPath, nil)
	req.Header.Set("Authorization", basic("ada", "pw-1"))
	resp, err := hc.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("responder: %v %v", resp, err)
	}
	resp.Body.Close()
	for _, f := range []fakes.Fault{{Drop: true}, {DropAfterApply: true}} {
		srv.FailNext(1, f)
		req, _ := http.NewRequest("POST", "https://ocm.example.test"+tokenPath, nil)
		req.Header.Set("Authorization", basic("ada", "pw-1"))
		if _, err := hc.Do(req); err == nil {
			t.Fatalf("%+v through the responder: want an error", f)
		}
	}
	if srv.Applied("GetAccessToken") != 2 {
		t.Fatalf("applied %d", srv.Applied("GetAccessToken"))
	}

	// The Handler, in a recorder.
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("POST", tokenPath, nil)
	r.Header.Set("Authorization", basic("ada", "pw-1"))
	srv.Handler().ServeHTTP(rec, r)
	if rec.Code != 200 {
		t.Fatalf("handler: %d", rec.Code)
	}
}

func TestRecordedRequestsAndRedaction(t *testing.T) {
	t.Parallel()
	srv := oracletest.New(t)
	u := oracletest.User{Username: "ada", Password: "pw-very-secret"}
	srv.AddUser(u)
	a := signIn(t, srv, "ada", "pw-very-secret")
	rt := a.str("refreshToken")
	do(t, srv, "POST", tokenPath, "", "application/json", `{"refreshToken":"`+rt+`"}`)

	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Operation != "GetAccessToken" || reqs[0].Method != "POST" || reqs[0].Path != tokenPath ||
		len(reqs[0].Body) != 0 || reqs[0].JSON != nil || reqs[1].JSON["refreshToken"] != rt || reqs[1].ContentType != "application/json" {
		t.Fatalf("requests %v", reqs)
	}
	reqs[0].Header.Set("Authorization", "changed") // copies
	if srv.Requests()[0].Header.Get("Authorization") == "changed" {
		t.Fatal("Requests must return copies")
	}
	var out bytes.Buffer
	for _, v := range []any{reqs[0], reqs[1], &reqs[1], u, &u} {
		for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
			fmt.Fprintf(&out, f+"\n", v)
		}
	}
	for _, s := range []string{"pw-very-secret", rt, base64.StdEncoding.EncodeToString([]byte("ada:pw-very-secret"))} {
		if strings.Contains(out.String(), s) {
			t.Fatalf("secret printed: %s", out.String())
		}
	}
}

func TestMisusePanics(t *testing.T) {
	t.Parallel()
	srv := oracletest.New(t)
	for name, f := range map[string]func(){
		"no password":          func() { srv.AddUser(oracletest.User{Username: "x"}) },
		"colon":                func() { srv.AddUser(oracletest.User{Username: "a:b", Password: "p"}) },
		"unknown user refresh": func() { srv.IssueRefreshToken("nobody") },
		"unknown user access":  func() { srv.IssueAccessToken("nobody") },
		"unknown user lock":    func() { srv.LockUser("nobody", true) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: want a panic", name)
				}
			}()
			f()
		}()
	}
	srv.Close()
	srv.Close() // twice is fine
}

// TestCECWire replays what Oracle's cec CLI sends around tokens: sign-in
// with Basic and nothing else, then GET csrfToken and the token POST with
// X-CSRF-TOKEN and X-REQUESTED-WITH.
func TestCECWire(t *testing.T) {
	t.Parallel()
	srv := oracletest.New(t)
	srv.AddUser(oracletest.User{Username: "ada", Password: "pw-ada"})
	tok := realclient.CEC(t, srv.Client(), srv.URL(), "ada", "pw-ada")
	if a := do(t, srv, "GET", mePath, "Bearer "+tok, "", ""); a.status != 200 {
		t.Fatalf("the token cec ends with: %d", a.status)
	}
	if srv.Calls(oracletest.OpCSRFToken) != 1 {
		t.Fatalf("csrfToken calls %d", srv.Calls(oracletest.OpCSRFToken))
	}
	// csrfToken needs a credential.
	if a := do(t, srv, "GET", "/system/api/v1/csrfToken", "", "", ""); a.status != 401 || a.str("httpMessage") != "Unauthorized" {
		t.Fatalf("csrfToken without credential: %d %s", a.status, a.raw)
	}
}

// TestSelfLinkUnderPublicURL: served under a prefix, /me's self link names it.
func TestSelfLinkUnderPublicURL(t *testing.T) {
	t.Parallel()
	srv := oracletest.New(t)
	srv.AddUser(oracletest.User{Username: "ada", Password: "pw-ada"})
	srv.SetPublicURL("http://127.0.0.1:9/oracle/")
	tok := realclient.CEC(t, srv.Client(), srv.URL(), "ada", "pw-ada")
	a := do(t, srv, "GET", mePath, "Bearer "+tok, "", "")
	if !strings.Contains(a.raw, `"href":"http://127.0.0.1:9/oracle/system/api/v1/me"`) {
		t.Fatalf("links: %s", a.raw)
	}
}
