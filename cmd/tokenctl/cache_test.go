package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit/csp/csptest"
)

// A cron job that runs `tokenctl csp exchange` every minute exchanges once
// per token lifetime: later runs print the cached token.
func TestCSPExchangeCache(t *testing.T) {
	t.Parallel()
	fake := csptest.New(t)
	key := fake.AddAPIToken(csptest.APIToken{})
	cacheHome := t.TempDir()
	env := map[string]string{"CSP_API_TOKEN": key, "CSP_URL": fake.URL(), "XDG_CACHE_HOME": cacheHome}

	first := mustRun(t, env, "csp", "exchange")
	for range 3 {
		if again := mustRun(t, env, "csp", "exchange"); again != first {
			t.Fatal("a later run did not print the cached token")
		}
	}
	if n := fake.Applied("ExchangeAPIToken"); n != 1 {
		t.Fatalf("4 runs made %d exchanges, want 1", n)
	}
	if again := mustRun(t, env, "csp", "exchange", "--no-cache"); again == first || fake.Applied("ExchangeAPIToken") != 2 {
		t.Fatal("--no-cache must exchange")
	}
	explicit := t.TempDir()
	mustRun(t, env, "csp", "exchange", "--cache", explicit)
	if fake.Applied("ExchangeAPIToken") != 3 {
		t.Fatal("--cache DIR must not read the default cache")
	}

	// The cache holds neither the access token nor the API token in clear,
	// only its owner can read it, and no name gives the API token away.
	files, _ := filepath.Glob(filepath.Join(cacheHome, "tokenctl", "*"))
	if len(files) == 0 {
		t.Fatal("nothing cached under $XDG_CACHE_HOME/tokenctl")
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		fi, _ := os.Stat(f)
		if strings.Contains(string(b), strings.TrimSpace(first)) || strings.Contains(string(b), key) || strings.Contains(f, key) {
			t.Errorf("%s holds a token in clear", filepath.Base(f))
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", filepath.Base(f), fi.Mode().Perm())
		}
	}

	// Another API token is another cache entry.
	other := fake.AddAPIToken(csptest.APIToken{})
	env["CSP_API_TOKEN"] = other
	if out := mustRun(t, env, "csp", "exchange"); out == first || fake.Applied("ExchangeAPIToken") != 4 {
		t.Fatal("a second API token got the first one's cached token")
	}
}
