package csptest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/jarcoal/httpmock"
)

// maxBody bounds the request bodies the fake reads (fake's choice).
const maxBody = 1 << 20

// Fault is a failure the fake answers a request with instead of serving it.
// Queue faults with FailNext. A zero Fault serves the request normally.
//
// Precedence: Delay applies first and combines with everything else; then
// Drop, HTML, Malformed and Status, the first that is set wins. A Fault with
// only Delay set delays the request and then serves it normally.
type Fault struct {
	// Status answers this HTTP status (e.g. 429, 500, 503) with a
	// CspErrorResponse JSON body.
	Status int
	// RetryAfter is sent verbatim as the Retry-After header with Status (or
	// with HTML). Empty means no header.
	RetryAfter string
	// Drop closes the connection without answering. Over HTTP the fake reads
	// the request, hijacks the connection and closes it; the Responder
	// returns an error instead. Note that net/http's Transport itself
	// resends a bodiless GET once when a reused connection is dropped, so a
	// dropped GetTokenPublicKey may consume two queued faults.
	Drop bool
	// DropAfterApply serves the request (a token is issued and counted in
	// Applied), then closes the connection without answering: a lost
	// response. The Responder returns an error instead.
	DropAfterApply bool
	// Malformed answers 200 with the truncated JSON body {"access_token":.
	Malformed bool
	// HTML answers Status (default 503) with a text/html error page, as a
	// gateway in front of CSP does (vmware-labs/marketplace-cli#122).
	HTML bool
	// Delay waits this long before answering, or until the request's
	// context ends or the Server is closed; in those cases nothing is
	// answered (the Responder returns the context's error).
	Delay time.Duration
}

// FailNext queues f for the next n requests, whatever their operation.
// Calls stack: faults are applied in the order they were queued. A faulted
// request counts in Calls and TotalCalls and is recorded, but changes no
// state.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// RecordedRequest is a request as the fake received it, for wire
// assertions. Its fields may hold secrets (API tokens, client secrets,
// passcodes): it is a test helper.
type RecordedRequest struct {
	// Operation is the operationId the request was routed to, "" if none.
	Operation string
	// Method is the HTTP method.
	Method string
	// Path is the URL path.
	Path string
	// Query holds the URL query parameters.
	Query url.Values
	// Header holds the request headers (Authorization included).
	Header http.Header
	// ContentType is the Content-Type header as sent.
	ContentType string
	// Form holds the fields of an application/x-www-form-urlencoded body
	// (the body only, not the query); nil for other bodies.
	Form url.Values
	// JSON holds the top-level fields of a JSON object body; nil for other
	// bodies or when the body is not a JSON object.
	JSON map[string]any
	// Body is the raw body (at most 1 MiB).
	Body []byte
	// Faulted reports whether a queued Fault was applied to the request.
	Faulted bool
}

// recorded is the stored form of a RecordedRequest; Requests derives fresh
// copies from it.
type recorded struct {
	op, method, path, rawQuery string
	header                     http.Header
	body                       []byte
	faulted                    bool
}

// Requests returns every request received so far, in arrival order. Each
// call returns fresh copies the caller may modify.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	recs := make([]recorded, len(s.requests))
	copy(recs, s.requests)
	s.mu.Unlock()

	out := make([]RecordedRequest, 0, len(recs))
	for _, r := range recs {
		q, _ := url.ParseQuery(r.rawQuery)
		rr := RecordedRequest{
			Operation:   r.op,
			Method:      r.method,
			Path:        r.path,
			Query:       q,
			Header:      r.header.Clone(),
			ContentType: r.header.Get("Content-Type"),
			Body:        bytes.Clone(r.body),
			Faulted:     r.faulted,
		}
		switch mediaType(rr.ContentType) {
		case "application/x-www-form-urlencoded":
			rr.Form, _ = url.ParseQuery(string(r.body))
		case "application/json":
			var m map[string]any
			if json.Unmarshal(r.body, &m) == nil {
				rr.JSON = m
			}
		}
		out = append(out, rr)
	}
	return out
}

// mediaType returns the lower-case media type of a Content-Type value, or ""
// if it does not parse.
func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return mt
}

// outcome is what front did with a request.
type outcome int

const (
	served    outcome = iota // a response was written
	dropped                  // the connection must be closed without a response
	abandoned                // the request's context ended or the server closed
)

// serveHTTP is the fake as an http.Handler: httptest serves it and Handler
// returns it.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch o, _ := s.front(w, r); o {
	case dropped:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// Not hijackable (HTTP/2, a recorder): abort the response, which
			// net/http turns into a reset or closed connection.
			panic(http.ErrAbortHandler)
		}
		_ = conn.Close()
	case abandoned:
		// The client is gone or the server is closing: do not answer.
		panic(http.ErrAbortHandler)
	}
}

