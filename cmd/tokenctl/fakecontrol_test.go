package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit/internal/realclient"
)

// startFakeProcess runs `tokenctl fake` with seedJSON as --config, as a test
// suite in another language would, and returns the origin of its control
// API (http://127.0.0.1:PORT) and the vendors' origins. The process is
// killed at cleanup.
func startFakeProcess(t *testing.T, bin, seedJSON string) (string, map[string]string) {
	t.Helper()
	config := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(config, []byte(seedJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "fake", "--config", config, "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	urls := map[string]string{}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for len(urls) < len(vendorNames())+1 {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the fake ended early:\n%s", stderr.String())
			}
			v, u, _ := strings.Cut(line, " ")
			urls[v] = u
		case <-time.After(60 * time.Second):
			t.Fatalf("no URLs after 60s:\n%s", stderr.String())
		}
	}
	ctl := urls["control"]
	delete(urls, "control")
	if !strings.HasSuffix(ctl, "/_fake/") {
		t.Fatalf("the last line names no control API: %q", ctl)
	}
	for v, u := range urls {
		if pu, err := url.Parse(u); err != nil || pu.Path != "" || pu.Host == "" {
			t.Fatalf("%s: %q is not an origin", v, u)
		}
	}
	return strings.TrimSuffix(ctl, "/_fake/"), urls
}

