package commvaulttest

import (
	"net/http"
	"path"
	"strconv"

	"github.com/tokenkit/tokenkit/commvault/internal/api"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// serve answers a request that no fault stopped, on either base path.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, c fakes.Call) {
	switch {
	case c.TooLarge:
		fakekit.WriteJSON(w, http.StatusRequestEntityTooLarge, nil, errorBody(codeInvalidRequest, "Request body too large")) // fake's choice
	case path.Clean(r.URL.Path) != r.URL.Path:
		// Doubled and trailing slashes were already routed as the canonical
		// path (fakes.Server); what is left are dot segments, which a ServeMux
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
