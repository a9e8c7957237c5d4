package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

// fakeProcess is `tokenctl fake` running as another process.
type fakeProcess struct {
	host string            // http://127.0.0.1:PORT
	urls map[string]string // vendor → base URL
}

func startFake(t *testing.T, bin string) *fakeProcess {
	t.Helper()
	host, urls := startFakeProcess(t, bin, `{}`)
	return &fakeProcess{host: host, urls: urls}
}

// control calls the fake's control API and decodes the answer into out.
func (f *fakeProcess) control(t *testing.T, method, path, body string, out any) {
	t.Helper()
	req, err := http.NewRequest(method, f.host+"/_fake/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s /_fake/%s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("/_fake/%s: %v", path, err)
		}
	}
}

// applied returns the sum of a vendor fake's applied counts: every request
// that changed its state.
func (f *fakeProcess) applied(t *testing.T, vendor string) map[string]int {
	t.Helper()
	var c struct {
		Applied map[string]int `json:"applied"`
	}
	f.control(t, "GET", vendor+"/calls", "", &c)
	return c.Applied
}

func (f *fakeProcess) now(t *testing.T) string {
	t.Helper()
	var c struct {
		Now string `json:"now"`
	}
	f.control(t, "GET", "clock", "", &c)
	return c.Now
}

