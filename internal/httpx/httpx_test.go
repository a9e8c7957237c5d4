package httpx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/config"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

// ---- shared helpers (also used by call_test.go) ----

// roundTripFunc is a RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// decodeTestError is the ErrorDecoder of the "test" vendor: {"code","message"}.
func decodeTestError(body []byte, _ http.Header, e *tokenkit.Error) {
	var v struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &v) == nil {
		e.Code, e.Message = v.Code, v.Message
	}
}

// newClient builds a "test" client with fast retries; opts come after the
// defaults so that a test can override them.
func newClient(t *testing.T, opts ...tokenkit.Option) *httpx.Client {
	t.Helper()
	all := append([]tokenkit.Option{tokenkit.WithRetryWait(time.Millisecond, 2*time.Millisecond)}, opts...)
	s, err := httpx.Apply("test", all)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return httpx.New("test", s, decodeTestError)
}

// sendReq returns a Send that builds a request with the context it is given.
func sendReq(c *httpx.Client, method, url, contentType, body string) httpx.Send {
	return func(ctx context.Context) (*http.Response, error) {
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, url, r)
		if err != nil {
			return nil, err
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		return c.Do(req)
	}
}

// recorder is a test server that counts attempts and answers with handle(n)
// where n is the 1-based attempt number.
type recorder struct {
	mu       sync.Mutex
	n        int
	requests []*http.Request
	bodies   []string
}

func (r *recorder) attempts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func (r *recorder) request(i int) *http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[i]
}

func newServer(t *testing.T, handle func(n int, w http.ResponseWriter, r *http.Request)) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.n++
		n := rec.n
		rec.requests = append(rec.requests, r.Clone(context.Background()))
		rec.bodies = append(rec.bodies, string(b))
		rec.mu.Unlock()
		handle(n, w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

// hijackClose reads the request and closes the connection without answering:
// the request reached the server, the response is lost.
func hijackClose(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

func asError(t *testing.T, err error) *tokenkit.Error {
	t.Helper()
	var te *tokenkit.Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T) is not a *tokenkit.Error", err, err)
	}
	return te
}

// ---- options and construction ----

func TestApplyRejectsInvalidOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  tokenkit.Option
	}{
		{"nil http client", tokenkit.WithHTTPClient(nil)},
		{"negative retry max", tokenkit.WithRetryMax(-1)},
		{"zero retry wait min", tokenkit.WithRetryWait(0, 1)},
		{"retry wait max below min", tokenkit.WithRetryWait(2*time.Second, time.Second)},
		{"zero attempt timeout", tokenkit.WithAttemptTimeout(0)},
		{"negative max retry after", tokenkit.WithMaxRetryAfter(-time.Second)},
		{"zero max response bytes", tokenkit.WithMaxResponseBytes(0)},
		{"nil clock", tokenkit.WithClock(nil)},
		{"zero option", tokenkit.Option{}},
		{"another vendor's option", httpx.VendorOption("csp", "WithVerification", func(*config.Settings) {})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := httpx.Apply("test", []tokenkit.Option{tokenkit.WithRetryMax(1), tt.opt})
			if !errors.Is(err, tokenkit.ErrConfig) {
				t.Fatalf("Apply error = %v, want ErrConfig", err)
			}
		})
	}
}

