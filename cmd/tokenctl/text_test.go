package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// hostile is what a server might put in a token name or a user name: clear
// the screen, retitle the window, a C1 CSI, a bidi override, a tab and a
// newline that would fake a column and a row.
const hostile = "x\x1b[2J\x1b]0;owned\a\u009b31m\u202eevil\tcol\nrow\x7f"

// terminalSafe fails the test if out holds anything a terminal acts on
// besides the newlines that end its lines.
func terminalSafe(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		if r == utf8.RuneError || r < 0x20 && r != '\n' || r == 0x7f || unsafeRune(r) {
			t.Errorf("%s: %U at byte %d of %q", what, r, i, out)
			return
		}
	}
}

func TestSafe(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain DOMAIN\\user é 名": "plain DOMAIN\\user é 名",
		hostile:                  `x\x1b[2J\x1b]0;owned\x07\u009b31m\u202eevil\x09col\x0arow\x7f`,
		"bad \xff\xc3 utf8":      `bad \xff\xc3 utf8`,
		"nel\u0085 lre\u202a":    `nel\u0085 lre\u202a`,
	} {
		if got := safe(in); got != want {
			t.Errorf("safe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := safeLines("a\x1b\nb"); got != "a\\x1b\nb" {
		t.Errorf("safeLines: %q", got)
	}
	doc, _ := json.Marshal(map[string]string{"k": hostile})
	var back map[string]string
	if err := json.Unmarshal(jsonSafe(doc), &back); err != nil || back["k"] != hostile {
		t.Errorf("jsonSafe changed the document: %v %q", err, back["k"])
	}
	terminalSafe(t, "jsonSafe", string(jsonSafe(doc)))
}

// A token description from the server goes through the real commands:
// tables, single-token views, the watch stream and JSON are all inert.
func TestCanvusHostileNames(t *testing.T) {
	t.Parallel()
	fake := canvustest.New(t)
	fake.AddUser(canvustest.User{Email: "ada@example.com", Password: "pw"})
	env := map[string]string{"CANVUS_URL": fake.URL(), "CANVUS_PASSWORD": "pw"}
	env["CANVUS_TOKEN"] = strings.TrimSpace(mustRun(t, env, "canvus", "login", "--email", "ada@example.com"))
	env["CANVUS_USER_ID"] = "1000"
	mustRun(t, env, "canvus", "token", "create", "--description", hostile)
	id := fake.AccessTokens(1000)[0].ID
	list := mustRun(t, env, "canvus", "token", "list")
	terminalSafe(t, "list", list)
	if lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n"); len(lines) != 2 || !strings.Contains(lines[1], `\x1b[2J`) {
		t.Errorf("list: want a header and one row with the escaped name, got %q", list)
	}
	for _, args := range [][]string{
		{"canvus", "token", "get", id},
		{"canvus", "token", "get", id, "-o", "json"},
		{"canvus", "token", "list", "-o", "json"},
		{"canvus", "token", "watch", "--count", "1", id},
		{"canvus", "token", "watch", "--count", "1", "-o", "json"},
	} {
		terminalSafe(t, strings.Join(args, " "), mustRun(t, env, args...))
	}
}

func TestCommvaultHostileNames(t *testing.T) {
	t.Parallel()
	fake := commvaulttest.New(t)
	fake.AddUser(commvaulttest.User{Name: "admin", Password: "pw"})
	env := map[string]string{"COMMVAULT_URL": fake.URL(), "COMMVAULT_PASSWORD": "pw"}
	env["COMMVAULT_TOKEN"] = strings.TrimSpace(mustRun(t, env, "commvault", "login", "--user", "admin"))
	mustRun(t, env, "commvault", "token", "create", "--name", hostile)
	for _, args := range [][]string{{"commvault", "token", "list"}, {"commvault", "token", "list", "-o", "json"}} {
		terminalSafe(t, strings.Join(args, " "), mustRun(t, env, args...))
	}
}

func TestCSPHostileDetails(t *testing.T) {
	t.Parallel()
	fake := csptest.New(t)
	key := fake.AddAPIToken(csptest.APIToken{Name: hostile, Username: hostile, OrgID: "org-7"})
	env := map[string]string{"CSP_API_TOKEN": key, "CSP_URL": fake.URL()}
	out := mustRun(t, env, "csp", "details")
	terminalSafe(t, "details", out)
	if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(lines) != 8 || !strings.Contains(out, `token:        x\x1b[2J`) {
		t.Errorf("details: want 8 lines with the escaped name, got %q", out)
	}
	terminalSafe(t, "details -o json", mustRun(t, env, "csp", "details", "-o", "json"))
	jwt := strings.TrimSpace(mustRun(t, env, "csp", "exchange"))
	terminalSafe(t, "verify", mustRun(t, map[string]string{"CSP_ACCESS_TOKEN": jwt, "CSP_URL": fake.URL()}, "csp", "verify"))
}

func TestOracleHostileUser(t *testing.T) {
	t.Parallel()
	fake := oracletest.New(t)
	fake.AddUser(oracletest.User{Username: "ada", Password: "pw", FirstName: hostile, Email: hostile + "@example.com"})
	env := map[string]string{"ORACLE_URL": fake.URL(), "ORACLE_PASSWORD": "pw"}
	env["ORACLE_ACCESS_TOKEN"] = strings.TrimSpace(mustRun(t, env, "oracle", "token", "--user", "ada"))
	out := mustRun(t, env, "oracle", "me")
	terminalSafe(t, "me", out)
	if !strings.Contains(out, `name: x\x1b[2J`) {
		t.Errorf("me: %q", out)
	}
}

// An error message quoting the server reaches standard error inert.
func TestHostileErrorMessage(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		b, _ := json.Marshal(map[string]string{"error": "invalid_grant", "error_description": hostile, "message": hostile})
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	code, out, errOut := runCmd(t, map[string]string{"CSP_URL": srv.URL, "CSP_API_TOKEN": "some-api-token"}, "", "csp", "exchange")
	if code == 0 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	terminalSafe(t, "stderr", errOut)
	if !strings.Contains(errOut, `\x1b[2J`) {
		t.Errorf("the message should still be shown, escaped: %q", errOut)
	}
}