// TestFakeProcessRealClientsAndControl runs the real clients' wire
// behaviour and the control API against `tokenctl fake` as a subprocess.
func TestFakeProcessRealClientsAndControl(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a Unix loopback setup")
	}
	t.Parallel()
	bin := buildTokenctl(t)
	base, urls := startFakeProcess(t, bin, `{
	  "users": [{"name": "ada", "password": "pw-ada", "admin": true},
	            {"name": "eve", "password": "pw-eve", "blocked": true},
	            {"name": "otto", "password": "pw-otto", "two_factor": true}],
	  "api_tokens": ["csp-token-1"],
	  "oauth_apps": [{"id": "tf-app", "secret": "tf-secret", "org_id": "org-1", "scopes": ["openid"]}],
	  "api_keys": ["cg-key-1"],
	  "lifetimes": {"csp_access_token": "10m", "oracle_access_token": "1h"}}`)
	c := http.DefaultClient

	t.Run("cvpysdk", func(t *testing.T) {
		api := urls["commvault"] + "/commandcenter/api"
		if got := realclient.CVPySDK(t, c, api, "ada", "pw-ada"); got != "ada" {
			t.Fatalf("who_am_i read %q", got)
		}
		// Against the API root with a trailing slash too.
		realclient.CVPySDK(t, c, api+"/", "ada", "pw-ada")
	})

	t.Run("cec", func(t *testing.T) {
		tok := realclient.CEC(t, c, urls["oracle"], "ada", "pw-ada")
		st, b := do(t, "GET", urls["oracle"]+"/system/api/v1/me", map[string]string{"Authorization": "Bearer " + tok}, nil)
		want(t, "me", st, b, 200)
		if links, _ := json.Marshal(b["links"]); !strings.Contains(string(links), `"`+urls["oracle"]+`/system/api/v1/me"`) {
			t.Fatalf("self link does not name the origin served: %s", links)
		}
		// A blocked (locked) user.
		st, b = do(t, "POST", urls["oracle"]+"/system/api/v1/security/token",
			map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("eve:pw-eve"))}, nil)
		want(t, "blocked user", st, b, 403)
	})

	t.Run("csp", func(t *testing.T) {
		tokenURL := urls["csp"] + "/csp/gateway/am/api/auth/token"
		form := url.Values{"grant_type": {"client_credentials"}}
		basic := map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("tf-app:tf-secret"))}
		st, b := do(t, "POST", tokenURL, basic, form)
		want(t, "auth/token with Basic", st, b, 200)
		if str(b, "expires_in") != "600" {
			t.Errorf("lifetime from the seed: expires_in %v", b["expires_in"])
		}
		// iss names the address served, not the fake's internal one.
		claims, err := base64.RawURLEncoding.DecodeString(strings.Split(str(b, "access_token"), ".")[1])
		if err != nil || !strings.Contains(string(claims), `"iss":"`+urls["csp"]+`/csp/gateway/am/api"`) {
			t.Fatalf("claims %s", claims)
		}
		st, b = do(t, "POST", tokenURL, nil, url.Values{"grant_type": {"client_credentials"}, "client_id": {"tf-app"}, "client_secret": {"tf-secret"}, "orgId": {"org-1"}})
		want(t, "auth/token with the credentials in the form", st, b, 200)
		st, b = do(t, "POST", urls["csp"]+"//csp/gateway/am/api/auth/authorize", basic, form)
		want(t, "//csp/... (a base ending in /)", st, b, 200)
		st, b = do(t, "POST", urls["csp"]+"/csp/gateway/am/api/auth/api-tokens/authorize?refresh_token=csp-token-1", nil, url.Values{})
		want(t, "deprecated query refresh_token", st, b, 200)
	})

	t.Run("control", func(t *testing.T) {
		ctl := base + "/_fake"
		st, b := do(t, "GET", ctl+"/", nil, nil)
		want(t, "index", st, b, 200)
		st, b = do(t, "GET", ctl+"/clock", nil, nil)
		want(t, "clock", st, b, 200)
		before, _ := time.Parse(time.RFC3339Nano, str(b, "now"))
		st, b = do(t, "POST", ctl+"/clock", nil, map[string]string{"advance": "48h"})
		want(t, "advance", st, b, 200)
		after, _ := time.Parse(time.RFC3339Nano, str(b, "now"))
		if after.Sub(before) < 48*time.Hour {
			t.Fatalf("clock moved from %v to %v", before, after)
		}

		// A fault on one operation only.
		st, b = do(t, "POST", ctl+"/oracle/faults", nil, map[string]any{"operation": "GetAccessToken", "status": 503, "retry_after": "1"})
		want(t, "queue fault", st, b, 200)
		adaBasic := map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("ada:pw-ada"))}
		st, b = do(t, "GET", urls["oracle"]+"/system/api/v1/csrfToken", adaBasic, nil)
		want(t, "another operation is not faulted", st, b, 200)
		st, b = do(t, "POST", urls["oracle"]+"/system/api/v1/security/token", adaBasic, nil)
		want(t, "faulted operation", st, b, 503)
		st, b = do(t, "POST", ctl+"/oracle/faults", nil, map[string]any{"status": 500, "count": 3})
		want(t, "queue more", st, b, 200)
		st, b = do(t, "DELETE", ctl+"/oracle/faults", nil, nil)
		want(t, "clear", st, b, 200)
		st, b = do(t, "POST", urls["oracle"]+"/system/api/v1/security/token", adaBasic, nil)
		want(t, "after clear", st, b, 200)
		st, b = do(t, "GET", ctl+"/oracle/calls", nil, nil)
		want(t, "calls", st, b, 200)
		if str(b, "calls", "GetAccessToken") == "" || str(b, "applied", "GetAccessToken") == "" || b["requests"] == nil {
			t.Fatalf("calls: %v", b)
		}
		if raw, _ := json.Marshal(b); strings.Contains(string(raw), "pw-ada") || strings.Contains(string(raw), base64.StdEncoding.EncodeToString([]byte("ada:pw-ada"))) {
			t.Fatal("the recorded calls show a credential")
		}

		// Clone Guard 2FA: the test reads the current code from the control API.
		key := map[string]string{"x-api-key": "cg-key-1"}
		st, b = do(t, "POST", urls["cgscan"]+"/auth/sign_in", key, map[string]string{"username": "otto", "password": "pw-otto"})
		want(t, "2FA sign-in, first step", st, b, 200)
		state := str(b, "otp_session_state")
		st, otp := do(t, "GET", ctl+"/cgscan/otp?user=otto", nil, nil)
		want(t, "otp", st, otp, 200)
		st, b = do(t, "POST", urls["cgscan"]+"/auth/sign_in", key, map[string]string{"otp_attempt": str(otp, "otp"), "otp_session_state": state})
		want(t, "2FA sign-in, second step", st, b, 200)
		if str(b, "token") == "" {
			t.Fatalf("no token: %v", b)
		}

		// Reset: the seed again, the clock back.
		st, b = do(t, "POST", ctl+"/reset", nil, nil)
		want(t, "reset", st, b, 200)
		st, b = do(t, "GET", ctl+"/oracle/calls", nil, nil)
		want(t, "calls after reset", st, b, 200)
		if str(b, "total") != "0" {
			t.Fatalf("after reset: %v", b)
		}
		st, b = do(t, "GET", ctl+"/clock", nil, nil)
		want(t, "clock after reset", st, b, 200)
		if now, _ := time.Parse(time.RFC3339Nano, str(b, "now")); now.After(time.Now().Add(time.Hour)) {
			t.Fatalf("clock not reset: %v", now)
		}
		st, b = do(t, "POST", ctl+"/nope/faults", nil, map[string]any{"status": 500})
		want(t, "unknown vendor", st, b, 404)
	})
}

