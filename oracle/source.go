package oracle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

// RefreshTokenRequest says how the refresh-token flow (RefreshTokenExchanger,
// RefreshTokenSource) obtains access tokens. Set RefreshToken, Credentials,
// or both.
type RefreshTokenRequest struct {
	// RefreshToken is the refresh token to start with, for example one
	// from an earlier run. A RefreshTokenSource whose SourceConfig.Initial
	// is an *AccessToken with a RefreshToken starts with that one instead:
	// it is what SourceConfig.Save persisted, the newest.
	RefreshToken tokenkit.Secret
	// Credentials, if set, are the fallback: the flow signs in with them
	// (ExchangePassword) when it holds no refresh token or when the
	// instance refuses the one it holds, and adopts the refresh token the
	// sign-in returns.
	Credentials *Credentials
	// RenewWithAccessToken, when no refresh token works, first tries to
	// renew the last access token while it is still valid (the token
	// presented by its SetAuthHeader, no body), as Oracle's own toolkit
	// does, before falling back to Credentials. Off by default: whether a
	// renewed token outlives the one it renews is not documented.
	RenewWithAccessToken bool
	// RefreshWithCredentials sends Credentials along with the refresh token
	// (HTTP Basic and the refreshToken body), for an instance that wants
	// the refresh-token form authenticated. Oracle does not say whether it
	// must be; by default the refresh token is sent alone. It requires
	// Credentials.
	RefreshWithCredentials bool
}

// String describes the request without any secret.
func (r RefreshTokenRequest) String() string {
	cred := "none"
	if r.Credentials != nil {
		cred = r.Credentials.String()
	}
	return fmt.Sprintf("oracle.RefreshTokenRequest{RefreshToken: %t, Credentials: %s, RenewWithAccessToken: %t, RefreshWithCredentials: %t}",
		r.RefreshToken != "", cred, r.RenewWithAccessToken, r.RefreshWithCredentials)
}

// GoString is String, for %#v.
func (r RefreshTokenRequest) GoString() string { return r.String() }

// Format writes String for every verb.
func (r RefreshTokenRequest) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// RefreshTokenExchanger returns a tokenkit.Exchanger that keeps a refresh
// token. Each Exchange:
//
//  1. exchanges the held refresh token, if any (ExchangeRefreshToken), and
//     adopts the new refresh token of the answer (a rotation) in the same
//     step;
//  2. if the instance refuses it (tokenkit.ErrInvalidCredential), drops it
//     and, with RenewWithAccessToken, renews the last access token while it
//     is valid;
//  3. signs in with Credentials, adopting the refresh token of the answer.
//
// Every token it returns carries, as its RefreshToken, the refresh token the
// exchanger holds after the exchange (the answer's, or the one sent when
// the answer brought none), so saving the token saves everything needed to
// continue. A failure that says nothing about the credential (a transport
// error, 429, 5xx) ends the Exchange with that error and keeps the refresh
// token for the next try. Once the held refresh token is refused and there
// are no Credentials (nor a renewable access token), every later Exchange
// returns that same refusal without calling the instance: the exchanger
// cannot recover without a new request.
//
// The refresh token is read and replaced under a mutex, never held across
// network I/O; a replacement is compare-and-swap on the token that was
// sent, so concurrent Exchanges cannot overwrite a newer token with an
// older one. Oracle documents no revoke endpoint, so nothing is ever
// revoked.
//
// req is checked now (an error matching tokenkit.ErrInvalidInput names the
// field): it needs a RefreshToken or Credentials; a blank RefreshToken,
// Credentials without a user name or password (or with ':' in the user
// name), and RefreshWithCredentials without Credentials are refused.
func (c *Client) RefreshTokenExchanger(req RefreshTokenRequest) (tokenkit.Exchanger, error) {
	return c.refresher("RefreshTokenExchanger", req, nil)
}

// RefreshTokenSource returns a cached, refresh-ahead tokenkit.Source of
// access tokens whose fetch is a RefreshTokenExchanger for req: the usual
// way for a long-running program to call OCM APIs with a refresh token.
// Pass it to tokenkit.NewClient or tokenkit.Transport. It uses the refresh
// token while the instance accepts it and falls back to Credentials when
// the instance refuses it; a 14-day token is refreshed about 15 minutes
// before it expires while requests keep using it.
//
// To persist rotated refresh tokens, set cfg.Save and write the token's
// Export (tokenkit.Export): every token carries the refresh token to
// continue with. A token whose Save failed is not handed out, and the next
// fetch saves that same token again instead of sending another refresh
// (which would rotate the unsaved refresh token away); the exchanger keeps
// the new refresh token meanwhile, so nothing is lost.
//
// An *AccessToken given as cfg.Initial (for example one Save persisted,
// read back with ImportAccessToken) is served until it is due, presenting
// itself as this client's tokens do, and is the token RenewWithAccessToken
// renews; its RefreshToken, when set, is the one the Source starts with,
// in preference to req.RefreshToken. req is checked as
// RefreshTokenExchanger does, after that.
func (c *Client) RefreshTokenSource(req RefreshTokenRequest, cfg tokenkit.SourceConfig) (*tokenkit.Source, error) {
	const op = "RefreshTokenSource"
	sc := c.sourceConfig(op, cfg)
	initial, _ := sc.Initial.(*AccessToken)
	if initial != nil && initial.RefreshToken != "" {
		req.RefreshToken = initial.RefreshToken
	}
	r, err := c.refresher(op, req, initial)
	if err != nil {
		return nil, err
	}
	return tokenkit.NewSource(r.Exchange, sc), nil
}

