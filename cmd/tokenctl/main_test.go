package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/capmatrix"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// runCmd runs tokenctl in process with env as its whole environment.
func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// mustRun runs tokenctl and fails the test unless it exits 0; it returns
// standard output.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	code, out, errOut := runCmd(t, env, "", args...)
	if code != 0 {
		t.Fatalf("tokenctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func TestDemo(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmd(t, nil, "", "demo")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	// One row per vendor and step: ok, or n/a where the capability matrix
	// says the vendor cannot do one of the step's verbs.
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		step, outcome := f[1], f[2]
		if f[1] == "sign" {
			step, outcome = "sign in", f[3]
		}
		rows[f[0]+" "+step] = outcome
	}
	nNA := 0
	for _, v := range vendorNames() {
		for _, s := range lifecycleSteps() {
			want := "ok:"
			for _, verb := range s.verbs {
				if c, _ := capmatrix.Lookup(v, verb); !c.Can() {
					want = "n/a:"
				}
			}
			if want == "n/a:" {
				nNA++
			}
			if got := rows[v+" "+s.name]; got != want {
				t.Errorf("row %q: outcome %q, want %q", v+" "+s.name, got, want)
			}
		}
	}
	if want := fmt.Sprintf("35 steps, %d n/a, 0 failed", nNA); !strings.Contains(out, want) {
		t.Errorf("summary %q missing:\n%s", want, out)
	}
	for _, secret := range []string{defaultPassword, defaultAPIToken, defaultAPIKey, "eyJ", "QSDK"} {
		if strings.Contains(out, secret) {
			t.Errorf("the demo printed a secret (%s):\n%s", secret, out)
		}
	}
}

