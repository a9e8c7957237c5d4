package oracletest

import (
	"net/http"
	"path"

	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
)

// serve answers a request that no fault stopped.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, c fakes.Call) {
	switch {
	case c.TooLarge:
		fakekit.WriteJSON(w, http.StatusRequestEntityTooLarge, nil,
			exceptionDetail(http.StatusRequestEntityTooLarge, CodeRequestTooLarge, "Request body too large")) // fake's choice
	case path.Clean(r.URL.Path) != r.URL.Path:
		// Doubled and trailing slashes were already routed as the canonical
		// path (fakes.Server); what is left are dot segments, which a ServeMux
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
