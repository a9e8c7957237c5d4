package tokenkit

import (
	"errors"
	"io"
	"net/http"
)

// Transport is an http.RoundTripper that authenticates every request with a
// token from Source. It clones each request and presents the token with the
// token's own SetAuthHeader, so the header is the vendor's (Authorization,
// Authtoken, Private-Token, csp-auth-token, …).
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
	return t.base().RoundTrip(second)
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
// sent through base (nil means http.DefaultTransport).
func NewClient(src TokenSource, base http.RoundTripper) *http.Client {
	return &http.Client{Transport: &Transport{Source: src, Base: base}}
}
