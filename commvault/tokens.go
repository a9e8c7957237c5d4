package commvault

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

// Tokens manages V4 access tokens under a login session through the
// vendor-neutral interfaces tokenkit.Issuer, tokenkit.Lister and
// tokenkit.Revoker. Build it with Client.Tokens.
type Tokens struct {
	c    *Client
	auth tokenkit.TokenSource

	// UserID is whose tokens List lists; zero sends none (the session's
	// own). Set it before sharing the Tokens between goroutines.
	UserID int64
	// Template is the CreateRequest Issue starts from: its Type,
	// AllowedIPs, UserID, … apply to every issued token (Issue sets Name,
	// and from the IssueRequest APIEndpoints and the times). Set it before
	// sharing the Tokens between goroutines.
	Template CreateRequest
}

var (
	_ tokenkit.Issuer  = (*Tokens)(nil)
	_ tokenkit.Lister  = (*Tokens)(nil)
	_ tokenkit.Revoker = (*Tokens)(nil)
)

// Tokens returns the token manager of the user whose login sessions auth
// supplies: a *Session, or a SessionSource, which logs in again by itself
// when the session expires (Commvault does not let an access token manage
// access tokens). A nil auth is an error matching tokenkit.ErrInvalidInput.
func (c *Client) Tokens(auth tokenkit.TokenSource) (*Tokens, error) {
	if auth == nil {
		return nil, c.tx.InvalidInput("Tokens", "no login session: give a *Session or a SessionSource")
	}
	return &Tokens{c: c, auth: auth}, nil
}

// client returns the client, or an error for a Tokens not built by
// Client.Tokens.
func (m *Tokens) client(opName string) (*Client, error) {
	if m == nil || m.c == nil || m.auth == nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: opName, Message: "Tokens not built by Client.Tokens", Err: tokenkit.ErrInvalidInput}
	}
	return m.c, nil
}

// Issue creates an access token (CreateAccessToken). Name, which Commvault
// requires, becomes the token name; Scopes, if any, make it a CUSTOM token
// limited to those API endpoints; Lifetime, if set, becomes the
// renewable-until time of a renewable type (the end of its chain: each
// access token of it still expires after its own, shorter, lifetime), or
// the expiry of an MS_SCIM or OneTouch token. The result is an
// *AccessToken, whose TokenID is the id Revoke takes.
func (m *Tokens) Issue(ctx context.Context, req tokenkit.IssueRequest) (tokenkit.Token, error) {
	const opName = "Issue"
	c, err := m.client(opName)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Name) == "" {
		return nil, c.tx.InvalidInput(opName, "IssueRequest.Name: Commvault requires a token name")
	}
	if req.Lifetime < 0 {
		return nil, c.tx.InvalidInput(opName, "IssueRequest.Lifetime: negative lifetime")
	}
	cr := m.Template
	cr.Name = req.Name
	cr.APIEndpoints = slices.Clone(cr.APIEndpoints)
	cr.AllowedIPs = slices.Clone(cr.AllowedIPs)
	if len(req.Scopes) > 0 {
		cr.Type = TokenTypeCustom
		cr.APIEndpoints = slices.Clone(req.Scopes)
	}
	if req.Lifetime > 0 {
		until := c.tx.Now().Add(req.Lifetime)
		if cr.Type.Renewable() {
			cr.RenewableUntil = until
		} else {
			cr.ExpiresAt = until
		}
	}
	return httpx.AsToken(c.createAccessToken(ctx, opName, m.auth, cr))
}

// List lists the tokens of UserID (ListAccessTokens).
func (m *Tokens) List(ctx context.Context) ([]tokenkit.TokenInfo, error) {
	const opName = "List"
	c, err := m.client(opName)
	if err != nil {
		return nil, err
	}
	list, err := c.listAccessTokens(ctx, opName, m.auth, m.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]tokenkit.TokenInfo, 0, len(list))
	for _, i := range list {
		out = append(out, i.TokenInfo())
	}
	return out, nil
}

// Revoke deletes the token with this id (DeleteAccessToken; the decimal
// accessTokenId, as TokenInfo.ID and AccessToken.TokenID give it).
func (m *Tokens) Revoke(ctx context.Context, id string) error {
	const opName = "Revoke"
	c, err := m.client(opName)
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil || n <= 0 {
		return c.tx.InvalidInput(opName, "token id %q is not a positive integer", id)
	}
	return c.deleteAccessToken(ctx, opName, m.auth, n)
}

// String describes the manager without its login session.
func (m Tokens) String() string {
	return fmt.Sprintf("commvault.Tokens{UserID: %d, Template: %+v}", m.UserID, m.Template)
}

// GoString is String, for %#v.
func (m Tokens) GoString() string { return m.String() }

// Format writes String for every verb: fmt cannot call the session's own
// Format on an unexported field, so the manager formats itself.
func (m Tokens) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, m.String()) }
