package canvustest

import (
	"context"
	"net/http"
	"path"
	"strings"

	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/fakekit"
)

// subscription reports whether r opens a stream (GET …?subscribe).
func subscription(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Query().Has("subscribe")
}

// reqInfo carries what the strict handlers need from the raw request.
type reqInfo struct {
	token string // Private-Token
	body  []byte
}

type reqInfoKey struct{}

func infoFrom(ctx context.Context) reqInfo {
	ri, _ := ctx.Value(reqInfoKey{}).(reqInfo)
	return ri
}

// serve answers a request that no fault stopped.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, c fakes.Call) {
	// The vendor docs write a bare ?subscribe, public clients send
	// ?subscribe=true: the fake accepts both.
	if q := r.URL.Query(); q.Has("subscribe") && q.Get("subscribe") == "" {
		q.Set("subscribe", "true")
		r.URL.RawQuery = q.Encode()
	}
	r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, reqInfo{token: r.Header.Get("Private-Token"), body: c.Body}))
	switch escaped := r.URL.EscapedPath(); {
	case c.TooLarge:
		s.writeError(w, http.StatusRequestEntityTooLarge, "Request body too large") // fake's choice
	case path.Clean(escaped) != escaped:
		// Doubled and trailing slashes were already routed as the canonical
		// path (fakes.Server); a client that builds "/../" paths should notice
		// (fake's choice; a ServeMux would redirect).
		s.writeError(w, http.StatusNotFound, "Not found")
	default:
		s.mux.ServeHTTP(w, r)
	}
}

// operation maps a request to its operation id, or "". It reads the path
// as sent, so that a token id containing %2F stays one segment.
func operation(r *http.Request) string { return operationOf(r.Method, r.URL.EscapedPath()) }

// operationOf maps a request line to its operation id, or "".
func operationOf(method, escaped string) string {
	rest, ok := strings.CutPrefix(escaped, APIPath+"/")
	if !ok {
		return ""
	}
	seg := strings.Split(rest, "/")
	switch {
	case len(seg) == 1 && seg[0] == "server-info" && method == http.MethodGet:
		return OpGetServerInfo
	case len(seg) == 2 && seg[0] == "users" && seg[1] == "login" && method == http.MethodPost:
		return OpLogin
	case len(seg) == 2 && seg[0] == "users" && seg[1] == "logout" && method == http.MethodPost:
		return OpLogout
	case len(seg) == 3 && seg[0] == "users" && seg[2] == "access-tokens":
		switch method {
		case http.MethodGet:
			return OpListAccessTokens
		case http.MethodPost:
			return OpCreateAccessToken
		}
	case len(seg) == 4 && seg[0] == "users" && seg[2] == "access-tokens" && seg[3] != "":
		switch method {
		case http.MethodGet:
			return OpGetAccessToken
		case http.MethodPatch:
			return OpRenameAccessToken
		case http.MethodDelete:
			return OpDeleteAccessToken
		}
	}
	return ""
}

// errorBody is the fake's error shape: {"msg": …}, or {"message": …} with
// SetLegacyErrors.
func (s *Server) errorBody(msg string) map[string]string {
	s.mu.Lock()
	legacy := s.legacy
	s.mu.Unlock()
	if legacy {
		return map[string]string{"message": msg}
	}
	return map[string]string{"msg": msg}
}

// writeError answers status with the fake's error shape. It also answers
// Status faults.
func (s *Server) writeError(w http.ResponseWriter, status int, msg string) {
	fakekit.WriteJSON(w, status, nil, s.errorBody(msg))
}