func TestApplyDefaultsAndValues(t *testing.T) {
	t.Parallel()
	s, err := httpx.Apply("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.RetryMax != config.DefaultRetryMax || s.MaxRetryAfter != config.DefaultMaxRetryAfter ||
		s.AttemptTimeout != config.DefaultAttemptTimeout || s.MaxResponseBytes != config.DefaultMaxResponseBytes {
		t.Fatalf("defaults = %+v", s)
	}
	hc := &http.Client{}
	s, err = httpx.Apply("test", []tokenkit.Option{
		tokenkit.WithHTTPClient(hc),
		tokenkit.WithRetryMax(0),
		tokenkit.WithRetryWait(time.Millisecond, time.Second),
		tokenkit.WithMaxRetryAfter(0),
		tokenkit.WithAttemptTimeout(time.Second),
		tokenkit.WithMaxResponseBytes(10),
		tokenkit.WithUserAgent("bot/1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.HTTPClient != hc || s.RetryMax != 0 || s.RetryWaitMin != time.Millisecond || s.RetryWaitMax != time.Second ||
		s.MaxRetryAfter != 0 || s.AttemptTimeout != time.Second || s.MaxResponseBytes != 10 || s.UserAgent != "bot/1" {
		t.Fatalf("settings = %+v", s)
	}
}

func TestNewDoesNotModifyUsersClient(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{}`) })
	for _, timeout := range []time.Duration{0, 5 * time.Second} {
		var through int
		var mu sync.Mutex
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			through++
			mu.Unlock()
			return srv.Client().Transport.RoundTrip(r)
		})
		hc := &http.Client{Transport: rt, Timeout: timeout}
		c := newClient(t, tokenkit.WithHTTPClient(hc), tokenkit.WithAttemptTimeout(time.Second))
		if _, err := httpx.Run(context.Background(), c, &httpx.Op{Name: "Get"}, sendReq(c, http.MethodGet, srv.URL, "", "")); err != nil {
			t.Fatal(err)
		}
		if _, ok := hc.Transport.(roundTripFunc); !ok || hc.Timeout != timeout {
			t.Fatalf("user's client modified: Transport %T, Timeout %s (want %s)", hc.Transport, hc.Timeout, timeout)
		}
		if through != 1 {
			t.Fatalf("%d requests went through the user's transport, want 1", through)
		}
		if c.Vendor() != "test" || c.Settings().HTTPClient != hc {
			t.Fatalf("Vendor/Settings = %q, %p", c.Vendor(), c.Settings().HTTPClient)
		}
	}
}

func TestUserAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []tokenkit.Option
		want string
	}{
		{"default", nil, "tokenkit-go/" + tokenkit.Version + " (test)"},
		{"with product", []tokenkit.Option{tokenkit.WithUserAgent("bot/1")}, "bot/1 tokenkit-go/" + tokenkit.Version + " (test)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, rec := newServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{}`) })
			c := newClient(t, tt.opts...)
			send := func(ctx context.Context) (*http.Response, error) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
				req.Header.Set("User-Agent", "caller/9")
				return c.Do(req)
			}
			if _, err := httpx.Run(context.Background(), c, &httpx.Op{Name: "Get"}, send); err != nil {
				t.Fatal(err)
			}
			if got := rec.request(0).UserAgent(); got != tt.want {
				t.Fatalf("User-Agent = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDoWithoutOp(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/", nil)
	if resp, err := c.Do(req); err == nil {
		_ = resp.Body.Close()
		t.Fatal("Do without an Op succeeded")
	}
}

// ---- Retry-After and backoff (computed values, no clocks) ----

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	const (
		rfc850  = "Monday, 02-Jan-06 15:04:05 GMT"
		asctime = "Mon Jan _2 15:04:05 2006"
	)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		ok     bool
	}{
		{"delta seconds", "120", 120 * time.Second, true},
		{"zero", "0", 0, true},
		{"spaces", "  7 ", 7 * time.Second, true},
		{"rfc1123", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"rfc850", now.Add(45 * time.Second).Format(rfc850), 45 * time.Second, true},
		{"asctime", now.Add(30 * time.Second).Format(asctime), 30 * time.Second, true},
		{"past rfc1123", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"past asctime", now.Add(-time.Minute).Format(asctime), 0, true},
		{"largest delta", "9223372036", time.Duration(9223372036) * time.Second, true},
		{"huge delta clamps", "9223372037", time.Duration(9223372036) * time.Second, true},
		{"negative", "-5", 0, false},
		{"fraction", "1.5", 0, false},
		{"garbage", "soon", 0, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			got, ok := httpx.RetryAfter(h, now)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("RetryAfter(%q) = %s, %v; want %s, %v", tt.header, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// A delta-seconds value too large for int64 still means "wait very long":
// it must not be ignored (ignoring it makes the transport retry at once).
func TestRetryAfterBeyondInt64(t *testing.T) {
	t.Parallel()
	h := http.Header{"Retry-After": {"99999999999999999999"}}
	got, ok := httpx.RetryAfter(h, time.Now())
	if !ok || got < time.Hour {
		t.Fatalf("RetryAfter(%q) = %s, %v; want a very long wait, true", h.Get("Retry-After"), got, ok)
	}
}

func TestJitterBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		min, max time.Duration
		n        int
		ceil     time.Duration
	}{
		{time.Millisecond, time.Second, 0, time.Millisecond},
		{time.Millisecond, time.Second, 3, 8 * time.Millisecond},
		{time.Millisecond, time.Second, 20, time.Second},
		{time.Millisecond, time.Second, 40, time.Second},
		{time.Hour, 2 * time.Hour, 31, 2 * time.Hour}, // min<<n overflows
		{0, 0, 0, 0},
	}
	for _, tt := range tests {
		var maxSeen time.Duration
		for range 2000 {
			d := httpx.Jitter(tt.min, tt.max, tt.n)
			if d < 0 || d > tt.ceil {
				t.Fatalf("Jitter(%s, %s, %d) = %s, outside [0, %s]", tt.min, tt.max, tt.n, d, tt.ceil)
			}
			maxSeen = max(maxSeen, d)
		}
		// Full jitter: draws spread over the whole range.
		if tt.ceil > 0 && maxSeen < tt.ceil/2 {
			t.Fatalf("Jitter(%s, %s, %d): max of 2000 draws %s, want near %s", tt.min, tt.max, tt.n, maxSeen, tt.ceil)
		}
	}
}

// A caller who means "no cap" passes the largest Duration as max; Jitter must
// not overflow ceil+1 and panic in rand.N.
func TestJitterMaxDurationDoesNotPanic(t *testing.T) {
	t.Parallel()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Jitter panicked: %v", r)
		}
	}()
	for n := range 64 {
		if d := httpx.Jitter(time.Second, math.MaxInt64, n); d < 0 {
			t.Fatalf("Jitter = %s", d)
		}
	}
}

