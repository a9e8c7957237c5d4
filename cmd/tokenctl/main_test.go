package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit/csp/csptest"
)

func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestDemo(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmd(t, nil, "", "demo")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"exchanged an API token", "verified its RS256 signature", "is refused", "client-credentials grant",
		"two 429s with Retry-After were retried: 3 attempts", "RetryAfter=1h0m0s", "6 served, 2 exchanges", "done:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"demo-app-secret", "424242", "a-mistyped-api-token-value", "eyJ"} {
		if strings.Contains(out, secret) {
			t.Errorf("demo printed a secret (%s):\n%s", secret, out)
		}
	}
}

func TestCSPCommands(t *testing.T) {
	t.Parallel()
	fake := csptest.New(t)
	key := fake.AddAPIToken(csptest.APIToken{Username: "ada", OrgID: "org-7"})

	code, out, errOut := runCmd(t, map[string]string{"CSP_API_TOKEN": key}, "", "csp", "exchange", "--host", fake.URL())
	if code != 0 || strings.Count(out, ".") != 2 {
		t.Fatalf("exchange: exit %d, out %q, err %q", code, out, errOut)
	}
	jwt := strings.TrimSpace(out)

	code, out, _ = runCmd(t, nil, jwt+"\n", "csp", "verify", "--host", fake.URL())
	if code != 0 || !strings.Contains(out, `user "ada" org "org-7"`) {
		t.Fatalf("verify: exit %d, %q", code, out)
	}
	code, out, _ = runCmd(t, nil, key+"\n", "csp", "details", "--host", fake.URL())
	if code != 0 || !strings.Contains(out, "org:         org-7") {
		t.Fatalf("details: exit %d, %q", code, out)
	}
	code, out, _ = runCmd(t, nil, "", "csp", "public-key", "--host", fake.URL())
	if code != 0 || !strings.Contains(out, "BEGIN PUBLIC KEY") {
		t.Fatalf("public-key: exit %d, %q", code, out)
	}

	code, _, errOut = runCmd(t, map[string]string{"CSP_API_TOKEN": key + "-revoked"}, "", "csp", "exchange", "--host", fake.URL())
	if code != 1 || !strings.Contains(errOut, "invalid_grant") || strings.Contains(errOut, key) {
		t.Fatalf("bad token: exit %d, %q", code, errOut)
	}
	for _, args := range [][]string{{}, {"nope"}, {"csp"}, {"csp", "exchange", "--host", fake.URL()}, {"csp", "frob"}, {"csp", "exchange", "--bogus"}} {
		if code, _, _ := runCmd(t, nil, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, _ := runCmd(t, nil, "", "csp", "exchange", "--host", "http://example.com"); code != 1 {
		t.Errorf("plain http to a remote host must be refused")
	}
	if code, out, _ := runCmd(t, nil, "", "version"); code != 0 || !strings.HasPrefix(out, "tokenctl ") {
		t.Errorf("version: %d %q", code, out)
	}
}
