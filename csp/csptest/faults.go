package csptest

import (
	"net/http"
	"path"
	"strings"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
)

// FailNext queues f for the next n requests, whatever their operation.
// Calls stack: faults are applied in the order they were queued. A faulted
// request counts in Calls and TotalCalls and is recorded, but changes no
// state (except DropAfterApply).
//
// In this fake, Status answers a CspErrorResponse JSON body whose errorCode
// is the status text in snake case ("too_many_requests"); Malformed answers
// 200 with the truncated JSON body {"access_token":; HTML answers Status
// (default 503) with a text/html error page, as a gateway in front of CSP
// does (vmware-labs/marketplace-cli#122); DropAfterApply issues a token,
// counted in Applied, and loses the answer. net/http's Transport resends a
// bodiless GET once when a reused connection is dropped, so a dropped
// GetTokenPublicKey may consume two queued faults.
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

// Requests returns every request received so far, in arrival order. Each
// call returns fresh copies the caller may modify.
func (s *Server) Requests() []fakes.RecordedRequest { return s.kit.Requests() }

// Responder returns the fake as an httpmock.Responder: the same state,
// faults, counters and recording as the httptest server, in process and
// without network. A Drop or DropAfterApply fault makes it return an error,
// as does a Delay whose request context ends first (the context's error).
func (s *Server) Responder() httpmock.Responder { return s.kit.Responder() }

// Applied returns how many access tokens op issued ("ExchangeAPIToken" or
// "ExchangeClientCredentials"): the calls that changed the fake's state,
// including those whose answer a DropAfterApply fault then lost.
func (s *Server) Applied(op string) int { return s.kit.Applied(op) }

// serve answers a request that no fault stopped.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, c fakekit.Call) {
	switch {
	case c.TooLarge:
		fakekit.WriteJSON(w, http.StatusRequestEntityTooLarge, nil,
			cspError(http.StatusRequestEntityTooLarge, "payload_too_large", "Request body too large", false)) // fake's choice
	case path.Clean(r.URL.Path) != r.URL.Path:
		// Doubled and trailing slashes were already routed as the canonical
		// path (fakekit); what is left are dot segments, which a ServeMux
		// would redirect: answered 404 (fake's choice).
		s.notFound(w, r)
	default:
		s.mux.ServeHTTP(w, r)
	}
}

// statusFault answers a Status fault with a CspErrorResponse.
func statusFault(w http.ResponseWriter, status int, message string) {
	code := strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
	if code == "" {
		code = "error"
	}
	fakekit.WriteJSON(w, status, nil, cspError(status, code, message, false))
}
