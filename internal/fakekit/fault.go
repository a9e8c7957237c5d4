package fakekit

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"time"
)

// Fault is a failure a fake answers a request with instead of serving it.
// Queue faults with Server.FailNext. A zero Fault serves the request
// normally.
//
// Precedence: Delay applies first and combines with everything else; then
// Drop, DropAfterApply, HTML, Malformed and Status, the first that is set
// wins. A Fault with only Delay set delays the request and then serves it.
type Fault struct {
	// Status answers this HTTP status (e.g. 429, 500, 503) with the
	// vendor's error body (Config.Status), without acting.
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
	// Malformed answers 200 with the vendor's success body cut short
	// (Config.Malformed), without acting.
	Malformed bool
	// HTML answers Status (default 503) with a text/html error page, as a
	// proxy or gateway in front of the product does, without acting.
	HTML bool
	// Delay waits this long before answering, or until the request's
	// context ends or the Server is closed; in those cases nothing is
	// answered (the Responder returns the context's error).
	Delay time.Duration
}

// outcome is what front did with a request.
type outcome int

const (
	served    outcome = iota // a response was written
	dropped                  // the connection must be closed without a response
	abandoned                // the request's context ended or the server closed
)

// applyFault applies f to a request. handled is false when f only delays
// the request and Serve must still answer it.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, c Call, f Fault) (o outcome, handled bool, err error) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return abandoned, true, r.Context().Err()
		case <-s.done:
			return abandoned, true, errors.New(s.cfg.Name + ": server closed")
		}
	}
	switch {
	case f.Drop:
		return dropped, true, nil
	case f.DropAfterApply:
		if s.cfg.Stream == nil || !s.cfg.Stream(r) {
			s.cfg.Serve(httptest.NewRecorder(), r, c) // the state changes; the answer is lost
		}
		return dropped, true, nil
	case f.HTML:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		page := HTMLPage(s.cfg.Name, status)
		if s.cfg.HTML != nil {
			page = s.cfg.HTML(status)
		}
		setRetryAfter(w, f)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, page)
		return served, true, nil
	case f.Malformed:
		body := s.cfg.Malformed
		if body == "" {
			body = `{"`
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, body)
		return served, true, nil
	case f.Status != 0:
		setRetryAfter(w, f)
		msg := http.StatusText(f.Status) + " (" + s.cfg.Name + " injected fault)"
		if s.cfg.Status != nil {
			s.cfg.Status(w, f.Status, msg)
		} else {
			WriteJSON(w, f.Status, nil, map[string]string{"message": msg})
		}
		return served, true, nil
	}
	return served, false, nil
}

func setRetryAfter(w http.ResponseWriter, f Fault) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
}
