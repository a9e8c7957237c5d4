package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSignalExitCodes: a command stopped by Ctrl-C exits 130, by SIGTERM
// 143, and says so; neither reads as a network failure.
func TestSignalExitCodes(t *testing.T) {
	bin := buildTokenctl(t)
	arrived := make(chan struct{}, 1)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server notices the client leaving
		select {
		case arrived <- struct{}{}:
		default:
		}
		select { // never answers
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}))
	defer hang.Close()
	for _, tc := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "csp", "exchange")
			cmd.Env = append(os.Environ(), "CSP_URL="+hang.URL, "CSP_API_TOKEN=api-token-for-signal-test")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-arrived:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("the request never arrived")
			}
			_ = cmd.Process.Signal(tc.sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.want {
				t.Fatalf("exit %v, want %d; stderr %q", err, tc.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), "stopped by") {
				t.Errorf("stderr does not say why: %q", stderr.String())
			}
		})
	}
}

// TestConfigErrorExitCode: https pointed at a plain-http server is a
// configuration error (exit 2), reported once, not a network failure.
func TestConfigErrorExitCode(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var hits, conns atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}), ConnState: func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	code, _, errOut := runCmd(t, map[string]string{"CSP_URL": "https://" + l.Addr().String(), "CSP_API_TOKEN": "tok-config-test"}, "", "csp", "exchange")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", code, exitUsage, errOut)
	}
	if n := conns.Load(); n != 1 || hits.Load() != 0 {
		t.Fatalf("the call made %d connections (%d requests understood), want 1 (0)", n, hits.Load())
	}
}
