package commvault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tokenkit/tokenkit"
)

// AccessTokenRequest is what AccessTokenExchanger and AccessTokenSource
// need to keep a V4 access token: a pair to start from, a way to log in and
// create a new one, or both. At least one of Initial, Credentials and
// Session is required; Credentials and Session exclude each other.
type AccessTokenRequest struct {
	// Initial is the pair to start from: the last one an earlier run saved
	// (SourceConfig.Save, then ImportAccessToken). Only ever the latest one:
	// an older pair makes Commvault delete the whole chain.
	Initial *AccessToken
	// Credentials, if set, let the exchanger log in and create a new token
	// when there is no pair or it cannot be renewed (past renewableUntil,
	// refresh token expired or refused, a renewal of unknown outcome). The
	// login session is cached and logged in again when it expires or is
	// answered with 401.
	Credentials *Credentials
	// Session supplies login sessions for creating tokens, instead of
	// Credentials: a SessionSource, or a *Session (which cannot log in
	// again).
	Session tokenkit.TokenSource
	// Create describes the tokens the exchanger creates. Name is a prefix:
	// each token is named Name-<UTC time>-<random>, because Commvault
	// refuses a name the user already has (default prefix "tokenkit"). The
	// zero Type creates ALL tokens. Setting it without Credentials or
	// Session is an error, since no token would ever be created.
	Create CreateRequest
}

// AccessTokenExchanger returns a tokenkit.Exchanger that keeps one V4
// access token chain: each Exchange renews the current pair (starting from
// req.Initial) and, when the pair cannot be renewed (no pair yet, past
// renewableUntil, refresh token expired or refused, or an earlier renewal's
// answer was lost) and req.Credentials or req.Session is set, creates a new
// token under a login session. The exchanger keeps the newest pair itself,
// the moment it is issued: renewals are serialised (one renew call however
// many goroutines ask), a pair is never renewed twice, and a renewal is
// never resent after its request may have reached the server. Persist every
// pair Exchange returns before using it; AccessTokenSource does that through
// SourceConfig.Save.
//
// req is validated up front: a request with none of Initial, Credentials
// and Session, with both Credentials and Session, with invalid Credentials
// or an invalid Create is an error matching tokenkit.ErrInvalidInput that
// names the field.
func (c *Client) AccessTokenExchanger(req AccessTokenRequest) (tokenkit.Exchanger, error) {
	return c.accessExchanger("AccessTokenExchanger", req, tokenkit.SourceConfig{})
}

// AccessTokenSource returns a cached tokenkit.Source around
// AccessTokenExchanger(req), for long-running programs: it hands out the
// current access token while it is valid and, ahead of its expiry (a fifth
// of the lifetime, at most 15 minutes, with jitter), renews it while callers
// keep using it, falling back to creating a new token as the exchanger does.
// Pass it to tokenkit.NewClient or tokenkit.Transport; a 401 from the
// downstream API invalidates the token and the next request renews it.
//
// Renewing spends the old pair, so persist every new one with cfg.Save (its
// tokenkit.Export holds both tokens; ImportAccessToken reads it back into
// req.Initial next time). A Save that fails loses nothing: the source hands
// the new pair to no one, its callers get an error matching
// tokenkit.ErrNotSaved, and the next Token call saves the same pair again
// instead of renewing. The source starts from req.Initial; cfg.Initial must
// be nil or that same pair. cfg's Clock and Logger also serve the login
// sessions of req.Credentials.
func (c *Client) AccessTokenSource(req AccessTokenRequest, cfg tokenkit.SourceConfig) (*tokenkit.Source, error) {
	const opName = "AccessTokenSource"
	if cfg.Initial != nil && (req.Initial == nil || cfg.Initial != tokenkit.Token(req.Initial)) {
		return nil, c.tx.InvalidInput(opName, "SourceConfig.Initial: give the pair to start from as AccessTokenRequest.Initial")
	}
	sc := c.tx.SourceConfig(opName, cfg)
	ex, err := c.accessExchanger(opName, req, tokenkit.SourceConfig{Clock: sc.Clock, Logger: sc.Logger})
	if err != nil {
		return nil, err
	}
	sc.Initial = nil
	if req.Initial != nil {
		sc.Initial = req.Initial
	}
	return tokenkit.NewSource(ex.Exchange, sc), nil
}

