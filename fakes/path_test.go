package fakes_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tokenkit/tokenkit/fakes"
)

func TestCanonical(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"", ""},
		{"/", "/"},
		{"//", "/"},
		{"/apply", "/apply"},
		{"//apply", "/apply"},
		{"/api//V4/AccessToken", "/api/V4/AccessToken"},
		{"/V4/AccessToken/", "/V4/AccessToken"},
		{"/commandcenter/api/", "/commandcenter/api"},
		{"/a///b//", "/a/b"},
		{"/tokens/a%2F%2Fb", "/tokens/a%2F%2Fb"}, // escaped slashes are data
		{"/a/./b", "/a/./b"},                     // dot segments are the fake's business
	}
	for _, tc := range cases {
		got, changed := fakes.Canonical(tc.in)
		if got != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("Canonical(%q) = %q, %t; want %q", tc.in, got, changed, tc.want)
		}
	}
}

// TestNonCanonicalPathsRouteAsCanonical sends what cvpysdk and CSP clients
// send: doubled and trailing slashes. The fake routes them as the canonical
// path with no redirect, so a POST keeps its method and body, and records
// the path as sent.
func TestNonCanonicalPathsRouteAsCanonical(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	for name, cl := range ty.clients() {
		t.Run(name, func(t *testing.T) {
			noRedirect := *cl.c
			noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			for _, tc := range []struct{ method, path, body, wantOp string }{
				{http.MethodPost, "//apply", `{"x":1}`, "Apply"},
				{http.MethodPost, "/apply/", `{"x":1}`, "Apply"},
				{http.MethodGet, "/read/?userId=1", "", "Read"},
				{http.MethodGet, "///read", "", "Read"},
			} {
				a := send(context.Background(), &noRedirect, tc.method, cl.base+tc.path, tc.body)
				if a.err != nil || a.status != http.StatusOK {
					t.Fatalf("%s %s: %+v", tc.method, tc.path, a)
				}
				reqs := ty.kit.Requests()
				last := reqs[len(reqs)-1]
				sent, _, _ := strings.Cut(tc.path, "?")
				if last.Operation != tc.wantOp || last.Path != sent || string(last.Body) != tc.body {
					t.Fatalf("%s %s recorded as %v path %q body %q", tc.method, tc.path, last, last.Path, last.Body)
				}
			}
		})
	}
}

// reporter is a testing.TB that keeps what it was told instead of failing
// the test.
type reporter struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

func (r *reporter) Helper() {}
func (r *reporter) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// TestStrictPathsFailLoudly: in strict mode a non-canonical path is a test
// failure (Errorf) and a 404, and is not routed; canonical paths still work.
func TestStrictPathsFailLoudly(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	rep := &reporter{TB: t}
	ty.kit.StrictPaths(rep)
	ty.kit.FailNext(1, fakes.Fault{Status: 503})
	for name, cl := range ty.clients() {
		a := send(context.Background(), cl.c, http.MethodPost, cl.base+"//apply", "{}")
		if a.err != nil || a.status != http.StatusNotFound || !strings.Contains(a.body, "strict mode") {
			t.Fatalf("%s: %+v", name, a)
		}
	}
	if got := ty.kit.Applied("Apply"); got != 0 {
		t.Fatalf("applied %d times", got)
	}
	if len(rep.msgs) != 2 || !strings.Contains(rep.msgs[0], `"//apply"`) {
		t.Fatalf("reported %q", rep.msgs)
	}
	if ty.kit.Calls("") != 2 {
		t.Fatalf("Calls(\"\") = %d", ty.kit.Calls(""))
	}
	// The queued fault was not consumed by the refused requests.
	if a := send(context.Background(), ty.clients()["http"].c, http.MethodGet, ty.kit.URL()+"/read", ""); a.status != 503 {
		t.Fatalf("%+v", a)
	}
	ty.kit.StrictPaths(nil)
	if a := send(context.Background(), ty.clients()["http"].c, http.MethodGet, ty.kit.URL()+"/read/", ""); a.status != 200 {
		t.Fatalf("lenient again: %+v", a)
	}
}

// TestFailNextOp: a per-operation fault hits only its operation and goes
// before the global queue; ClearFaults drops both; the counts list every
// operation.
func TestFailNextOp(t *testing.T) {
	t.Parallel()
	ty := newToy(t, nil)
	c := ty.clients()["http"].c
	ty.kit.FailNextOp("Apply", 1, fakes.Fault{Status: 503})
	ty.kit.FailNext(1, fakes.Fault{Status: 429})
	if a := send(context.Background(), c, http.MethodGet, ty.kit.URL()+"/read", ""); a.status != 429 {
		t.Fatalf("read took %d, want the global 429", a.status)
	}
	if a := send(context.Background(), c, http.MethodPost, ty.kit.URL()+"/apply", ""); a.status != 503 {
		t.Fatalf("apply took %d, want its own 503", a.status)
	}
	ty.kit.FailNextOp("Apply", 3, fakes.Fault{Status: 503})
	ty.kit.FailNext(3, fakes.Fault{Status: 500})
	ty.kit.ClearFaults()
	if a := send(context.Background(), c, http.MethodPost, ty.kit.URL()+"/apply", ""); a.status != 200 {
		t.Fatalf("after ClearFaults: %d", a.status)
	}
	calls, applied := ty.kit.CallCounts(), ty.kit.AppliedCounts()
	if calls["Read"] != 1 || calls["Apply"] != 2 || applied["Apply"] != 1 || len(applied) != 1 {
		t.Fatalf("calls %v applied %v", calls, applied)
	}
}
