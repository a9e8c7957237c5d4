package canvustest_test

import (
	"bufio"
	"context"
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

	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/fakes"
)

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends one request to the fake over HTTP.
func do(t *testing.T, hc *http.Client, method, url, token, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Private-Token", token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	return r
}

func TestLoginValidation(t *testing.T) {
	t.Parallel()
	fake := canvustest.New(t)
	fake.AddUser(canvustest.User{Email: "x@y", Password: "right"})
	u := fake.URL() + canvustest.APIPath + "/users/login"
	hc := fake.Client()
	const shape = "Login request must have either email and password or token"
	for _, tc := range []struct {
		name, body string
		status     int
		msg        string
	}{
		// The live-verified pair (VERIFIED-CORRECTIONS §4).
		{"wrong password", `{"email":"x@y","password":"wrong"}`, 401, "Invalid username or password."},
		{"unknown field", `{"email":"x@y","username":"x@y","password":"wrong"}`, 400, shape},
		{"unknown field, right password", `{"email":"x@y","username":"x@y","password":"right"}`, 400, shape},
		{"email only", `{"email":"x@y"}`, 400, shape},
		{"both forms", `{"email":"x@y","password":"right","token":"t"}`, 400, shape},
		{"empty", `{}`, 400, shape},
		{"not JSON", `email=x@y`, 400, ""},
		{"unknown token", `{"token":"nope"}`, 401, "Invalid token"},
		{"right", `{"email":"X@Y","password":"right","remember":true}`, 200, ""},
	} {
		r := do(t, hc, "POST", u, "", tc.body)
		if r.status != tc.status || (tc.msg != "" && r.body["msg"] != tc.msg) {
			t.Errorf("%s: %d %s, want %d %q", tc.name, r.status, r.raw, tc.status, tc.msg)
		}
	}
	if got := fake.Applied(canvustest.OpLogin); got != 1 {
		t.Fatalf("Applied(Login) = %d", got)
	}
}

