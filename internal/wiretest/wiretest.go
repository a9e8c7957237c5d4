// Package wiretest records what httpmock responders see, so that the vendor
// packages' wire tests can assert on the requests a client put on the wire.
// It is imported only by tests.
package wiretest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
)

// Request is what a mocked endpoint saw on one attempt.
type Request struct {
	// Method is the HTTP method of the attempt.
	Method string
	// URL is the full request URL as produced by url.URL.String.
	URL string
	// Header is a copy of the request headers.
	Header http.Header
	// Body is the complete request body, or "" when there was none.
	Body string
}

// Form parses the body as URL-encoded form values. Malformed pairs are
// dropped, as url.ParseQuery drops them.
func (r Request) Form() url.Values {
	form, _ := url.ParseQuery(r.Body)
	return form
}

// JSON decodes the body as a JSON object and fails the test when it is not
// one.
func (r Request) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.Body, err)
	}
	return m
}

// HasHeader reports whether the request carried the header key at all, even
// with an empty value. The key is canonicalised first.
func (r Request) HasHeader(key string) bool {
	_, ok := r.Header[http.CanonicalHeaderKey(key)]
	return ok
}

// Recorder records every attempt that reaches the responders it wraps. It is
// safe for concurrent use, and its zero value is ready to use.
type Recorder struct {
	mu   sync.Mutex
	reqs []Request
}

// Wrap returns a responder that records every attempt and then answers with
// next. The request body is re-armed, so next can read it again.
func (r *Recorder) Wrap(next httpmock.Responder) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		var b []byte
		if req.Body != nil {
			b, _ = io.ReadAll(req.Body)
			_ = req.Body.Close()
			req.Body = io.NopCloser(bytes.NewReader(b))
		}
		r.mu.Lock()
		r.reqs = append(r.reqs, Request{
			Method: req.Method,
			URL:    req.URL.String(),
			Header: req.Header.Clone(),
			Body:   string(b),
		})
		r.mu.Unlock()
		return next(req)
	}
}

// All returns a copy of the attempts recorded so far, in arrival order.
func (r *Recorder) All() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// Only returns the single recorded attempt and fails the test unless exactly
// one attempt was recorded.
func (r *Recorder) Only(t testing.TB) Request {
	t.Helper()
	all := r.All()
	if len(all) != 1 {
		t.Fatalf("attempts = %d, want 1", len(all))
	}
	return all[0]
}
