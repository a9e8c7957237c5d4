package commvault

import (
	"context"
	"net/http"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// User is the user a token belongs to, as WhoAmI names them.
type User struct {
	// Name is the user name; always set.
	Name string
	// ID is the user id (the userId of the access-token calls), if the
	// server sent it.
	ID int64
	// GUID is the user's GUID, if the server sent it.
	GUID string
}

// WhoAmI checks a token and names its user (POST /WhoAmI, the call
// Commvault's Python SDK makes to validate a token it was given instead of
// logging in). auth may supply a login session (a *Session or a
// SessionSource) or an access token (an *AccessToken or an
// AccessTokenSource); the token is presented as it always is.
//
// A token the server does not accept is a *tokenkit.Error matching
// tokenkit.ErrUnauthorized (HTTP 401) or, when the server reports the
// failure inside HTTP 200 with a non-zero errorCode, tokenkit.ErrInvalidCredential.
// When auth is a source that can invalidate (a SessionSource), a 401 first
// makes it fetch a fresh token and the check is sent once more, as for every
// call of this package. The call changes nothing and is retried like a GET.
func (c *Client) WhoAmI(ctx context.Context, auth tokenkit.TokenSource) (*User, error) {
	return c.whoAmI(ctx, "WhoAmI", auth)
}

// whoAmI is WhoAmI under the name of the method the caller called.
func (c *Client) whoAmI(ctx context.Context, opName string, auth tokenkit.TokenSource) (*User, error) {
	if auth == nil {
		return nil, c.tx.InvalidInput(opName, "no token to check")
	}
	op := &httpx.Op{Name: opName, Class: httpx.Idempotent, Auth: auth}
	res, err := httpx.Run(ctx, c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.WhoAmI(ctx)
	})
	if err != nil {
		return nil, err
	}
	if err := c.checked(op, res, true); err != nil {
		return nil, err
	}
	r, err := httpx.Decode[api.WhoAmIResult](c.tx, op, res)
	if err != nil {
		return nil, err
	}
	if r.User == nil || strings.TrimSpace(ptr.Deref(r.User.UserName)) == "" {
		return nil, c.missing(op, res, "whoami answer names no user")
	}
	return &User{
		Name: strings.TrimSpace(*r.User.UserName),
		ID:   ptr.Deref(r.User.UserId),
		GUID: ptr.Deref(r.User.UserGUID),
	}, nil
}