func TestSessionsAndTokenLogin(t *testing.T) {
	t.Parallel()
	fake := canvustest.New(t)
	now := time.Date(2025, 3, 15, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	fake.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	u := fake.AddUser(canvustest.User{Email: "x@y", Password: "pw"})
	hc := fake.Client()
	list := fake.URL() + canvustest.APIPath + fmt.Sprintf("/users/%d/access-tokens", u.ID)

	r := do(t, hc, "POST", fake.URL()+canvustest.APIPath+"/users/login", "", `{"email":"x@y","password":"pw"}`)
	tok := r.body["token"].(string)
	user := r.body["user"].(map[string]any)
	if user["id"].(float64) != float64(u.ID) || user["last_login"] != "2025-03-15T09:00:00.000Z" {
		t.Fatalf("user %v", user)
	}
	advance(23 * time.Hour)
	r = do(t, hc, "POST", fake.URL()+canvustest.APIPath+"/users/login", "", `{"token":"`+tok+`"}`)
	rotated, _ := r.body["token"].(string)
	if r.status != 200 || rotated == "" || rotated == tok {
		t.Fatalf("token login: %d %s", r.status, r.raw)
	}
	if do(t, hc, "GET", list, tok, "").status != 401 || do(t, hc, "GET", list, rotated, "").status != 200 {
		t.Fatal("rotation must retire the old token")
	}
	advance(23 * time.Hour) // prolonged from the token login
	if got := do(t, hc, "GET", list, rotated, ""); got.status != 200 {
		t.Fatalf("prolonged session: %d", got.status)
	}
	advance(2 * time.Hour)
	if got := do(t, hc, "GET", list, rotated, ""); got.status != 401 || got.body["msg"] != "401 Unauthorized" {
		t.Fatalf("expired session: %d %s", got.status, got.raw)
	}
	if n := fake.ActiveSessions(u.ID); n != 0 {
		t.Fatalf("%d sessions", n)
	}
}

func TestPermissionsAndRouting(t *testing.T) {
	t.Parallel()
	fake := canvustest.New(t)
	alice := fake.AddUser(canvustest.User{Email: "a@x", Password: "pw"})
	bob := fake.AddUser(canvustest.User{Email: "b@x", Password: "pw"})
	admin := fake.AddUser(canvustest.User{Email: "root@x", Password: "pw", Admin: true})
	hc := fake.Client()
	aliceList := fake.URL() + canvustest.APIPath + fmt.Sprintf("/users/%d/access-tokens", alice.ID)
	if r := do(t, hc, "GET", aliceList, fake.NewSession(bob.ID), ""); r.status != 403 || r.body["msg"] != "Permission denied" {
		t.Fatalf("bob on alice: %d %s", r.status, r.raw)
	}
	if r := do(t, hc, "GET", aliceList, fake.NewSession(admin.ID), ""); r.status != 200 || r.raw != "[]\n" {
		t.Fatalf("admin on alice: %d %s", r.status, r.raw)
	}
	// The vendor's curl examples send JSON without a JSON content type.
	req, _ := http.NewRequest("POST", aliceList, strings.NewReader(`{"description":"Second token"}`))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Private-Token", fake.NewSession(alice.ID))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != 200 || created["plain_token"] == "" || len(created["id"]) != 80 || len(created["created_at"]) != 23 {
		t.Fatalf("create: %d %v", resp.StatusCode, created)
	}
	for _, tc := range []struct {
		method, path string
		status       int
		msg          string
	}{
		{"GET", "/users/me/access-tokens", 400, "User ID me is not an integer"}, // VERIFIED-CORRECTIONS §5
		{"GET", "/users/424242/access-tokens", 404, "User not found"},
		{"GET", fmt.Sprintf("/users/%d/access-tokens/nope", alice.ID), 404, "Access token not found"},
		{"PUT", fmt.Sprintf("/users/%d/access-tokens", alice.ID), 404, "Not found"},
		{"GET", "/nothing", 404, "Not found"},
	} {
		r := do(t, hc, tc.method, fake.URL()+canvustest.APIPath+tc.path, fake.NewSession(admin.ID), "")
		if r.status != tc.status || r.body["msg"] != tc.msg {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.raw)
		}
	}
	if fake.Calls("") != 2 || fake.Calls(canvustest.OpListAccessTokens) != 4 {
		t.Fatalf("calls: unrouted %d, list %d", fake.Calls(""), fake.Calls(canvustest.OpListAccessTokens))
	}
	fake.SetLegacyErrors(true)
	if r := do(t, hc, "GET", aliceList, "", ""); r.status != 401 || r.body["message"] != "401 Unauthorized" || r.body["msg"] != nil {
		t.Fatalf("legacy: %s", r.raw)
	}
}