// accessExchanger validates req and builds the exchanger; sessionCfg
// configures the SessionSource of req.Credentials.
func (c *Client) accessExchanger(opName string, req AccessTokenRequest, sessionCfg tokenkit.SourceConfig) (*accessExchanger, error) {
	switch {
	case req.Initial == nil && req.Credentials == nil && req.Session == nil:
		return nil, c.tx.InvalidInput(opName, "AccessTokenRequest: need Initial, Credentials or Session")
	case req.Credentials != nil && req.Session != nil:
		return nil, c.tx.InvalidInput(opName, "AccessTokenRequest: Credentials and Session both set: give one way to log in")
	case req.Initial != nil && req.Initial.value == "":
		return nil, c.tx.InvalidInput(opName, "AccessTokenRequest.Initial: no access token")
	case req.Credentials == nil && req.Session == nil && createSet(req.Create):
		return nil, c.tx.InvalidInput(opName, "AccessTokenRequest.Create: no Credentials or Session to create tokens with")
	}
	if err := c.checkCreate(opName, req.Create); err != nil {
		return nil, err
	}
	ex := &accessExchanger{c: c, opName: opName, create: req.Create, session: req.Session}
	if strings.TrimSpace(ex.create.Name) == "" {
		ex.create.Name = "tokenkit"
	}
	if req.Credentials != nil {
		s, err := c.SessionSource(*req.Credentials, sessionCfg)
		if err != nil {
			var te *tokenkit.Error
			if errors.As(err, &te) {
				te.Op = opName
				te.Message = strings.Replace(te.Message, "Credentials.", "AccessTokenRequest.Credentials.", 1)
			}
			return nil, err
		}
		ex.session = s
	}
	ex.rot = c.newRotator("RenewAccessToken", req.Initial)
	return ex, nil
}

// createSet reports whether any field of r is set.
func createSet(r CreateRequest) bool {
	return r.Name != "" || r.Type != TokenTypeDefault || !r.RenewableUntil.IsZero() || !r.ExpiresAt.IsZero() ||
		len(r.APIEndpoints) > 0 || len(r.AllowedIPs) > 0 || r.EnableIPAllowList || r.UserID != 0
}

// accessExchanger is the tokenkit.Exchanger of AccessTokenExchanger.
type accessExchanger struct {
	c       *Client
	opName  string
	rot     *rotator
	session tokenkit.TokenSource
	create  CreateRequest
}

// Exchange renews the current pair, or creates a new token when it cannot.
func (ex *accessExchanger) Exchange(ctx context.Context) (tokenkit.Token, error) {
	cur := ex.rot.current()
	var cause error
	switch {
	case cur == nil:
		cause = errors.New("no access token yet")
	case ex.rot.err() != nil:
		cause = ex.rot.err()
	case !cur.CanRenew(ex.c.tx.Now()):
		cause = &notRenewable{"the access token cannot be renewed (no refresh token, or past its renewable-until time)"}
	default:
		tok, err := ex.rot.renew(ctx, cur)
		if err == nil {
			return tok, nil
		}
		if ex.session == nil || !replaceable(err) {
			return nil, err
		}
		cause = err
	}
	if ex.session == nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: ex.opName,
			Message: "no renewable access token and no login credentials to create one", Err: cause}
	}
	req := ex.create
	req.Name = ex.name()
	tok, err := ex.c.createAccessToken(ctx, "CreateAccessToken", ex.session, req)
	if err != nil {
		return nil, err
	}
	ex.rot.replace(tok)
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

func (ex *accessExchanger) name() string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return ex.create.Name + "-" + ex.c.tx.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// String describes the exchanger's current pair without its secrets.
func (ex *accessExchanger) String() string {
	s := "commvault.AccessTokenExchanger{current: "
	if cur := ex.rot.current(); cur == nil {
		s += "none"
	} else {
		s += cur.String()
	}
	if ex.rot.err() != nil {
		s += ", outcome of the last renewal unknown"
	}
	return s + "}"
}

// GoString is String, for %#v.
func (ex *accessExchanger) GoString() string { return ex.String() }

// Format writes String for every verb, so that no verb prints the pair.
func (ex *accessExchanger) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, ex.String()) }
