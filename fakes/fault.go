package fakes

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/tokenkit/tokenkit/internal/fakekit"
)

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
		page := fakekit.HTMLPage(s.cfg.Name, status)
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
			fakekit.WriteJSON(w, f.Status, nil, map[string]string{"message": msg})
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
