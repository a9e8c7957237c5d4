package commvault

import "context"

// This file gives the external tests (package commvault_test) the unexported
// rotator behind AccessTokenExchanger, Renew and AccessTokenSource, so that
// they can test its serialisation directly.

// NewRotatorForTest returns a rotator of c whose current pair is cur.
func NewRotatorForTest(c *Client, cur *AccessToken) *rotator {
	return c.newRotator("RenewAccessToken", cur)
}

// Renew is renew.
func (r *rotator) Renew(ctx context.Context, seen *AccessToken) (*AccessToken, error) {
	return r.renew(ctx, seen)
}

// Current is current.
func (r *rotator) Current() *AccessToken { return r.current() }

// Err is err.
func (r *rotator) Err() error { return r.err() }

// Replace is replace.
func (r *rotator) Replace(tok *AccessToken) { r.replace(tok) }