func TestClassString(t *testing.T) {
	t.Parallel()
	if httpx.Idempotent.String() != "idempotent" || httpx.Mutating.String() != "mutating" {
		t.Fatal(httpx.Idempotent.String(), httpx.Mutating.String())
	}
}

func TestReadBodyLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		limit   int64
		body    string
		wantErr bool
	}{
		{"under", 16, "0123456789", false},
		{"exact", 10, "0123456789", false},
		{"over", 16, strings.Repeat("x", 17), true},
		{"far over", 16, strings.Repeat("x", 5000), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, tt.body) })
			c := newClient(t, tokenkit.WithMaxResponseBytes(tt.limit))
			op := &httpx.Op{Name: "Get"}
			ctx := context.Background()
			resp, err := sendReq(c, http.MethodGet, srv.URL, "", "")(httpxCtx(ctx, c, op))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := httpx.ReadBody(resp.Body)
			if tt.wantErr {
				if !errors.Is(err, httpx.ErrBodyTooLarge) || int64(len(b)) != tt.limit {
					t.Fatalf("ReadBody = %d bytes, %v; want %d bytes and ErrBodyTooLarge", len(b), err, tt.limit)
				}
				return
			}
			if err != nil || string(b) != tt.body {
				t.Fatalf("ReadBody = %q, %v", b, err)
			}
		})
	}
}

// httpxCtx returns a context carrying op, the way Call passes it to Send. The
// context key is private, so it is captured from inside a Run.
func httpxCtx(ctx context.Context, c *httpx.Client, op *httpx.Op) context.Context {
	var got context.Context
	_, _ = httpx.Run(ctx, c, op, func(ctx context.Context) (*http.Response, error) {
		got = ctx
		return nil, errors.New("captured")
	})
	return got
}

// TestBackoffPastDeadlineReturnsLastAnswer: when the jittered backoff would
// outlast the context's deadline, the caller gets the server's 5xx answer at
// once instead of a bare deadline error after waiting.
func TestBackoffPastDeadlineReturnsLastAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(`{"message":"upstream down"}`))
	}))
	defer srv.Close()
	s, err := httpx.Apply("test", []tokenkit.Option{tokenkit.WithRetryWait(time.Hour, time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	c := httpx.New("test", s, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	op := &httpx.Op{Name: "Get", Class: httpx.Idempotent}
	_, err = httpx.Run(ctx, c, op, func(ctx context.Context) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		return c.Do(req)
	})
	var te *tokenkit.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusBadGateway || op.Attempts() != 1 {
		t.Fatalf("got %v after %d attempts, want the 502 after 1", err, op.Attempts())
	}
	if ctx.Err() != nil {
		t.Fatal("the call waited for the deadline")
	}
}

// TestStreamOutlivesAttemptTimeout: a stream's body keeps flowing past the
// per-attempt timeout, which bounds only the wait for its headers.
func TestStreamOutlivesAttemptTimeout(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-headers" {
			time.Sleep(300 * time.Millisecond)
		}
		w.WriteHeader(http.StatusOK)
		for i := range 4 {
			_, _ = fmt.Fprintf(w, "frame %d\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(60 * time.Millisecond)
		}
	}))
	defer srv.Close()
	s, err := httpx.Apply("test", []tokenkit.Option{tokenkit.WithAttemptTimeout(100 * time.Millisecond), tokenkit.WithRetryMax(0)})
	if err != nil {
		t.Fatal(err)
	}
	c := httpx.New("test", s, nil)
	open := func(path string) (*http.Response, error) {
		return httpx.Open(context.Background(), c, &httpx.Op{Name: "Watch", Stream: true}, func(ctx context.Context) (*http.Response, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
			return c.Do(req)
		})
	}
	resp, err := open("/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || strings.Count(string(body), "frame") != 4 {
		t.Fatalf("stream cut after %q: %v", body, err)
	}
	if _, err := open("/slow-headers"); !errors.Is(err, tokenkit.ErrTransport) {
		t.Fatalf("headers past the attempt timeout: got %v", err)
	}
}

