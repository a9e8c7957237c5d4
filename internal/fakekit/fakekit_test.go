package fakekit_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit/internal/fakekit"
)

type cleanups struct{ fs []func() }

func (c *cleanups) Cleanup(f func()) { c.fs = append(c.fs, f) }

type closer struct{ n int }

func (c *closer) Close() { c.n++ }

func TestCleanup(t *testing.T) {
	t.Parallel()
	var cs cleanups
	c := &closer{}
	if got := fakekit.Cleanup(&cs, c); got != c || len(cs.fs) != 1 {
		t.Fatalf("Cleanup returned %v, registered %d", got, len(cs.fs))
	}
	cs.fs[0]()
	if c.n != 1 {
		t.Errorf("Close ran %d times", c.n)
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	fakekit.WriteJSON(w, http.StatusTeapot, http.Header{"X-A": {"1"}}, map[string]int{"n": 1})
	if w.Code != http.StatusTeapot || w.Body.String() != "{\"n\":1}\n" ||
		w.Header().Get("Content-Type") != "application/json" || w.Header().Get("X-A") != "1" {
		t.Fatalf("%d %q %v", w.Code, w.Body, w.Header())
	}
	if got := fakekit.MediaType("Application/JSON; charset=utf-8"); got != "application/json" {
		t.Errorf("MediaType = %q", got)
	}
}

func TestRandomUUID(t *testing.T) {
	t.Parallel()
	u := fakekit.RandomUUID()
	if len(u) != 36 || u[14] != '4' || !strings.ContainsRune("89ab", rune(u[19])) || u == fakekit.RandomUUID() {
		t.Fatalf("RandomUUID = %q", u)
	}
}
