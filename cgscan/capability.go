package cgscan

import (
	"context"

	"github.com/tokenkit/tokenkit"
)

var (
	_ tokenkit.Checker    = (*Client)(nil)
	_ tokenkit.Identified = (*AccessToken)(nil)
)

// TokenID returns CurrentAccessToken, the id Tokens.Revoke takes, for
// tokenkit.Identified: the API names no token by id and revokes only the
// user's current access token, which is this one until another is
// generated.
func (t *AccessToken) TokenID() string { return CurrentAccessToken }

// Check asks the API whether tok works (CheckToken), for tokenkit.Checker: a
// nil error means it does (the result's Subject is the user name, if the
// answer says); a token the API calls invalid, or answers 401 for, is an
// error matching tokenkit.ErrInvalidCredential, for which tokenkit.Rejected
// reports true (note that a wrong API key answers 401 too); any other error
// means the check could not tell. tok may be a *Session or an *AccessToken.
func (c *Client) Check(ctx context.Context, tok tokenkit.Token) (*tokenkit.CheckResult, error) {
	const name = "Check"
	st, err := c.checkToken(ctx, name, tok)
	if err != nil {
		return nil, err
	}
	if !st.Valid {
		msg := "the API says the token is not valid"
		if st.Message != "" {
			msg += ": " + st.Message
		}
		return nil, &tokenkit.Error{Vendor: vendor, Op: name, Message: msg, Err: tokenkit.ErrInvalidCredential}
	}
	return &tokenkit.CheckResult{Subject: st.Username}, nil
}