// TestReauthOn401: an operation whose Auth is a *tokenkit.Source resends
// once with a fresh token after a 401, even when it is mutating, within the
// same attempt: re-authentication spends no retry budget, so it works with
// WithRetryMax(0) too. A source with nothing newer costs no second request.
func TestReauthOn401(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		refreshes bool
		requests  int
		status    int
		retryMax  int
	}{
		{"fresh token accepted", true, 2, http.StatusOK, 3},
		{"fresh token accepted, no retries", true, 2, http.StatusOK, 0},
		{"same token again", false, 1, http.StatusUnauthorized, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var seen []string
			var mu sync.Mutex
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Header.Get("Authorization"))
				mu.Unlock()
				if r.Header.Get("Authorization") != "Bearer t2" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				_, _ = w.Write([]byte(`{}`))
			}))
			defer srv.Close()
			s, _ := httpx.Apply("test", []tokenkit.Option{tokenkit.WithRetryWait(time.Millisecond, 2*time.Millisecond), tokenkit.WithRetryMax(tc.retryMax)})
			c := httpx.New("test", s, nil)
			n := 0
			src := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
				if tc.refreshes {
					n++
				} else {
					n = 1
				}
				return tokenkit.NewBearerToken(fmt.Sprintf("t%d", n), time.Time{}), nil
			}, tokenkit.SourceConfig{})
			op := &httpx.Op{Name: "Create", Class: httpx.Mutating, Auth: src}
			_, err := httpx.Run(context.Background(), c, op, func(ctx context.Context) (*http.Response, error) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader(`{"a":1}`))
				return c.Do(req)
			})
			if op.Attempts() != 1 || len(seen) != tc.requests {
				t.Fatalf("attempts %d, requests %v, want 1 attempt and %d requests", op.Attempts(), seen, tc.requests)
			}
			if tc.status == http.StatusOK && err != nil || tc.status != http.StatusOK && !errors.Is(err, tokenkit.ErrUnauthorized) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestWithClock(t *testing.T) {
	t.Parallel()
	if _, err := httpx.Apply("test", []tokenkit.Option{tokenkit.WithClock(nil)}); !errors.Is(err, tokenkit.ErrConfig) {
		t.Fatalf("nil clock: %v", err)
	}
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c := newClient(t, tokenkit.WithClock(func() time.Time { return t0 }))
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now = %v, want %v", got, t0)
	}
	if got := newClient(t).Now(); time.Since(got) > time.Minute {
		t.Fatalf("default Now = %v", got)
	}
}

func TestSourceConfig(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	logger := slog.New(slog.DiscardHandler)
	s, err := httpx.Apply("test", []tokenkit.Option{tokenkit.WithClock(func() time.Time { return t0 }), tokenkit.WithLogger(logger)})
	if err != nil {
		t.Fatal(err)
	}
	sc := httpx.SourceConfig(s, tokenkit.SourceConfig{})
	if sc.Clock == nil || !sc.Clock.Now().Equal(t0) || sc.Logger != logger {
		t.Fatalf("from settings: %+v", sc)
	}

	own := fixedClock(t0.Add(time.Hour))
	ownLogger := slog.New(slog.DiscardHandler)
	sc = httpx.SourceConfig(s, tokenkit.SourceConfig{Clock: own, Logger: ownLogger, ExpiryDelta: time.Minute})
	if sc.Clock != own || sc.Logger != ownLogger || sc.ExpiryDelta != time.Minute {
		t.Fatalf("the user's config must win: %+v", sc)
	}

	plain, _ := httpx.Apply("test", nil)
	if sc := httpx.SourceConfig(plain, tokenkit.SourceConfig{}); sc.Clock != nil || sc.Logger != nil {
		t.Fatalf("no clock or logger set: %+v", sc)
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestAsToken(t *testing.T) {
	t.Parallel()
	tok := tokenkit.NewBearerToken("v", time.Time{})
	if got, err := httpx.AsToken(tok, nil); err != nil || got != tokenkit.Token(tok) {
		t.Fatalf("AsToken = %v, %v", got, err)
	}
	boom := errors.New("boom")
	if got, err := httpx.AsToken(tok, boom); got != nil || err != boom {
		t.Fatalf("AsToken with an error = %v, %v", got, err)
	}
}
