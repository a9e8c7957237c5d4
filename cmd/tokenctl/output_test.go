package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/internal/capmatrix"
)

// idsAreStrings fails the test for any "id" or "*_id" field of doc whose
// value is not a string (or null).
func idsAreStrings(t *testing.T, what string, doc any) {
	t.Helper()
	switch v := doc.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "id" || strings.HasSuffix(k, "_id") {
				if _, ok := x.(string); !ok && x != nil {
					t.Errorf("%s: %q is %T, not a string", what, k, x)
				}
			}
			idsAreStrings(t, what, x)
		}
	case []any:
		for _, x := range v {
			idsAreStrings(t, what, x)
		}
	}
}

func decode(t *testing.T, what, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", what, err, s)
	}
	return v
}

// TestJSONOutputIsConsistent: under -o json, every id is a string, a token
// is described with the same field names by every vendor, and delete
// prints what it deleted.
func TestJSONOutputIsConsistent(t *testing.T) {
	t.Parallel()
	cv := commvaulttest.New(t)
	cv.AddUser(commvaulttest.User{Name: "admin", Password: "pw"})
	cenv := map[string]string{"COMMVAULT_URL": cv.URL(), "COMMVAULT_PASSWORD": "pw"}
	login := mustRun(t, cenv, "commvault", "login", "--user", "admin", "-o", "json")
	idsAreStrings(t, "commvault login", decode(t, "commvault login", login))
	cenv["COMMVAULT_TOKEN"] = strings.TrimSpace(mustRun(t, cenv, "commvault", "login", "--user", "admin"))
	created := decode(t, "commvault create", mustRun(t, cenv, "commvault", "token", "create", "--name", "ci", "-o", "json"))
	idsAreStrings(t, "commvault create", created)
	id := created.(map[string]any)["id"].(string)
	idsAreStrings(t, "commvault list", decode(t, "commvault list", mustRun(t, cenv, "commvault", "token", "list", "-o", "json")))
	var del deletedJSON
	if err := json.Unmarshal([]byte(mustRun(t, cenv, "commvault", "token", "delete", id, "-o", "json")), &del); err != nil ||
		del.Vendor != "commvault" || del.Deleted == nil || del.Deleted.ID != id || del.Deleted.Name != "ci" {
		t.Errorf("commvault delete -o json: %+v %v", del, err)
	}

	cn := canvustest.New(t)
	u := cn.AddUser(canvustest.User{Email: "ada@example.com", Password: "pw"})
	nenv := map[string]string{"CANVUS_URL": cn.URL(), "CANVUS_PASSWORD": "pw", "CANVUS_USER_ID": strconv.FormatInt(u.ID, 10)}
	idsAreStrings(t, "canvus login", decode(t, "canvus login", mustRun(t, nenv, "canvus", "login", "--email", "ada@example.com", "-o", "json")))
	nenv["CANVUS_TOKEN"] = cn.NewSession(u.ID)
	c := decode(t, "canvus create", mustRun(t, nenv, "canvus", "token", "create", "--description", "bot", "-o", "json")).(map[string]any)
	idsAreStrings(t, "canvus create", c)
	if _, ok := c["access_token"]; !ok || c["name"] != "bot" {
		t.Errorf("canvus create -o json fields: %v", keys(c))
	}
	cid := c["id"].(string)
	get := decode(t, "canvus get", mustRun(t, nenv, "canvus", "token", "get", cid, "-o", "json")).(map[string]any)
	list := decode(t, "canvus list", mustRun(t, nenv, "canvus", "token", "list", "-o", "json")).([]any)
	cvList := decode(t, "commvault list", mustRun(t, cenv, "commvault", "token", "list", "-o", "json"))
	_ = cvList
	if strings.Join(keys(get), ",") != strings.Join(keys(list[0].(map[string]any)), ",") || get["name"] != "bot" {
		t.Errorf("canvus get and list describe a token differently: %v / %v", keys(get), keys(list[0].(map[string]any)))
	}
	if err := json.Unmarshal([]byte(mustRun(t, nenv, "canvus", "token", "delete", cid, "-o", "json")), &del); err != nil ||
		del.Vendor != "canvus" || del.Deleted.ID != cid || del.Deleted.Name != "bot" {
		t.Errorf("canvus delete -o json: %+v %v", del, err)
	}

	cs := csptest.New(t)
	d := decode(t, "csp details", mustRun(t, map[string]string{"CSP_URL": cs.URL(), "CSP_API_TOKEN": cs.AddAPIToken(csptest.APIToken{Username: "ada", OrgID: "org-7"})}, "csp", "details", "-o", "json")).(map[string]any)
	idsAreStrings(t, "csp details", d)
	if _, ok := d["name"]; !ok {
		t.Errorf("csp details: %v", keys(d))
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestErrorsAsJSON: under -o json a failure is one JSON document on
// standard error, with its kind, exit code, hint and HTTP status.
func TestErrorsAsJSON(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmd(t, map[string]string{"CSP_API_TOKEN": "x"}, "", "csp", "exchange", "--url", "localhost", "-o", "json")
	var e errorJSON
	if err := json.Unmarshal([]byte(errOut), &e); err != nil || code != exitUsage || out != "" || e.Error.Kind != "usage" || e.Error.ExitCode != exitUsage || !strings.Contains(e.Error.Message, "add a scheme") {
		t.Fatalf("exit %d, stderr %q: %+v %v", code, errOut, e, err)
	}
	cv := commvaulttest.New(t)
	root := strings.TrimSuffix(cv.URL(), commvaulttest.BasePath)
	code, _, errOut = runCmd(t, map[string]string{"COMMVAULT_TOKEN": "QSDK x"}, "", "commvault", "token", "list", "--url", root+"/wrong/api", "-o=json")
	e = errorJSON{}
	if err := json.Unmarshal([]byte(errOut), &e); err != nil || code != exitError || e.Error.Kind != "not found" || e.Error.Status != 404 ||
		e.Error.Vendor != "commvault" || !strings.Contains(e.Error.Hint, "base URL") || strings.Contains(e.Error.Message, "hint") {
		t.Fatalf("exit %d, stderr %q: %+v %v", code, errOut, e, err)
	}
}

// TestDemoJSON: the demo's JSON has a row per vendor and step, and every
// n/a row is where internal/capmatrix says the vendor cannot, with
// capmatrix's reason word for word: tokenctl says nothing of its own about
// what a vendor cannot do.
func TestDemoJSON(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmd(t, nil, "", "demo", "-o", "json")
	var d struct {
		Steps []struct {
			Vendor, Step, Outcome, Detail string
		} `json:"steps"`
		NA     int `json:"n_a"`
		Failed int `json:"failed"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || code != 0 || len(d.Steps) != 35 || d.Failed != 0 {
		t.Fatalf("exit %d: %+v %v\n%s", code, d, err, errOut)
	}
	verbsOf := map[string][]capmatrix.Verb{}
	for _, s := range lifecycleSteps() {
		verbsOf[s.name] = s.verbs
	}
	na, seen := 0, map[string]bool{}
	for _, s := range d.Steps {
		seen[s.Vendor+" "+s.Step] = true
		why := ""
		for _, v := range verbsOf[s.Step] {
			c, ok := capmatrix.Lookup(s.Vendor, v)
			if !ok {
				t.Fatalf("capmatrix has no vendor %q", s.Vendor)
			}
			if !c.Can() {
				why = c.Why
				break
			}
		}
		switch {
		case why == "" && s.Outcome != "ok":
			t.Errorf("%s %s: %s %q; capmatrix says it can", s.Vendor, s.Step, s.Outcome, s.Detail)
		case why != "" && (s.Outcome != "n/a" || s.Detail != why):
			t.Errorf("%s %s: %s %q; capmatrix says it cannot: %q", s.Vendor, s.Step, s.Outcome, s.Detail, why)
		}
		if s.Outcome == "n/a" {
			na++
		}
	}
	if d.NA != na || len(seen) != len(vendorNames())*len(lifecycleSteps()) {
		t.Errorf("n_a %d, counted %d; %d distinct rows", d.NA, na, len(seen))
	}
	// Every verb of the matrix is some step's, so every reason the matrix
	// gives can show in the demo.
	covered := map[capmatrix.Verb]bool{}
	for _, s := range lifecycleSteps() {
		for _, v := range s.verbs {
			covered[v] = true
		}
	}
	for _, v := range capmatrix.Verbs() {
		if !covered[v] {
			t.Errorf("no demo step makes %s", v)
		}
	}
}

// TestVersionAndVerbose: --version prints the version; --verbose logs the
// SDK's attempts to standard error, without the secrets.
func TestVersionAndVerbose(t *testing.T) {
	t.Parallel()
	if out := mustRun(t, nil, "--version"); !strings.HasPrefix(out, "tokenctl ") {
		t.Errorf("--version: %q", out)
	}
	cv := commvaulttest.New(t)
	cv.AddUser(commvaulttest.User{Name: "admin", Password: "pw-secret-verbose"})
	env := map[string]string{"COMMVAULT_URL": cv.URL(), "COMMVAULT_PASSWORD": "pw-secret-verbose"}
	code, out, errOut := runCmd(t, env, "", "commvault", "login", "--user", "admin", "--verbose")
	session := strings.TrimSpace(out)
	if code != 0 || !strings.Contains(errOut, "level=") || !strings.Contains(errOut, "Login") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, secret := range []string{"pw-secret-verbose", strings.TrimPrefix(session, "QSDK ")} {
		if strings.Contains(errOut, secret) {
			t.Fatalf("--verbose logged a secret: %q", errOut)
		}
	}
	if _, _, errOut := runCmd(t, env, "", "commvault", "login", "--user", "admin"); errOut != "" {
		t.Errorf("without --verbose: %q", errOut)
	}
}

// TestCompletion: the generated scripts know every command and flag; the
// bash one completes in bash.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, sh := range []string{"bash", "zsh", "fish"} {
		out := mustRun(t, nil, "completion", sh)
		for _, want := range []string{"tokenctl commvault token", "renew", "secret-file", "sign-in", "completion"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s script lacks %q", sh, want)
			}
		}
	}
	if code, _, _ := runCmd(t, nil, "", "completion", "tcsh"); code != exitUsage {
		t.Errorf("unknown shell: exit %d", code)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script := filepath.Join(t.TempDir(), "c.bash")
	if err := os.WriteFile(script, []byte(mustRun(t, nil, "completion", "bash")), 0o600); err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{
		"tokenctl co":                          "commvault completion",
		"tokenctl commvault token re":          "renew",
		"tokenctl commvault token renew --sa":  "--save",
		"tokenctl canvus token watch --cou":    "--count",
		"tokenctl cgscan sig":                  "sign-in sign-out",
		"tokenctl commvault token renew --sec": "--secret-file",
	} {
		src := `source "$1"; read -ra COMP_WORDS <<< "$2"; COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _tokenctl; echo "${COMPREPLY[*]}"`
		out, err := exec.Command(bash, "-c", src, "bash", script, line).CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != want {
			t.Errorf("%q: got %q, want %q (%v)", line, got, want, err)
		}
	}
}