func TestDemoReportsFailures(t *testing.T) {
	t.Parallel()
	b, err := newBundle("oracle", "http://127.0.0.1:1", credentials{user: seedUser{Name: "x", Password: "y"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // nothing can succeed
	rows := lifecycle(ctx, b)
	var buf bytes.Buffer
	if n := printRows(&buf, rows); n != len(rows)-3 { // list, revoke and rejected are n/a
		t.Errorf("%d failed or skipped rows, want %d:\n%s", n, len(rows)-3, buf.String())
	}
	if rows[0].outcome != failed || rows[1].outcome != skipped {
		t.Errorf("rows: %+v", rows[:2])
	}
}

// TestCSPExchange is the acceptance test: the API token in the
// environment, the bare access token on stdout.
func TestCSPExchange(t *testing.T) {
	t.Parallel()
	fake := csptest.New(t)
	key := fake.AddAPIToken(csptest.APIToken{Username: "ada", OrgID: "org-7"})
	env := map[string]string{"CSP_API_TOKEN": key, "CSP_URL": fake.URL()}

	code, out, errOut := runCmd(t, env, "", "csp", "exchange")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	jwt := strings.TrimSuffix(out, "\n")
	if strings.Count(jwt, ".") != 2 || strings.ContainsAny(jwt, " \n") || !strings.HasPrefix(jwt, "eyJ") {
		t.Fatalf("stdout is not a bare JWT: %q", out)
	}
	if out := mustRun(t, map[string]string{"CSP_ACCESS_TOKEN": jwt}, "csp", "verify", "--url", fake.URL()); !strings.Contains(out, `user "ada" org "org-7"`) {
		t.Errorf("verify: %q", out)
	}

	// The same from a file and from standard input.
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, map[string]string{"CSP_URL": fake.URL()}, "csp", "exchange", "--secret-file", file); strings.Count(out, ".") != 2 {
		t.Errorf("--secret-file: %q", out)
	}
	if code, out, _ := runCmd(t, map[string]string{"CSP_URL": fake.URL()}, key+"\n", "csp", "exchange"); code != 0 || strings.Count(out, ".") != 2 {
		t.Errorf("stdin: exit %d, %q", code, out)
	}

	// -o json: the access token, every other secret redacted. (Decoded into
	// strings: a tokenkit.Secret refuses to decode the mask.)
	var got struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		OrgID        string `json:"org_id"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, env, "csp", "exchange", "-o", "json")), &got); err != nil {
		t.Fatal(err)
	}
	if strings.Count(got.AccessToken, ".") != 2 || got.RefreshToken != "REDACTED" || got.OrgID != "org-7" {
		t.Errorf("json: %+v", got)
	}
	out = mustRun(t, env, "csp", "exchange", "-o", "json")
	if strings.Contains(out, key) {
		t.Errorf("-o json printed the API token (as refresh_token):\n%s", out)
	}

	// A rejected API token: exit 3, and the token is not echoed.
	code, _, errOut = runCmd(t, map[string]string{"CSP_API_TOKEN": key + "-wrong", "CSP_URL": fake.URL()}, "", "csp", "exchange")
	if code != exitAuth || !strings.Contains(errOut, "invalid_grant") || strings.Contains(errOut, key) {
		t.Errorf("bad token: exit %d, %q", code, errOut)
	}
	if out := mustRun(t, env, "csp", "details"); !strings.Contains(out, "org-7") {
		t.Errorf("details: %q", out)
	}
	if out := mustRun(t, env, "csp", "public-key"); !strings.Contains(out, "BEGIN PUBLIC KEY") {
		t.Errorf("public-key: %q", out)
	}
	if out := mustRun(t, env, "csp", "public-key", "--jwks"); !strings.Contains(out, fake.KeyID()) {
		t.Errorf("public-key --jwks: %q", out)
	}
	fake.AddOAuthApp(csptest.OAuthApp{ID: "app", Secret: "app-secret"})
	if out := mustRun(t, map[string]string{"CSP_CLIENT_SECRET": "app-secret", "CSP_URL": fake.URL()}, "csp", "client-credentials", "--client-id", "app"); strings.Count(out, ".") != 2 {
		t.Errorf("client-credentials: %q", out)
	}
	if code, _, _ := runCmd(t, map[string]string{"CSP_API_TOKEN": key, "CSP_URL": "http://example.com"}, "", "csp", "exchange"); code != exitUsage {
		t.Errorf("plain http to a remote host: exit %d, want %d (a configuration error)", code, exitUsage)
	}
}

// TestSecretOnCommandLineRefused is the other acceptance test: a
// secret passed as a flag is refused with a message that says why and what
// to do instead, and the secret is not repeated.
func TestSecretOnCommandLineRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		env  string
	}{
		{[]string{"csp", "exchange", "--api-token", "s3cr3t-value"}, "$CSP_API_TOKEN"},
		{[]string{"csp", "exchange", "--api-token=s3cr3t-value"}, "$CSP_API_TOKEN"},
		{[]string{"commvault", "login", "--user", "admin", "--password", "s3cr3t-value"}, "$COMMVAULT_PASSWORD"},
		{[]string{"commvault", "token", "list", "-token=s3cr3t-value"}, "$COMMVAULT_TOKEN"},
		{[]string{"canvus", "login", "--email", "a@b.c", "--password=s3cr3t-value"}, "$CANVUS_PASSWORD"},
		{[]string{"oracle", "token", "--user", "ada", "--password", "s3cr3t-value"}, "$ORACLE_PASSWORD"},
		{[]string{"cgscan", "sign-in", "--user", "ada", "--api-key", "s3cr3t-value"}, "$CGSCAN_PASSWORD"},
		{[]string{"cgscan", "generate", "--session", "s3cr3t-value"}, "$CGSCAN_TOKEN"},
	} {
		code, out, errOut := runCmd(t, nil, "", tc.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", tc.args, code, exitUsage)
		}
		if !strings.Contains(errOut, "refusing --") || !strings.Contains(errOut, "visible to every user") ||
			!strings.Contains(errOut, tc.env) || !strings.Contains(errOut, "--secret-file") {
			t.Errorf("%v: unclear message: %q", tc.args, errOut)
		}
		if strings.Contains(errOut+out, "s3cr3t-value") {
			t.Errorf("%v: the message repeats the secret: %q", tc.args, errOut)
		}
	}
	// A secret given as an argument is not repeated in the error either.
	code, out, errOut := runCmd(t, nil, "", "csp", "exchange", "s3cr3t-value")
	if code != exitUsage || strings.Contains(errOut+out, "s3cr3t-value") || !strings.Contains(errOut, "secrets are never arguments") {
		t.Errorf("positional secret: exit %d, %q", code, errOut)
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	fake := oracletest.New(t)
	fake.AddUser(oracletest.User{Username: "ada", Password: "right"})
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want int
	}{
		{"no command", nil, nil, exitUsage},
		{"unknown command", nil, []string{"frob"}, exitUsage},
		{"unknown subcommand", nil, []string{"csp", "frob"}, exitUsage},
		{"missing subcommand", nil, []string{"commvault", "token"}, exitUsage},
		{"unknown flag", nil, []string{"csp", "exchange", "--bogus"}, exitUsage},
		{"no secret", nil, []string{"csp", "exchange"}, exitUsage},
		{"no url", map[string]string{"ORACLE_PASSWORD": "x"}, []string{"oracle", "token", "--user", "ada"}, exitUsage},
		{"missing argument", map[string]string{"CANVUS_TOKEN": "x", "CANVUS_URL": closed}, []string{"canvus", "token", "delete"}, exitUsage},
		{"extra argument", nil, []string{"demo", "now"}, exitUsage},
		{"bad output", map[string]string{"ORACLE_PASSWORD": "x", "ORACLE_URL": fake.URL()}, []string{"oracle", "token", "--user", "ada", "-o", "yaml"}, exitUsage},
		{"wrong password", map[string]string{"ORACLE_PASSWORD": "wrong", "ORACLE_URL": fake.URL()}, []string{"oracle", "token", "--user", "ada"}, exitAuth},
		{"bad token", map[string]string{"ORACLE_ACCESS_TOKEN": "nope", "ORACLE_URL": fake.URL()}, []string{"oracle", "me"}, exitAuth},
		{"connection refused", map[string]string{"ORACLE_PASSWORD": "x", "ORACLE_URL": closed}, []string{"oracle", "token", "--user", "ada", "--timeout", "10s"}, exitNetwork},
		{"ok", map[string]string{"ORACLE_PASSWORD": "right", "ORACLE_URL": fake.URL()}, []string{"oracle", "token", "--user", "ada"}, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if code, _, errOut := runCmd(t, tc.env, "", tc.args...); code != tc.want {
				t.Errorf("exit %d, want %d: %s", code, tc.want, errOut)
			}
		})
	}
	broken := oracletest.New(t)
	broken.AddUser(oracletest.User{Username: "ada", Password: "right"})
	broken.FailNext(10, fakes.Fault{Status: 503})
	if code, _, errOut := runCmd(t, map[string]string{"ORACLE_PASSWORD": "right", "ORACLE_URL": broken.URL()}, "", "oracle", "token", "--user", "ada"); code != exitNetwork {
		t.Errorf("503: exit %d, want %d: %s", code, exitNetwork, errOut)
	}
}

// TestHelp runs --help on every command of the tree.
func TestHelp(t *testing.T) {
	t.Parallel()
	var walk func(c *command, path []string)
	walk = func(c *command, path []string) {
		for _, flag := range []string{"--help", "-h"} {
			args := append(append([]string(nil), path...), flag)
			code, out, errOut := runCmd(t, nil, "", args...)
			if code != 0 || !strings.HasPrefix(out, "usage: tokenctl") || !strings.Contains(out, "exit codes:") {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
			}
		}
		for _, s := range c.subs {
			walk(s, append(append([]string(nil), path...), s.name))
		}
	}
	walk(rootCommand(), nil)
	out := mustRun(t, nil, "commvault", "token", "create", "--help")
	for _, want := range []string{"--name", "--save", "--secret-file", "$COMMVAULT_TOKEN", "--url", "-o"} {
		if !strings.Contains(out, want) {
			t.Errorf("commvault token create --help lacks %q:\n%s", want, out)
		}
	}
	if out := mustRun(t, nil, "version"); !strings.HasPrefix(out, "tokenctl ") {
		t.Errorf("version: %q", out)
	}
}

func TestCommvaultCommands(t *testing.T) {
	t.Parallel()
	fake := commvaulttest.New(t)
	fake.AddUser(commvaulttest.User{Name: "admin", Password: "pw"})
	env := map[string]string{"COMMVAULT_URL": fake.URL(), "COMMVAULT_PASSWORD": "pw"}
	session := strings.TrimSpace(mustRun(t, env, "commvault", "login", "--user", "admin"))
	if !strings.HasPrefix(session, "QSDK ") {
		t.Fatalf("login: %q", session)
	}
	env["COMMVAULT_TOKEN"] = session
	pairFile := filepath.Join(t.TempDir(), "pair.json")
	at := strings.TrimSpace(mustRun(t, env, "commvault", "token", "create", "--name", "ci", "--save", pairFile))
	if !fake.ValidAccessToken(at) {
		t.Fatalf("create printed %q, not a live token", at)
	}
	if st, err := os.Stat(pairFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("--save: %v %v", st, err)
	}
	if out := mustRun(t, env, "commvault", "token", "list"); !strings.Contains(out, "ci") || !strings.HasPrefix(out, "ID") {
		t.Errorf("list: %q", out)
	}
	mustRun(t, env, "commvault", "token", "update", "501", "--name", "ci2")
	renewed := strings.TrimSpace(mustRun(t, env, "commvault", "token", "renew", "--secret-file", pairFile))
	if renewed == at || !fake.ValidAccessToken(renewed) || fake.ValidAccessToken(at) {
		t.Fatalf("renew did not rotate the pair")
	}
	// The file now holds the new pair: renewing again works and does not
	// replay the spent one.
	again := strings.TrimSpace(mustRun(t, env, "commvault", "token", "renew", "--secret-file", pairFile))
	if !fake.ValidAccessToken(again) || fake.ChainInvalidations() != 0 {
		t.Fatalf("second renew: valid %t, chain invalidations %d", fake.ValidAccessToken(again), fake.ChainInvalidations())
	}
	var list []tokenInfoJSON
	if err := json.Unmarshal([]byte(mustRun(t, env, "commvault", "token", "list", "-o", "json")), &list); err != nil || len(list) != 1 || list[0].Name != "ci2" {
		t.Fatalf("list -o json: %+v %v", list, err)
	}
	mustRun(t, env, "commvault", "token", "delete", list[0].ID)
	if fake.ValidAccessToken(again) {
		t.Error("delete left the token valid")
	}
	mustRun(t, env, "commvault", "logout")
	if code, _, _ := runCmd(t, env, "", "commvault", "token", "list"); code != exitAuth {
		t.Errorf("list after logout: exit %d, want %d", code, exitAuth)
	}
}

func TestCanvusCommands(t *testing.T) {
	t.Parallel()
	fake := canvustest.New(t)
	u := fake.AddUser(canvustest.User{Email: "ada@example.com", Password: "pw"})
	env := map[string]string{"CANVUS_URL": fake.URL(), "CANVUS_PASSWORD": "pw"}
	var login struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"` // every id is a JSON string
		} `json:"user"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, env, "canvus", "login", "--email", "ada@example.com", "-o", "json")), &login); err != nil || login.User.ID != strconv.FormatInt(u.ID, 10) {
		t.Fatalf("login -o json: %+v %v", login, err)
	}
	env["CANVUS_TOKEN"] = login.Token
	env["CANVUS_USER_ID"] = "1000"
	pat := strings.TrimSpace(mustRun(t, env, "canvus", "token", "create", "--description", "bot"))
	toks := fake.AccessTokens(u.ID)
	if len(toks) != 1 || toks[0].Plain != pat {
		t.Fatalf("create printed %q", pat)
	}
	id := toks[0].ID
	// The new access token works as CANVUS_TOKEN too.
	env["CANVUS_TOKEN"] = pat
	if out := mustRun(t, env, "canvus", "token", "list"); !strings.Contains(out, id) || !strings.Contains(out, "bot") {
		t.Errorf("list: %q", out)
	}
	mustRun(t, env, "canvus", "token", "rename", id, "--description", "bot2")
	if out := mustRun(t, env, "canvus", "token", "get", id, "-o", "json"); !strings.Contains(out, `"bot2"`) {
		t.Errorf("get: %q", out)
	}
	if out := mustRun(t, env, "canvus", "token", "watch", "--count", "1"); out != "snapshot 1 token(s)\n" {
		t.Errorf("watch: %q", out)
	}
	env["CANVUS_TOKEN"] = login.Token
	mustRun(t, env, "canvus", "token", "delete", id)
	if len(fake.AccessTokens(u.ID)) != 0 {
		t.Error("delete left the token")
	}
	mustRun(t, env, "canvus", "logout")
	if code, _, _ := runCmd(t, env, "", "canvus", "token", "list"); code != exitAuth {
		t.Errorf("list after logout: exit %d", code)
	}
	if out := mustRun(t, env, "canvus", "server-info"); !strings.Contains(out, canvustest.ServerVersion) {
		t.Errorf("server-info: %q", out)
	}
}

func TestOracleCommands(t *testing.T) {
	t.Parallel()
	fake := oracletest.New(t)
	fake.AddUser(oracletest.User{Username: "ada", Password: "pw", FirstName: "Ada"})
	env := map[string]string{"ORACLE_URL": fake.URL(), "ORACLE_PASSWORD": "pw"}
	saved := filepath.Join(t.TempDir(), "ocm.json")
	at := strings.TrimSpace(mustRun(t, env, "oracle", "token", "--user", "ada", "--save", saved))
	if !fake.AccessTokenActive(at) {
		t.Fatalf("token printed %q", at)
	}
	// A refresh from the saved file rotates the refresh token and keeps
	// the new one in the file.
	for range 2 {
		if at2 := strings.TrimSpace(mustRun(t, env, "oracle", "token", "--grant", "refresh-token", "--secret-file", saved)); !fake.AccessTokenActive(at2) || at2 == at {
			t.Fatalf("refresh printed %q", at2)
		}
	}
	env["ORACLE_ACCESS_TOKEN"] = at
	if out := mustRun(t, env, "oracle", "me"); !strings.Contains(out, "name: Ada") {
		t.Errorf("me: %q", out)
	}
	if at3 := strings.TrimSpace(mustRun(t, env, "oracle", "token", "--grant", "access-token")); !fake.AccessTokenActive(at3) {
		t.Errorf("access-token grant printed %q", at3)
	}
}

func TestCGScanCommands(t *testing.T) {
	t.Parallel()
	fake := cgscantest.New(t)
	fake.AddUser(cgscantest.User{Username: "ada", Password: "pw"})
	fake.AddUser(cgscantest.User{Username: "bob", Password: "pw", TwoFactor: true})
	env := map[string]string{"CGSCAN_URL": fake.URL(), "CGSCAN_PASSWORD": "pw", "CGSCAN_API_KEY": fake.APIKey()}
	session := strings.TrimSpace(mustRun(t, env, "cgscan", "sign-in", "--user", "ada"))
	env["CGSCAN_TOKEN"] = session
	at := strings.TrimSpace(mustRun(t, env, "cgscan", "generate"))
	if fake.AccessToken("ada") != at {
		t.Fatalf("generate printed %q", at)
	}
	check := map[string]string{"CGSCAN_URL": fake.URL(), "CGSCAN_API_KEY": fake.APIKey(), "CGSCAN_TOKEN": at}
	if out := mustRun(t, check, "cgscan", "check"); out != "valid: user ada\n" {
		t.Errorf("check: %q", out)
	}
	mustRun(t, env, "cgscan", "revoke")
	if code, out, _ := runCmd(t, check, "", "cgscan", "check"); code != exitAuth || !strings.HasPrefix(out, "invalid") {
		t.Errorf("check after revoke: exit %d, %q", code, out)
	}
	mustRun(t, env, "cgscan", "sign-out")
	if fake.TokenValid(session) {
		t.Error("sign-out left the session valid")
	}

	// Two-factor authentication: without a code, a clear failure; with it,
	// a session.
	if code, _, errOut := runCmd(t, env, "", "cgscan", "sign-in", "--user", "bob"); code != exitAuth || !strings.Contains(errOut, "$CGSCAN_OTP") {
		t.Errorf("2FA without code: exit %d, %q", code, errOut)
	}
	env["CGSCAN_OTP"] = fake.OTP("bob")
	if s := strings.TrimSpace(mustRun(t, env, "cgscan", "sign-in", "--user", "bob")); !fake.TokenValid(s) {
		t.Errorf("2FA sign-in printed %q", s)
	}
}
