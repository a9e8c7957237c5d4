package csptest

import (
	"net/http"
	"path"
	"strings"

	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
)

// serve answers a request that no fault stopped.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, c fakes.Call) {
	switch {
	case c.TooLarge:
		fakekit.WriteJSON(w, http.StatusRequestEntityTooLarge, nil,
			cspError(http.StatusRequestEntityTooLarge, "payload_too_large", "Request body too large", false)) // fake's choice
	case path.Clean(r.URL.Path) != r.URL.Path:
		// Doubled and trailing slashes were already routed as the canonical
		// path (fakes.Server); what is left are dot segments, which a ServeMux
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
