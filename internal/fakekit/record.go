package fakekit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// RecordedRequest is a request as a fake received it, for wire assertions.
// Its fields may hold secrets (passwords, API keys, tokens): they stay
// readable for assertions, but String, Format and MarshalJSON never show the
// headers, the query or the body. A fake exposes it as its own defined type
// (type RecordedRequest fakekit.RecordedRequest) with its own String.
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
	return fmt.Sprintf("fakekit.RecordedRequest{Operation: %q, Method: %s, Path: %q, ContentType: %q, Faulted: %t}",
		r.Operation, r.Method, r.Path, r.ContentType, r.Faulted)
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

// record is the stored form of a RecordedRequest; Requests derives fresh
// copies from it.
type record struct {
	op, method, path, escaped, rawQuery string
	header                              http.Header
	body                                []byte
	faulted                             bool
}

// Requests returns every request received so far, in arrival order. Each
// call returns fresh copies the caller may modify.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	recs := make([]record, len(s.requests))
	copy(recs, s.requests)
	s.mu.Unlock()

	out := make([]RecordedRequest, 0, len(recs))
	for _, r := range recs {
		q, _ := url.ParseQuery(r.rawQuery)
		rr := RecordedRequest{
			Operation:   r.op,
			Method:      r.method,
			Path:        r.path,
			EscapedPath: r.escaped,
			RawQuery:    r.rawQuery,
			Query:       q,
			Header:      r.header.Clone(),
			ContentType: r.header.Get("Content-Type"),
			Body:        bytes.Clone(r.body),
			Faulted:     r.faulted,
		}
		if MediaType(rr.ContentType) == "application/x-www-form-urlencoded" {
			rr.Form, _ = url.ParseQuery(string(r.body))
		}
		var m map[string]any
		if json.Unmarshal(r.body, &m) == nil {
			rr.JSON = m
		}
		out = append(out, rr)
	}
	return out
}

// RequestsAs returns s.Requests converted to a fake's own type T, usually
// with a conversion such as func(r RecordedRequest) T { return T(r) }.
func RequestsAs[T any](s *Server, conv func(RecordedRequest) T) []T {
	recs := s.Requests()
	out := make([]T, len(recs))
	for i, r := range recs {
		out[i] = conv(r)
	}
	return out
}