// TestControlAPIIsLoopbackOnly: a control request from another address is
// refused; the vendors' fakes are not affected by that rule.
func TestControlAPIIsLoopbackOnly(t *testing.T) {
	t.Parallel()
	h := newFakeHost(seed{}.withDefaults(), map[string]string{})
	defer h.Close()
	for _, tc := range []struct {
		remote string
		want   int
	}{{"192.0.2.7:4000", http.StatusForbidden}, {"127.0.0.1:4000", http.StatusOK}, {"[::1]:4000", http.StatusOK}} {
		r := httptest.NewRequest("GET", "/_fake/clock", nil)
		r.RemoteAddr = tc.remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("from %s: %d, want %d", tc.remote, w.Code, tc.want)
		}
	}
}

// TestFakeHelpDocumentsSeedAndControl: the seed format and the control API
// are in `tokenctl fake --help`.
func TestFakeHelpDocumentsSeedAndControl(t *testing.T) {
	t.Parallel()
	out := mustRun(t, nil, "fake", "--help")
	for _, want := range []string{"oauth_apps", "two_factor", "blocked", "lifetimes", "/_fake/clock", "/_fake/VENDOR/faults",
		"/_fake/VENDOR/calls", "/_fake/cgscan/otp", "/_fake/reset", "--oauth-app", "loopback"} {
		if !strings.Contains(out, want) {
			t.Errorf("fake --help lacks %q", want)
		}
	}
}

// TestSeedFile reads the extended seed format and refuses what cannot work.
func TestSeedFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+time.Now().Format("150405.000000000")+".json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s, err := readSeedFile(write(`{"oauth_apps": [{"id": "a", "secret": "s", "scopes": ["openid"]}],
		"users": [{"name": "u", "password": "p", "two_factor": true, "blocked": true}],
		"lifetimes": {"csp_access_token": "90s", "canvus_session": "2h"}}`))
	if err != nil || s.validate() != nil {
		t.Fatalf("%v / %v", err, s.validate())
	}
	if time.Duration(s.Lifetimes.CSPAccessToken) != 90*time.Second || !s.Users[0].TwoFactor || s.OAuthApps[0].ID != "a" {
		t.Fatalf("%+v", s)
	}
	for name, body := range map[string]string{
		"bad lifetime":    `{"lifetimes": {"csp_access_token": "soon"}}`,
		"unknown field":   `{"lifetimes": {"csp_refresh_token": "1h"}}`,
		"numeric seconds": `{"lifetimes": {"csp_access_token": 90}}`,
	} {
		if _, err := readSeedFile(write(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, s := range map[string]seed{
		"app without secret": {OAuthApps: []seedApp{{ID: "a"}}},
		"app id with colon":  {OAuthApps: []seedApp{{ID: "a:b", Secret: "s"}}},
		"app twice":          {OAuthApps: []seedApp{{ID: "a", Secret: "s"}, {ID: "a", Secret: "t"}}},
	} {
		if s.validate() == nil {
			t.Errorf("%s: valid", name)
		}
	}
}