// errDropped is returned by the Responder for a Drop fault.
var errDropped = errors.New("csptest: connection dropped by injected fault")

// Responder returns the fake as an httpmock.Responder: the same state,
// faults, counters and recording as the httptest server, in process and
// without network. A Drop fault makes it return an error, as does a Delay
// whose request context ends first (the context's error).
func (s *Server) Responder() httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		r := req.Clone(req.Context())
		if r.Body == nil {
			r.Body = http.NoBody
		}
		if r.Method == "" {
			r.Method = http.MethodGet
		}
		if r.Host == "" {
			r.Host = r.URL.Host
		}
		r.RequestURI = r.URL.RequestURI()
		rec := httptest.NewRecorder()
		switch o, err := s.front(rec, r); o {
		case dropped:
			return nil, errDropped
		case abandoned:
			return nil, err
		}
		resp := rec.Result()
		resp.ContentLength = int64(rec.Body.Len())
		resp.Request = req
		return resp, nil
	}
}

// front records and counts a request, applies the next queued fault and
// otherwise hands the request to the router. It is shared by the HTTP server
// and the Responder.
func (s *Server) front(w http.ResponseWriter, r *http.Request) (outcome, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	_ = r.Body.Close()
	if err != nil {
		return abandoned, err
	}
	tooLarge := len(body) > maxBody
	if tooLarge {
		body = body[:maxBody]
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	op := operationOf(r.Method, r.URL.Path)
	rec := recorded{
		op:       op,
		method:   r.Method,
		path:     r.URL.Path,
		rawQuery: r.URL.RawQuery,
		header:   r.Header.Clone(),
		body:     body,
	}
	var fault *Fault
	s.mu.Lock()
	s.total++
	s.calls[op]++
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		fault = &f
		rec.faulted = true
	}
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	if fault != nil {
		if o, handled, err := s.applyFault(w, r, *fault); handled {
			return o, err
		}
	}
	if tooLarge {
		writeJSON(w, http.StatusRequestEntityTooLarge, nil,
			cspError(http.StatusRequestEntityTooLarge, "payload_too_large", "Request body too large", false)) // fake's choice
		return served, nil
	}
	s.route(w, r)
	return served, nil
}

// route serves r with the operations and counts what they applied.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if path.Clean(r.URL.Path) != r.URL.Path {
		// ServeMux would redirect a non-canonical path such as //csp/...;
		// the fake answers 404 so that a client building such paths notices
		// (fake's choice).
		s.notFound(w, r)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	s.mux.ServeHTTP(sw, r)
	if op := operationOf(r.Method, r.URL.Path); sw.status/100 == 2 && (op == "ExchangeAPIToken" || op == "ExchangeClientCredentials") {
		s.mu.Lock()
		s.applied[op]++
		s.mu.Unlock()
	}
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Applied returns how many access tokens op issued ("ExchangeAPIToken" or
// "ExchangeClientCredentials"): the calls that changed the fake's state,
// including those whose answer a DropAfterApply fault then lost.
func (s *Server) Applied(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied[op]
}

// applyFault applies f. handled is false when f only delays the request and
// the router must still serve it.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault) (o outcome, handled bool, err error) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return abandoned, true, r.Context().Err()
		case <-s.done:
			return abandoned, true, errors.New("csptest: server closed")
		}
	}
	var extra http.Header
	if f.RetryAfter != "" {
		extra = http.Header{"Retry-After": {f.RetryAfter}}
	}
	switch {
	case f.Drop:
		return dropped, true, nil
	case f.DropAfterApply:
		s.route(httptest.NewRecorder(), r)
		return dropped, true, nil
	case f.HTML:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		maps.Copy(w.Header(), extra)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		text := strconv.Itoa(status) + " " + http.StatusText(status)
		_, _ = fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><title>%s</title></head>\n"+
			"<body><center><h1>%s</h1></center><hr><center>csptest</center></body></html>\n", text, text)
		return served, true, nil
	case f.Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"access_token":`)
		return served, true, nil
	case f.Status != 0:
		code := strings.ReplaceAll(strings.ToLower(http.StatusText(f.Status)), " ", "_")
		if code == "" {
			code = "error"
		}
		msg := http.StatusText(f.Status) + " (csptest injected fault)"
		writeJSON(w, f.Status, extra, cspError(f.Status, code, msg, false))
		return served, true, nil
	}
	return served, false, nil
}

// writeJSON writes v as an application/json response with extra headers.
func writeJSON(w http.ResponseWriter, status int, extra http.Header, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	maps.Copy(w.Header(), extra)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
