package wiretest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit/internal/wiretest"
)

func TestRecorderWrap(t *testing.T) {
	mt := httpmock.NewMockTransport()
	rec := &wiretest.Recorder{}
	var nextSaw string
	mt.RegisterResponder("POST", "https://wire.test/form", rec.Wrap(func(req *http.Request) (*http.Response, error) {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			t.Error(err)
		}
		nextSaw = string(b)
		return httpmock.NewStringResponse(200, "ok"), nil
	}))
	req, _ := http.NewRequest("POST", "https://wire.test/form?x=1", strings.NewReader("a=1&b=two+words"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Empty", "")
	resp, err := (&http.Client{Transport: mt}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()

	r := rec.Only(t)
	if r.Method != "POST" || r.URL != "https://wire.test/form?x=1" || r.Body != "a=1&b=two+words" {
		t.Errorf("recorded %s %s %q", r.Method, r.URL, r.Body)
	}
	if nextSaw != r.Body {
		t.Errorf("next read %q, want the re-armed body %q", nextSaw, r.Body)
	}
	if f := r.Form(); f.Get("a") != "1" || f.Get("b") != "two words" || len(f) != 2 {
		t.Errorf("form %v", f)
	}
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("content type %q", r.Header.Get("Content-Type"))
	}
	if !r.HasHeader("x-empty") || r.HasHeader("Authorization") {
		t.Errorf("presence: %v", r.Header)
	}
	req.Header.Set("X-Empty", "changed")
	if r.Header.Get("X-Empty") != "" {
		t.Error("the recorded header must be a copy")
	}
}

func TestRecorderJSONAndNoBody(t *testing.T) {
	mt := httpmock.NewMockTransport()
	rec := &wiretest.Recorder{}
	mt.RegisterResponder("GET", "https://wire.test/", rec.Wrap(httpmock.NewStringResponder(204, "")))
	mt.RegisterResponder("PUT", "https://wire.test/", rec.Wrap(httpmock.NewStringResponder(204, "")))
	c := &http.Client{Transport: mt}
	for _, tc := range []struct{ method, body string }{{"GET", ""}, {"PUT", `{"k":"v","n":2}`}} {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		req, _ := http.NewRequest(tc.method, "https://wire.test/", body)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	all := rec.All()
	if len(all) != 2 || all[0].Method != "GET" || all[0].Body != "" || all[1].Method != "PUT" {
		t.Fatalf("recorded %+v", all)
	}
	if m := all[1].JSON(t); m["k"] != "v" || m["n"] != 2.0 || len(m) != 2 {
		t.Errorf("json %v", m)
	}
}

func TestRecorderConcurrent(t *testing.T) {
	mt := httpmock.NewMockTransport()
	rec := &wiretest.Recorder{}
	mt.RegisterResponder("GET", "https://wire.test/", rec.Wrap(httpmock.NewStringResponder(200, "")))
	c := &http.Client{Transport: mt}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			resp, err := c.Get("https://wire.test/")
			if err != nil {
				t.Error(err)
				return
			}
			_ = resp.Body.Close()
			_ = rec.All()
		})
	}
	wg.Wait()
	if n := len(rec.All()); n != 16 {
		t.Fatalf("attempts = %d, want 16", n)
	}
}

func TestOnlyFailsOnZeroAttempts(t *testing.T) {
	ft := &fakeTB{}
	func() {
		defer func() { _ = recover() }()
		(&wiretest.Recorder{}).Only(ft)
	}()
	if !strings.Contains(ft.msg, "attempts = 0, want 1") {
		t.Fatalf("message %q", ft.msg)
	}
}

// fakeTB captures a Fatalf message instead of stopping the real test.
type fakeTB struct {
	testing.TB
	msg string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic("fatal")
}
