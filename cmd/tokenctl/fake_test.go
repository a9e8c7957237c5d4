package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit/canvus/canvustest"
)

// buildTokenctl builds the command into a temporary directory.
func buildTokenctl(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH to build tokenctl with")
	}
	bin := filepath.Join(t.TempDir(), "tokenctl")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestFakeServer runs `tokenctl fake` as another process, as a test suite in
// another language would, and drives one token lifecycle per vendor with
// plain HTTP requests, without the SDK. Then it stops the server with
// SIGINT.
func TestFakeServer(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("stops the server with SIGINT")
	}
	t.Parallel()
	bin := buildTokenctl(t)
	config := filepath.Join(t.TempDir(), "seed.json")
	seedJSON := `{"users": [{"name": "ada", "password": "pw-ada", "admin": true}], "api_tokens": ["csp-token-1"], "api_keys": ["cg-key-1"]}`
	if err := os.WriteFile(config, []byte(seedJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "fake", "--config", config, "--user", "bob:pw:with:colons", "--addr", "127.0.0.1:0")
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
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	// One "vendor URL" line per vendor, then the server is up.
	urls := map[string]string{}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for len(urls) < len(vendorNames()) {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the fake ended early:\n%s", stderr.String())
			}
			v, u, found := strings.Cut(line, " ")
			if !found || !strings.HasPrefix(u, "http://127.0.0.1:") {
				t.Fatalf("not a vendor URL line: %q", line)
			}
			urls[v] = u
		case <-time.After(30 * time.Second):
			t.Fatalf("no URLs after 30s:\n%s", stderr.String())
		}
	}

	t.Run("csp", func(t *testing.T) { fakeCSPLifecycle(t, urls["csp"]) })
	t.Run("commvault", func(t *testing.T) { fakeCommvaultLifecycle(t, urls["commvault"]) })
	t.Run("canvus", func(t *testing.T) { fakeCanvusLifecycle(t, urls["canvus"]+canvustest.APIPath) }) // the origin: the API is under /api/v1
	t.Run("oracle", func(t *testing.T) { fakeOracleLifecycle(t, urls["oracle"]) })
	t.Run("cgscan", func(t *testing.T) { fakeCGScanLifecycle(t, urls["cgscan"]) })

	// The built command against the served fake, the API token in the
	// environment: the bare access token on stdout.
	t.Run("tokenctl csp exchange", func(t *testing.T) {
		c := exec.Command(bin, "csp", "exchange")
		c.Env = append(os.Environ(), "CSP_API_TOKEN=csp-token-1", "CSP_URL="+urls["csp"], "XDG_CACHE_HOME="+t.TempDir())
		out, err := c.Output()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if jwt := strings.TrimSuffix(string(out), "\n"); strings.Count(jwt, ".") != 2 || strings.Contains(jwt, "\n") {
			t.Fatalf("stdout is not a bare JWT: %q", out)
		}
	})

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after SIGINT: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20s after SIGINT:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("stderr: %q", stderr.String())
	}
}

// do sends one request the way curl would and returns the status and the
// decoded JSON body (nil when the body is not JSON).
func do(t *testing.T, method, rawURL string, header map[string]string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		r, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, rawURL, r)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// want fails the test unless status is one of the wanted ones.
func want(t *testing.T, what string, status int, body map[string]any, wanted ...int) {
	t.Helper()
	for _, w := range wanted {
		if status == w {
			return
		}
	}
	t.Fatalf("%s: HTTP %d, want %v: %v", what, status, wanted, body)
}

func str(m map[string]any, keys ...string) string {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[k]
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return fmt.Sprint(int64(x))
	}
	return ""
}

