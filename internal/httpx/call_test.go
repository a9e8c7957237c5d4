package httpx_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/config"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

const retries = config.DefaultRetryMax // RetryMax of newClient

type tokenResp struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// 1. A lost response: the request reached the server, which closed the
// connection without answering.
func TestLostResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		class        httpx.Class
		wantAttempts int
	}{
		{httpx.Mutating, 1},
		{httpx.Idempotent, retries + 1},
	}
	for _, tt := range tests {
		t.Run(tt.class.String(), func(t *testing.T) {
			t.Parallel()
			srv, rec := newServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) { hijackClose(t, w) })
			c := newClient(t)
			op := &httpx.Op{Name: "Create", Class: tt.class}
			_, err := httpx.Call[tokenResp](context.Background(), c, op,
				sendReq(c, http.MethodPost, srv.URL, "application/json", `{"name":"x"}`))
			te := asError(t, err)
			if !errors.Is(err, tokenkit.ErrTransport) || te.StatusCode != 0 {
				t.Fatalf("error = %v, want ErrTransport", err)
			}
			// Only a mutating call's lost answer leaves its outcome unknown.
			if got := errors.Is(err, tokenkit.ErrOutcomeUnknown); got != (tt.class == httpx.Mutating) {
				t.Fatalf("ErrOutcomeUnknown = %v for %s: %v", got, tt.class, err)
			}
			if got := rec.attempts(); got != tt.wantAttempts {
				t.Fatalf("server saw %d attempts, want %d", got, tt.wantAttempts)
			}
			if te.Attempts != tt.wantAttempts || op.Attempts() != tt.wantAttempts {
				t.Fatalf("Attempts = %d / op %d, want %d", te.Attempts, op.Attempts(), tt.wantAttempts)
			}
			// The body is re-sent whole on every attempt.
			for i := range rec.attempts() {
				if rec.bodies[i] != `{"name":"x"}` {
					t.Fatalf("attempt %d body = %q", i+1, rec.bodies[i])
				}
			}
		})
	}
}

// 2. A refused connection proves the request never reached the server: even a
// Mutating call is retried.
func TestMutatingRetriedWhenNeverSent(t *testing.T) {
	t.Parallel()
	t.Run("dial error then success", func(t *testing.T) {
		t.Parallel()
		srv, rec := newServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"access_token":"a","expires_in":60}`)
		})
		var calls atomic.Int32
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) == 1 {
				if r.Body != nil {
					_ = r.Body.Close()
				}
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
			}
			return srv.Client().Transport.RoundTrip(r)
		})
		c := newClient(t, tokenkit.WithHTTPClient(&http.Client{Transport: rt}))
		op := &httpx.Op{Name: "Create", Class: httpx.Mutating}
		got, err := httpx.Call[tokenResp](context.Background(), c, op,
			sendReq(c, http.MethodPost, srv.URL, "application/json", `{"name":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		if got.AccessToken != "a" || calls.Load() != 2 || op.Attempts() != 2 || rec.attempts() != 1 {
			t.Fatalf("got %+v; transport calls %d, op attempts %d, server %d", got, calls.Load(), op.Attempts(), rec.attempts())
		}
		if rec.bodies[0] != `{"name":"x"}` {
			t.Fatalf("retried body = %q", rec.bodies[0])
		}
	})
	t.Run("closed port", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		c := newClient(t)
		op := &httpx.Op{Name: "Create", Class: httpx.Mutating}
		_, err = httpx.Call[tokenResp](context.Background(), c, op,
			sendReq(c, http.MethodPost, "http://"+addr+"/tokens", "application/json", `{}`))
		te := asError(t, err)
		if !errors.Is(err, tokenkit.ErrTransport) {
			t.Fatalf("error = %v, want ErrTransport", err)
		}
		if errors.Is(err, tokenkit.ErrOutcomeUnknown) {
			t.Fatalf("a refused connection proves nothing was applied, got %v", err)
		}
		if te.Attempts != retries+1 || op.Attempts() != retries+1 {
			t.Fatalf("Attempts = %d, op %d; want %d", te.Attempts, op.Attempts(), retries+1)
		}
	})
}

