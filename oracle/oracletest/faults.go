package oracletest

import (
	"net/http"
	"path"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
)

// FailNext queues f for the next n requests, whatever their operation.
// Calls stack: faults are applied in the order they were queued. A faulted
// request counts in Calls and TotalCalls and is recorded; only a
// DropAfterApply fault lets it change state.
//
// In this fake, Status answers an ExceptionDetail JSON body (o:errorCode
// CodeInjectedFault); Malformed answers 200 with the truncated JSON body
// {"accessToken":; HTML answers Status (default 503) with a text/html error
// page, as a load balancer in front of an instance does; DropAfterApply
// serves the request (a token is issued, a refresh token rotated: Applied
// counts it) and then loses the answer.
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
// without network. Drop and DropAfterApply make it return an error, as does
// a Delay whose request context ends first (the context's error).
func (s *Server) Responder() httpmock.Responder { return s.kit.Responder() }

// serve answers a request that no fault stopped.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, c fakekit.Call) {
	switch {
	case c.TooLarge:
		fakekit.WriteJSON(w, http.StatusRequestEntityTooLarge, nil,
			exceptionDetail(http.StatusRequestEntityTooLarge, CodeRequestTooLarge, "Request body too large")) // fake's choice
	case path.Clean(r.URL.Path) != r.URL.Path:
		// Doubled and trailing slashes were already routed as the canonical
		// path (fakekit); what is left are dot segments, which a ServeMux
		// would redirect: answered 404 (fake's choice).
		s.notFound(w, r)
	default:
		s.mux.ServeHTTP(w, r)
	}
}

// statusFault answers a Status fault with an ExceptionDetail.
func statusFault(w http.ResponseWriter, status int, message string) {
	fakekit.WriteJSON(w, status, nil, exceptionDetail(status, CodeInjectedFault, message))
}

// operationOf maps a request line to its operationId, or "".
func operationOf(method, p string) string {
	switch {
	case method == http.MethodPost && p == pathGetAccessToken:
		return opGetAccessToken
	case (method == http.MethodGet || method == http.MethodHead) && p == pathGetCurrentUser:
		return opGetCurrentUser
	case (method == http.MethodGet || method == http.MethodHead) && p == pathCSRFToken:
		return OpCSRFToken
	}
	return ""
}

// allowedMethods returns the methods a known path accepts, or "".
func allowedMethods(p string) string {
	switch p {
	case pathGetAccessToken:
		return http.MethodPost
	case pathGetCurrentUser, pathCSRFToken:
		return "GET, HEAD"
	}
	return ""
}