func fakeCSPLifecycle(t *testing.T, base string) {
	authorize := base + "/csp/gateway/am/api/auth/api-tokens/authorize"
	st, b := do(t, "POST", authorize, nil, url.Values{"api_token": {"csp-token-1"}})
	want(t, "exchange", st, b, 200)
	first := str(b, "access_token")
	if strings.Count(first, ".") != 2 {
		t.Fatalf("exchange: %v", b)
	}
	st, b = do(t, "GET", base+"/csp/gateway/am/api/auth/token-public-key", nil, nil)
	want(t, "public key", st, b, 200)
	st, b = do(t, "POST", base+"/csp/gateway/am/api/auth/api-tokens/details", nil, map[string]string{"tokenValue": "csp-token-1"})
	want(t, "details", st, b, 200)
	st, b = do(t, "POST", authorize, nil, url.Values{"api_token": {"csp-token-1"}})
	want(t, "exchange again", st, b, 200)
	if str(b, "access_token") == first {
		t.Error("a second exchange returned the same token")
	}
	st, b = do(t, "POST", authorize, nil, url.Values{"api_token": {"not-a-token"}})
	want(t, "bad API token", st, b, 400)
}

func fakeCommvaultLifecycle(t *testing.T, base string) {
	for _, u := range []struct{ name, pw string }{{"ada", "pw-ada"}, {"bob", "pw:with:colons"}} {
		st, b := do(t, "POST", base+"/Login", nil, map[string]string{"username": u.name, "password": base64.StdEncoding.EncodeToString([]byte(u.pw))})
		want(t, "login "+u.name, st, b, 200)
		if !strings.HasPrefix(str(b, "token"), "QSDK ") {
			t.Fatalf("login %s: %v", u.name, b)
		}
	}
	_, b := do(t, "POST", base+"/Login", nil, map[string]string{"username": "ada", "password": base64.StdEncoding.EncodeToString([]byte("pw-ada"))})
	session := map[string]string{"Authtoken": str(b, "token")}
	st, b := do(t, "POST", base+"/V4/AccessToken", session, map[string]any{"tokenName": "ci"})
	want(t, "create", st, b, 200)
	access, refresh, id := str(b, "tokenInfo", "accessToken"), str(b, "tokenInfo", "refreshToken"), str(b, "tokenInfo", "accessTokenId")
	if access == "" || refresh == "" || id == "" {
		t.Fatalf("create: %v", b)
	}
	st, b = do(t, "GET", base+"/V4/AccessToken", session, nil)
	want(t, "list", st, b, 200)
	if !strings.Contains(fmt.Sprint(b["tokens"]), "ci") {
		t.Errorf("list: %v", b)
	}
	st, b = do(t, "GET", base+"/V4/AccessToken", map[string]string{"Authtoken": access}, nil)
	want(t, "use", st, b, 200)
	st, b = do(t, "POST", base+"/V4/AccessToken/Renew", map[string]string{"Authtoken": access}, map[string]string{"accessToken": access, "refreshToken": refresh})
	want(t, "renew", st, b, 200)
	renewed := str(b, "accessToken")
	if renewed == "" || renewed == access {
		t.Fatalf("renew: %v", b)
	}
	st, b = do(t, "DELETE", base+"/V4/AccessToken/"+id, session, nil)
	want(t, "delete", st, b, 200)
	st, b = do(t, "GET", base+"/V4/AccessToken", map[string]string{"Authtoken": renewed}, nil)
	want(t, "deleted token", st, b, 401)
	st, b = do(t, "POST", base+"/Logout", session, nil)
	want(t, "logout", st, b, 200)
}

func fakeCanvusLifecycle(t *testing.T, base string) {
	st, b := do(t, "POST", base+"/users/login", nil, map[string]string{"email": "ada@example.com", "password": "pw-ada"})
	want(t, "login", st, b, 200)
	login, uid := str(b, "token"), str(b, "user", "id")
	tokens := base + "/users/" + uid + "/access-tokens"
	st, b = do(t, "POST", tokens, map[string]string{"Private-Token": login}, map[string]string{"description": "ci"})
	want(t, "create", st, b, 200, 201)
	pat, id := str(b, "plain_token"), str(b, "id")
	if pat == "" || id == "" {
		t.Fatalf("create: %v", b)
	}
	one := tokens + "/" + url.PathEscape(id)
	st, b = do(t, "GET", tokens, map[string]string{"Private-Token": pat}, nil)
	want(t, "list with the new token", st, b, 200)
	st, b = do(t, "POST", base+"/users/login", nil, map[string]string{"token": login})
	want(t, "prolong the login", st, b, 200)
	login = str(b, "token")
	st, b = do(t, "PATCH", one, map[string]string{"Private-Token": login}, map[string]string{"description": "ci2"})
	want(t, "rename", st, b, 200)
	st, b = do(t, "GET", one, map[string]string{"Private-Token": login}, nil)
	want(t, "get", st, b, 200)
	if str(b, "description") != "ci2" {
		t.Errorf("get: %v", b)
	}
	st, b = do(t, "DELETE", one, map[string]string{"Private-Token": login}, nil)
	want(t, "delete", st, b, 200, 204)
	st, b = do(t, "GET", tokens, map[string]string{"Private-Token": pat}, nil)
	want(t, "deleted token", st, b, 401)
	st, b = do(t, "POST", base+"/users/logout", map[string]string{"Private-Token": login}, nil)
	want(t, "logout", st, b, 200, 204)
}

func fakeOracleLifecycle(t *testing.T, base string) {
	tokenURL := base + "/system/api/v1/security/token"
	basic := map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("ada:pw-ada"))}
	st, b := do(t, "POST", tokenURL, basic, nil)
	want(t, "sign in", st, b, 200)
	access, refresh := str(b, "accessToken"), str(b, "refreshToken")
	if access == "" || refresh == "" || str(b, "expiresInMillis") == "" {
		t.Fatalf("sign in: %v", b)
	}
	st, b = do(t, "GET", base+"/system/api/v1/me", map[string]string{"Authorization": "Bearer " + access}, nil)
	want(t, "use", st, b, 200)
	st, b = do(t, "POST", tokenURL, map[string]string{"Authorization": "Bearer " + access}, nil)
	want(t, "a new token for a session", st, b, 200)
	st, b = do(t, "POST", tokenURL, nil, map[string]string{"refreshToken": refresh})
	want(t, "refresh", st, b, 200)
	if str(b, "accessToken") == "" || str(b, "refreshToken") == refresh {
		t.Fatalf("refresh did not rotate: %v", b)
	}
	st, b = do(t, "POST", tokenURL, nil, map[string]string{"refreshToken": refresh})
	want(t, "the spent refresh token", st, b, 400)
}

func fakeCGScanLifecycle(t *testing.T, base string) {
	key := map[string]string{"x-api-key": "cg-key-1"}
	st, b := do(t, "POST", base+"/auth/sign_in", key, map[string]string{"username": "ada", "password": "pw-ada"})
	want(t, "sign in", st, b, 200)
	session := map[string]string{"x-api-key": "cg-key-1", "Authorization": "Bearer " + str(b, "token")}
	st, b = do(t, "PUT", base+"/v2/user/generate_access_token", session, nil)
	want(t, "generate", st, b, 200)
	access := map[string]string{"x-api-key": "cg-key-1", "Authorization": "Bearer " + str(b, "token")}
	st, b = do(t, "GET", base+"/v2/user/check_token", access, nil)
	want(t, "check", st, b, 200)
	st, b = do(t, "PUT", base+"/v2/user/revoke_access_token", session, nil)
	want(t, "revoke", st, b, 200)
	st, b = do(t, "GET", base+"/v2/user/check_token", access, nil)
	want(t, "revoked token", st, b, 401)
	st, b = do(t, "DELETE", base+"/auth/sign_out", session, nil)
	want(t, "sign out", st, b, 200)
	st, b = do(t, "POST", base+"/auth/sign_in", map[string]string{"x-api-key": "wrong"}, map[string]string{"username": "ada", "password": "pw-ada"})
	want(t, "wrong API key", st, b, 401)
}
