package csp

import (
	"context"

	"github.com/tokenkit/tokenkit"
)

var _ tokenkit.Checker = (*Client)(nil)

// Check verifies an access token (Verify, with no extra checks), for
// tokenkit.Checker: a nil error means it is signed by CSP and unexpired (the
// result carries its username, or its subject, and its expiry); a token that
// fails verification is an error matching ErrInvalidToken, for which
// tokenkit.Rejected reports true; any other error (the key set could not be
// fetched) means the check could not tell.
//
// CSP documents no introspection of access tokens: a revoked token whose
// signature and expiry are good passes. APITokenDetails describes an API
// token (the credential an access token is exchanged from), not an access
// token, so it is no check of one.
func (c *Client) Check(ctx context.Context, tok tokenkit.Token) (*tokenkit.CheckResult, error) {
	const op = "Check"
	if tok == nil {
		return nil, c.tx.InvalidInput(op, "no token to check")
	}
	cl, err := c.verify(ctx, op, tokenkit.Secret(tok.Value()), nil)
	if err != nil {
		return nil, err
	}
	sub := cl.Username
	if sub == "" {
		sub = cl.Subject
	}
	return &tokenkit.CheckResult{Subject: sub, ExpiresAt: cl.ExpiresAt}, nil
}
