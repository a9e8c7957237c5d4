package fakes_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
)

// toy is the smallest fake: POST /apply changes state, GET /read does not,
// GET /stream streams lines until the request or the Server ends.
type toy struct {
	kit     *fakes.Server
	streams atomic.Int32 // how many times the stream handler ran
	calls   []fakes.Call
	mu      sync.Mutex
}

func newToy(t *testing.T, edit func(*fakes.Config)) *toy {
	t.Helper()
	ty := &toy{}
	cfg := fakes.Config{
		Name: "toy",
		Operation: func(r *http.Request) string {
			switch r.URL.Path {
			case "/apply":
				return "Apply"
			case "/read":
				return "Read"
			case "/stream":
				return "Stream"
			}
			return ""
		},
		Serve: ty.serve,
		Status: func(w http.ResponseWriter, status int, msg string) {
			fakekit.WriteJSON(w, status, nil, map[string]string{"error": msg})
		},
		Malformed: `{"value":`,
		Stream:    func(r *http.Request) bool { return r.URL.Path == "/stream" },
	}
	if edit != nil {
		edit(&cfg)
	}
	ty.kit = fakes.New(cfg)
	ty.kit.Start()
	t.Cleanup(ty.kit.Close)
	return ty
}

func (ty *toy) serve(w http.ResponseWriter, r *http.Request, c fakes.Call) {
	ty.mu.Lock()
	ty.calls = append(ty.calls, c)
	ty.mu.Unlock()
	switch {
	case c.TooLarge:
		fakekit.WriteJSON(w, http.StatusRequestEntityTooLarge, nil, map[string]string{"error": "too large"})
	case c.Op == "Apply":
		ty.kit.Apply("Apply")
		fakekit.WriteJSON(w, http.StatusOK, nil, map[string]int{"applied": ty.kit.Applied("Apply")})
	case c.Op == "Read":
		fakekit.WriteJSON(w, http.StatusOK, http.Header{"X-Read": {"yes"}}, map[string]string{"value": "v"})
	case c.Op == "Stream":
		ty.streams.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(w, "%d\n", i); err != nil || rc.Flush() != nil {
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-ty.kit.Done():
				return
			case <-tick.C:
			}
		}
	default:
		fakekit.WriteJSON(w, http.StatusNotFound, nil, map[string]string{"error": "not found"})
	}
}

// clients returns the two ways to reach a toy: over HTTP and through the
// Responder. The HTTP client opens a connection per request, so that
// net/http never resends a request whose connection a fault dropped.
func (ty *toy) clients() map[string]struct {
	c    *http.Client
	base string
} {
	tr := ty.kit.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(ty.kit.Responder())
	return map[string]struct {
		c    *http.Client
		base string
	}{
		"http":      {&http.Client{Transport: tr}, ty.kit.URL()},
		"responder": {&http.Client{Transport: mt}, "https://toy.example.test"},
	}
}

type answer struct {
	status int
	header http.Header
	body   string
	err    error
}

func send(ctx context.Context, c *http.Client, method, url, body string) answer {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return answer{err: err}
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b), err}
}

