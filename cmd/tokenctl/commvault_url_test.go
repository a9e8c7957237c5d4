package main

import (
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
)

// The Commvault URL is the origin (commvault.New adds /commandcenter/api),
// or, as tokenctl took it before, the full API base URL: its path is then
// the API path, as given, never dropped or doubled.
func TestCommvaultURLForms(t *testing.T) {
	t.Parallel()
	fake := commvaulttest.New(t)
	fake.StrictPaths(t)
	fake.AddUser(commvaulttest.User{Name: "admin", Password: "pw"})
	for _, base := range []string{
		fake.URL(),
		fake.URL() + "/",
		fake.URL() + commvaulttest.BasePath,
		fake.URL() + commvaulttest.LegacyBasePath + "/",
	} {
		env := map[string]string{"COMMVAULT_URL": base, "COMMVAULT_PASSWORD": "pw"}
		if s := strings.TrimSpace(mustRun(t, env, "commvault", "login", "--user", "admin")); !strings.HasPrefix(s, "QSDK ") {
			t.Errorf("%s: login printed %q", base, s)
		}
	}
	if n := fake.Calls(commvaulttest.OpLogin); n != 4 {
		t.Fatalf("logins = %d, want 4", n)
	}
	// A path the client refuses is a usage error that names it.
	env := map[string]string{"COMMVAULT_URL": fake.URL() + "/commandcenter/../api", "COMMVAULT_PASSWORD": "pw"}
	if code, _, stderr := runCmd(t, env, "", "commvault", "login", "--user", "admin"); code == 0 || !strings.Contains(stderr, "..") {
		t.Fatalf("a dot-dot path: exit %d, %s", code, stderr)
	}
}
