package oracle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

// SourceRequest says how a Refresher (and the Source built on it) obtains
// access tokens. Set Credentials, RefreshToken, or both.
type SourceRequest struct {
	// Credentials, if set, are the fallback: the Refresher signs in with
	// them when it holds no refresh token or when the instance refuses the
	// one it holds.
	Credentials *Credentials
	// RefreshToken is the refresh token to start with, for example one
	// persisted by OnRefreshToken in an earlier run.
	RefreshToken tokenkit.Secret
	// OnRefreshToken, if set, is called with every new refresh token the
	// Refresher adopts (a rotation, or the one a sign-in returned), and with
	// "" when the instance refused the held one and it was dropped: persist
	// it here. Calls are never concurrent and never out of order (a value is
	// never followed by an older one); it must not call the Refresher.
	OnRefreshToken func(tokenkit.Secret)
	// RenewWithAccessToken, when no refresh token works, first tries to
	// renew the last access token while it is still valid (the token
	// presented as Bearer, no body), as Oracle's own toolkit does, before
	// falling back to Credentials. Off by default: whether a renewed token
	// outlives the one it renews is not documented.
	RenewWithAccessToken bool
	// RefreshWithCredentials sends Credentials along with the refresh token
	// (HTTP Basic and the refreshToken body), for an instance that wants
	// the refresh-token form authenticated. Oracle does not say whether it
	// must be; by default the refresh token is sent alone.
	RefreshWithCredentials bool
}

// String describes the request without any secret.
func (r SourceRequest) String() string {
	cred := "none"
	if r.Credentials != nil {
		cred = r.Credentials.String()
	}
	return fmt.Sprintf("oracle.SourceRequest{Credentials: %s, RefreshToken: %t, RenewWithAccessToken: %t, RefreshWithCredentials: %t}",
		cred, r.RefreshToken != "", r.RenewWithAccessToken, r.RefreshWithCredentials)
}

// GoString is String, for %#v.
func (r SourceRequest) GoString() string { return r.String() }

// Format writes String for every verb.
func (r SourceRequest) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// Refresher is a tokenkit.Exchanger that keeps a refresh token. Each
// Exchange:
//
//  1. exchanges the held refresh token, if any, and adopts the new refresh
//     token of the answer (a rotation) in the same step;
//  2. if the instance refuses it (tokenkit.ErrInvalidCredential), drops it
//     and, with RenewWithAccessToken, renews the last access token while it
//     is valid;
//  3. signs in with Credentials, adopting the refresh token of the answer.
//
// A failure that says nothing about the credential (a transport error, 429,
// 5xx) ends the Exchange with that error and keeps the refresh token for the
// next try. The refresh token is read and replaced under a mutex, never held
// across network I/O; a replacement is compare-and-swap on the token that
// was sent, so concurrent Exchanges cannot overwrite a newer token with an
// older one. Oracle documents no revoke endpoint, so the Refresher never
// revokes anything.
type Refresher struct {
	c   *Client
	req SourceRequest

	mu      sync.Mutex // guards refresh, gen and last
	refresh tokenkit.Secret
	gen     uint64 // bumped by every change of refresh
	last    *AccessToken

	persistMu sync.Mutex // serialises OnRefreshToken
	persisted uint64     // gen of the last value given to OnRefreshToken
}

var _ tokenkit.Exchanger = (*Refresher)(nil)

// NewRefresher returns a Refresher for req. Use it directly, or through
// Source, which caches its tokens.
func (c *Client) NewRefresher(req SourceRequest) *Refresher {
	if req.Credentials != nil {
		cred := *req.Credentials // the caller may reuse theirs
		req.Credentials = &cred
	}
	return &Refresher{c: c, req: req, refresh: req.RefreshToken}
}

// RefreshToken returns the refresh token the Refresher holds now, "" if
// none.
func (r *Refresher) RefreshToken() tokenkit.Secret {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refresh
}

// String describes the Refresher without any secret.
func (r *Refresher) String() string {
	return fmt.Sprintf("oracle.Refresher{%s, holds refresh token: %t}", r.req.String(), r.RefreshToken() != "")
}

// GoString is String, for %#v.
func (r *Refresher) GoString() string { return r.String() }

// Format writes String for every verb.
func (r *Refresher) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// Exchange returns a new access token, by the steps in the type's
// documentation.
func (r *Refresher) Exchange(ctx context.Context) (tokenkit.Token, error) {
	return httpx.AsToken(r.exchange(ctx))
}

