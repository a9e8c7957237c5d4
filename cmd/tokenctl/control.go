package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenkit/tokenkit/fakes"
)

// controlPrefix is the reserved path of the control API of `tokenctl fake`.
const controlPrefix = "/_fake"

// fakeClock is the clock every fake of a `tokenctl fake` reads: real time
// plus an offset that POST /_fake/clock moves forward.
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
	return c.Now()
}

func (c *fakeClock) reset() {
	c.mu.Lock()
	c.offset = 0
	c.mu.Unlock()
}

// fakeHost is what `tokenctl fake` serves: the current set of fakes (reset
// replaces it with a fresh one from the same seed), their shared clock, and
// the control API. Each vendor's fake has its own origin (the SDK's New
// takes an origin, never a path), and the control API its own.
type fakeHost struct {
	seed  seed
	bases map[string]string // vendor -> http://HOST:PORT, what clients dial
	clock *fakeClock
	cur   atomic.Pointer[fakeSet]
	ctl   http.Handler
}

func newFakeHost(s seed, bases map[string]string) *fakeHost {
	h := &fakeHost{seed: s, bases: bases, clock: &fakeClock{}}
	h.cur.Store(h.start())
	h.ctl = h.controlMux()
	return h
}

// start starts a seeded set of fakes whose tokens and links name the
// address clients reach them at, not the fakes' own httptest servers.
func (h *fakeHost) start() *fakeSet {
	f := startFakes(h.seed, h.clock.Now)
	f.csp.SetPublicURL(h.bases["csp"])
	f.oracle.SetPublicURL(h.bases["oracle"])
	return f
}

// reset replaces every fake by a fresh one seeded as at start, and resets
// the clock.
func (h *fakeHost) reset() {
	h.clock.reset()
	old := h.cur.Swap(h.start())
	old.Close()
}

// Close stops the current fakes.
func (h *fakeHost) Close() { h.cur.Load().Close() }

// ServeHTTP serves the control API under /_fake/.
func (h *fakeHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	if p == controlPrefix || strings.HasPrefix(p, controlPrefix+"/") {
		h.ctl.ServeHTTP(w, r)
		return
	}
	http.Error(w, "tokenctl fake: this address serves the control API, under /_fake/; each vendor's fake has its own address (the lines tokenctl fake printed)", http.StatusNotFound)
}

// vendorHandler returns the handler of a vendor's origin: the vendor's
// current fake, whatever reset has replaced.
func (h *fakeHost) vendorHandler(v string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.cur.Load().handler(v).ServeHTTP(w, r)
	})
}

