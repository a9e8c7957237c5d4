package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/fakes"
)

// --verbose prints each attempt and retry on stderr, without a secret;
// without it the same run prints none of them.
func TestVerbosePrintsAttemptsAndRetries(t *testing.T) {
	t.Parallel()
	fake := csptest.New(t)
	key := fake.AddAPIToken(csptest.APIToken{Username: "ada", OrgID: "org-7"})
	env := map[string]string{"CSP_API_TOKEN": key, "CSP_URL": fake.URL()}

	fake.FailNext(1, fakes.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
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

	fake.FailNext(1, fakes.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
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

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// tokenctl fake --verbose logs one line per request: status, or dropped for
// a connection the fake hijacked and closed; sensitive query values masked.
func TestFakeLogsRequests(t *testing.T) {
	t.Parallel()
	var log lockedBuffer
	ctx := withVerbose(context.Background(), &log)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/drop":
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		case "/limited":
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			_, _ = w.Write([]byte("ok"))
		}
	})
	srv := httptest.NewServer(logRequests(ctx, h))
	defer srv.Close()
	for _, p := range []string{"/ok?refresh_token=canary-rt-1", "/limited", "/drop"} {
		if resp, err := http.Get(srv.URL + p); err == nil {
			resp.Body.Close()
		}
	}
	out := log.String()
	for _, want := range []string{"status=200", "status=429", "url=/drop", "dropped=true"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "canary-rt-1") {
		t.Errorf("a query secret reached the log:\n%s", out)
	}
	if logRequests(context.Background(), h) == nil {
		t.Error("no handler without --verbose")
	}
}