func (r *Refresher) exchange(ctx context.Context) (*AccessToken, error) {
	r.mu.Lock()
	held, last := r.refresh, r.last
	r.mu.Unlock()

	var refused error // why the refresh token or the renewal was refused
	if held != "" {
		req := TokenRequest{RefreshToken: held}
		if r.req.RefreshWithCredentials && r.req.Credentials != nil {
			req.Credentials = r.req.Credentials
		}
		t, err := r.c.RequestToken(ctx, req)
		switch {
		case err == nil:
			r.adopt(held, t)
			return t, nil
		case !errors.Is(err, tokenkit.ErrInvalidCredential):
			return nil, err // try again later with the same refresh token
		}
		refused = err
		r.replace(held, "") // dead: drop it, unless a newer one came meanwhile
	}
	if r.req.RenewWithAccessToken && last != nil && r.usable(last) {
		t, err := r.c.RenewAccessToken(ctx, last)
		switch {
		case err == nil:
			r.adopt("", t)
			return t, nil
		case !errors.Is(err, tokenkit.ErrInvalidCredential):
			return nil, err
		}
		refused = err
	}
	if r.req.Credentials == nil {
		if refused != nil {
			return nil, refused
		}
		return nil, r.c.tx.InvalidInput(opGetAccessToken, "the Refresher has no refresh token and no credentials")
	}
	t, err := r.c.ExchangePassword(ctx, *r.req.Credentials)
	if err != nil {
		return nil, err
	}
	r.adopt("", t)
	return t, nil
}

// usable reports whether t is still valid for a renewal, with a margin for
// the request's own time.
func (r *Refresher) usable(t *AccessToken) bool {
	return t.ExpiresAt.IsZero() || r.c.tx.Now().Add(30*time.Second).Before(t.ExpiresAt)
}

// adopt records t as the last token and, when t carries a refresh token,
// makes it the held one: after a refresh (used is the refresh token sent)
// only if nothing replaced it meanwhile; after a sign-in or renewal (used is
// "") unconditionally.
func (r *Refresher) adopt(used tokenkit.Secret, t *AccessToken) {
	r.mu.Lock()
	r.last = t
	r.mu.Unlock()
	if t.RefreshToken == "" || t.RefreshToken == used {
		return
	}
	if used == "" {
		r.set(t.RefreshToken)
		return
	}
	r.replace(used, t.RefreshToken)
}

// replace swaps the held refresh token from old to new if it still is old.
func (r *Refresher) replace(old, new tokenkit.Secret) {
	r.mu.Lock()
	if r.refresh != old {
		r.mu.Unlock()
		return
	}
	r.refresh = new
	r.gen++
	gen := r.gen
	r.mu.Unlock()
	r.persist(gen, new)
}

func (r *Refresher) set(new tokenkit.Secret) {
	r.mu.Lock()
	if r.refresh == new {
		r.mu.Unlock()
		return
	}
	r.refresh = new
	r.gen++
	gen := r.gen
	r.mu.Unlock()
	r.persist(gen, new)
}

// persist hands a change to OnRefreshToken unless a newer one was handed
// over already.
func (r *Refresher) persist(gen uint64, v tokenkit.Secret) {
	if r.req.OnRefreshToken == nil {
		return
	}
	r.persistMu.Lock()
	defer r.persistMu.Unlock()
	if gen <= r.persisted {
		return
	}
	r.persisted = gen
	r.req.OnRefreshToken(v)
}

// Source returns a cached, refresh-ahead tokenkit.Source of access tokens
// for req: the usual way for a long-running program to call OCM APIs. Pass it
// to tokenkit.NewClient or tokenkit.Transport. It uses the refresh token
// while it works and falls back to Credentials when the instance refuses it
// (see Refresher); a 14-day token is refreshed about 15 minutes before it
// expires while requests keep using it. cfg may be omitted; the first one
// given is used. To persist rotated refresh tokens, set
// SourceRequest.OnRefreshToken (or SourceConfig.OnToken, which sees every
// AccessToken with its RefreshToken). An *AccessToken given as
// SourceConfig.Initial is served until it is due, and its RefreshToken is
// used when req has none.
func (c *Client) Source(req SourceRequest, cfg ...tokenkit.SourceConfig) *tokenkit.Source {
	sc := c.tx.SourceConfig("Source", firstConfig(cfg))
	t, _ := sc.Initial.(*AccessToken)
	if t != nil && req.RefreshToken == "" {
		req.RefreshToken = t.RefreshToken // a token persisted with its refresh token
	}
	r := c.NewRefresher(req)
	r.last = t
	return tokenkit.NewSource(r.Exchange, sc)
}

// PasswordSource is Source with credentials only.
func (c *Client) PasswordSource(cred Credentials, cfg ...tokenkit.SourceConfig) *tokenkit.Source {
	return c.Source(SourceRequest{Credentials: &cred}, cfg...)
}
