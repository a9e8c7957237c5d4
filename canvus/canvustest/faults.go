package canvustest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jarcoal/httpmock"
)

// maxBody bounds the request bodies the fake reads (fake's choice).
const maxBody = 1 << 20

// Fault is a failure the fake answers a request with instead of serving it.
// Queue faults with FailNext. A zero Fault serves the request normally.
//
// Precedence: Delay applies first and combines with everything else; then
// Drop, DropAfterApply, HTML, Malformed and Status, the first that is set
// wins. A Fault with only Delay set delays the request and then serves it.
type Fault struct {
	// Status answers this HTTP status (e.g. 429, 500, 503) with a
	// {"msg": …} body, without acting.
	Status int
	// RetryAfter is sent verbatim as the Retry-After header with Status (or
	// with HTML). Empty means no header.
	RetryAfter string
	// Drop closes the connection before acting. Over HTTP the fake reads
	// the request, hijacks the connection and closes it; the Responder
	// returns an error instead. net/http's Transport itself resends a
	// bodiless GET once when a reused connection is dropped, so a dropped
	// GET may consume two queued faults.
	Drop bool
	// DropAfterApply serves the request, state change included (and
	// counted by Applied), then closes the connection without answering:
	// a lost response.
	DropAfterApply bool
	// Malformed answers 200 with the truncated JSON body {"id":.
	Malformed bool
	// HTML answers Status (default 503) with a text/html error page, as a
	// reverse proxy in front of the server does.
	HTML bool
	// Delay waits this long before answering, or until the request's
	// context ends or the Server is closed; in those cases nothing is
	// answered (the Responder returns the context's error).
	Delay time.Duration
}

// FailNext queues f for the next n requests, whatever their operation.
// Calls stack: faults apply in the order they were queued. A faulted
// request counts in Calls and TotalCalls and is recorded, but changes no
// state (except DropAfterApply).
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// RecordedRequest is a request as the fake received it, for wire
// assertions. Its fields may hold secrets (passwords, tokens): it is a test
// helper, and it never prints them (see String).
type RecordedRequest struct {
	// Operation is the operation id the request was routed to, "" if none.
	Operation string
	// Method is the HTTP method.
	Method string
	// Path is the URL path, decoded.
	Path string
	// EscapedPath is the URL path as sent, with its percent-encoding.
	EscapedPath string
	// RawQuery is the query as sent ("subscribe" or "subscribe=true").
	RawQuery string
	// Header holds the request headers (Private-Token included).
	Header http.Header
	// JSON holds the top-level fields of a JSON object body; nil for other
	// bodies.
	JSON map[string]any
	// Body is the raw body (at most 1 MiB).
	Body []byte
	// Faulted reports whether a queued Fault was applied to the request.
	Faulted bool
}

type recorded struct {
	op, method, path, escaped, rawQuery string
	header                              http.Header
	body                                []byte
	faulted                             bool
}

// Requests returns every request received so far, in arrival order, as
// fresh copies the caller may modify.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	recs := make([]recorded, len(s.requests))
	copy(recs, s.requests)
	s.mu.Unlock()
	out := make([]RecordedRequest, 0, len(recs))
	for _, r := range recs {
		rr := RecordedRequest{
			Operation: r.op, Method: r.method, Path: r.path, EscapedPath: r.escaped, RawQuery: r.rawQuery,
			Header: r.header.Clone(), Body: bytes.Clone(r.body), Faulted: r.faulted,
		}
		var m map[string]any
		if json.Unmarshal(r.body, &m) == nil {
			rr.JSON = m
		}
		out = append(out, rr)
	}
	return out
}

// outcome is what front did with a request.
type outcome int

const (
	served    outcome = iota // a response was written
	dropped                  // the connection must be closed without a response
	abandoned                // the request's context ended or the server closed
)

// serveHTTP is the fake as an http.Handler.
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

// errDropped is returned by the Responder for a Drop fault.
var errDropped = errors.New("canvustest: connection dropped by injected fault")

// Responder returns the fake as an httpmock.Responder: the same state,
// faults, counters and recording as the httptest server, in process and
// without network. Subscriptions work too: the body streams until the
// request's context ends, the body is closed or the Server is closed. A
// Drop or DropAfterApply fault makes it return an error, as does a Delay
// whose request context ends first.
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
		if r.Method == http.MethodGet && r.URL.Query().Has("subscribe") {
			return s.respondStream(req, r)
		}
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

// respondStream serves a subscription through a pipe: the response is
// returned once the headers are written, and its body is fed as the fake
// writes frames.
func (s *Server) respondStream(orig, r *http.Request) (*http.Response, error) {
	pr, pw := io.Pipe()
	sw := &pipeWriter{header: make(http.Header), pw: pw, ready: make(chan struct{})}
	type result struct {
		o   outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		// Closing the reader unblocks a pending Write when the request ends.
		stop := context.AfterFunc(r.Context(), func() { _ = pr.CloseWithError(r.Context().Err()) })
		defer stop()
		o, err := s.front(sw, r)
		if o != served {
			_ = pw.CloseWithError(errDropped)
			done <- result{o, err}
			return
		}
		sw.finish() // a handler that wrote nothing answered 200
		_ = pw.Close()
	}()
	select {
	case <-sw.ready:
	case res := <-done:
		if res.o == abandoned {
			return nil, res.err
		}
		return nil, errDropped
	}
	resp := &http.Response{
		Status:     strconv.Itoa(sw.status) + " " + http.StatusText(sw.status),
		StatusCode: sw.status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        sw.header.Clone(),
		Body:          pr,
		ContentLength: -1,
		Request:       orig,
	}
	return resp, nil
}