// runBin runs the built tokenctl with env added to this process's
// environment.
func runBin(t *testing.T, bin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// TestAuditAndSweep drives audit and sweep as processes against `tokenctl
// fake`: tokens of two ages on Commvault and Canvus, an entry for a vendor
// that cannot list, the policy from the profile and flags; sweep without
// --apply changes nothing (the fakes' applied counts prove it), with --apply
// it revokes the oldest first, at most --limit per vendor, and never the
// token it is authenticated with.
func TestAuditAndSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds tokenctl")
	}
	t.Parallel()
	bin := buildTokenctl(t)
	f := startFake(t, bin)
	dir := t.TempDir()

	// Commvault: two tokens that will grow old. (The sweep authenticates
	// with a login session, which is not in the list: Commvault refuses an
	// access token the deletion of tokens.)
	cv := map[string]string{"COMMVAULT_URL": f.urls["commvault"], "COMMVAULT_PASSWORD": "demo-password"}
	cv["COMMVAULT_TOKEN"] = strings.TrimSpace(mustRun(t, cv, "commvault", "login", "--user", "demo"))
	mustRun(t, cv, "commvault", "token", "create", "--name", "old-1")
	mustRun(t, cv, "commvault", "token", "create", "--name", "old-2")
	// Canvus: an old token, and the one tokenctl will use (self_id), old
	// too.
	var login struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	cn := map[string]string{"CANVUS_URL": f.urls["canvus"], "CANVUS_PASSWORD": "demo-password"}
	if err := json.Unmarshal([]byte(mustRun(t, cn, "canvus", "login", "--email", "demo@example.com", "-o", "json")), &login); err != nil {
		t.Fatal(err)
	}
	cn["CANVUS_TOKEN"], cn["CANVUS_USER_ID"] = login.Token, login.User.ID
	mustRun(t, cn, "canvus", "token", "create", "--description", "old-pat")
	var selfPAT struct {
		AccessToken string `json:"access_token"`
		ID          string `json:"id"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, cn, "canvus", "token", "create", "--description", "tokenctl-self", "-o", "json")), &selfPAT); err != nil {
		t.Fatal(err)
	}

	// Sixty days later: a new token on each vendor.
	f.control(t, "POST", "clock", `{"advance": "1440h"}`, nil)
	cv["COMMVAULT_TOKEN"] = strings.TrimSpace(mustRun(t, cv, "commvault", "login", "--user", "demo"))
	mustRun(t, cv, "commvault", "token", "create", "--name", "new")
	cn["CANVUS_TOKEN"] = selfPAT.AccessToken
	mustRun(t, cn, "canvus", "token", "create", "--description", "new-pat")
	now := f.now(t)

	profile := filepath.Join(dir, "profile.json")
	writeJSONFile(t, profile, map[string]any{
		"policy": map[string]string{"max_age": "30d"},
		"vendors": []map[string]any{
			{"name": "cv", "vendor": "commvault", "url": f.urls["commvault"], "credential": map[string]string{"env": "BOT_COMMVAULT_SESSION"}},
			{"name": "cn", "vendor": "canvus", "url": f.urls["canvus"], "user_id": login.User.ID,
				"credential": map[string]string{"env": "BOT_CANVUS_TOKEN"}, "self_id": selfPAT.ID},
			{"name": "ocm", "vendor": "oracle", "url": f.urls["oracle"]},
		},
	})
	env := map[string]string{"BOT_CANVUS_TOKEN": selfPAT.AccessToken, "BOT_COMMVAULT_SESSION": cv["COMMVAULT_TOKEN"], "TOKENCTL_PROFILE": profile}

	// audit: the old ones break the policy, exit 6.
	code, out, errOut := runBin(t, bin, env, "audit", "--now", now, "-o", "json")
	if code != exitPolicy {
		t.Fatalf("audit: exit %d\n%s\n%s", code, out, errOut)
	}
	var audit struct {
		Tokens   []auditTokenJSON `json:"tokens"`
		Breaking int              `json:"breaking"`
		Sources  []sourceJSON     `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &audit); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tok := range audit.Tokens {
		v := tok.Verdict
		if tok.Self {
			v += " self"
		}
		got[tok.Source+" "+tok.Name] = v
		if tok.AgeDays == nil || (tok.Vendor == "canvus") == tok.LastUseReported {
			t.Errorf("token %+v", tok)
		}
	}
	want := map[string]string{"cv old-1": "breaks", "cv old-2": "breaks", "cv new": "ok",
		"cn old-pat": "breaks", "cn tokenctl-self": "breaks self", "cn new-pat": "ok"}
	if len(got) != len(want) {
		t.Errorf("audit tokens: %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("audit %s: %q, want %q", k, got[k], v)
		}
	}
	if len(audit.Sources) != 3 || audit.Sources[2].Status != "not auditable" || !strings.Contains(errOut, "ocm not audited") {
		t.Errorf("sources %+v; stderr %q", audit.Sources, errOut)
	}
	// The table, and a policy flag overriding the profile's: nothing is
	// 90 days old.
	if code, out, _ := runBin(t, bin, env, "audit", "--now", now); code != exitPolicy || !strings.Contains(out, "not reported") || !strings.Contains(out, "older than 30d") {
		t.Errorf("audit table: exit %d\n%s", code, out)
	}
	if code, out, errOut := runBin(t, bin, env, "audit", "--now", now, "--max-age", "90d", "-o", "ndjson"); code != 0 || strings.Count(out, "\n") != 6 {
		t.Errorf("audit --max-age 90d: exit %d\n%s\n%s", code, out, errOut)
	}

	// sweep without --apply: a plan, the same twice, and no change.
	before := map[string]map[string]int{"commvault": f.applied(t, "commvault"), "canvus": f.applied(t, "canvus")}
	code, plan1, errOut := runBin(t, bin, env, "sweep", "--now", now, "--limit", "1")
	_, plan2, _ := runBin(t, bin, env, "sweep", "--now", now, "--limit", "1")
	if code != 0 || plan1 != plan2 || !strings.Contains(plan1, "dry run: would revoke 2, skip 2") {
		t.Fatalf("sweep dry run: exit %d\n%s\n%s\n%s", code, plan1, plan2, errOut)
	}
	for v, b := range before {
		if a := f.applied(t, v); !equalCounts(a, b) {
			t.Fatalf("a dry run changed %s: applied %v, before %v", v, a, b)
		}
	}

	// sweep --apply --limit 1: old-1 (the oldest, then lowest id) and
	// old-pat go; old-2 waits for the next run; self stays.
	code, out, errOut = runBin(t, bin, env, "sweep", "--now", now, "--limit", "1", "--apply", "-o", "json")
	var sw struct {
		Plan    []sweepActionJSON `json:"plan"`
		Summary map[string]any    `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &sw); err != nil || code != 0 {
		t.Fatalf("sweep --apply: exit %d %v\n%s\n%s", code, err, out, errOut)
	}
	acts := map[string]string{}
	for _, a := range sw.Plan {
		acts[a.Source+" "+a.Name] = a.Action + map[bool]string{true: " done", false: ""}[a.Revoked]
	}
	wantActs := map[string]string{"cv old-1": "revoke done", "cv old-2": "skip", "cn old-pat": "revoke done", "cn tokenctl-self": "skip"}
	for k, v := range wantActs {
		if acts[k] != v {
			t.Errorf("sweep %s: %q, want %q (%v)", k, acts[k], v, acts)
		}
	}
	if sw.Summary["revoked"] != float64(2) || sw.Summary["failed"] != float64(0) {
		t.Errorf("summary %v", sw.Summary)
	}
	if d := f.applied(t, "commvault")["DeleteAccessToken"] - before["commvault"]["DeleteAccessToken"]; d != 1 {
		t.Errorf("commvault deletions: %d", d)
	}
	if d := f.applied(t, "canvus")["DeleteAccessToken"] - before["canvus"]["DeleteAccessToken"]; d != 1 {
		t.Errorf("canvus deletions: %d", d)
	}

	// The next run takes old-2; the credentials tokenctl used still work.
	if code, out, errOut := runBin(t, bin, env, "sweep", "--now", now, "--apply"); code != 0 || !strings.Contains(out, "revoked 1, failed 0, skipped 1") {
		t.Errorf("second sweep: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runBin(t, bin, env, "audit", "--now", now, "-o", "ndjson"); code != exitPolicy || strings.Count(out, "\n") != 3 {
		t.Errorf("audit after sweeps (self too old, kept): exit %d\n%s\n%s", code, out, errOut)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestAuditProfileErrors: mistakes in the profile are usage errors that
// name the entry, before any call.
func TestAuditProfileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		profile string
		want    string
	}{
		"unknown vendor":  {`{"vendors": [{"vendor": "comvault", "url": "https://x"}]}`, "did you mean commvault?"},
		"unknown field":   {`{"vendors": [{"vendor": "commvault", "uri": "https://x"}]}`, `unknown field "uri"`},
		"no scheme":       {`{"vendors": [{"vendor": "commvault", "url": "cc.example.com", "credential": {"env": "X"}}]}`, "add a scheme"},
		"no credential":   {`{"vendors": [{"vendor": "commvault", "url": "https://cc.example.com"}]}`, "no credential"},
		"unset variable":  {`{"vendors": [{"vendor": "commvault", "url": "https://cc.example.com", "credential": {"env": "NOPE"}}]}`, "$NOPE is not set"},
		"canvus no user":  {`{"vendors": [{"vendor": "canvus", "url": "https://c.example.com", "credential": {"env": "T"}, "session": true}]}`, "needs user_id"},
		"canvus bad user": {`{"vendors": [{"vendor": "canvus", "url": "https://c.example.com", "credential": {"env": "T"}, "user_id": "me"}]}`, "user_id must be a positive number"},
		"bad policy":      {`{"policy": {"max_age": "soon"}, "vendors": [{"vendor": "csp"}]}`, "policy.max_age"},
		"duplicate names": {`{"vendors": [{"vendor": "csp"}, {"vendor": "csp"}]}`, "give each a name"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(p, []byte(tc.profile), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := runCmd(t, map[string]string{"T": "x"}, "", "audit", "--profile", p)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, %q", name, code, errOut)
		}
	}
	if code, _, errOut := runCmd(t, nil, "", "audit"); code != exitUsage || !strings.Contains(errOut, "$TOKENCTL_PROFILE") {
		t.Errorf("no profile: exit %d, %q", code, errOut)
	}
}

// TestJudge: the verdicts and warnings of the policy, and sweep's plan.
func TestJudge(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	cv := &source{name: "cv", vendor: "commvault", selfKnown: true}
	cn := &source{name: "cn", vendor: "canvus", self: "me", selfKnown: true}
	pol := policy{MaxAge: 90 * day, MaxIdle: 30 * day, ExpiresWithin: 7 * day}
	tok := func(id string, created, lastUsed, end time.Duration) auditToken {
		t := auditToken{TokenInfo: tokenkit.TokenInfo{ID: id, CreatedAt: now.Add(-created)}}
		if lastUsed > 0 {
			t.LastUsedAt = now.Add(-lastUsed)
		}
		if end != 0 {
			t.end = now.Add(end)
		}
		return t
	}
	for _, tc := range []struct {
		src       *source
		tok       auditToken
		verdict   string
		revocable bool
		warning   string
	}{
		{cv, tok("fresh", day, day, 60*day), "ok", false, ""},
		{cv, tok("old", 100*day, day, 60*day), "older than 90d", true, ""},
		{cv, tok("expired", 10*day, day, -time.Hour), "expired", true, ""},
		{cv, tok("idle", 40*day, 35*day, 60*day), "unused for more than 30d", true, ""},
		{cv, tok("never", 40*day, 0, 60*day), "never used in 40d", true, ""},
		{cn, tok("not-reported", 40*day, 0, 0), "ok", false, ""},
		{cv, tok("soon", day, day, 5*day), "expires within 7d", false, "expires within 7 days"},
		{cv, tok("13d", day, day, 13*day), "ok", false, "expires within 14 days"},
		{cv, tok("today", day, day, 12*time.Hour), "expires within 7d", false, "expires within 1 day"},
	} {
		if tc.src == cv { // Commvault reports last use: none means never used
			tc.tok.Reported = tokenkit.FieldCreatedAt | tokenkit.FieldLastUsedAt
		}
		j := judge(tc.src, tc.tok, pol, now)
		if j.verdict() != tc.verdict || j.revocable != tc.revocable || j.warning != tc.warning {
			t.Errorf("%s: %q %t %q, want %q %t %q", tc.tok.ID, j.verdict(), j.revocable, j.warning, tc.verdict, tc.revocable, tc.warning)
		}
	}

	// The plan: self, a credential that cannot revoke, an unknown self and
	// the limit are skipped.
	unknown := &source{name: "cn2", vendor: "canvus"}
	pairCred := &source{name: "cv2", vendor: "commvault", selfKnown: true, noRevoke: commvaultNoRevoke}
	inv := &inventory{}
	for _, x := range []struct {
		src *source
		id  string
	}{{cv, "a"}, {cv, "b"}, {cn, "me"}, {cn, "c"}, {unknown, "d"}, {pairCred, "e"}} {
		inv.tokens = append(inv.tokens, judge(x.src, tok(x.id, 100*day, 0, 0), pol, now))
	}
	var got []string
	for _, a := range inv.plan(1) {
		got = append(got, a.j.tok.ID+" "+a.action)
	}
	if want := "a revoke,b skip,me skip,c revoke,d skip,e skip"; strings.Join(got, ",") != want {
		t.Errorf("plan: %s, want %s", strings.Join(got, ","), want)
	}
}

// TestRotate drives rotate as a process against `tokenctl fake`: on
// Canvus into a file, on Commvault through a store command; and when the
// vendor's check of the new token fails, the rollback leaves the old token
// working and the new one revoked.
func TestRotate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds tokenctl")
	}
	t.Parallel()
	bin := buildTokenctl(t)
	f := startFake(t, bin)
	dir := t.TempDir()

	cv := map[string]string{"COMMVAULT_URL": f.urls["commvault"], "COMMVAULT_PASSWORD": "demo-password"}
	cv["COMMVAULT_TOKEN"] = strings.TrimSpace(mustRun(t, cv, "commvault", "login", "--user", "demo"))
	oldPair := filepath.Join(dir, "old-pair.json")
	mustRun(t, cv, "commvault", "token", "create", "--name", "bot", "--save", oldPair)
	var login struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	cn := map[string]string{"CANVUS_URL": f.urls["canvus"], "CANVUS_PASSWORD": "demo-password"}
	if err := json.Unmarshal([]byte(mustRun(t, cn, "canvus", "login", "--email", "demo@example.com", "-o", "json")), &login); err != nil {
		t.Fatal(err)
	}
	cn["CANVUS_TOKEN"], cn["CANVUS_USER_ID"] = login.Token, login.User.ID
	var pat struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, cn, "canvus", "token", "create", "--description", "bot", "-o", "json")), &pat); err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(dir, "profile.json")
	writeJSONFile(t, profile, map[string]any{"vendors": []map[string]any{
		{"name": "cv", "vendor": "commvault", "url": f.urls["commvault"], "credential": map[string]string{"env": "COMMVAULT_TOKEN"}},
		{"name": "cn", "vendor": "canvus", "url": f.urls["canvus"], "user_id": login.User.ID, "credential": map[string]string{"env": "CANVUS_TOKEN"}, "session": true},
	}})
	env := map[string]string{"TOKENCTL_PROFILE": profile, "COMMVAULT_TOKEN": cv["COMMVAULT_TOKEN"], "CANVUS_TOKEN": login.Token}
	ids := func(vendorEnv map[string]string, vendor string) string {
		var list []tokenInfoJSON
		if err := json.Unmarshal([]byte(mustRun(t, vendorEnv, vendor, "token", "list", "-o", "json")), &list); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range list {
			out = append(out, l.ID+":"+l.Name)
		}
		return strings.Join(out, ",")
	}

	// Canvus, into a file: the new token works, the old one is gone.
	saved := filepath.Join(dir, "canvus-bot.json")
	code, out, errOut := runBin(t, bin, env, "rotate", "--source", "cn", pat.ID, "--save", saved)
	if code != 0 || !strings.Contains(out, "rotated cn token") {
		t.Fatalf("rotate canvus: exit %d\n%s\n%s", code, out, errOut)
	}
	var doc rotated
	b, _ := os.ReadFile(saved)
	if err := json.Unmarshal(b, &doc); err != nil || doc.ID == "" || doc.ID == pat.ID || doc.Name != "bot" || doc.AccessToken == "" {
		t.Fatalf("saved %v: %+v", err, doc)
	}
	if st, _ := os.Stat(saved); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	withNew := map[string]string{"CANVUS_URL": f.urls["canvus"], "CANVUS_TOKEN": doc.AccessToken, "CANVUS_USER_ID": login.User.ID}
	if got := ids(withNew, "canvus"); got != doc.ID+":bot" {
		t.Errorf("canvus tokens after rotate: %s", got)
	}
	if strings.Contains(out+errOut, doc.AccessToken) {
		t.Error("rotate printed the secret")
	}

	// Commvault, the check of the new token refused: rolled back.
	before := f.applied(t, "commvault")["DeleteAccessToken"]
	f.control(t, "POST", "commvault/faults", `{"operation": "WhoAmI", "count": 1, "status": 401}`, nil)
	stored := filepath.Join(dir, "stored.json")
	code, _, errOut = runBin(t, bin, env, "rotate", "--source", "cv", "501", "--store-command", "cat > "+stored)
	if code != exitAuth || !strings.Contains(errOut, "rolled back") || !strings.Contains(errOut, "old token 501 is kept") {
		t.Fatalf("rotate with a failing check: exit %d\n%s", code, errOut)
	}
	if got := ids(cv, "commvault"); got != "501:bot" {
		t.Errorf("commvault tokens after the rollback: %s", got)
	}
	if d := f.applied(t, "commvault")["DeleteAccessToken"] - before; d != 1 {
		t.Errorf("the rollback deleted %d tokens, want the new one", d)
	}
	old := readPair(t, oldPair)
	if st, body := do(t, "GET", f.urls["commvault"]+"/commandcenter/api/V4/AccessToken", map[string]string{"Authtoken": old.AccessToken}, nil); st != 200 {
		t.Errorf("the old token no longer works: %d %v", st, body)
	}

	// Commvault, through the store command, for real this time.
	code, out, errOut = runBin(t, bin, env, "rotate", "--source", "cv", "501", "--store-command", "cat > "+stored, "-o", "json")
	if code != 0 {
		t.Fatalf("rotate commvault: exit %d\n%s\n%s", code, out, errOut)
	}
	b, _ = os.ReadFile(stored)
	doc = rotated{}
	if err := json.Unmarshal(b, &doc); err != nil || doc.RefreshToken == "" || doc.Vendor != "commvault" {
		t.Fatalf("stored %v: %s", err, b)
	}
	if got := ids(cv, "commvault"); got != doc.ID+":bot" {
		t.Errorf("commvault tokens after rotate: %s (new %s)", got, doc.ID)
	}
	if code, _, errOut := runBin(t, bin, env, "rotate", "--source", "cv", "999", "--save", filepath.Join(dir, "x.json")); code != exitUsage || !strings.Contains(errOut, "nothing was changed") {
		t.Errorf("unknown old id: exit %d %q", code, errOut)
	}
}

// TestProgress: the progress line appears only on a terminal, and only for
// more than one source, and is erased at the end.
func TestProgress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tty   bool
		total int
		want  string
	}{
		{true, 2, "\r\x1b[K[1/2] listing a…\r\x1b[K[2/2] listing b…\r\x1b[K"},
		{false, 2, ""},
		{true, 1, ""},
	} {
		var b bytes.Buffer
		p := newProgress(&env{stderr: &b, stderrTTY: tc.tty}, tc.total)
		for i, n := range []string{"a", "b"}[:tc.total] {
			p.show(i, "listing "+n)
		}
		p.done()
		if b.String() != tc.want {
			t.Errorf("tty %t, %d sources: %q, want %q", tc.tty, tc.total, b.String(), tc.want)
		}
	}
}