// loopbackOnly refuses a control request that does not come from a loopback
// address: the control API can change every fake's state.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			writeControl(w, http.StatusForbidden, map[string]string{"error": "the control API answers loopback clients only"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeControl(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func controlError(w http.ResponseWriter, status int, format string, args ...any) {
	writeControl(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// readControl decodes a small JSON request body into v, refusing unknown
// fields; an empty body leaves v as it is.
func readControl(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// faultRequest is the body of POST /_fake/{vendor}/faults.
type faultRequest struct {
	Operation      string `json:"operation"`
	Count          int    `json:"count"`
	Status         int    `json:"status"`
	RetryAfter     string `json:"retry_after"`
	HTML           bool   `json:"html"`
	Malformed      bool   `json:"malformed"`
	Drop           bool   `json:"drop"`
	DropAfterApply bool   `json:"drop_after_apply"`
	Delay          string `json:"delay"`
}

// controlRequest is one recorded request as GET /_fake/{vendor}/calls
// shows it: no headers, query or body, which may hold secrets.
type controlRequest struct {
	Operation string `json:"operation"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Faulted   bool   `json:"faulted"`
}

// controlUsage is the answer of GET /_fake/: the control API in one page.
var controlUsage = map[string]string{
	"GET /_fake/":                   "this index",
	"GET /_fake/clock":              `{"now": RFC 3339}: the fakes' clock`,
	"POST /_fake/clock":             `{"advance": "90m"}: move the fakes' clock forward (Go duration)`,
	"POST /_fake/{vendor}/faults":   `{"operation": "ExchangeAPIToken", "count": 1, "status": 503, "retry_after": "1", "html": false, "malformed": false, "drop": false, "drop_after_apply": false, "delay": "0s"}: queue a fault; no operation means the next requests whatever they are`,
	"DELETE /_fake/{vendor}/faults": "drop every queued fault of the vendor",
	"GET /_fake/{vendor}/calls":     `{"total": n, "calls": {op: n}, "applied": {op: n}, "requests": [{"operation", "method", "path", "faulted"}]}`,
	"GET /_fake/cgscan/otp?user=U":  `{"otp": "123456", "recovery_codes": [...]}: the current one-time code of a two_factor user`,
	"POST /_fake/reset":             "every fake back to its seed, the clock to real time",
}

// controlMux is the control API under /_fake/, for loopback clients only.
func (h *fakeHost) controlMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_fake/{$}", func(w http.ResponseWriter, _ *http.Request) {
		writeControl(w, http.StatusOK, controlUsage)
	})
	mux.HandleFunc("GET /_fake", func(w http.ResponseWriter, _ *http.Request) {
		writeControl(w, http.StatusOK, controlUsage)
	})
	mux.HandleFunc("GET /_fake/clock", func(w http.ResponseWriter, _ *http.Request) {
		writeControl(w, http.StatusOK, map[string]string{"now": h.clock.Now().UTC().Format(time.RFC3339Nano)})
	})
	mux.HandleFunc("POST /_fake/clock", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Advance string `json:"advance"`
		}
		if err := readControl(r, &req); err != nil {
			controlError(w, http.StatusBadRequest, "body: %v", err)
			return
		}
		d, err := time.ParseDuration(req.Advance)
		if err != nil || d < 0 {
			controlError(w, http.StatusBadRequest, `advance: want a positive Go duration such as "90m"`)
			return
		}
		writeControl(w, http.StatusOK, map[string]string{"now": h.clock.advance(d).UTC().Format(time.RFC3339Nano)})
	})
	mux.HandleFunc("POST /_fake/reset", func(w http.ResponseWriter, _ *http.Request) {
		h.reset()
		writeControl(w, http.StatusOK, map[string]bool{"reset": true})
	})
	mux.HandleFunc("POST /_fake/{vendor}/faults", func(w http.ResponseWriter, r *http.Request) {
		v, ok := h.vendor(w, r)
		if !ok {
			return
		}
		var req faultRequest
		if err := readControl(r, &req); err != nil {
			controlError(w, http.StatusBadRequest, "body: %v", err)
			return
		}
		f := fakes.Fault{Status: req.Status, RetryAfter: req.RetryAfter, HTML: req.HTML, Malformed: req.Malformed,
			Drop: req.Drop, DropAfterApply: req.DropAfterApply}
		if req.Delay != "" {
			d, err := time.ParseDuration(req.Delay)
			if err != nil || d < 0 {
				controlError(w, http.StatusBadRequest, `delay: want a Go duration such as "2s"`)
				return
			}
			f.Delay = d
		}
		if f == (fakes.Fault{}) {
			controlError(w, http.StatusBadRequest, "the fault does nothing: set status, html, malformed, drop, drop_after_apply or delay")
			return
		}
		if req.Count == 0 {
			req.Count = 1
		}
		if req.Count < 0 || req.Count > 1000 {
			controlError(w, http.StatusBadRequest, "count: 1 to 1000")
			return
		}
		ctl := h.cur.Load().engine(v)
		if req.Operation == "" {
			ctl.FailNext(req.Count, f)
		} else {
			ctl.FailNextOp(req.Operation, req.Count, f)
		}
		writeControl(w, http.StatusOK, map[string]any{"queued": req.Count, "operation": req.Operation})
	})
	mux.HandleFunc("DELETE /_fake/{vendor}/faults", func(w http.ResponseWriter, r *http.Request) {
		v, ok := h.vendor(w, r)
		if !ok {
			return
		}
		h.cur.Load().engine(v).ClearFaults()
		writeControl(w, http.StatusOK, map[string]bool{"cleared": true})
	})
	mux.HandleFunc("GET /_fake/{vendor}/calls", func(w http.ResponseWriter, r *http.Request) {
		v, ok := h.vendor(w, r)
		if !ok {
			return
		}
		f := h.cur.Load()
		ctl := f.engine(v)
		writeControl(w, http.StatusOK, map[string]any{
			"total": ctl.TotalCalls(), "calls": ctl.CallCounts(), "applied": ctl.AppliedCounts(), "requests": f.requests(v),
		})
	})
	mux.HandleFunc("GET /_fake/cgscan/otp", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("user")
		f := h.cur.Load()
		if !slices.ContainsFunc(h.seed.Users, func(u seedUser) bool { return u.Name == name && u.TwoFactor }) {
			controlError(w, http.StatusNotFound, "no two_factor user %q in the seed", name)
			return
		}
		writeControl(w, http.StatusOK, map[string]any{"otp": f.cgscan.OTP(name), "recovery_codes": f.cgscan.RecoveryCodes(name)})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		controlError(w, http.StatusNotFound, "no such control endpoint: %s %s; GET /_fake/ lists them", r.Method, r.URL.Path)
	})
	return loopbackOnly(mux)
}

// vendor reads the {vendor} path value, answering 404 for an unknown one.
func (h *fakeHost) vendor(w http.ResponseWriter, r *http.Request) (string, bool) {
	v := r.PathValue("vendor")
	if !slices.Contains(vendorNames(), v) {
		controlError(w, http.StatusNotFound, "unknown vendor %q: one of %s", v, strings.Join(vendorNames(), ", "))
		return "", false
	}
	return v, true
}

// requests returns a vendor's recorded requests without headers, query or
// body.
func (f *fakeSet) requests(vendor string) []controlRequest {
	in := f.engine(vendor).Requests()
	out := make([]controlRequest, 0, len(in))
	for _, r := range in {
		out = append(out, controlRequest{Operation: r.Operation, Method: r.Method, Path: r.Path, Faulted: r.Faulted})
	}
	return out
}
