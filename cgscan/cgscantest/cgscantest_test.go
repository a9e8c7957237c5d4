package cgscantest_test

import (
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

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
	"github.com/tokenkit/tokenkit/fakes"
)

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends one request to the fake; headers is alternating names and values.
func call(t *testing.T, c *http.Client, method, url, body string, headers ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	return r
}

func str(r reply, k string) string { s, _ := r.body[k].(string); return s }

// api wraps a server with the API key set on every call.
type api struct {
	t   *testing.T
	srv *cgscantest.Server
	c   *http.Client
}

func newAPI(t *testing.T) *api {
	srv := cgscantest.New(t)
	return &api{t: t, srv: srv, c: srv.Client()}
}

func (a *api) do(method, path, body string, headers ...string) reply {
	a.t.Helper()
	return call(a.t, a.c, method, a.srv.URL()+path, body, append([]string{"x-api-key", a.srv.APIKey()}, headers...)...)
}

func (a *api) signIn(user, password string) reply {
	a.t.Helper()
	return a.do("POST", "/auth/sign_in", fmt.Sprintf(`{"username":%q,"password":%q}`, user, password))
}

func (a *api) wantError(r reply, status int, msg string) {
	a.t.Helper()
	if r.status != status || r.body["status"] != float64(status) || str(r, "status_text") != http.StatusText(status) ||
		(msg != "" && !strings.Contains(r.raw, msg)) {
		a.t.Fatalf("want %d %q, got %d %s", status, msg, r.status, r.raw)
	}
}

func TestSignInFlow(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	a.srv.AddUser(cgscantest.User{Username: "alice", Password: "secret123", TwoFactor: true, Role: "Admin", Timezone: "Europe/Paris", Organization: "Acme"})
	a.srv.AddUser(cgscantest.User{Username: "bob", Password: "pw"})

	r := a.signIn("bob", "pw")
	if r.status != 200 || str(r, "token") == "" || r.body["sign_in_count"] != float64(1) || str(r, "provider") != "email" || r.body["verified"] != true {
		t.Fatalf("sign in: %s", r.raw)
	}
	org, _ := r.body["organization"].(map[string]any)
	if org["uuid"] == "" || org["name"] != "cgscantest organization" {
		t.Fatalf("organization %v", org)
	}

	r = a.signIn("alice", "secret123")
	state := str(r, "otp_session_state")
	if r.status != 200 || state == "" || str(r, "token") != "" {
		t.Fatalf("challenge: %s", r.raw)
	}
	a.wantError(a.do("POST", "/auth/sign_in", `{"otp_session_state":"`+state+`"}`), 422, "otp_attempt can't be blank")
	a.wantError(a.do("POST", "/auth/sign_in", `{"otp_attempt":"1"}`), 422, "otp_session_state can't be blank")
	a.wantError(a.do("POST", "/auth/sign_in", `{"otp_attempt":"x","otp_session_state":"`+state+`"}`), 401, "Invalid two-factor code")
	r = a.do("POST", "/auth/sign_in", `{"otp_attempt":"`+a.srv.OTP("alice")+`","otp_session_state":"`+state+`"}`)
	if r.status != 200 || str(r, "token") == "" || str(r, "role") != "Admin" || str(r, "timezone") != "Europe/Paris" {
		t.Fatalf("second step: %s", r.raw)
	}
	if a.srv.Applied("SignIn") != 2 || a.srv.Calls("SignIn") != 6 {
		t.Fatalf("applied %d calls %d", a.srv.Applied("SignIn"), a.srv.Calls("SignIn"))
	}
	// The state is used up.
	a.wantError(a.do("POST", "/auth/sign_in", `{"otp_attempt":"`+a.srv.OTP("alice")+`","otp_session_state":"`+state+`"}`), 401, "Invalid or expired two-factor session")

	a.wantError(a.signIn("alice", "nope"), 401, "Invalid username or password")
	a.wantError(a.signIn("nobody", "nope"), 401, "Invalid username or password")
	r = a.do("POST", "/auth/sign_in", `{}`)
	a.wantError(r, 422, "username can't be blank")
	if errs, _ := r.body["errors"].([]any); len(errs) != 2 {
		t.Fatalf("errors %v", r.body["errors"])
	}
}

