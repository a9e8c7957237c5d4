package tokenkit

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Transport is an http.RoundTripper that authenticates every request with a
// token from Source. It clones each request and presents the token with the
// token's own SetAuthHeader, so the header is the vendor's (Authorization,
// Authtoken, Private-Token, csp-auth-token, …).
//
// A credential belongs to its origin. Transport attaches the token only:
//
//   - over https, or over plain http to a loopback host (localhost,
//     127.0.0.0/8, ::1), unless AllowPlainHTTP is set; any other plain-http
//     request is refused before anything is sent, with an error matching
//     ErrInsecureTransport;
//   - to the first request of a chain of redirects, and to each later hop
//     whose scheme, host and port equal that first request's. A hop to
//     another origin (another host, another port, https → http) is sent
//     without the token. The chain is read from the hop's Request.Response,
//     which net/http's Client sets on every redirect; a hop whose chain
//     cannot be read gets no token either.
//
// When the server answers 401, Transport invalidates that token (if Source is
// an Invalidator, as *Source is) and resends the request once with a fresh
// token, but only when the body can be replayed: no body, http.NoBody, or a
// request with GetBody (http.NewRequest sets it for bytes and strings
// readers). Otherwise the 401 is returned as it is.
type Transport struct {
	// Source supplies the token; required.
	Source TokenSource
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// AllowPlainHTTP lets the token travel over plain http to hosts that
	// are not loopback, in clear text on the network: only for a network
	// you trust end to end (a sidecar, a service mesh that encrypts). The
	// origin rule still applies.
	AllowPlainHTTP bool
	// Observer receives an EventResend for every request resent after a
	// 401 (see Observer), with the request's context. When it is nil and
	// Source is a *Source, the Source's observers (SourceConfig.Observer
	// and Logger) receive it.
	Observer Observer
}

// ErrNoSource is returned by a Transport without a Source.
var ErrNoSource = errors.New("tokenkit: Transport has no Source")

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Source == nil {
		closeRequestBody(req)
		return nil, ErrNoSource
	}
	if req.Response != nil {
		// A redirect hop: the token goes only back to the first request's
		// origin.
		first := firstOfChain(req)
		if first == nil || !sameOrigin(first.URL, req.URL) {
			return t.base().RoundTrip(req)
		}
	}
	if req.URL.Scheme != "https" && !t.AllowPlainHTTP && !isLoopbackHost(req.URL.Hostname()) {
		closeRequestBody(req)
		return nil, &Error{Vendor: "tokenkit", Op: "Transport",
			Message: "refusing to send a credential over plain " + req.URL.Scheme + " to " + req.URL.Hostname() +
				": use https (or set Transport.AllowPlainHTTP for a network you trust)",
			Err: ErrInsecureTransport}
	}
	ctx := req.Context()
	tok, err := t.Source.Token(ctx)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	first := withHeaderCopy(req)
	tok.SetAuthHeader(first)
	resp, err := t.base().RoundTrip(first)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	inv, ok := t.Source.(Invalidator)
	if !ok {
		return resp, nil
	}
	inv.Invalidate(tok)
	if !replayable(req) {
		return resp, nil
	}
	fresh, err := t.Source.Token(ctx)
	if err != nil || sameToken(fresh, tok) {
		return resp, nil
	}
	second := withHeaderCopy(req)
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		second.Body = body
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
	fresh.SetAuthHeader(second)
	t.observeResend(ctx)
	return t.base().RoundTrip(second)
}

func (t *Transport) observeResend(ctx context.Context) {
	obs := t.Observer
	e := Event{Type: EventResend, Status: http.StatusUnauthorized, Kind: KindUnauthorized}
	if s, ok := t.Source.(*Source); ok {
		e.Vendor, e.Op, e.Source = s.cfg.Vendor, s.cfg.Name, s
		if obs == nil {
			obs = s.obs
		}
	}
	if obs != nil {
		obs.Observe(ctx, e)
	}
}

// firstOfChain returns the first request of req's chain of redirects, or
// nil when a link is missing (a RoundTripper that does not set
// Response.Request).
func firstOfChain(req *http.Request) *http.Request {
	for i := 0; req != nil && req.Response != nil; i++ {
		if i > 100 {
			return nil // net/http stops at 10 redirects; this is no chain
		}
		req = req.Response.Request
	}
	if req == nil || req.URL == nil {
		return nil
	}
	return req
}

// sameOrigin reports whether a and b have the same scheme, host and port
// (a missing port is the scheme's default).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// withHeaderCopy returns a shallow copy of req with its own Header, sized
// for the auth header about to be added: all a RoundTripper needs to add a
// header without modifying the caller's request, at a fraction of the
// allocations of req.Clone (which also deep-copies the URL, form and
// trailers that are not changed here).
func withHeaderCopy(req *http.Request) *http.Request {
	r := new(http.Request)
	*r = *req
	h := make(http.Header, len(req.Header)+2)
	for k, v := range req.Header {
		h[k] = v // the value slices are shared; Set replaces, never appends
	}
	r.Header = h
	return r
}

func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// NewClient returns an *http.Client whose requests carry tokens from src,
// sent through base (nil means http.DefaultTransport). It follows redirects
// as net/http does, and the token goes only to the origin of the first
// request (see Transport); plain http is refused except to loopback hosts.
// For other settings, build the client around a Transport yourself.
func NewClient(src TokenSource, base http.RoundTripper) *http.Client {
	return &http.Client{Transport: &Transport{Source: src, Base: base}}
}
