package oracle

import (
	"context"
	"fmt"
	"io"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

// Tokens issues access tokens under an authenticated session: the token
// management Oracle offers. It implements tokenkit.Issuer only: Oracle
// documents no call that lists or revokes tokens (an OCM token lives until
// it expires). Build it with Client.Tokens.
type Tokens struct {
	c    *Client
	auth tokenkit.TokenSource
}

var _ tokenkit.Issuer = (*Tokens)(nil)

// Tokens returns the token management of the session auth hands out (a
// *tokenkit.Source such as PasswordSource, or tokenkit.StaticSource of a
// token you hold). A nil auth is an error matching tokenkit.ErrInvalidInput.
func (c *Client) Tokens(auth tokenkit.TokenSource) (*Tokens, error) {
	if auth == nil {
		return nil, c.tx.InvalidInput("Tokens", "auth: no token source")
	}
	return &Tokens{c: c, auth: auth}, nil
}

// String describes the token management without its session's token.
func (t *Tokens) String() string { return "oracle.Tokens{" + t.c.base + "}" }

// GoString is String, for %#v.
func (t *Tokens) GoString() string { return t.String() }

// Format writes String for every verb.
func (t *Tokens) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// Issue returns a new access token for the session's user, by presenting
// the session's token to the token call (as RenewAccessToken does). Oracle's
// token call takes no name, lifetime or scope, and the new token lives as
// long as the instance decides (14 days in Oracle's example): a request with
// a Lifetime or Scopes is an error matching tokenkit.ErrInvalidInput naming
// the field, and nothing is sent; req.Name, a mere label, is dropped. The
// session's token keeps working until it expires.
func (t *Tokens) Issue(ctx context.Context, req tokenkit.IssueRequest) (tokenkit.Token, error) {
	const op = "Issue"
	if req.Lifetime != 0 {
		return nil, t.c.tx.InvalidInput(op, "IssueRequest.Lifetime: Oracle access tokens live as long as the instance decides")
	}
	if len(req.Scopes) > 0 {
		return nil, t.c.tx.InvalidInput(op, "IssueRequest.Scopes: Oracle access tokens take no scopes")
	}
	cur, err := t.auth.Token(ctx)
	if err != nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: op, Message: "getting the session token", Err: err}
	}
	return httpx.AsToken(t.c.renew(ctx, op, cur))
}
