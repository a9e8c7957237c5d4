package fakes

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit/internal/fakekit"
)

// front reads, counts and records a request, applies the next queued fault
// and otherwise hands the request to Config.Serve. The httptest server, the
// Handler and the Responder all go through it.
func (s *Server) front(w http.ResponseWriter, r *http.Request) (outcome, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	_ = r.Body.Close()
	if err != nil {
		return abandoned, err
	}
	c := Call{Body: body}
	if len(body) > MaxBody {
		c.Body, c.TooLarge = body[:MaxBody], true
	}
	r.Body = io.NopCloser(bytes.NewReader(c.Body))
	// The recorded path is the one sent; routing uses the canonical one.
	rec := record{
		method: r.Method, path: r.URL.Path, escaped: r.URL.EscapedPath(), rawQuery: r.URL.RawQuery,
		header: r.Header.Clone(), body: c.Body,
	}
	s.mu.Lock()
	strict := s.strict
	s.mu.Unlock()
	if canonicalize(r) && strict != nil {
		return s.refuseNonCanonical(w, rec, strict)
	}
	if s.cfg.Operation != nil {
		c.Op = s.cfg.Operation(r)
	}
	rec.op = c.Op

	var fault *Fault
	s.mu.Lock()
	s.total++
	s.calls[c.Op]++
	if q := s.opFaults[c.Op]; len(q) > 0 {
		f := q[0]
		s.opFaults[c.Op] = q[1:]
		fault = &f
		rec.faulted = true
	} else if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		fault = &f
		rec.faulted = true
	}
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	if fault != nil {
		if o, handled, err := s.applyFault(w, r, c, *fault); handled {
			return o, err
		}
	}
	s.cfg.Serve(w, r, c)
	return served, nil
}

// refuseNonCanonical answers a non-canonical path in strict mode: it is
// counted and recorded under the operation "", reported to t, and answered
// 404 without consuming a fault.
func (s *Server) refuseNonCanonical(w http.ResponseWriter, rec record, t testing.TB) (outcome, error) {
	s.mu.Lock()
	s.total++
	s.calls[""]++
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	t.Helper()
	t.Errorf("%s: strict mode: the client sent the non-canonical path %s %q (a doubled or trailing slash)",
		s.cfg.Name, rec.method, rec.escaped)
	msg := "Not Found: non-canonical path (" + s.cfg.Name + " strict mode)"
	if s.cfg.Status != nil {
		s.cfg.Status(w, http.StatusNotFound, msg)
	} else {
		fakekit.WriteJSON(w, http.StatusNotFound, nil, map[string]string{"message": msg})
	}
	return served, nil
}

// serveHTTP is the fake as an http.Handler: the httptest server serves it
// and Handler returns it.
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

// Responder returns the fake as an httpmock.Responder: the same state,
// faults, counters and recording as the httptest server, in process and
// without network. It routes on the path, so it may be registered for any
// host. Drop and DropAfterApply make it return an error wrapping
// ErrDropped (after applying the request, for DropAfterApply); a Delay whose
// request context ends first makes it return the context's error. A request
// for which Config.Stream reports true is answered as soon as its headers
// are written, and its body streams until the handler returns, the
// request's context ends or the body is closed.
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
		if s.cfg.Stream != nil && s.cfg.Stream(r) {
			return s.respondStream(req, r)
		}
		rec := httptest.NewRecorder()
		switch o, err := s.front(rec, r); o {
		case dropped:
			return nil, s.dropped
		case abandoned:
			return nil, err
		}
		resp := rec.Result()
		resp.ContentLength = int64(rec.Body.Len())
		resp.Request = req
		return resp, nil
	}
}

// respondStream serves r through a pipe: the response is returned once the
// headers are written, and its body is fed as the fake writes.
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
			_ = pw.CloseWithError(s.dropped)
			done <- result{o, err}
			return
		}
		sw.WriteHeader(http.StatusOK) // a handler that wrote nothing answered 200
		if err := r.Context().Err(); err != nil {
			_ = pw.CloseWithError(err) // as a real transport ends a cancelled body
			return
		}
		_ = pw.Close()
	}()
	select {
	case <-sw.ready:
	case res := <-done:
		if res.o == abandoned {
			return nil, res.err
		}
		return nil, s.dropped
	}
	return &http.Response{
		Status:     strconv.Itoa(sw.status) + " " + http.StatusText(sw.status),
		StatusCode: sw.status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        sw.sent,
		Body:          pr,
		ContentLength: -1,
		Request:       orig,
	}, nil
}

// pipeWriter is the http.ResponseWriter of a streamed Responder answer.
type pipeWriter struct {
	header http.Header // what the handler sets
	sent   http.Header // header as of WriteHeader: the response's
	pw     *io.PipeWriter
	once   sync.Once
	ready  chan struct{}
	status int
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(code int) {
	w.once.Do(func() {
		w.status = code
		w.sent = w.header.Clone() // later changes do not reach the response
		close(w.ready)
	})
}

func (w *pipeWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.pw.Write(b)
}

// Flush makes the writer an http.Flusher; the pipe is unbuffered.
func (w *pipeWriter) Flush() {}
