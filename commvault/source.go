package commvault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/tokenkit/tokenkit"
)

// SourceConfig configures AccessTokenSource. At least one of Initial,
// Credentials and Session is required.
type SourceConfig struct {
	// Initial is the pair to start from: the last one OnRotate persisted in
	// an earlier run. Only ever the latest one: an older pair makes Commvault
	// delete the whole chain.
	Initial *AccessToken
	// Credentials, if set, let the source log in and create a new token when
	// there is no pair or it cannot be renewed (past renewableUntil, refresh
	// token expired or refused, a renewal of unknown outcome). The login
	// session is cached and logged in again when it expires or is answered
	// with 401.
	Credentials *Credentials
	// Session supplies login sessions for creating tokens when Credentials
	// is not set (a SessionSource, or a *Session, which cannot log in again).
	Session tokenkit.TokenSource
	// Create describes the tokens the source creates. Name is a prefix: each
	// token is named Name-<UTC time>-<random>, because Commvault refuses a
	// name the user already has (default prefix "tokenkit"). The zero Type
	// creates ALL tokens.
	Create CreateRequest
	// OnRotate is called with every new pair, renewed or created, before
	// the source hands it out: persist it here (both tokens and the
	// times). It must not call the source.
	OnRotate func(*AccessToken)
	// Source tunes the cache: clock, refresh window, jitter, logger. Its
	// Initial is set from Initial; its OnToken, if set, runs after OnRotate.
	Source tokenkit.SourceConfig
}

// AccessTokenSource is a cached, refresh-ahead source of V4 access tokens
// for long-running programs: a tokenkit.Source whose fetch renews the current
// pair through a Rotator and falls back to creating a new token under a login
// session. Pass it to tokenkit.NewClient or tokenkit.Transport; a 401 from the
// downstream API invalidates the token and the next request renews it.
type AccessTokenSource struct {
	*tokenkit.Source
	rot *Rotator
}

// Rotator returns the Rotator that holds the current pair (for Current and
// Err).
func (s *AccessTokenSource) Rotator() *Rotator { return s.rot }

// AccessTokenSource returns a source that hands out the current access
// token while it is valid and, ahead of its expiry (a fifth of the lifetime,
// at most 15 minutes, with jitter), renews it while callers keep using it.
// When the pair cannot be renewed (no pair yet, past renewableUntil, refresh
// token expired or refused, or an earlier renewal's answer was lost) and
// Credentials or Session is set, it creates a new token with a login session,
// logging in again after a 401. Renewals are never retried after the request
// may have reached the server, and OnRotate sees every new pair before it is
// used.
func (c *Client) AccessTokenSource(cfg SourceConfig) (*AccessTokenSource, error) {
	if cfg.Initial == nil && cfg.Credentials == nil && cfg.Session == nil {
		return nil, c.tx.InvalidInput("AccessTokenSource", "need an initial access token, credentials or a session source")
	}
	if cfg.Create.Name == "" {
		cfg.Create.Name = "tokenkit"
	}
	sc := c.tx.SourceConfig("AccessTokenSource", cfg.Source)
	st := &accessState{c: c, create: cfg.Create, session: cfg.Session}
	if cfg.Credentials != nil {
		st.session = c.SessionSource(*cfg.Credentials, tokenkit.SourceConfig{Clock: sc.Clock, Logger: sc.Logger})
	}
	st.rot = c.NewRotator(cfg.Initial, cfg.OnRotate)
	sc.Initial = nil
	if cfg.Initial != nil {
		sc.Initial = cfg.Initial
	}
	return &AccessTokenSource{Source: tokenkit.NewSource(st.fetch, sc), rot: st.rot}, nil
}

type accessState struct {
	c       *Client
	rot     *Rotator
	session tokenkit.TokenSource
	create  CreateRequest
}

func (st *accessState) fetch(ctx context.Context) (tokenkit.Token, error) {
	cur := st.rot.Current()
	var cause error
	switch {
	case cur == nil:
		cause = errors.New("no access token yet")
	case st.rot.Err() != nil:
		cause = st.rot.Err()
	case !cur.CanRenew(st.c.tx.Now()):
		cause = &notRenewable{"the access token cannot be renewed (no refresh token, or past its renewable-until time)"}
	default:
		tok, err := st.rot.Renew(ctx, cur)
		if err == nil {
			return tok, nil
		}
		if st.session == nil || !replaceable(err) {
			return nil, err
		}
		cause = err
	}
	if st.session == nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: "AccessTokenSource",
			Message: "no renewable access token and no login credentials to create one", Err: cause}
	}
	req := st.create
	req.Name = st.name()
	tok, err := st.c.CreateAccessToken(ctx, st.session, req)
	if err != nil {
		return nil, err
	}
	st.rot.Replace(tok)
	return tok, nil
}

// replaceable reports whether a failed renewal calls for a new token rather
// than a later retry: the pair was refused or may be spent. Retryable
// failures (5xx, 429, no connection) and the caller's own cancellation are
// retried by the source instead.
func replaceable(err error) bool {
	if errors.Is(err, tokenkit.ErrOutcomeUnknown) || errors.Is(err, ErrNotRenewable) {
		return true
	}
	k := tokenkit.KindOf(err)
	return !k.Retryable() && k != tokenkit.KindCanceled
}

func (st *accessState) name() string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return st.create.Name + "-" + st.c.tx.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// String describes the source without any secret.
func (s *AccessTokenSource) String() string {
	return "commvault.AccessTokenSource{" + s.rot.String() + "}"
}

// GoString is String, for %#v.
func (s *AccessTokenSource) GoString() string { return s.String() }

// Format writes String for every verb, so that no verb prints a token.
func (s *AccessTokenSource) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }
