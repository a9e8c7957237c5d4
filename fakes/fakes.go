package fakes

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Fault is a failure a fake answers a request with instead of serving it.
// Queue faults with a fake's FailNext or FailNextOp. A zero Fault serves the request
// normally.
//
// Precedence: Delay applies first and combines with everything else; then
// Drop, DropAfterApply, HTML, Malformed and Status, the first that is set
// wins. A Fault with only Delay set delays the request and then serves it.
type Fault struct {
	// Status answers this HTTP status (e.g. 429, 500, 503) with the
	// vendor's error body, without acting.
	Status int
	// RetryAfter is sent verbatim as the Retry-After header with Status (or
	// with HTML). Empty means no header.
	RetryAfter string
	// Drop closes the connection before acting: nothing changes. Over HTTP
	// the fake reads the request, hijacks the connection and closes it; the
	// Responder returns an error instead. net/http's Transport itself
	// resends a bodiless GET once when a reused connection is dropped, so
	// a dropped GET may consume two queued faults.
	Drop bool
	// DropAfterApply serves the request, its state change included (and
	// counted by Applied), then closes the connection without answering:
	// a lost response. The Responder returns an error instead.
	DropAfterApply bool
	// Malformed answers 200 with the vendor's success body cut short,
	// without acting.
	Malformed bool
	// HTML answers Status (default 503) with a text/html error page, as a
	// proxy or gateway in front of the product does, without acting.
	HTML bool
	// Delay waits this long before answering, or until the request's
	// context ends or the Server is closed; in those cases nothing is
	// answered (the Responder returns the context's error).
	Delay time.Duration
}

// RecordedRequest is a request as a fake received it, for wire assertions.
// Its fields may hold secrets (passwords, API keys, tokens): they stay
// readable for assertions, but String, Format and MarshalJSON never show the
// headers, the query or the body.
type RecordedRequest struct {
	// Operation is the operation id the request was routed to, "" if none.
	Operation string
	// Method is the HTTP method.
	Method string
	// Path is the URL path as sent, decoded.
	Path string
	// EscapedPath is the URL path as sent, with its percent-encoding.
	EscapedPath string
	// RawQuery is the query as sent, without the '?'.
	RawQuery string
	// Query holds the URL query parameters.
	Query url.Values
	// Header holds the request headers, credentials included.
	Header http.Header
	// ContentType is the Content-Type header as sent.
	ContentType string
	// Form holds the fields of an application/x-www-form-urlencoded body
	// (the body only, not the query); nil for other bodies.
	Form url.Values
	// JSON holds the top-level members of a body that is a JSON object,
	// whatever its Content-Type; nil for other bodies or no body.
	JSON map[string]any
	// Body is the raw body (at most MaxBody bytes); empty when none was
	// sent.
	Body []byte
	// Faulted reports whether a queued Fault was applied to the request.
	Faulted bool
}

// String describes the request without its headers, query or body, which
// may carry secrets; read the fields for those.
func (r RecordedRequest) String() string {
	return fmt.Sprintf("fakes.RecordedRequest{Operation: %q, Method: %s, EscapedPath: %q, ContentType: %q, Faulted: %t}",
		r.Operation, r.Method, r.EscapedPath, r.ContentType, r.Faulted)
}

// Format writes String for every verb, so that %v, %+v, %#v, %s and %q
// never print a secret.
func (r RecordedRequest) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// MarshalJSON writes the request line without headers, query or body, so
// that a JSON log of a request cannot leak them either.
func (r RecordedRequest) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Operation, Method, Path, ContentType string
		Faulted                              bool
	}{r.Operation, r.Method, r.Path, r.ContentType, r.Faulted})
}
