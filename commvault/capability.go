package commvault

import (
	"context"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

var (
	_ tokenkit.Checker = (*Client)(nil)
	_ tokenkit.Renewer = (*Client)(nil)
)

// Check asks the server whether tok works (WhoAmI, presenting tok alone), for
// tokenkit.Checker: a nil error means it does and the result names its user;
// a refused token is an error for which tokenkit.Rejected reports true; any
// other error means the check could not tell. tok may be a *Session or an
// *AccessToken.
func (c *Client) Check(ctx context.Context, tok tokenkit.Token) (*tokenkit.CheckResult, error) {
	if tok == nil {
		return nil, c.tx.InvalidInput("Check", "no token to check")
	}
	u, err := c.whoAmI(ctx, "Check", tokenkit.StaticSource(tok))
	if err != nil {
		return nil, err
	}
	return &tokenkit.CheckResult{Subject: u.Name}, nil
}

// Renew renews an *AccessToken pair, for tokenkit.Renewer, and returns the
// new pair; the old one is spent. The renewal runs detached from ctx once
// sent (bounded by DefaultRenewTimeout), so that giving up cannot turn it
// into a renewal of unknown outcome; but Renew does not serialise renewals
// across calls: renewing the same pair twice makes Commvault delete the
// whole chain, so a pair that several goroutines share belongs in an
// AccessTokenSource (or AccessTokenExchanger). Any other token is an error
// matching tokenkit.ErrInvalidInput.
func (c *Client) Renew(ctx context.Context, tok tokenkit.Token) (tokenkit.Token, error) {
	at, ok := tok.(*AccessToken)
	if !ok || at == nil {
		return nil, c.tx.InvalidInput("Renew", "only a *commvault.AccessToken can be renewed, got %T", tok)
	}
	return httpx.AsToken(c.newRotator("Renew", at).renew(ctx, at))
}