// readLines reads a stream line by line into a channel.
func readLines(body io.Reader) <-chan string {
	ch := make(chan string, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(body)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

func line(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case l, ok := <-ch:
		if !ok {
			t.Fatal("stream ended")
		}
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("no line within 10s")
	}
	return ""
}

// TestSubscribeStreams checks the stream over HTTP and through the
// Responder, with both query forms.
func TestSubscribeStreams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ transport, query string }{
		{"httptest", "?subscribe"}, {"httptest", "?subscribe=true"}, {"httpmock", "?subscribe"}, {"httpmock", "?subscribe=true"},
	} {
		t.Run(tc.transport+tc.query, func(t *testing.T) {
			t.Parallel()
			fake := canvustest.New(t)
			fake.SetKeepAlive(0)
			alice := fake.AddUser(canvustest.User{Email: "a@x", Password: "pw"})
			seeded := fake.AddAccessToken(canvustest.AccessToken{UserID: alice.ID, Description: "seed"})
			tok := fake.NewSession(alice.ID)
			hc := fake.Client()
			base := fake.URL() + canvustest.APIPath
			if tc.transport == "httpmock" {
				mt := httpmock.NewMockTransport()
				mt.RegisterNoResponder(fake.Responder())
				hc = &http.Client{Transport: mt}
				base = "https://canvus.test" + canvustest.APIPath
			}
			list := base + fmt.Sprintf("/users/%d/access-tokens", alice.ID)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", list+tc.query, nil)
			req.Header.Set("Private-Token", tok)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			lines := readLines(resp.Body)
			if l := line(t, lines); !strings.HasPrefix(l, `[{"created_at":"`) || !strings.Contains(l, seeded.ID) {
				t.Fatalf("initial line %q", l)
			}
			fake.KeepAlive()
			if l := line(t, lines); l != "" {
				t.Fatalf("keep-alive line %q", l)
			}
			r := do(t, hc, "POST", list, tok, `{"description":"new"}`)
			if l := line(t, lines); !strings.Contains(l, `"description":"new"`) || !strings.Contains(l, r.body["id"].(string)) || strings.Contains(l, "plain_token") {
				t.Fatalf("create line %q", l)
			}
			do(t, hc, "DELETE", list+"/"+strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D").Replace(seeded.ID), tok, "")
			if l := line(t, lines); !strings.Contains(l, `"state":"deleted"`) || !strings.Contains(l, seeded.ID) {
				t.Fatalf("delete line %q", l)
			}
			if fake.Subscribers() != 1 {
				t.Fatalf("%d subscribers", fake.Subscribers())
			}
			cancel()
			deadline := time.Now().Add(10 * time.Second)
			for fake.Subscribers() != 0 {
				if time.Now().After(deadline) {
					t.Fatal("the subscription outlived its request")
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

func TestResponderStreamEndsOnBodyClose(t *testing.T) {
	t.Parallel()
	fake := canvustest.New(t)
	alice := fake.AddUser(canvustest.User{Email: "a@x", Password: "pw"})
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(fake.Responder())
	req, _ := http.NewRequest("GET", fmt.Sprintf("https://canvus.test/api/v1/users/%d/access-tokens?subscribe", alice.ID), nil)
	req.Header.Set("Private-Token", fake.NewSession(alice.ID))
	resp, err := (&http.Client{Transport: mt}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if l := line(t, readLines(resp.Body)); l != "[]" {
		t.Fatalf("%q", l)
	}
	resp.Body.Close()
	fake.KeepAlive() // the next write notices the closed body
	deadline := time.Now().Add(10 * time.Second)
	for fake.Subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the subscription outlived its body")
		}
		fake.KeepAlive()
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	fake := canvustest.New(t)
	alice := fake.AddUser(canvustest.User{Email: "a@x", Password: "pw"})
	tok := fake.NewSession(alice.ID)
	list := fake.URL() + canvustest.APIPath + fmt.Sprintf("/users/%d/access-tokens", alice.ID)
	hc := fake.Client()

	fake.FailNext(1, fakes.Fault{Status: 429, RetryAfter: "7"})
	if r := do(t, hc, "GET", list, tok, ""); r.status != 429 || r.header.Get("Retry-After") != "7" || !strings.Contains(r.body["msg"].(string), "injected") {
		t.Fatalf("429: %d %v %s", r.status, r.header, r.raw)
	}
	fake.FailNext(1, fakes.Fault{HTML: true})
	if r := do(t, hc, "GET", list, tok, ""); r.status != 503 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("html: %d", r.status)
	}
	fake.FailNext(1, fakes.Fault{Malformed: true})
	if r := do(t, hc, "GET", list, tok, ""); r.status != 200 || json.Valid([]byte(r.raw)) {
		t.Fatalf("malformed: %s", r.raw)
	}
	fake.FailNext(1, fakes.Fault{Drop: true})
	req, _ := http.NewRequest("POST", list, strings.NewReader(`{"description":"dropped"}`))
	req.Header.Set("Private-Token", tok)
	if _, err := hc.Do(req); err == nil {
		t.Fatal("drop: got a response")
	}
	fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	req, _ = http.NewRequest("POST", list, strings.NewReader(`{"description":"applied"}`))
	req.Header.Set("Private-Token", tok)
	if _, err := hc.Do(req); err == nil {
		t.Fatal("drop after apply: got a response")
	}
	if got := fake.AccessTokens(alice.ID); len(got) != 1 || got[0].Description != "applied" {
		t.Fatalf("tokens %v", got)
	}
	if fake.Applied(canvustest.OpCreateAccessToken) != 1 || fake.Calls(canvustest.OpCreateAccessToken) != 2 {
		t.Fatal("counts")
	}
	// The Responder reports drops as errors.
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(fake.Responder())
	fake.FailNext(1, fakes.Fault{Drop: true})
	if _, err := (&http.Client{Transport: mt}).Get("https://canvus.test/api/v1/server-info"); err == nil {
		t.Fatal("responder drop: no error")
	}
	reqs := fake.Requests()
	if len(reqs) != fake.TotalCalls() || !reqs[0].Faulted || reqs[0].Header.Get("Private-Token") != tok {
		t.Fatalf("requests %v", reqs)
	}
}

func TestFakeTypesNeverPrintSecrets(t *testing.T) {
	t.Parallel()
	fake := canvustest.New(t)
	u := fake.AddUser(canvustest.User{Email: "a@x", Password: "hunter2-password"})
	at := fake.AddAccessToken(canvustest.AccessToken{UserID: u.ID, Plain: "plain-token-value-1"})
	tok := fake.NewSession(u.ID)
	do(t, fake.Client(), "POST", fake.URL()+canvustest.APIPath+"/users/login", "", `{"email":"a@x","password":"hunter2-password"}`)
	do(t, fake.Client(), "GET", fake.URL()+canvustest.APIPath+"/users/1000/access-tokens", tok, "")
	var out strings.Builder
	for _, v := range []any{u, &u, at, &at, fake.Requests()} {
		for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			fmt.Fprintf(&out, f+"\n", v)
		}
	}
	for _, s := range []string{"hunter2-password", "plain-token-value-1", tok} {
		if strings.Contains(out.String(), s) {
			t.Fatalf("%q printed:\n%s", s, out.String())
		}
	}
}

func TestAddUserMisuse(t *testing.T) {
	t.Parallel()
	fake := canvustest.New(t)
	fake.AddUser(canvustest.User{Email: "a@x", Password: "pw"})
	for name, f := range map[string]func(){
		"duplicate email": func() { fake.AddUser(canvustest.User{Email: "A@x", Password: "pw"}) },
		"no password":     func() { fake.AddUser(canvustest.User{Email: "b@x"}) },
		"unknown user":    func() { fake.NewSession(1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestHandlerSharesState(t *testing.T) {
	t.Parallel()
	fake := canvustest.New(t)
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	r := do(t, srv.Client(), "GET", srv.URL+canvustest.APIPath+"/server-info", "", "")
	if r.status != 200 || r.body["version"] != canvustest.ServerVersion || fake.Calls(canvustest.OpGetServerInfo) != 1 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
}

// TestStatusAudit checks the status and body shape clients read: success
// is exactly 200 with a JSON object, logout included (never an empty body),
// and a doubled slash reaches the canonical route.
func TestStatusAudit(t *testing.T) {
	t.Parallel()
	srv := canvustest.New(t)
	srv.AddUser(canvustest.User{Email: "ada@example.com", Password: "pw"})
	post := func(path, token, body string) (int, string, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+canvustest.APIPath+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Private-Token", token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		raw, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: not a JSON object: %q", path, raw)
		}
		return resp.StatusCode, resp.Header.Get("Content-Type"), m
	}
	st, _, login := post("//users/login", "", `{"email":"ada@example.com","password":"pw"}`)
	if st != http.StatusOK || login["token"] == nil {
		t.Fatalf("login: %d %v", st, login)
	}
	st, ct, out := post("/users/logout", login["token"].(string), "")
	if st != http.StatusOK || !strings.HasPrefix(ct, "application/json") || len(out) == 0 {
		t.Fatalf("logout: %d %q %v", st, ct, out)
	}
	if st, _, _ := post("/users/login", "", `{"email":"ada@example.com","password":"wrong"}`); st != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", st)
	}
}
