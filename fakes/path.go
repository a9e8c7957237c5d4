package fakes

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// StrictPaths makes the fake refuse a request whose path has a doubled or
// trailing slash instead of routing it as the canonical path, as the real
// server does: it answers 404 with the vendor's error body, counts it under
// the operation "", and reports it to t with Errorf, so that a test fails
// even when the client swallows the 404. tokenkit's own tests use it to
// catch the SDK if it ever builds such a path; tests of clients that do
// (see Canonical) keep the default, lenient mode. A nil t restores that
// mode.
func (s *Server) StrictPaths(t testing.TB) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.strict = t
}

// Canonical returns the escaped path p with every run of slashes collapsed
// to one and a trailing slash removed (the root "/" stays), and whether that
// changed p. Percent-encoded slashes (%2F) are data, not separators, and
// stay as they are; dot segments are left to the fake.
//
// Widely used clients join a base URL that ends in "/" with a path that
// starts with "/": Commvault's Python SDK (Commvault/cvpysdk:
// cvpysdk/services.py, base ".../commandcenter/api/" and templates
// "{0}/V4/AccessToken") sends ".../api//V4/AccessToken" and lists with
// ".../V4/AccessToken/?userId=N"; CSP clients with a base ending in "/" send
// "//csp/gateway/...". The vendors' servers answer these as the canonical
// path, with no redirect (a 301 would turn a POST into a bodiless GET, and
// net/http's ServeMux answers exactly that), so the fakes do too.
func Canonical(p string) (string, bool) {
	if !strings.Contains(p, "//") && (len(p) <= 1 || !strings.HasSuffix(p, "/")) {
		return p, false
	}
	b := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && len(b) > 0 && b[len(b)-1] == '/' {
			continue
		}
		b = append(b, p[i])
	}
	out := string(b)
	if len(out) > 1 {
		out = strings.TrimSuffix(out, "/")
	}
	return out, out != p
}

// canonicalize rewrites r's path to its Canonical form. It reports false,
// leaving r as it is, when the path was already canonical.
func canonicalize(r *http.Request) bool {
	escaped := r.URL.EscapedPath()
	c, changed := Canonical(escaped)
	if !changed {
		return false
	}
	p, err := url.PathUnescape(c)
	if err != nil {
		return false // the router answers an undecodable path as it would
	}
	r.URL.Path, r.URL.RawPath = p, c
	if r.URL.EscapedPath() != c {
		r.URL.RawPath = ""
	}
	return true
}
