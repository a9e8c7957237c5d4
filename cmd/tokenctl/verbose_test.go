package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit/csp/csptest"
)

// --verbose prints each attempt and retry on stderr, without a secret;
// without it the same run prints none of them.
func TestVerbosePrintsAttemptsAndRetries(t *testing.T) {
	t.Parallel()
	fake := csptest.New(t)
	key := fake.AddAPIToken(csptest.APIToken{Username: "ada", OrgID: "org-7"})
	env := map[string]string{"CSP_API_TOKEN": key, "CSP_URL": fake.URL()}

	fake.FailNext(1, csptest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
	code, out, errOut := runCmd(t, env, "", "csp", "exchange", "--verbose")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	jwt := strings.TrimSpace(out)
	for _, want := range []string{`msg="tokenkit: http attempt" vendor=csp`, "status=429",
		`msg="tokenkit: retrying" vendor=csp reason="rate limited" wait=0s op=ExchangeAPIToken attempt=1`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, key) || strings.Contains(errOut, jwt) {
		t.Errorf("a secret reached stderr:\n%s", errOut)
	}

	fake.FailNext(1, csptest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
	code, _, errOut = runCmd(t, env, "", "csp", "exchange")
	if code != 0 || strings.Contains(errOut, "tokenkit:") {
		t.Errorf("without --verbose: exit %d, stderr %q", code, errOut)
	}
}

func TestTakeVerbose(t *testing.T) {
	t.Parallel()
	args, v := takeVerbose([]string{"--verbose", "csp", "exchange", "--", "--verbose"})
	if !v || strings.Join(args, " ") != "csp exchange -- --verbose" {
		t.Errorf("takeVerbose = %q, %v", args, v)
	}
	if _, v := takeVerbose([]string{"csp", "exchange"}); v {
		t.Error("verbose without the flag")
	}
}
