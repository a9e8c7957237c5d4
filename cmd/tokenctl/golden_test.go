package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files with what the commands print")

// golden compares got with testdata/name.golden (rewriting it under
// -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -run %s -update rewrites it)\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}

// transcript runs tokenctl in process with env (a value "<unset>" is left
// out; every other key is set, even to "") and renders what it did, with
// each of the replacements applied.
func transcript(t *testing.T, env map[string]string, repl []string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := runEnv(context.Background(), args, strings.NewReader(""), &out, &errb, lookup)
	r := strings.NewReplacer(repl...)
	s := "$ tokenctl " + r.Replace(strings.Join(args, " ")) + "\nexit " + itoa(code) + "\n--- stdout\n" + r.Replace(out.String()) + "--- stderr\n" + r.Replace(errb.String())
	if strings.Contains(errb.String(), "tokenctl: tokenctl") {
		t.Errorf("doubled prefix: %q", errb.String())
	}
	return s
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestErrorMessages: the messages of the usual mistakes say what to do, as
// golden files (go test ./cmd/tokenctl -run TestErrorMessages -update
// rewrites them).
func TestErrorMessages(t *testing.T) {
	t.Parallel()
	cv := commvaulttest.New(t)
	cv.AddUser(commvaulttest.User{Name: "admin", Password: "pw"})
	cvRoot := strings.TrimSuffix(cv.URL(), commvaulttest.BasePath)
	ocm := oracletest.New(t)
	ocm.AddUser(oracletest.User{Username: "ada", Password: "pw"})
	save := filepath.Join(t.TempDir(), "saved.json")
	repl := []string{cvRoot, "$COMMVAULT", ocm.URL(), "$ORACLE", save, "$SAVE"}
	csp := map[string]string{"CSP_API_TOKEN": "not-a-real-token"}
	cvSession := map[string]string{"COMMVAULT_TOKEN": "QSDK not-a-session"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"url-no-scheme", csp, []string{"csp", "exchange", "--url", "127.0.0.1:1"}, exitUsage},
		{"url-localhost", csp, []string{"csp", "exchange", "--url", "localhost"}, exitUsage},
		{"url-empty-flag", csp, []string{"csp", "exchange", "--url", ""}, exitUsage},
		{"url-env-no-scheme", map[string]string{"CSP_API_TOKEN": "x", "CSP_URL": "localhost:8443"}, []string{"csp", "exchange"}, exitUsage},
		{"url-env-empty", map[string]string{"CSP_API_TOKEN": "x", "CSP_URL": ""}, []string{"csp", "exchange"}, exitUsage},
		{"wrong-path-404", cvSession, []string{"commvault", "token", "list", "--url", cvRoot + "/wrong/api"}, exitError},
		{"wrong-path-404-with-id", cvSession, []string{"commvault", "token", "delete", "7", "--url", cvRoot + "/wrong/api"}, exitError},
		{"oracle-nested-details", map[string]string{"ORACLE_REFRESH_TOKEN": "not-a-refresh-token"},
			[]string{"oracle", "token", "--grant", "refresh-token", "--url", ocm.URL(), "--save", save}, exitAuth},
		{"renewable-until-bad", cvSession, []string{"commvault", "token", "create", "--name", "x", "--renewable-until", "soon", "--url", cv.URL()}, exitUsage},
		{"custom-without-endpoint", cvSession, []string{"commvault", "token", "create", "--name", "x", "--type", "custom", "--url", cv.URL()}, exitUsage},
		{"oracle-user-colon", map[string]string{"ORACLE_PASSWORD": "pw"}, []string{"oracle", "token", "--user", "a:b", "--url", ocm.URL()}, exitUsage},
		{"did-you-mean-command", nil, []string{"cgscan", "signin"}, exitUsage},
		{"did-you-mean-vendor", nil, []string{"comvault", "token", "list"}, exitUsage},
		{"did-you-mean-flag", nil, []string{"commvault", "token", "create", "--nam", "x"}, exitUsage},
		{"no-suggestion", nil, []string{"frobnicate"}, exitUsage},
		{"json-usage-error", csp, []string{"csp", "exchange", "--url", "localhost", "-o", "json"}, exitUsage},
		{"json-vendor-error", cvSession, []string{"commvault", "token", "list", "--url", cvRoot + "/wrong/api", "-o", "json"}, exitError},
		{"json-unknown-flag", nil, []string{"commvault", "token", "list", "--nam", "-o", "json"}, exitUsage},
		{"renew-without-save", map[string]string{"COMMVAULT_ACCESS_TOKEN": "a", "COMMVAULT_REFRESH_TOKEN": "r"},
			[]string{"commvault", "token", "renew", "--url", cv.URL()}, exitUsage},
		{"oracle-refresh-without-save", map[string]string{"ORACLE_REFRESH_TOKEN": "r"}, []string{"oracle", "token", "--grant", "refresh-token", "--url", ocm.URL()}, exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := transcript(t, tc.env, repl, tc.args...)
			if want := "\nexit " + itoa(tc.code) + "\n"; !strings.Contains(got, want) {
				t.Errorf("want exit %d:\n%s", tc.code, got)
			}
			golden(t, "errors/"+tc.name, got)
		})
	}
	if n := cv.Calls(commvaulttest.OpRenewAccessToken); n != 0 {
		t.Errorf("%d renew calls", n)
	}
}

// TestRenewableUntilDays: --renewable-until takes days.
func TestRenewableUntilDays(t *testing.T) {
	t.Parallel()
	cv := commvaulttest.New(t)
	cv.AddUser(commvaulttest.User{Name: "admin", Password: "pw"})
	env := map[string]string{"COMMVAULT_URL": cv.URL(), "COMMVAULT_PASSWORD": "pw"}
	env["COMMVAULT_TOKEN"] = strings.TrimSpace(mustRun(t, env, "commvault", "login", "--user", "admin"))
	var out struct {
		ID             string   `json:"id"`
		RenewableUntil jsonTime `json:"renewable_until"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, env, "commvault", "token", "create", "--name", "d", "--renewable-until", "10d", "-o", "json")), &out); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(time.Time(out.RenewableUntil)); d < 9*24*time.Hour || d > 11*24*time.Hour || out.ID == "" {
		t.Fatalf("renewable until %v from now, id %q", d, out.ID)
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"signin", "sign-in", 1}, {"exchnge", "exchange", 1}, {"lsit", "list", 1}, {"abc", "xyz", 3}, {"kitten", "sitting", 3}} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
	if got := didYouMean("frob", []string{"demo", "fake", "csp"}); got != "" {
		t.Errorf("suggested %q", got)
	}
}

// TestDemoGolden: the demo's table, step by step, as a golden file (go test
// ./cmd/tokenctl -run TestDemoGolden -update rewrites it), with what changes
// from run to run (timings, Canvus's random token ids) replaced.
func TestDemoGolden(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmd(t, nil, "", "demo")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, re := range []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(`(?m)[0-9.]+(ns|µs|ms|s)$`), "TIME"},
		{regexp.MustCompile(`in [0-9.]+(ns|µs|ms|s)\n`), "in TIME\n"},
		{regexp.MustCompile(`id [A-Za-z0-9+/=_-]{12}…`), "id CANVUS-TOKEN…"},
		{regexp.MustCompile(`tokenkit [0-9][^:]*:`), "tokenkit VERSION:"},
	} {
		out = re.re.ReplaceAllString(out, re.with)
	}
	golden(t, "demo/table", out)
}