// 3. Which statuses are retried, per class.
func TestStatusRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		class        httpx.Class
		statuses     []int // answer of attempt i; the last one repeats
		wantAttempts int
		wantStatus   int // 0: success
	}{
		{"mutating 429 then 200", httpx.Mutating, []int{429, 200}, 2, 0},
		{"mutating 500", httpx.Mutating, []int{500, 200}, 1, 500},
		{"mutating 503", httpx.Mutating, []int{503, 200}, 1, 503},
		{"mutating 502", httpx.Mutating, []int{502, 200}, 1, 502},
		{"mutating 408", httpx.Mutating, []int{408, 200}, 1, 408},
		{"idempotent 500 then 200", httpx.Idempotent, []int{500, 200}, 2, 0},
		{"idempotent 502 then 200", httpx.Idempotent, []int{502, 200}, 2, 0},
		{"idempotent 503 then 200", httpx.Idempotent, []int{503, 200}, 2, 0},
		{"idempotent 504 then 200", httpx.Idempotent, []int{504, 200}, 2, 0},
		{"idempotent 408 then 200", httpx.Idempotent, []int{408, 200}, 2, 0},
		{"idempotent 429 then 200", httpx.Idempotent, []int{429, 200}, 2, 0},
		{"idempotent 503 always", httpx.Idempotent, []int{503}, retries + 1, 503},
		{"idempotent 501", httpx.Idempotent, []int{501, 200}, 1, 501},
		{"idempotent 400", httpx.Idempotent, []int{400, 200}, 1, 400},
		{"idempotent 401", httpx.Idempotent, []int{401, 200}, 1, 401},
		{"idempotent 403", httpx.Idempotent, []int{403, 200}, 1, 403},
		{"idempotent 404", httpx.Idempotent, []int{404, 200}, 1, 404},
		{"idempotent 409", httpx.Idempotent, []int{409, 200}, 1, 409},
		{"idempotent 422", httpx.Idempotent, []int{422, 200}, 1, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, rec := newServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				st := tt.statuses[min(n, len(tt.statuses))-1]
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(st)
				if st == 200 {
					_, _ = io.WriteString(w, `{"access_token":"tok","expires_in":60}`)
					return
				}
				fmt.Fprintf(w, `{"code":"C%d","message":"status %d"}`, st, st)
			})
			c := newClient(t)
			op := &httpx.Op{Name: "Op", Class: tt.class}
			got, err := httpx.Call[tokenResp](context.Background(), c, op,
				sendReq(c, http.MethodPost, srv.URL, "application/json", `{}`))
			if rec.attempts() != tt.wantAttempts {
				t.Fatalf("server saw %d attempts, want %d (err %v)", rec.attempts(), tt.wantAttempts, err)
			}
			if tt.wantStatus == 0 {
				if err != nil || got.AccessToken != "tok" {
					t.Fatalf("Call = %+v, %v", got, err)
				}
				return
			}
			te := asError(t, err)
			if got != nil || te.StatusCode != tt.wantStatus || te.Code != fmt.Sprintf("C%d", tt.wantStatus) || te.Attempts != tt.wantAttempts {
				t.Fatalf("Call = %+v, %#v", got, te)
			}
			if errors.Is(err, tokenkit.ErrTransport) {
				t.Fatalf("HTTP error %v matches ErrTransport", err)
			}
		})
	}
}