func TestOTPFailuresEndThePendingSignIn(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	a.srv.AddUser(cgscantest.User{Username: "alice", Password: "pw", TwoFactor: true})
	state := str(a.signIn("alice", "pw"), "otp_session_state")
	for range cgscantest.MaxOTPFailures {
		a.wantError(a.do("POST", "/auth/sign_in", `{"otp_attempt":"wrong","otp_session_state":"`+state+`"}`), 401, "Invalid two-factor code")
	}
	a.wantError(a.do("POST", "/auth/sign_in", `{"otp_attempt":"`+a.srv.OTP("alice")+`","otp_session_state":"`+state+`"}`), 401, "expired two-factor session")
}

func TestRecoveryCheckAndSMS(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	a.srv.AddUser(cgscantest.User{Username: "alice", Password: "pw", TwoFactor: true, RecoveryCodes: []string{"r-1", "r-2"}})
	state := str(a.signIn("alice", "pw"), "otp_session_state")

	r := a.do("POST", "/auth/check_2fa", `{"otp_session_state":"`+state+`"}`)
	if r.status != 200 || r.body["otp_required"] != true || str(r, "otp_method") != "app" || r.body["phone"] != nil {
		t.Fatalf("check 2fa: %s", r.raw)
	}
	a.wantError(a.do("POST", "/auth/check_2fa", `{"otp_session_state":"nope"}`), 401, "")
	a.wantError(a.do("POST", "/auth/send_sms_otp", `{"otp_session_state":"`+state+`"}`), 422, "phone number")
	if a.srv.Applied("SendSMSOTP") != 0 {
		t.Fatal("no SMS without a phone")
	}

	a.wantError(a.do("POST", "/auth/sign_in_with_recovery_code", `{"recovery_code":"r-9","otp_session_state":"`+state+`"}`), 401, "Invalid recovery code")
	a.wantError(a.do("POST", "/auth/sign_in_with_recovery_code", `{"recovery_code":""}`), 422, "recovery_code")
	a.wantError(a.do("POST", "/auth/sign_in_with_recovery_code", `{"recovery_code":"r-1"}`), 422, "")
	r = a.do("POST", "/auth/sign_in_with_recovery_code", `{"recovery_code":"r-1","otp_session_state":"`+state+`"}`)
	if r.status != 200 || str(r, "token") == "" {
		t.Fatalf("recovery: %s", r.raw)
	}
	if got := a.srv.RecoveryCodes("alice"); len(got) != 1 || got[0] != "r-2" {
		t.Fatalf("codes left %v", got)
	}
	a.wantError(a.do("POST", "/auth/sign_in_with_recovery_code", `{"recovery_code":"r-1","username":"alice","password":"pw"}`), 401, "Invalid recovery code")
	a.wantError(a.do("POST", "/auth/sign_in_with_recovery_code", `{"recovery_code":"r-2","username":"alice","password":"bad"}`), 401, "Invalid username or password")
	if r := a.do("POST", "/auth/sign_in_with_recovery_code", `{"recovery_code":"r-2","username":"alice","password":"pw"}`); r.status != 200 {
		t.Fatalf("recovery with password: %s", r.raw)
	}
	if a.srv.Applied("SignInWithRecoveryCode") != 2 {
		t.Fatal("two recovery sign-ins")
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	a.srv.AddUser(cgscantest.User{Username: "bob", Password: "pw"})
	session := str(a.signIn("bob", "pw"), "token")
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

	a.wantError(a.do("PUT", "/v2/user/generate_access_token", ""), 401, "Invalid or expired token")
	r := a.do("PUT", "/v2/user/generate_access_token", "", bearer(session)...)
	tok := str(r, "token")
	if r.status != 200 || tok == "" || str(r, "username") != "bob" || str(r, "message") == "" || a.srv.AccessToken("bob") != tok {
		t.Fatalf("generate: %s", r.raw)
	}
	if r := a.do("GET", "/v2/user/check_token", "", bearer(tok)...); r.status != 200 || r.body["valid"] != true {
		t.Fatalf("check: %s", r.raw)
	}
	// Lower-case scheme works too (the prefix is case-insensitive).
	if r := a.do("GET", "/v2/user/check_token", "", "Authorization", "bearer "+tok); r.status != 200 {
		t.Fatalf("lower-case bearer: %s", r.raw)
	}
	tok2 := str(a.do("PUT", "/v2/user/generate_access_token", "", bearer(tok)...), "token")
	a.wantError(a.do("GET", "/v2/user/check_token", "", bearer(tok)...), 401, "")
	if r := a.do("PUT", "/v2/user/revoke_access_token", "", bearer(session)...); r.status != 200 || !strings.Contains(str(r, "message"), "revoked") {
		t.Fatalf("revoke: %s", r.raw)
	}
	a.wantError(a.do("GET", "/v2/user/check_token", "", bearer(tok2)...), 401, "")
	if r := a.do("PUT", "/v2/user/revoke_access_token", "", bearer(session)...); r.status != 200 || !strings.Contains(str(r, "message"), "No access token") {
		t.Fatalf("second revoke: %s", r.raw)
	}
	if a.srv.Applied("GenerateAccessToken") != 2 || a.srv.Applied("RevokeAccessToken") != 1 {
		t.Fatal("applied counts")
	}
	// Signing out with an access token ends it too.
	tok3 := str(a.do("PUT", "/v2/user/generate_access_token", "", bearer(session)...), "token")
	if r := a.do("DELETE", "/auth/sign_out", "", bearer(tok3)...); r.status != 200 || a.srv.AccessToken("bob") != "" {
		t.Fatalf("sign out with an access token: %s", r.raw)
	}
	if r := a.do("DELETE", "/auth/sign_out", "", bearer(session)...); r.status != 200 || a.srv.TokenValid(session) {
		t.Fatalf("sign out: %s", r.raw)
	}
	a.wantError(a.do("DELETE", "/auth/sign_out", "", bearer(session)...), 401, "")
}

func TestAPIKeyRoutingAndContentType(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	a.srv.AddUser(cgscantest.User{Username: "bob", Password: "pw"})
	body := `{"username":"bob","password":"pw"}`

	a.wantError(call(t, a.c, "POST", a.srv.URL()+"/auth/sign_in", body), 401, "Invalid API key")
	a.wantError(a.do("POST", "/auth/sign_in", body, "x-api-key", "wrong"), 401, "Invalid API key")
	a.srv.AddAPIKey("second-key")
	if r := a.do("POST", "/auth/sign_in", body, "x-api-key", "second-key"); r.status != 200 {
		t.Fatalf("second key: %s", r.raw)
	}
	a.srv.RemoveAPIKey("second-key")
	a.wantError(a.do("POST", "/auth/sign_in", body, "x-api-key", "second-key"), 401, "Invalid API key")

	a.wantError(a.do("GET", "/auth/sign_in", ""), 405, "No route matches [GET]")
	a.wantError(a.do("GET", "/v2/user/scans", ""), 404, "No route matches")
	a.wantError(a.do("POST", "/auth/sign_in", body, "Content-Type", "application/x-www-form-urlencoded"), 415, "application/json")
	a.wantError(a.do("POST", "/auth/sign_in", `{"username":`), 400, "")
	a.wantError(a.do("POST", "/auth/sign_in", `{"username":7}`), 400, "")
	a.wantError(a.do("POST", "/auth/sign_in", strings.Repeat(" ", 1<<20+1)), 413, "")
	if a.srv.Calls("") != 2 || a.srv.TotalCalls() != 10 {
		t.Fatalf("calls: unrouted %d total %d", a.srv.Calls(""), a.srv.TotalCalls())
	}
}

func TestSetPathAndPresentation(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	a.srv.AddUser(cgscantest.User{Username: "bob", Password: "pw"})
	a.srv.SetPath("SignIn", "/api/login")
	a.srv.SetPath("CheckToken", "/v2/user/validate_token")
	a.srv.SetPresentation(tokenkit.Presentation{Header: "X-Access-Token"})

	a.wantError(a.signIn("bob", "pw"), 404, "")
	r := a.do("POST", "/api/login", `{"username":"bob","password":"pw"}`)
	tok := str(r, "token")
	if r.status != 200 || tok == "" {
		t.Fatalf("moved sign-in: %s", r.raw)
	}
	a.wantError(a.do("GET", "/v2/user/validate_token", "", "Authorization", "Bearer "+tok), 401, "")
	if r := a.do("GET", "/v2/user/validate_token", "", "X-Access-Token", tok); r.status != 200 {
		t.Fatalf("custom header: %s", r.raw)
	}
	reqs := a.srv.Requests()
	last := reqs[len(reqs)-1]
	if last.Operation != "CheckToken" || last.Path != "/v2/user/validate_token" {
		t.Fatalf("recorded %v", last)
	}
	a.srv.SetPath("SignIn", "")
	if r := a.signIn("bob", "pw"); r.status != 200 {
		t.Fatalf("restored path: %s", r.raw)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("SetPath of an unknown operation must panic")
		}
	}()
	a.srv.SetPath("Nope", "/x")
}