func TestFaultPrecedence(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		fault   fakes.Fault
		applied int
		check   func(t *testing.T, a answer)
	}{
		{"zero fault serves", fakes.Fault{}, 1, func(t *testing.T, a answer) {
			if a.err != nil || a.status != 200 {
				t.Fatalf("%+v", a)
			}
		}},
		{"status with Retry-After", fakes.Fault{Status: 429, RetryAfter: "7"}, 0, func(t *testing.T, a answer) {
			if a.err != nil || a.status != 429 || a.header.Get("Retry-After") != "7" ||
				a.body != `{"error":"Too Many Requests (toy injected fault)"}`+"\n" {
				t.Fatalf("%+v", a)
			}
		}},
		{"html defaults to 503", fakes.Fault{HTML: true, RetryAfter: "5"}, 0, func(t *testing.T, a answer) {
			if a.err != nil || a.status != 503 || a.header.Get("Retry-After") != "5" ||
				a.header.Get("Content-Type") != "text/html; charset=utf-8" || a.body != fakekit.HTMLPage("toy", 503) ||
				!strings.Contains(a.body, "<center>toy</center>") || json.Valid([]byte(a.body)) {
				t.Fatalf("%+v", a)
			}
		}},
		{"html wins over malformed and takes status", fakes.Fault{HTML: true, Malformed: true, Status: 502}, 0, func(t *testing.T, a answer) {
			if a.err != nil || a.status != 502 || !strings.Contains(a.body, "502 Bad Gateway") {
				t.Fatalf("%+v", a)
			}
		}},
		{"malformed wins over status", fakes.Fault{Malformed: true, Status: 500, RetryAfter: "1"}, 0, func(t *testing.T, a answer) {
			if a.err != nil || a.status != 200 || a.body != `{"value":` || a.header.Get("Content-Type") != "application/json" ||
				a.header.Get("Retry-After") != "" {
				t.Fatalf("%+v", a)
			}
		}},
		{"drop wins over everything", fakes.Fault{Drop: true, DropAfterApply: true, HTML: true, Status: 500}, 0, func(t *testing.T, a answer) {
			if a.err == nil {
				t.Fatalf("answered: %+v", a)
			}
		}},
		{"drop after apply wins over html", fakes.Fault{DropAfterApply: true, HTML: true}, 1, func(t *testing.T, a answer) {
			if a.err == nil {
				t.Fatalf("answered: %+v", a)
			}
		}},
		{"delay then serve", fakes.Fault{Delay: time.Millisecond}, 1, func(t *testing.T, a answer) {
			if a.err != nil || a.status != 200 {
				t.Fatalf("%+v", a)
			}
		}},
		{"delay then status", fakes.Fault{Delay: time.Millisecond, Status: 503}, 0, func(t *testing.T, a answer) {
			if a.err != nil || a.status != 503 {
				t.Fatalf("%+v", a)
			}
		}},
	}
	ty := newToy(t, nil)
	for name, cl := range ty.clients() {
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				before := ty.kit.Applied("Apply")
				ty.kit.FailNext(1, tc.fault)
				tc.check(t, send(context.Background(), cl.c, http.MethodPost, cl.base+"/apply", ""))
				if got := ty.kit.Applied("Apply") - before; got != tc.applied {
					t.Errorf("applied %d, want %d", got, tc.applied)
				}
			})
		}
	}
	if n := 2 * len(cases); ty.kit.Calls("Apply") != n || ty.kit.TotalCalls() != n {
		t.Errorf("Calls %d TotalCalls %d, want %d", ty.kit.Calls("Apply"), ty.kit.TotalCalls(), n)
	}
	for _, r := range ty.kit.Requests() {
		if !r.Faulted {
			t.Errorf("%v not marked faulted", r)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	ty := newToy(t, func(c *fakes.Config) {
		c.Name, c.Status, c.Malformed, c.Operation = "", nil, "", nil
		c.HTML = func(status int) string { return fmt.Sprintf("<p>%d</p>", status) }
	})
	c := ty.kit.Client()
	ty.kit.FailNext(1, fakes.Fault{Status: 500})
	ty.kit.FailNext(1, fakes.Fault{Malformed: true})
	ty.kit.FailNext(1, fakes.Fault{HTML: true, Status: 504})
	if a := send(context.Background(), c, "GET", ty.kit.URL()+"/read", ""); a.status != 500 ||
		a.body != `{"message":"Internal Server Error (fake injected fault)"}`+"\n" {
		t.Errorf("default status body: %+v", a)
	}
	if a := send(context.Background(), c, "GET", ty.kit.URL()+"/read", ""); a.body != `{"` {
		t.Errorf("default malformed body: %+v", a)
	}
	if a := send(context.Background(), c, "GET", ty.kit.URL()+"/read", ""); a.status != 504 || a.body != "<p>504</p>" {
		t.Errorf("custom HTML: %+v", a)
	}
	// Without Operation every request counts under "".
	if ty.kit.Calls("") != 3 || ty.kit.Calls("Read") != 0 {
		t.Errorf("Calls(\"\") %d", ty.kit.Calls(""))
	}
	defer func() {
		if recover() == nil {
			t.Error("New without Serve must panic")
		}
	}()
	fakes.New(fakes.Config{Name: "x"})
}

func TestDropAfterApply(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	for name, cl := range ty.clients() {
		t.Run(name, func(t *testing.T) {
			before, calls := ty.kit.Applied("Apply"), ty.kit.Calls("Apply")
			ty.kit.FailNext(1, fakes.Fault{DropAfterApply: true})
			a := send(context.Background(), cl.c, http.MethodPost, cl.base+"/apply", `{"x":1}`)
			if a.err == nil {
				t.Fatalf("the answer must be lost: %+v", a)
			}
			if name == "responder" && (!errors.Is(a.err, fakes.ErrDropped) || !strings.Contains(a.err.Error(), "toy: connection dropped")) {
				t.Errorf("responder error %v", a.err)
			}
			if ty.kit.Applied("Apply") != before+1 || ty.kit.Calls("Apply") != calls+1 {
				t.Errorf("applied %d calls %d", ty.kit.Applied("Apply")-before, ty.kit.Calls("Apply")-calls)
			}
			// The next request is served normally and sees the change.
			if a := send(context.Background(), cl.c, http.MethodPost, cl.base+"/apply", ""); a.status != 200 ||
				a.body != fmt.Sprintf(`{"applied":%d}`+"\n", before+2) {
				t.Errorf("next: %+v", a)
			}
		})
	}
}

func TestDelayHonoursCancellationAndClose(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	for name, cl := range ty.clients() {
		t.Run(name, func(t *testing.T) {
			ty.kit.FailNext(1, fakes.Fault{Delay: time.Hour, Status: 500})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			if a := send(ctx, cl.c, http.MethodPost, cl.base+"/apply", ""); !errors.Is(a.err, context.DeadlineExceeded) {
				t.Fatalf("err %v, want deadline exceeded", a.err)
			}
		})
	}
	if ty.kit.Applied("Apply") != 0 {
		t.Error("a cancelled delay must not apply")
	}

	// Close releases delayed requests on both paths without an answer.
	ty2 := newToy(t, nil)
	cls := ty2.clients()
	ty2.kit.FailNext(2, fakes.Fault{Delay: time.Hour})
	errc := make(chan error, 2)
	for _, cl := range cls {
		go func() { errc <- send(context.Background(), cl.c, http.MethodGet, cl.base+"/read", "").err }()
	}
	for ty2.kit.TotalCalls() < 2 {
		time.Sleep(time.Millisecond) // wait for both requests to arrive
	}
	ty2.kit.Close()
	for range 2 {
		if err := <-errc; err == nil {
			t.Error("a delayed request got an answer after Close")
		}
	}
	ty2.kit.Close() // idempotent
}

func TestCountersAndStacking(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	c, base := ty.kit.Client(), ty.kit.URL()
	ty.kit.FailNext(1, fakes.Fault{Status: 500})
	ty.kit.FailNext(2, fakes.Fault{Status: 429})
	var got []int
	for range 4 {
		got = append(got, send(context.Background(), c, http.MethodPost, base+"/apply", "").status)
	}
	if want := []int{500, 429, 429, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	send(context.Background(), c, http.MethodGet, base+"/read", "")
	send(context.Background(), c, http.MethodGet, base+"/nowhere", "")
	if ty.kit.Calls("Apply") != 4 || ty.kit.Calls("Read") != 1 || ty.kit.Calls("") != 1 || ty.kit.TotalCalls() != 6 ||
		ty.kit.Applied("Apply") != 1 || ty.kit.Applied("Read") != 0 {
		t.Errorf("Calls %d/%d/%d Total %d Applied %d", ty.kit.Calls("Apply"), ty.kit.Calls("Read"), ty.kit.Calls(""),
			ty.kit.TotalCalls(), ty.kit.Applied("Apply"))
	}
	var faulted []bool
	for _, r := range ty.kit.Requests() {
		faulted = append(faulted, r.Faulted)
	}
	if want := []bool{true, true, true, false, false, false}; !slices.Equal(faulted, want) {
		t.Errorf("faulted %v, want %v", faulted, want)
	}
}

func TestRequestsRecordAndRedact(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	c, base := ty.kit.Client(), ty.kit.URL()
	const secret = "s3cr3t-value"
	req, _ := http.NewRequest(http.MethodPost, base+"/apply?api_token="+secret, strings.NewReader("password="+secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+secret)
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
	}
	req, _ = http.NewRequest(http.MethodPost, base+"/a%2Fb", strings.NewReader(`{"token":"`+secret+`"}`))
	req.Header.Set("Content-Type", "text/plain")
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
	}

	rs := ty.kit.Requests()
	if len(rs) != 2 {
		t.Fatalf("%d requests", len(rs))
	}
	if r := rs[0]; r.Operation != "Apply" || r.Method != "POST" || r.Path != "/apply" || r.RawQuery != "api_token="+secret ||
		r.Query.Get("api_token") != secret || r.Form.Get("password") != secret || r.JSON != nil ||
		r.ContentType != "application/x-www-form-urlencoded" || r.Header.Get("Authorization") != "Bearer "+secret {
		t.Errorf("request 0: %+v / %q %q %v", r, r.RawQuery, r.Form, r.Header)
	}
	if r := rs[1]; r.Operation != "" || r.Path != "/a/b" || r.EscapedPath != "/a%2Fb" || r.JSON["token"] != secret ||
		r.Form != nil || string(r.Body) != `{"token":"`+secret+`"}` {
		t.Errorf("request 1: %+v / %q %v", r, r.EscapedPath, r.JSON)
	}
	// Copies are independent.
	rs[0].Form.Set("password", "changed")
	rs[0].Header.Set("Authorization", "changed")
	rs[1].Body[0] = 'X'
	if again := ty.kit.Requests(); again[0].Form.Get("password") != secret ||
		again[0].Header.Get("Authorization") != "Bearer "+secret || again[1].Body[0] != '{' {
		t.Error("Requests shares state with the caller")
	}

	var out strings.Builder
	for _, v := range []any{rs[0], &rs[0], rs[1], rs} {
		for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			fmt.Fprintf(&out, f+"\n", v)
		}
	}
	b, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(b)
	if strings.Contains(out.String(), secret) {
		t.Fatalf("secret printed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), `fakes.RecordedRequest{Operation: "Apply", Method: POST, EscapedPath: "/apply"`) {
		t.Errorf("String lost the request line:\n%s", out.String())
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	big := strings.Repeat("x", fakes.MaxBody+10)
	if a := send(context.Background(), ty.kit.Client(), http.MethodPost, ty.kit.URL()+"/apply", big); a.status != 413 {
		t.Fatalf("status %d", a.status)
	}
	ty.mu.Lock()
	c := ty.calls[0]
	ty.mu.Unlock()
	if !c.TooLarge || len(c.Body) != fakes.MaxBody || c.Op != "Apply" {
		t.Errorf("call: TooLarge %t, %d bytes, op %q", c.TooLarge, len(c.Body), c.Op)
	}
	if r := ty.kit.Requests()[0]; len(r.Body) != fakes.MaxBody {
		t.Errorf("recorded %d bytes", len(r.Body))
	}
}

func TestHandlerAbortsWhereItCannotDrop(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	rec := httptest.NewRecorder()
	ty.kit.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/read", nil))
	if rec.Code != 200 || rec.Header().Get("X-Read") != "yes" {
		t.Fatalf("handler: %d %v", rec.Code, rec.Header())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		f   fakes.Fault
		ctx context.Context
	}{
		{fakes.Fault{Drop: true}, context.Background()},
		{fakes.Fault{DropAfterApply: true}, context.Background()},
		{fakes.Fault{Delay: time.Hour}, ctx},
	} {
		ty.kit.FailNext(1, tc.f)
		func() {
			defer func() {
				if p := recover(); p != http.ErrAbortHandler {
					t.Errorf("%+v: recovered %v, want http.ErrAbortHandler", tc.f, p)
				}
			}()
			req := httptest.NewRequestWithContext(tc.ctx, http.MethodPost, "/apply", nil)
			ty.kit.Handler().ServeHTTP(httptest.NewRecorder(), req)
		}()
	}
	if ty.kit.Applied("Apply") != 1 {
		t.Errorf("applied %d, want 1 (the DropAfterApply)", ty.kit.Applied("Apply"))
	}
}

func TestResponderStreams(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(ty.kit.Responder())
	c := &http.Client{Transport: mt}

	resp, err := c.Get("https://toy.example.test/stream")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.ContentLength != -1 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %d %v", resp.StatusCode, resp.ContentLength, resp.Header)
	}
	sc := bufio.NewScanner(resp.Body)
	for want := range 3 {
		if !sc.Scan() || sc.Text() != fmt.Sprint(want) {
			t.Fatalf("line %d: %q %v", want, sc.Text(), sc.Err())
		}
	}
	resp.Body.Close() // ends the stream: the next write fails

	// A dropped stream applies nothing and never reaches the handler.
	ty.kit.FailNext(1, fakes.Fault{DropAfterApply: true})
	if _, err := c.Get("https://toy.example.test/stream"); !errors.Is(err, fakes.ErrDropped) {
		t.Fatalf("err %v", err)
	}
	ty.kit.FailNext(1, fakes.Fault{Status: 503, RetryAfter: "2"})
	resp, err = c.Get("https://toy.example.test/stream")
	if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("status fault on a stream: %v %v", resp, err)
	}
	resp.Body.Close()
	if n := ty.streams.Load(); n != 1 {
		t.Errorf("stream handler ran %d times, want 1", n)
	}

	// A stream ends with its context and with Close.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://toy.example.test/stream", nil)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.Copy(io.Discard, resp.Body); err == nil {
		t.Error("a cancelled stream must end with an error")
	}
	resp.Body.Close()
	resp, err = c.Get("https://toy.example.test/stream")
	if err != nil {
		t.Fatal(err)
	}
	ty.kit.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Errorf("a stream ended by Close ends cleanly: %v", err)
	}
	resp.Body.Close()
}

