package cgscantest

import (
	"maps"
	"net/http"

	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
)

// operation maps a request to its operation, honouring SetPath.
func (s *Server) operation(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.operationOf(r.Method, r.URL.Path)
}

// serve checks the route, the body size and the API key of a request that no
// fault stopped, and hands it to the router.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, c fakes.Call) {
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