type faultCase struct {
	name  string
	fault fakes.Fault
	check func(t *testing.T, r *http.Response, err error)
}

func faultCases() []faultCase {
	return []faultCase{
		{name: "429 with Retry-After", fault: fakes.Fault{Status: 429, RetryAfter: "3"}, check: func(t *testing.T, r *http.Response, err error) {
			if err != nil || r.StatusCode != 429 || r.Header.Get("Retry-After") != "3" || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Fatalf("got %v %v", r, err)
			}
		}},
		{name: "500", fault: fakes.Fault{Status: 500}, check: func(t *testing.T, r *http.Response, err error) {
			var body map[string]any
			if err == nil {
				_ = json.NewDecoder(r.Body).Decode(&body)
			}
			if err != nil || r.StatusCode != 500 || body["status"] != float64(500) || body["status_text"] != "Internal Server Error" {
				t.Fatalf("got %v %v %v", r, body, err)
			}
		}},
		{name: "HTML", fault: fakes.Fault{HTML: true}, check: func(t *testing.T, r *http.Response, err error) {
			if err != nil || r.StatusCode != 503 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("got %v %v", r, err)
			}
		}},
		{name: "malformed", fault: fakes.Fault{Malformed: true}, check: func(t *testing.T, r *http.Response, err error) {
			b, _ := io.ReadAll(r.Body)
			if err != nil || r.StatusCode != 200 || string(b) != `{"token":` {
				t.Fatalf("got %v %q %v", r, b, err)
			}
		}},
		{name: "drop", fault: fakes.Fault{Drop: true}, check: func(t *testing.T, r *http.Response, err error) {
			if err == nil {
				t.Fatalf("want a dropped connection, got %v", r.StatusCode)
			}
		}},
		{name: "delay then serve", fault: fakes.Fault{Delay: time.Millisecond}, check: func(t *testing.T, r *http.Response, err error) {
			if err != nil || r.StatusCode != 200 {
				t.Fatalf("got %v %v", r, err)
			}
		}},
	}
}