// refresher checks req and builds the exchanger of the refresh-token flow;
// last, if set, is the access token to renew.
func (c *Client) refresher(op string, req RefreshTokenRequest, last *AccessToken) (*refresher, error) {
	if req.RefreshToken == "" && req.Credentials == nil {
		return nil, c.tx.InvalidInput(op, "RefreshTokenRequest: no RefreshToken and no Credentials")
	}
	if req.RefreshToken != "" && strings.TrimSpace(req.RefreshToken.Reveal()) == "" {
		return nil, c.tx.InvalidInput(op, "RefreshTokenRequest.RefreshToken: blank refresh token")
	}
	if req.Credentials != nil {
		if err := c.checkCredentials(op, "RefreshTokenRequest.Credentials", *req.Credentials); err != nil {
			return nil, err
		}
		cred := *req.Credentials // the caller may reuse theirs
		req.Credentials = &cred
	} else if req.RefreshWithCredentials {
		return nil, c.tx.InvalidInput(op, "RefreshTokenRequest.RefreshWithCredentials: no Credentials to send")
	}
	return &refresher{c: c, req: req, refresh: req.RefreshToken, last: last}, nil
}

// refresher is the exchanger of the refresh-token flow (see
// RefreshTokenExchanger).
type refresher struct {
	c   *Client
	req RefreshTokenRequest

	mu      sync.Mutex // guards refresh, last and dead
	refresh tokenkit.Secret
	last    *AccessToken
	// dead is the refusal that left the exchanger with no refresh token and
	// no Credentials: every later Exchange that cannot renew returns it.
	dead error
}

var _ tokenkit.Exchanger = (*refresher)(nil)

// String describes the exchanger without any secret.
func (r *refresher) String() string {
	r.mu.Lock()
	held := r.refresh != ""
	r.mu.Unlock()
	return fmt.Sprintf("oracle.RefreshTokenExchanger{%s, holds refresh token: %t}", r.req.String(), held)
}

// GoString is String, for %#v.
func (r *refresher) GoString() string { return r.String() }

// Format writes String for every verb.
func (r *refresher) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// Exchange returns a new access token, by the steps RefreshTokenExchanger
// documents.
func (r *refresher) Exchange(ctx context.Context) (tokenkit.Token, error) {
	return httpx.AsToken(r.exchange(ctx))
}

func (r *refresher) exchange(ctx context.Context) (*AccessToken, error) {
	r.mu.Lock()
	held, last, dead := r.refresh, r.last, r.dead
	r.mu.Unlock()

	refused := dead // why the refresh token or the renewal was refused
	if held != "" {
		req := TokenRequest{RefreshToken: held}
		if r.req.RefreshWithCredentials {
			req.Credentials = r.req.Credentials
		}
		t, err := r.c.requestToken(ctx, "ExchangeRefreshToken", req)
		switch {
		case err == nil:
			return r.adopt(held, t), nil
		case !errors.Is(err, tokenkit.ErrInvalidCredential):
			return nil, err // try again later with the same refresh token
		}
		refused = err
		r.drop(held, err) // dead: drop it, unless a newer one came meanwhile
	}
	if r.req.RenewWithAccessToken && last != nil && r.usable(last) {
		t, err := r.c.RenewAccessToken(ctx, last)
		switch {
		case err == nil:
			return r.adopt("", t), nil
		case !errors.Is(err, tokenkit.ErrInvalidCredential):
			return nil, err
		}
		if refused == nil {
			refused = err
		}
	}
	if r.req.Credentials == nil {
		if refused != nil {
			return nil, refused
		}
		// Unreachable unless a concurrent Exchange dropped the token
		// between our read and its refusal being recorded.
		return nil, r.c.tx.InvalidInput("RefreshTokenExchanger", "no refresh token and no credentials")
	}
	t, err := r.c.ExchangePassword(ctx, *r.req.Credentials)
	if err != nil {
		return nil, err
	}
	return r.adopt("", t), nil
}

// usable reports whether t is still valid for a renewal, with a margin for
// the request's own time.
func (r *refresher) usable(t *AccessToken) bool {
	return t.ExpiresAt.IsZero() || r.c.tx.Now().Add(30*time.Second).Before(t.ExpiresAt)
}

// adopt records t as the last token and, when t carries a new refresh
// token, makes it the held one: after a refresh (used is the refresh token
// sent) only if nothing replaced it meanwhile; after a sign-in or renewal
// (used is "") unconditionally. A t that came without a refresh token is
// given the one held, so that saving t saves what continues it.
func (r *refresher) adopt(used tokenkit.Secret, t *AccessToken) *AccessToken {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = t
	if t.RefreshToken != "" && t.RefreshToken != used && (used == "" || r.refresh == used) {
		r.refresh, r.dead = t.RefreshToken, nil
	}
	if t.RefreshToken == "" {
		t.RefreshToken = r.refresh
	}
	return t
}

// drop forgets the refused refresh token old if it is still the one held;
// without Credentials, err then answers every later Exchange.
func (r *refresher) drop(old tokenkit.Secret, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refresh != old {
		return
	}
	r.refresh = ""
	if r.req.Credentials == nil {
		r.dead = err
	}
}
