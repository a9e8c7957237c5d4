// Package xoauth2 adapts tokenkit's token sources to golang.org/x/oauth2, so
// that any library that takes an oauth2.TokenSource (gRPC credentials,
// oauth2.NewClient, cloud SDKs) works with every vendor whose token is
// presented in the Authorization header.
//
// It lives apart from the root package so that importing tokenkit does not
// import golang.org/x/oauth2.
//
//	ts := xoauth2.TokenSource(ctx, src)
//	hc := oauth2.NewClient(ctx, ts)
//
// An oauth2.Token can only be sent as "Authorization: <type> <value>". A
// token that presents itself in another header (Commvault's Authtoken,
// Canvus's Private-Token, CSP's csp-auth-token alone) gives an error of kind
// tokenkit.KindConfig instead of a request the server would refuse: use
// tokenkit.Transport for those.
package xoauth2

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tokenkit/tokenkit"
)

// TokenSource returns src as an oauth2.TokenSource. oauth2's TokenSource has
// no context: ctx is used for every call, so pass one that lives as long as
// the adapter. The token type is the scheme the token itself puts in the
// Authorization header ("Bearer" for most).
func TokenSource(ctx context.Context, src tokenkit.TokenSource) oauth2.TokenSource {
	return &source{ctx: ctx, src: src}
}

type source struct {
	ctx context.Context
	src tokenkit.TokenSource
}

// Token returns the current token of the source as an oauth2.Token.
func (s *source) Token() (*oauth2.Token, error) {
	t, err := s.src.Token(s.ctx)
	if err != nil {
		return nil, err
	}
	probe := &http.Request{Header: http.Header{}, URL: &url.URL{}}
	t.SetAuthHeader(probe)
	scheme, value, ok := strings.Cut(probe.Header.Get("Authorization"), " ")
	if !ok || value != t.Value() || scheme == "" {
		return nil, &tokenkit.Error{Vendor: "tokenkit", Op: "xoauth2.TokenSource",
			Message: "the token is not presented as \"Authorization: <scheme> <token>\", which is all an oauth2.Token can carry: use tokenkit.Transport",
			Err:     tokenkit.ErrConfig}
	}
	return &oauth2.Token{AccessToken: t.Value(), TokenType: scheme, Expiry: t.Expiry()}, nil
}