func TestClock(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	if d := time.Since(ty.kit.Now()); d < 0 || d > time.Minute {
		t.Errorf("default clock off by %v", d)
	}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ty.kit.SetClock(func() time.Time { return t0 })
	if !ty.kit.Now().Equal(t0) {
		t.Errorf("Now %v", ty.kit.Now())
	}
	ty.kit.SetClock(nil)
	if ty.kit.Now().Equal(t0) {
		t.Error("SetClock(nil) must restore time.Now")
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	cls := ty.clients()
	ty.kit.FailNext(5, fakes.Fault{Status: 503})
	var wg sync.WaitGroup
	var failed atomic.Int32
	for w := range 8 {
		cl := cls[[]string{"http", "responder"}[w%2]]
		wg.Go(func() {
			for range 10 {
				a := send(context.Background(), cl.c, http.MethodPost, cl.base+"/apply", "")
				if a.err != nil {
					t.Error(a.err)
					return
				}
				if a.status == 503 {
					failed.Add(1)
				}
				_ = ty.kit.Requests()
				ty.kit.SetClock(time.Now)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 5 || ty.kit.Calls("Apply") != 80 || ty.kit.Applied("Apply") != 75 {
		t.Errorf("failed %d calls %d applied %d", failed.Load(), ty.kit.Calls("Apply"), ty.kit.Applied("Apply"))
	}
}

// TestStartTwice: a vendor fake exposes the engine's Start, so a second
// call must do nothing rather than panic in httptest.
func TestStartTwice(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	url := ty.kit.URL()
	ty.kit.Start()
	if ty.kit.URL() != url {
		t.Fatalf("URL changed from %s to %s", url, ty.kit.URL())
	}
	if a := send(context.Background(), ty.kit.Client(), http.MethodGet, url+"/read", ""); a.status != http.StatusOK {
		t.Fatalf("%+v", a)
	}
}