// 4. Retry-After is honoured up to the cap and the context's deadline.
func TestRetryAfterHandling(t *testing.T) {
	t.Parallel()
	answer := func(retryAfter string) func(int, http.ResponseWriter, *http.Request) {
		return func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				w.Header().Set("Retry-After", retryAfter)
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = io.WriteString(w, `{"code":"slow_down","message":"too many"}`)
				return
			}
			_, _ = io.WriteString(w, `{"access_token":"tok"}`)
		}
	}

	t.Run("past the default cap", func(t *testing.T) {
		t.Parallel()
		srv, rec := newServer(t, answer("3600"))
		c := newClient(t)
		_, err := httpx.Call[tokenResp](context.Background(), c, &httpx.Op{Name: "Op", Class: httpx.Mutating},
			sendReq(c, http.MethodPost, srv.URL, "", ""))
		te := asError(t, err)
		if rec.attempts() != 1 || te.StatusCode != 429 || te.RetryAfter != time.Hour || !errors.Is(err, tokenkit.ErrRateLimited) {
			t.Fatalf("attempts %d, error %#v", rec.attempts(), te)
		}
		if !strings.Contains(te.Error(), "retry after 1h0m0s") {
			t.Fatalf("Error() = %q does not show the wait", te.Error())
		}
	})

	t.Run("past the cap as an HTTP date", func(t *testing.T) {
		t.Parallel()
		srv, rec := newServer(t, answer(time.Now().Add(2*time.Hour).UTC().Format(http.TimeFormat)))
		c := newClient(t)
		_, err := httpx.Call[tokenResp](context.Background(), c, &httpx.Op{Name: "Op", Class: httpx.Idempotent},
			sendReq(c, http.MethodGet, srv.URL, "", ""))
		te := asError(t, err)
		if rec.attempts() != 1 || te.StatusCode != 429 || te.RetryAfter < time.Hour {
			t.Fatalf("attempts %d, error %#v", rec.attempts(), te)
		}
	})

	t.Run("within a raised cap", func(t *testing.T) {
		t.Parallel()
		srv, rec := newServer(t, answer("1"))
		c := newClient(t, tokenkit.WithMaxRetryAfter(2*time.Second))
		got, err := httpx.Call[tokenResp](context.Background(), c, &httpx.Op{Name: "Op", Class: httpx.Mutating},
			sendReq(c, http.MethodPost, srv.URL, "", ""))
		if err != nil || got.AccessToken != "tok" || rec.attempts() != 2 {
			t.Fatalf("Call = %+v, %v after %d attempts", got, err, rec.attempts())
		}
	})

	t.Run("past the context deadline", func(t *testing.T) {
		t.Parallel()
		srv, rec := newServer(t, answer("50")) // under the 60s cap
		c := newClient(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := httpx.Call[tokenResp](ctx, c, &httpx.Op{Name: "Op", Class: httpx.Mutating},
			sendReq(c, http.MethodPost, srv.URL, "", ""))
		if ctx.Err() != nil {
			t.Fatal("the call waited for the deadline")
		}
		te := asError(t, err)
		if rec.attempts() != 1 || te.StatusCode != 429 || te.RetryAfter != 50*time.Second {
			t.Fatalf("attempts %d, error %#v", rec.attempts(), te)
		}
	})
}

// signalHandler is a slog.Handler that closes ch at the first warning (the
// "retrying" line, logged just before the backoff wait).
type signalHandler struct {
	once *sync.Once
	ch   chan struct{}
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn {
		h.once.Do(func() { close(h.ch) })
	}
	return nil
}
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

