package oracle

import (
	"context"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

var (
	_ tokenkit.Checker = (*Client)(nil)
	_ tokenkit.Renewer = (*Client)(nil)
)

// Check asks the instance whether tok works (CurrentUser, GET
// /system/api/v1/me, presenting tok alone), for tokenkit.Checker: a nil
// error means it does (the result's Subject is the user's e-mail address);
// a refused token is an error for which tokenkit.Rejected reports true
// (HTTP 401); any other error means the check could not tell.
func (c *Client) Check(ctx context.Context, tok tokenkit.Token) (*tokenkit.CheckResult, error) {
	const op = "Check"
	if tok == nil || tok.Value() == "" {
		return nil, c.tx.InvalidInput(op, "no token to check")
	}
	u, err := c.currentUser(ctx, op, tokenkit.StaticSource(tok), UserQuery{})
	if err != nil {
		return nil, err
	}
	return &tokenkit.CheckResult{Subject: u.Email}, nil
}

// Renew is RenewAccessToken, for tokenkit.Renewer: it returns a new access
// token for the user of tok (an *AccessToken, or any token the instance
// accepts). Oracle revokes nothing: tok keeps working until it expires.
func (c *Client) Renew(ctx context.Context, tok tokenkit.Token) (tokenkit.Token, error) {
	return httpx.AsToken(c.renew(ctx, "Renew", tok))
}
