package fakes

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/tokenkit/tokenkit/internal/fakekit"
)

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
		if fakekit.MediaType(rr.ContentType) == "application/x-www-form-urlencoded" {
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