// runFaults applies each fault to a generate call through client.
func runFaults(t *testing.T, srv *cgscantest.Server, client *http.Client, base string) {
	srv.AddUser(cgscantest.User{Username: "bob", Password: "pw"})
	sess := call(t, client, "POST", base+"/auth/sign_in", `{"username":"bob","password":"pw"}`, "x-api-key", srv.APIKey())
	tok := str(sess, "token")
	for _, fc := range faultCases() {
		before := srv.Applied("GenerateAccessToken")
		srv.FailNext(1, fc.fault)
		req, _ := http.NewRequest("PUT", base+"/v2/user/generate_access_token", nil)
		req.Header.Set("x-api-key", srv.APIKey())
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		fc.check(t, resp, err)
		if resp != nil {
			resp.Body.Close()
		}
		applied := srv.Applied("GenerateAccessToken") - before
		if want := map[bool]int{true: 1, false: 0}[fc.fault == fakes.Fault{Delay: time.Millisecond}]; applied != want {
			t.Fatalf("%s: applied %d, want %d", fc.name, applied, want)
		}
	}
	// DropAfterApply: the token changes, the answer is lost.
	old := srv.AccessToken("bob")
	srv.FailNext(1, fakes.Fault{DropAfterApply: true})
	req, _ := http.NewRequest("PUT", base+"/v2/user/generate_access_token", nil)
	req.Header.Set("x-api-key", srv.APIKey())
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("DropAfterApply must lose the answer")
	}
	if srv.AccessToken("bob") == old {
		t.Fatal("DropAfterApply must apply the change")
	}
	for _, r := range srv.Requests() {
		if r.Operation == "GenerateAccessToken" && !r.Faulted {
			t.Fatalf("every generate was faulted: %v", r)
		}
	}
}

