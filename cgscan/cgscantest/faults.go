package cgscantest

import (
	"maps"
	"net/http"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
)

// FailNext queues f for the next n requests, whatever their operation. Faults
// are applied in the order they were queued. A faulted request counts in
// Calls and TotalCalls and is recorded; only DropAfterApply changes state.
//
// In this fake, Status answers the API's {status, status_text, message}
// JSON body; Malformed answers 200 with the truncated JSON body {"token":;
// HTML answers Status (default 503) with a text/html error page, as a proxy
// in front of the portal would; DropAfterApply serves the request (its state
// change happens, and counts in Applied) and loses the answer.
func (s *Server) FailNext(n int, f fakes.Fault) { s.kit.FailNext(n, f) }

// FailNextOp queues f for the next n requests of the operation op only (an
// operation id as Calls takes it); they take it before a FailNext fault.
func (s *Server) FailNextOp(op string, n int, f fakes.Fault) { s.kit.FailNextOp(op, n, f) }

// ClearFaults drops every queued fault, of FailNext and of FailNextOp.
func (s *Server) ClearFaults() { s.kit.ClearFaults() }

// CallCounts returns Calls for every operation that received a request,
// "" for the requests that matched none.
func (s *Server) CallCounts() map[string]int { return s.kit.CallCounts() }

// AppliedCounts returns Applied for every operation that changed state.
func (s *Server) AppliedCounts() map[string]int { return s.kit.AppliedCounts() }

// Requests returns every request received so far, in arrival order, as fresh
// copies the caller may modify.
func (s *Server) Requests() []fakes.RecordedRequest { return s.kit.Requests() }

// Responder returns the fake as an httpmock.Responder: the same state,
// faults, counters and recording as the httptest server, in process. Drop and
// DropAfterApply make it return an error, as does a Delay whose request
// context ends first. Register it for any host: the fake routes on the path.
func (s *Server) Responder() httpmock.Responder { return s.kit.Responder() }

// operation maps a request to its operation, honouring SetPath.
func (s *Server) operation(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.operationOf(r.Method, r.URL.Path)
}

// serve checks the route, the body size and the API key of a request that no
// fault stopped, and hands it to the router.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, c fakekit.Call) {
	s.mu.Lock()
	known := c.Op == "" && s.knownPath(r.URL.Path)
	keyOK := s.apiKeys[r.Header.Get("x-api-key")]
	s.mu.Unlock()
	switch {
	case c.Op == "":
		status := http.StatusNotFound
		if known {
			status = http.StatusMethodNotAllowed
		}
		// Rails-style routing error (fake's wording).
		writeJSON(w, status, nil, errBody(status, "No route matches ["+r.Method+"] \""+r.URL.Path+"\""))
	case c.TooLarge:
		writeJSON(w, http.StatusRequestEntityTooLarge, nil, errBody(http.StatusRequestEntityTooLarge, "Request body too large"))
	case !keyOK:
		// Every call needs the customer's API key (sign-in page; ref C.4).
		writeJSON(w, http.StatusUnauthorized, nil, errBody(http.StatusUnauthorized, "Invalid API key"))
	default:
		// Route on the operation's default path, whatever SetPath moved it to.
		r.URL.Path = routes[c.Op].path
		r.URL.RawPath = ""
		s.mux.ServeHTTP(w, r)
	}
}

// statusFault answers a Status fault with the API's error body.
func statusFault(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, nil, errBody(status, message))
}

// writeJSON writes v as an "application/json; charset=utf-8" response, as the
// portal does, with extra headers.
func writeJSON(w http.ResponseWriter, status int, extra http.Header, v any) {
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	maps.Copy(h, extra)
	fakekit.WriteJSON(w, status, h, v)
}
