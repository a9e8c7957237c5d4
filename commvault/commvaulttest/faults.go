package commvaulttest

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
	"slices"
	"strconv"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit/commvault/internal/api"
)

// maxBody bounds the request bodies the fake reads (fake's choice).
const maxBody = 1 << 20

// Fault is a failure the fake answers a request with. Queue faults with
// FailNext. A zero Fault serves the request normally.
//
// Precedence: Delay applies first and combines with everything else; then
// Drop, DropAfterApply, HTML, Malformed and Status, the first that is set
// wins.
type Fault struct {
	// Status answers this HTTP status (429, 500, 503, …) with Commvault's
	// {errorMessage, errorCode} body, without acting.
	Status int
	// RetryAfter is sent verbatim as the Retry-After header with Status or
	// HTML. Empty sends none.
	RetryAfter string
	// Drop closes the connection without answering and without acting. The
	// Responder returns an error instead.
	Drop bool
	// DropAfterApply serves the request (its state change happens and
	// counts in Applied), then closes the connection without answering: a
	// lost response. The Responder returns an error instead.
	DropAfterApply bool
	// Malformed answers 200 with truncated JSON, without acting.
	Malformed bool
	// HTML answers Status (default 503) with a text/html page, as a proxy in
	// front of Command Center does, without acting.
	HTML bool
	// Delay waits this long before answering, or until the request's context
	// ends or the Server is closed (then nothing is answered).
	Delay time.Duration
}

// FailNext queues f for the next n requests, whatever their operation.
// Faults are applied in the order they were queued. A faulted request counts
// in Calls and TotalCalls and is recorded.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// RecordedRequest is a request as the fake received it, for wire
// assertions. Its fields may hold secrets (passwords, session and access
// tokens); its String and Format never print them.
type RecordedRequest struct {
	// Operation is the operation id the request was routed to, "" if none.
	Operation string
	// Method is the HTTP method.
	Method string
	// Path is the URL path.
	Path string
	// Query holds the URL query parameters.
	Query url.Values
	// Header holds the request headers (Authtoken and Authorization
	// included).
	Header http.Header
	// ContentType is the Content-Type header as sent.
	ContentType string
	// JSON holds the top-level fields of a JSON object body; nil otherwise.
	JSON map[string]any
	// Body is the raw body (at most 1 MiB).
	Body []byte
	// Faulted reports whether a queued Fault was applied to the request.
	Faulted bool
}

type recorded struct {
	op, method, path, rawQuery string
	header                     http.Header
	body                       []byte
	faulted                    bool
}

// Requests returns every request received so far, in arrival order, as
// fresh copies.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	recs := slices.Clone(s.requests)
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
		if mediaType(rr.ContentType) == "application/json" {
			var m map[string]any
			if json.Unmarshal(r.body, &m) == nil {
				rr.JSON = m
			}
		}
		out = append(out, rr)
	}
	return out
}

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return mt
}

type outcome int

const (
	served    outcome = iota // a response was written
	dropped                  // the connection must be closed without a response
	abandoned                // the request's context ended or the server closed
)

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch o, _ := s.front(w, r); o {
	case dropped:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		_ = conn.Close()
	case abandoned:
		panic(http.ErrAbortHandler)
	}
}

// errDropped is returned by the Responder for Drop and DropAfterApply.
var errDropped = errors.New("commvaulttest: connection dropped by injected fault")

// Responder returns the fake as an httpmock.Responder: the same state,
// faults, counters and recording, in process. Drop and DropAfterApply make it
// return an error (after applying the request, for DropAfterApply).
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
// otherwise routes it.
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
	rec := recorded{op: op, method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, header: r.Header.Clone(), body: body}
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
		if o, handled, err := s.applyFault(w, r, *fault, tooLarge); handled {
			return o, err
		}
	}
	s.route(w, r, tooLarge)
	return served, nil
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, tooLarge bool) {
	switch {
	case tooLarge:
		writeJSON(w, http.StatusRequestEntityTooLarge, nil, errorBody(codeInvalidRequest, "Request body too large")) // fake's choice
	case path.Clean(r.URL.Path) != r.URL.Path:
		// A non-canonical path such as .../api//V4/AccessToken (cvpysdk
		// builds those) is answered 404 so that a client emitting one notices
		// (fake's choice; the real server tolerates it).
		s.notFound(w, r)
	default:
		s.mux.ServeHTTP(w, r)
	}
}

func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault, tooLarge bool) (o outcome, handled bool, err error) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return abandoned, true, r.Context().Err()
		case <-s.done:
			return abandoned, true, errors.New("commvaulttest: server closed")
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
		s.route(httptest.NewRecorder(), r, tooLarge)
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
			"<body><h1>%s</h1><hr>commvaulttest</body></html>\n", text, text)
		return served, true, nil
	case f.Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"error":{"errorCode":0},"accessToken":`)
		return served, true, nil
	case f.Status != 0:
		writeJSON(w, f.Status, extra, errorBody(int32(f.Status), http.StatusText(f.Status)+" (commvaulttest injected fault)"))
		return served, true, nil
	}
	return served, false, nil
}

// errorBody is Commvault's top-level error shape.
func errorBody(code int32, message string) api.ErrorResponse {
	return api.ErrorResponse{ErrorCode: ptr(code), ErrorMessage: ptr(message)}
}

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