// 5. Every wait ends when the context ends.
func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	srv, rec := newServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	h := signalHandler{once: new(sync.Once), ch: make(chan struct{})}
	c := newClient(t, tokenkit.WithRetryWait(time.Hour, time.Hour), tokenkit.WithLogger(slog.New(h)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := httpx.Run(ctx, c, &httpx.Op{Name: "Get", Class: httpx.Idempotent},
			sendReq(c, http.MethodGet, srv.URL, "", ""))
		done <- err
	}()
	select {
	case <-h.ch:
	case <-time.After(30 * time.Second):
		t.Fatal("no retry was scheduled")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
		asError(t, err)
		if rec.attempts() != 1 {
			t.Fatalf("server saw %d attempts", rec.attempts())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not end when its context was cancelled")
	}
}

func TestCanceledBeforeSend(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sent := false
	_, err := httpx.Run(ctx, c, &httpx.Op{Name: "Get"}, func(context.Context) (*http.Response, error) {
		sent = true
		return nil, errors.New("unreachable")
	})
	if sent || !errors.Is(err, context.Canceled) || !errors.Is(err, tokenkit.ErrCanceled) || errors.Is(err, tokenkit.ErrTransport) || tokenkit.KindOf(err).Retryable() {
		t.Fatalf("sent %v, error %v", sent, err)
	}
}

// 6. After retries give up, the last answer reaches the error decoder.
func TestLastResponseReachesCaller(t *testing.T) {
	t.Parallel()
	srv, rec := newServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", fmt.Sprintf("req-%d", n))
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"code":"E42","message":"boom"}`)
	})
	c := newClient(t)
	op := &httpx.Op{Name: "Get", Class: httpx.Idempotent}
	got, err := httpx.Call[tokenResp](context.Background(), c, op, sendReq(c, http.MethodGet, srv.URL, "", ""))
	te := asError(t, err)
	want := retries + 1
	if got != nil || rec.attempts() != want {
		t.Fatalf("result %+v, server attempts %d, want %d", got, rec.attempts(), want)
	}
	if te.Vendor != "test" || te.Op != "Get" || te.StatusCode != 500 || te.Attempts != want || te.Code != "E42" ||
		te.Message != "boom" || te.RequestID != fmt.Sprintf("req-%d", want) {
		t.Fatalf("error = %#v", te)
	}
	if !strings.Contains(te.Body, `"E42"`) || !strings.Contains(te.Body, `"boom"`) {
		t.Fatalf("Body = %q", te.Body)
	}
	if !errors.Is(err, tokenkit.ErrServer) || errors.Is(err, tokenkit.ErrTransport) {
		t.Fatalf("errors.Is mismatch for %v", err)
	}
}

// 7. The token is fetched and attached per attempt.
type tokenSourceFunc func(context.Context) (tokenkit.Token, error)

func (f tokenSourceFunc) Token(ctx context.Context) (tokenkit.Token, error) { return f(ctx) }

func TestAuthPerAttempt(t *testing.T) {
	t.Parallel()
	srv, rec := newServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `{"access_token":"x"}`)
	})
	var n atomic.Int32
	src := tokenSourceFunc(func(context.Context) (tokenkit.Token, error) {
		return tokenkit.NewBearerToken(fmt.Sprintf("token-%d-abcdef", n.Add(1)), time.Time{}), nil
	})
	c := newClient(t)
	op := &httpx.Op{Name: "Get", Class: httpx.Idempotent, Auth: src}
	send := func(ctx context.Context) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer stale-from-caller")
		resp, err := c.Do(req)
		if got := req.Header.Get("Authorization"); got != "Bearer stale-from-caller" {
			t.Errorf("caller's request modified: %q", got)
		}
		return resp, err
	}
	if _, err := httpx.Call[tokenResp](context.Background(), c, op, send); err != nil {
		t.Fatal(err)
	}
	if rec.attempts() != 3 {
		t.Fatalf("attempts = %d", rec.attempts())
	}
	for i := range 3 {
		want := fmt.Sprintf("Bearer token-%d-abcdef", i+1)
		if got := rec.request(i).Header.Get("Authorization"); got != want {
			t.Fatalf("attempt %d Authorization = %q, want %q", i+1, got, want)
		}
	}
}

func TestAuthSourceErrorNotRetried(t *testing.T) {
	t.Parallel()
	srv, rec := newServer(t, func(int, http.ResponseWriter, *http.Request) {})
	cause := errors.New("vault sealed")
	var calls atomic.Int32
	src := tokenSourceFunc(func(context.Context) (tokenkit.Token, error) {
		calls.Add(1)
		return nil, cause
	})
	c := newClient(t)
	_, err := httpx.Run(context.Background(), c, &httpx.Op{Name: "Get", Auth: src},
		sendReq(c, http.MethodGet, srv.URL, "", ""))
	if !errors.Is(err, cause) || calls.Load() != 1 || rec.attempts() != 0 {
		t.Fatalf("error %v, source calls %d, server attempts %d", err, calls.Load(), rec.attempts())
	}
	asError(t, err)
}

// 8. Bounded bodies and undecodable 2xx answers.
func TestInvalidResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []tokenkit.Option
		status int
		body   string
	}{
		{"body over the limit", []tokenkit.Option{tokenkit.WithMaxResponseBytes(16)}, 200, `{"access_token":"0123456789abcdef0123456789"}`},
		{"not json", nil, 200, `<html>ok</html>`},
		{"empty", nil, 200, ``},
		{"wrong type", nil, 200, `{"access_token":42}`},
		{"no content", nil, 204, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, rec := newServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			c := newClient(t, tt.opts...)
			got, err := httpx.Call[tokenResp](context.Background(), c, &httpx.Op{Name: "Get"},
				sendReq(c, http.MethodGet, srv.URL, "", ""))
			if got != nil || !errors.Is(err, tokenkit.ErrInvalidResponse) {
				t.Fatalf("Call = %+v, %v; want nil, ErrInvalidResponse", got, err)
			}
			if errors.Is(err, tokenkit.ErrTransport) || rec.attempts() != 1 {
				t.Fatalf("error %v after %d attempts", err, rec.attempts())
			}
		})
	}
}

// The error of an undecodable 2xx names the status the server sent.
func TestInvalidResponseKeepsStatus(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `not json`)
	})
	c := newClient(t)
	_, err := httpx.Call[tokenResp](context.Background(), c, &httpx.Op{Name: "Create", Class: httpx.Mutating},
		sendReq(c, http.MethodPost, srv.URL, "", ""))
	if te := asError(t, err); te.StatusCode != http.StatusCreated {
		t.Fatalf("StatusCode = %d, want 201", te.StatusCode)
	}
}

// A 2xx cut by the size limit is no longer valid JSON; the token it carries
// must still not reach the error's Body.
func TestInvalidResponseBodyRedacted(t *testing.T) {
	t.Parallel()
	const issued = "NEW-ACCESS-TOKEN-0001"
	srv, _ := newServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"access_token":%q,"padding":"%s"}`, issued, strings.Repeat("x", 200))
	})
	c := newClient(t, tokenkit.WithMaxResponseBytes(64))
	_, err := httpx.Call[tokenResp](context.Background(), c, &httpx.Op{Name: "Get"}, sendReq(c, http.MethodGet, srv.URL, "", ""))
	te := asError(t, err)
	if !errors.Is(err, tokenkit.ErrInvalidResponse) {
		t.Fatalf("error = %v", err)
	}
	if strings.Contains(te.Body, issued) || strings.Contains(te.Error(), issued) {
		t.Fatalf("issued token leaked: Body %q", te.Body)
	}
}

