package tokenkit

import (
	"context"
	"time"
)

// Exchanger trades a credential it was built with (an API token, a refresh
// token, a password, client credentials) for an access token. Its Exchange
// method has the shape of a FetchFunc, so NewSource(e.Exchange, …) caches it.
type Exchanger interface {
	Exchange(ctx context.Context) (Token, error)
}

// Issuer creates a new long-lived token under an authenticated session.
type Issuer interface {
	Issue(ctx context.Context, req IssueRequest) (Token, error)
}

// Revoker revokes or deletes a token by the id the vendor gives it (see
// TokenInfo.ID). Vendors that revoke only the current token document what id
// they accept.
type Revoker interface {
	Revoke(ctx context.Context, id string) error
}

// Identified is implemented by issued tokens that carry the id their vendor's
// Revoker (and TokenInfo.ID) uses, so that code written against the
// interfaces can revoke what it issued without listing first.
type Identified interface {
	TokenID() string
}

// Lister lists the tokens of the authenticated user, without their secrets.
type Lister interface {
	List(ctx context.Context) ([]TokenInfo, error)
}

// IssueRequest describes a token to issue. Vendors ignore the fields they do
// not support and document which ones they use.
type IssueRequest struct {
	// Name is a label or description for the token.
	Name string
	// Lifetime asks for an expiry this far from now; zero leaves the
	// vendor's default.
	Lifetime time.Duration
	// Scopes narrows what the token may do, in the vendor's own terms.
	Scopes []string
}

// TokenInfo describes a token without its secret, as a Lister returns it.
type TokenInfo struct {
	ID         string
	Name       string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never expires or unknown
	LastUsedAt time.Time // zero: unknown
	Scopes     []string
}