func TestFaultsHTTP(t *testing.T) {
	t.Parallel()
	srv := cgscantest.New(t)
	// No keep-alive retries by net/http: a fresh connection per request.
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	runFaults(t, srv, &http.Client{Transport: tr}, srv.URL())
}

func TestFaultsResponder(t *testing.T) {
	t.Parallel()
	srv := cgscantest.New(t)
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(srv.Responder())
	runFaults(t, srv, &http.Client{Transport: mt}, "https://portal.example.test")
}

func TestResponderSharesStateWithHTTP(t *testing.T) {
	t.Parallel()
	srv := cgscantest.New(t)
	srv.AddUser(cgscantest.User{Username: "bob", Password: "pw"})
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(srv.Responder())
	viaMock := call(t, &http.Client{Transport: mt}, "POST", "https://any.test/auth/sign_in", `{"username":"bob","password":"pw"}`, "x-api-key", srv.APIKey())
	tok := str(viaMock, "token")
	viaHTTP := call(t, srv.Client(), "GET", srv.URL()+"/v2/user/check_token", "", "x-api-key", srv.APIKey(), "Authorization", "Bearer "+tok)
	if viaHTTP.status != 200 || srv.TotalCalls() != 2 {
		t.Fatalf("shared state: %s", viaHTTP.raw)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v2/user/check_token", nil)
	req.Header.Set("x-api-key", srv.APIKey())
	req.Header.Set("Authorization", "Bearer "+tok)
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 || srv.Calls("CheckToken") != 2 {
		t.Fatalf("handler: %d", rec.Code)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := cgscantest.New(t)
	srv.AddUser(cgscantest.User{Username: "bob", Password: "pw"})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			r := call(t, srv.Client(), "POST", srv.URL()+"/auth/sign_in", `{"username":"bob","password":"pw"}`, "x-api-key", srv.APIKey())
			tok := str(r, "token")
			call(t, srv.Client(), "PUT", srv.URL()+"/v2/user/generate_access_token", "", "x-api-key", srv.APIKey(), "Authorization", "Bearer "+tok)
			_ = srv.Requests()
			_ = srv.AccessToken("bob")
		})
	}
	wg.Wait()
	if srv.Applied("SignIn") != 16 || srv.Applied("GenerateAccessToken") != 16 || !srv.TokenValid(srv.AccessToken("bob")) {
		t.Fatal("counts")
	}
}

func TestFormatRedacts(t *testing.T) {
	t.Parallel()
	srv := cgscantest.New(t)
	u := cgscantest.User{Username: "bob", Password: "the-password", RecoveryCodes: []string{"the-code"}}
	srv.AddUser(u)
	call(t, srv.Client(), "POST", srv.URL()+"/auth/sign_in", `{"username":"bob","password":"the-password"}`, "x-api-key", srv.APIKey())
	r := srv.Requests()[0]
	if r.JSON["password"] != "the-password" || r.Header.Get("x-api-key") != srv.APIKey() {
		t.Fatal("fields stay readable")
	}
	b1, _ := json.Marshal(u)
	b2, _ := json.Marshal(r)
	out := fmt.Sprintf("%v %+v %#v %s %v %+v %#v %s %s", u, u, u, u, r, r, r, b1, b2)
	for _, s := range []string{"the-password", "the-code", srv.APIKey()} {
		if strings.Contains(out, s) {
			t.Fatalf("%q leaked: %s", s, out)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("AddUser without a password must panic")
		}
	}()
	srv.AddUser(cgscantest.User{Username: "x"})
}