// syncBuffer is a bytes.Buffer safe for a log handler and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type logLine struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
}

func parseLog(t *testing.T, s string) (debug, warn int) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		switch {
		case l.Level == "DEBUG" && l.Msg == "tokenkit: http attempt":
			debug++
		case l.Level == "WARN" && l.Msg == "tokenkit: retrying":
			warn++
		}
	}
	return debug, warn
}

// 9. Secrets never reach an error or a log line.
func TestRedaction(t *testing.T) {
	t.Parallel()
	const (
		secret = "SECRET-VALUE-123"
		bearer = "AUTH-TOKEN-SECRET-456"
	)
	secrets := []string{secret, bearer}
	noSecret := func(t *testing.T, what, s string) {
		t.Helper()
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				t.Errorf("%s contains %q: %s", what, sec, s)
			}
		}
	}
	src := tokenSourceFunc(func(context.Context) (tokenkit.Token, error) {
		return tokenkit.NewBearerToken(bearer, time.Time{}), nil
	})
	form := "grant_type=api_token&api_token=" + secret

	t.Run("echoed in a 400 after retries", func(t *testing.T) {
		t.Parallel()
		srv, rec := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			switch n {
			case 1:
				hijackClose(t, w) // transport error: its text holds the URL
			case 2:
				w.WriteHeader(http.StatusTooManyRequests)
			default:
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(map[string]string{
					"code":         "invalid " + secret,
					"message":      "api_token " + secret + " rejected; you sent " + r.Header.Get("Authorization"),
					"access_token": secret,
					"echo":         bearer,
				})
			}
		})
		var buf syncBuffer
		logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c := newClient(t, tokenkit.WithLogger(logger))
		op := &httpx.Op{Name: "Exchange", Class: httpx.Idempotent, Auth: src}
		_, err := httpx.Call[tokenResp](context.Background(), c, op,
			sendReq(c, http.MethodPost, srv.URL+"/token?api_token="+secret+"&x=1", "application/x-www-form-urlencoded", form))
		te := asError(t, err)
		if te.StatusCode != 400 || rec.attempts() != 3 || !errors.Is(err, tokenkit.ErrBadRequest) {
			t.Fatalf("attempts %d, error %#v", rec.attempts(), te)
		}
		if !strings.Contains(rec.bodies[0], secret) {
			t.Fatalf("the server did not get the form: %q", rec.bodies[0])
		}
		noSecret(t, "Error()", te.Error())
		noSecret(t, "Message", te.Message)
		noSecret(t, "Code", te.Code)
		noSecret(t, "Body", te.Body)
		noSecret(t, "%+v", fmt.Sprintf("%+v", te))
		logs := buf.String()
		noSecret(t, "log", logs)
		debug, warn := parseLog(t, logs)
		if debug != 3 || warn != 2 {
			t.Fatalf("%d debug and %d warn lines, want 3 and 2:\n%s", debug, warn, logs)
		}
	})

	t.Run("transport error text", func(t *testing.T) {
		t.Parallel()
		srv, _ := newServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) { hijackClose(t, w) })
		var buf syncBuffer
		logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c := newClient(t, tokenkit.WithLogger(logger))
		u := strings.Replace(srv.URL, "http://", "http://user:"+secret+"@", 1) + "/token?api_token=" + secret
		_, err := httpx.Call[tokenResp](context.Background(), c, &httpx.Op{Name: "Create", Class: httpx.Mutating, Auth: src},
			sendReq(c, http.MethodPost, u, "application/x-www-form-urlencoded", form))
		if !errors.Is(err, tokenkit.ErrTransport) {
			t.Fatalf("error = %v", err)
		}
		noSecret(t, "Error()", err.Error())
		noSecret(t, "log", buf.String())
		if d, w := parseLog(t, buf.String()); d != 1 || w != 0 {
			t.Fatalf("%d debug and %d warn lines, want 1 and 0", d, w)
		}
	})
}

