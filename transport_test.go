package tokenkit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

// rotatingServer accepts only the token it considers current and records the
// Authorization header and body of every request.
type rotatingServer struct {
	mu      sync.Mutex
	current string
	auths   []string
	bodies  []string
}

func (s *rotatingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auths = append(s.auths, r.Header.Get("Authorization"))
	s.bodies = append(s.bodies, string(b))
	if r.Header.Get("Authorization") != "Bearer "+s.current {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	fmt.Fprint(w, "ok")
}

func counterSource(prefix string) (*tokenkit.Source, *atomic.Int32) {
	var n atomic.Int32
	return tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		return tokenkit.NewBearerToken(fmt.Sprintf("%s%d", prefix, n.Add(1)), time.Now().Add(time.Hour)), nil
	}, tokenkit.SourceConfig{}), &n
}

func TestTransportResendsOnceAfter401(t *testing.T) {
	t.Parallel()
	rs := &rotatingServer{current: "tok2"} // the server already rotated past tok1
	srv := httptest.NewServer(rs)
	defer srv.Close()
	src, fetches := counterSource("tok")
	client := tokenkit.NewClient(src, srv.Client().Transport)

	resp, err := client.Post(srv.URL, "text/plain", strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200 after one resend", resp.StatusCode)
	}
	if got := strings.Join(rs.auths, ","); got != "Bearer tok1,Bearer tok2" {
		t.Fatalf("auth headers %q", got)
	}
	if rs.bodies[1] != "payload" {
		t.Fatalf("the resend lost its body: %q", rs.bodies[1])
	}
	if fetches.Load() != 2 {
		t.Fatalf("fetches = %d", fetches.Load())
	}
}

func TestTransportResendsAtMostOnce(t *testing.T) {
	t.Parallel()
	rs := &rotatingServer{current: "never"}
	srv := httptest.NewServer(rs)
	defer srv.Close()
	src, _ := counterSource("tok")
	client := tokenkit.NewClient(src, srv.Client().Transport)
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || len(rs.auths) != 2 {
		t.Fatalf("status %d after %d requests, want 401 after 2", resp.StatusCode, len(rs.auths))
	}
}

func TestTransportDoesNotResendUnreplayableBody(t *testing.T) {
	t.Parallel()
	rs := &rotatingServer{current: "tok2"}
	srv := httptest.NewServer(rs)
	defer srv.Close()
	src, _ := counterSource("tok")
	client := tokenkit.NewClient(src, srv.Client().Transport)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, io.NopCloser(strings.NewReader("once")))
	if req.GetBody != nil {
		t.Fatal("test setup: body must not be replayable")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || len(rs.auths) != 1 {
		t.Fatalf("status %d after %d requests, want the 401 after 1", resp.StatusCode, len(rs.auths))
	}
	// The rejected token was still dropped: the next request uses a new one.
	resp, err = client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("next request status %d", resp.StatusCode)
	}
}

func TestTransportSourceError(t *testing.T) {
	t.Parallel()
	boom := errors.New("no token today")
	src := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) { return nil, boom }, tokenkit.SourceConfig{})
	client := tokenkit.NewClient(src, http.DefaultTransport)
	_, err := client.Get("http://127.0.0.1:1/")
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	var nilSrc tokenkit.Transport
	if _, err := nilSrc.RoundTrip(httptest.NewRequest("GET", "http://x/", nil)); !errors.Is(err, tokenkit.ErrNoSource) {
		t.Fatalf("got %v", err)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-value-xyz"
	type creds struct {
		Key tokenkit.Secret
	}
	tok := tokenkit.NewBearerToken(secret, time.Now())
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	logger.Debug("x", "token", tok, "secret", tokenkit.Secret(secret), "creds", creds{Key: secret})
	var out strings.Builder
	for _, v := range []any{tok, *tok, tokenkit.Secret(secret), creds{Key: secret}, &creds{Key: secret}} {
		for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			fmt.Fprintf(&out, f+"\n", v)
		}
	}
	if strings.Contains(out.String()+logs.String(), secret) {
		t.Fatalf("secret leaked:\n%s\n%s", out.String(), logs.String())
	}
	if tok.Value() != secret || tokenkit.Secret(secret).Reveal() != secret {
		t.Fatal("Value/Reveal must return the secret")
	}
	if tokenkit.Secret("").String() != "" {
		t.Fatal("an empty secret prints empty")
	}
}

func TestErrorIs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		want   error
	}{
		{400, tokenkit.ErrBadRequest}, {401, tokenkit.ErrUnauthorized}, {403, tokenkit.ErrForbidden},
		{404, tokenkit.ErrNotFound}, {409, tokenkit.ErrConflict}, {429, tokenkit.ErrRateLimited},
		{502, tokenkit.ErrServer}, {410, tokenkit.ErrNotFound}, {418, tokenkit.ErrBadRequest},
	} {
		e := &tokenkit.Error{Vendor: "csp", Op: "Op", StatusCode: tc.status, Err: errors.New("cause")}
		wrapped := fmt.Errorf("outer: %w", e)
		if !errors.Is(wrapped, tc.want) {
			t.Errorf("status %d does not match %v", tc.status, tc.want)
		}
		if tc.status != 401 && errors.Is(wrapped, tokenkit.ErrUnauthorized) {
			t.Errorf("status %d matches ErrUnauthorized", tc.status)
		}
	}
	e := &tokenkit.Error{Vendor: "csp", Op: "ExchangeAPIToken", StatusCode: 429, Code: "rate", Message: "slow down", RequestID: "r1", RetryAfter: time.Minute, Attempts: 2}
	want := "csp: ExchangeAPIToken: HTTP 429: rate: slow down (request id r1) (retry after 1m0s) after 2 attempts"
	if e.Error() != want {
		t.Fatalf("Error() = %q\nwant      %q", e.Error(), want)
	}
	if !e.Retryable() {
		t.Fatal("429 is temporary")
	}
}

func TestStaticSource(t *testing.T) {
	t.Parallel()
	tok := tokenkit.NewBearerToken("static-secret-value", time.Time{})
	src := tokenkit.StaticSource(tok)
	got, err := src.Token(context.Background())
	if err != nil || got != tok {
		t.Fatalf("got %v, %v", got, err)
	}
	if s := fmt.Sprintf("%v %+v %#v %s %q", src, src, src, src, src); strings.Contains(s, "static-secret-value") {
		t.Fatalf("leak: %s", s)
	}
	var typedNil *tokenkit.BearerToken
	for _, bad := range []tokenkit.Token{nil, typedNil} {
		if _, err := tokenkit.StaticSource(bad).Token(context.Background()); !errors.Is(err, tokenkit.ErrInvalidInput) {
			t.Fatalf("nil token: %v", err)
		}
	}
}

func TestErrAuthUmbrella(t *testing.T) {
	t.Parallel()
	credential := fmt.Errorf("vendor struct: %w", tokenkit.ErrInvalidCredential)
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&tokenkit.Error{StatusCode: 401}, true},
		{&tokenkit.Error{StatusCode: 403}, true},
		{&tokenkit.Error{StatusCode: 400, Err: credential}, true},
		{&tokenkit.Error{StatusCode: 400}, false},
		{&tokenkit.Error{StatusCode: 500}, false},
		{&tokenkit.Error{Err: tokenkit.ErrTransport}, false},
	} {
		if got := errors.Is(fmt.Errorf("wrapped: %w", tc.err), tokenkit.ErrAuth); got != tc.want {
			t.Errorf("%v: errors.Is(ErrAuth) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
