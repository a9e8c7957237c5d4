package tokenkit

import (
	"context"

	"golang.org/x/oauth2"
)

// OAuth2TokenSource adapts src to golang.org/x/oauth2.TokenSource, so that any
// library that takes one (gRPC credentials, oauth2.NewClient, cloud SDKs)
// works with every vendor. oauth2's TokenSource has no context; ctx is used
// for every call, so pass one that lives as long as the adapter.
//
// An oauth2.Token is always presented as "Authorization: <type> <value>": the
// type is the token's own when it has a TokenType() string method, else
// "Bearer". A vendor header such as csp-auth-token is lost; use Transport to
// keep it.
func OAuth2TokenSource(ctx context.Context, src TokenSource) oauth2.TokenSource {
	return &oauth2Source{ctx: ctx, src: src}
}

type oauth2Source struct {
	ctx context.Context
	src TokenSource
}

func (o *oauth2Source) Token() (*oauth2.Token, error) {
	t, err := o.src.Token(o.ctx)
	if err != nil {
		return nil, err
	}
	typ := "Bearer"
	if tt, ok := t.(interface{ TokenType() string }); ok && tt.TokenType() != "" {
		typ = tt.TokenType()
	}
	return &oauth2.Token{AccessToken: t.Value(), TokenType: typ, Expiry: t.Expiry()}, nil
}
