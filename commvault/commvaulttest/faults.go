package commvaulttest

import (
	"net/http"
	"path"
	"strconv"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit/commvault/internal/api"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// FailNext queues f for the next n requests, whatever their operation.
// Faults are applied in the order they were queued. A faulted request counts
// in Calls and TotalCalls and is recorded.
//
// In this fake, Status answers Commvault's {errorMessage, errorCode} body
// (errorCode is the status), without acting; Malformed answers 200 with
// truncated JSON; HTML answers Status (default 503) with a text/html page, as
// a proxy in front of Command Center does; DropAfterApply applies the
// request (its state change counts in Applied) and loses the answer.
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

// Requests returns every request received so far, in arrival order, as
// fresh copies.
func (s *Server) Requests() []fakes.RecordedRequest { return s.kit.Requests() }

// Responder returns the fake as an httpmock.Responder: the same state,
// faults, counters and recording, in process. Drop and DropAfterApply make it
// return an error (after applying the request, for DropAfterApply).
func (s *Server) Responder() httpmock.Responder { return s.kit.Responder() }

// serve answers a request that no fault stopped, on either base path.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, c fakekit.Call) {
	switch {
	case c.TooLarge:
		fakekit.WriteJSON(w, http.StatusRequestEntityTooLarge, nil, errorBody(codeInvalidRequest, "Request body too large")) // fake's choice
	case path.Clean(r.URL.Path) != r.URL.Path:
		// Doubled and trailing slashes were already routed as the canonical
		// path (fakekit); what is left are dot segments, which a ServeMux
		// would redirect: answered 404 (fake's choice).
		s.notFound(w, r)
	default:
		s.mux.ServeHTTP(w, r)
	}
}

// statusFault answers a Status fault with Commvault's error body.
func statusFault(w http.ResponseWriter, status int, message string) {
	fakekit.WriteJSON(w, status, nil, errorBody(int32(status), message))
}

// htmlPage is the error page of an HTML fault.
func htmlPage(status int) string {
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	return "<!DOCTYPE html>\n<html><head><title>" + text + "</title></head>\n" +
		"<body><h1>" + text + "</h1><hr>commvaulttest</body></html>\n"
}

// errorBody is Commvault's top-level error shape.
func errorBody(code int32, message string) api.ErrorResponse {
	return api.ErrorResponse{ErrorCode: ptr.To(code), ErrorMessage: ptr.To(message)}
}