// One warning per retry: a call that gives up after RetryMax retries logs
// RetryMax "retrying" lines, not one more for a retry that never happens.
func TestOneWarningPerRetry(t *testing.T) {
	t.Parallel()
	srv, rec := newServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	var buf syncBuffer
	c := newClient(t, tokenkit.WithLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, err := httpx.Run(context.Background(), c, &httpx.Op{Name: "Get"}, sendReq(c, http.MethodGet, srv.URL, "", ""))
	if te := asError(t, err); te.StatusCode != 502 || rec.attempts() != retries+1 {
		t.Fatalf("attempts %d, error %v", rec.attempts(), err)
	}
	if d, w := parseLog(t, buf.String()); d != retries+1 || w != retries {
		t.Fatalf("%d debug and %d warn lines, want %d and %d:\n%s", d, w, retries+1, retries, buf.String())
	}
}

// 10. The per-attempt timeout ends a hung attempt and the call goes on.
func TestAttemptTimeout(t *testing.T) {
	t.Parallel()
	srv, rec := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
			}
			return
		}
		_, _ = io.WriteString(w, `{"access_token":"late"}`)
	})
	c := newClient(t, tokenkit.WithAttemptTimeout(50*time.Millisecond))
	op := &httpx.Op{Name: "Get", Class: httpx.Idempotent}
	got, err := httpx.Call[tokenResp](context.Background(), c, op, sendReq(c, http.MethodGet, srv.URL, "", ""))
	if err != nil || got.AccessToken != "late" {
		t.Fatalf("Call = %+v, %v", got, err)
	}
	if op.Attempts() != 2 || rec.attempts() != 2 {
		t.Fatalf("attempts: op %d, server %d; want 2", op.Attempts(), rec.attempts())
	}
}

// The client's own Timeout wins over WithAttemptTimeout and a Mutating call is
// not retried after it (the request was sent).
func TestAttemptTimeoutMutating(t *testing.T) {
	t.Parallel()
	srv, rec := newServer(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(time.Second):
		case <-r.Context().Done():
		}
	})
	c := newClient(t, tokenkit.WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
	_, err := httpx.Call[tokenResp](context.Background(), c, &httpx.Op{Name: "Renew", Class: httpx.Mutating},
		sendReq(c, http.MethodPost, srv.URL, "", "x"))
	if !errors.Is(err, tokenkit.ErrTransport) || rec.attempts() != 1 {
		t.Fatalf("error %v after %d attempts", err, rec.attempts())
	}
}