// pipeWriter is the http.ResponseWriter of a streamed Responder answer.
type pipeWriter struct {
	header http.Header
	pw     *io.PipeWriter
	once   sync.Once
	ready  chan struct{}
	status int
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(code int) {
	w.once.Do(func() {
		w.status = code
		w.header = w.header.Clone() // later changes do not reach the response
		close(w.ready)
	})
}

func (w *pipeWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.pw.Write(b)
}

// Flush makes the writer an http.Flusher; the pipe is unbuffered.
func (w *pipeWriter) Flush() {}

// finish marks the headers written if the handler wrote nothing.
func (w *pipeWriter) finish() { w.WriteHeader(http.StatusOK) }

// reqInfo carries what the strict handlers need from the raw request.
type reqInfo struct {
	token string // Private-Token
	body  []byte
}

type reqInfoKey struct{}

func infoFrom(ctx context.Context) reqInfo {
	ri, _ := ctx.Value(reqInfoKey{}).(reqInfo)
	return ri
}

// front records and counts a request, applies the next queued fault and
// otherwise hands the request to the router. It is shared by the HTTP
// server and the Responder.
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

	escaped := r.URL.EscapedPath()
	op := operationOf(r.Method, escaped)
	rec := recorded{
		op: op, method: r.Method, path: r.URL.Path, escaped: escaped, rawQuery: r.URL.RawQuery,
		header: r.Header.Clone(), body: body,
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

	// The vendor docs write a bare ?subscribe, public clients send
	// ?subscribe=true: the fake accepts both.
	if q := r.URL.Query(); q.Has("subscribe") && q.Get("subscribe") == "" {
		q.Set("subscribe", "true")
		r.URL.RawQuery = q.Encode()
	}
	r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, reqInfo{token: r.Header.Get("Private-Token"), body: body}))

	if fault != nil {
		if o, handled, err := s.applyFault(w, r, *fault); handled {
			return o, err
		}
	}
	switch {
	case tooLarge:
		s.writeError(w, http.StatusRequestEntityTooLarge, "Request body too large") // fake's choice
	case path.Clean(escaped) != escaped:
		// A client that builds "//" or "/../" paths should notice (fake's
		// choice; a ServeMux would redirect).
		s.writeError(w, http.StatusNotFound, "Not found")
	default:
		s.mux.ServeHTTP(w, r)
	}
	return served, nil
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
			return abandoned, true, errors.New("canvustest: server closed")
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
		if r.URL.Query().Has("subscribe") {
			return dropped, true, nil // a stream applies nothing
		}
		s.mux.ServeHTTP(httptest.NewRecorder(), r)
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
			"<body><center><h1>%s</h1></center><hr><center>canvustest</center></body></html>\n", text, text)
		return served, true, nil
	case f.Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"id":`)
		return served, true, nil
	case f.Status != 0:
		maps.Copy(w.Header(), extra)
		s.writeError(w, f.Status, http.StatusText(f.Status)+" (canvustest injected fault)")
		return served, true, nil
	}
	return served, false, nil
}

// operationOf maps a request line to its operation id, or "". escaped is
// the path as sent, so that a token id containing %2F stays one segment.
func operationOf(method, escaped string) string {
	rest, ok := strings.CutPrefix(escaped, APIPath+"/")
	if !ok {
		return ""
	}
	seg := strings.Split(rest, "/")
	switch {
	case len(seg) == 1 && seg[0] == "server-info" && method == http.MethodGet:
		return OpGetServerInfo
	case len(seg) == 2 && seg[0] == "users" && seg[1] == "login" && method == http.MethodPost:
		return OpLogin
	case len(seg) == 2 && seg[0] == "users" && seg[1] == "logout" && method == http.MethodPost:
		return OpLogout
	case len(seg) == 3 && seg[0] == "users" && seg[2] == "access-tokens":
		switch method {
		case http.MethodGet:
			return OpListAccessTokens
		case http.MethodPost:
			return OpCreateAccessToken
		}
	case len(seg) == 4 && seg[0] == "users" && seg[2] == "access-tokens" && seg[3] != "":
		switch method {
		case http.MethodGet:
			return OpGetAccessToken
		case http.MethodPatch:
			return OpRenameAccessToken
		case http.MethodDelete:
			return OpDeleteAccessToken
		}
	}
	return ""
}

// errorBody is the fake's error shape: {"msg": …}, or {"message": …} with
// SetLegacyErrors.
func (s *Server) errorBody(msg string) map[string]string {
	s.mu.Lock()
	legacy := s.legacy
	s.mu.Unlock()
	if legacy {
		return map[string]string{"message": msg}
	}
	return map[string]string{"msg": msg}
}

func (s *Server) writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, s.errorBody(msg))
}

// writeJSON writes v as an application/json response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
