package commvault

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// DefaultSessionTimeout is the inactivity timeout of a login session when
// Credentials.Timeout is zero: "By default it expires after 30 minutes of
// inactivity" (Commvault's POST Login page).
const DefaultSessionTimeout = 30 * time.Minute

// Credentials log a user in with POST /Login.
type Credentials struct {
	// Username is the user name; Active Directory users may use their email
	// address. Required.
	Username string
	// Password is the plain password. Login Base64-encodes it, as the API
	// requires; do not encode it yourself. Required.
	Password tokenkit.Secret
	// Domain is the user's domain, for Active Directory users.
	Domain string
	// CommServer is the "host*csname" of the CommServe, if needed.
	CommServer string
	// DeviceID identifies this client; RenewLogin needs the same value to
	// renew an expired session.
	DeviceID string
	// Timeout is the session's inactivity timeout, sent in whole minutes
	// (rounded up); zero sends none and the server uses its default of 30
	// minutes.
	Timeout time.Duration
}

// String describes the credentials without the password.
func (cr Credentials) String() string {
	return fmt.Sprintf("commvault.Credentials{Username: %q, Password: %s, Domain: %q, CommServer: %q, DeviceID: %q, Timeout: %s}",
		cr.Username, cr.Password.String(), cr.Domain, cr.CommServer, cr.DeviceID, cr.Timeout)
}

// GoString is String, for %#v.
func (cr Credentials) GoString() string { return cr.String() }

// Format writes String for every verb: even where fmt cannot apply a verb
// to a struct holding a *Credentials, the password is not printed.
func (cr Credentials) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, cr.String()) }

// LogValue logs the user name, never the password.
func (cr Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", cr.Username), slog.String("password", cr.Password.String()),
		slog.String("domain", cr.Domain), slog.String("device_id", cr.DeviceID))
}

// Login logs in (POST /Login) and returns the session. The password is sent
// Base64-encoded. The call is never resent after the request may have
// reached the server, so that a lost answer cannot count a failed attempt
// twice towards the account's lockout.
//
// Commvault reports a failed login inside HTTP 200: a wrong user name or
// password gives a *tokenkit.Error matching tokenkit.ErrInvalidCredential; a
// locked account one matching ErrAccountLocked instead, whose
// *ErrorResponse has RemainingLockTime.
func (c *Client) Login(ctx context.Context, cr Credentials) (*Session, error) {
	return c.login(ctx, "Login", cr)
}

// checkCredentials validates cr for Login, SessionExchanger,
// SessionSource and AccessTokenRequest.Credentials.
func (c *Client) checkCredentials(opName string, cr Credentials) error {
	switch {
	case strings.TrimSpace(cr.Username) == "":
		return c.tx.InvalidInput(opName, "Credentials.Username: no user name")
	case cr.Password == "":
		return c.tx.InvalidInput(opName, "Credentials.Password: no password")
	case cr.Timeout < 0:
		return c.tx.InvalidInput(opName, "Credentials.Timeout: negative session timeout")
	}
	return nil
}

// login is Login under the name of the method the caller called.
func (c *Client) login(ctx context.Context, opName string, cr Credentials) (*Session, error) {
	if err := c.checkCredentials(opName, cr); err != nil {
		return nil, err
	}
	body := api.LoginJSONRequestBody{
		Username: cr.Username,
		Password: base64.StdEncoding.EncodeToString([]byte(cr.Password.Reveal())),
	}
	if cr.Domain != "" {
		body.Domain = ptr.To(cr.Domain)
	}
	if cr.CommServer != "" {
		body.Commserver = ptr.To(cr.CommServer)
	}
	if cr.DeviceID != "" {
		body.DeviceId = ptr.To(cr.DeviceID)
	}
	timeout := DefaultSessionTimeout
	if cr.Timeout > 0 {
		minutes := cr.Timeout / time.Minute // at most 1.6e8: fits an int32
		if cr.Timeout%time.Minute != 0 {
			minutes++
		}
		body.Timeout = ptr.To(int32(minutes))
		timeout = minutes * time.Minute
	}
	op := &httpx.Op{Name: opName, Class: httpx.Mutating}
	res, err := httpx.Run(ctx, c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.Login(ctx, body)
	})
	if err != nil {
		return nil, err
	}
	r, err := httpx.Decode[api.LoginResult](c.tx, op, res)
	if err != nil {
		if failed, _ := loginFailed(res.Body); failed {
			// A failure whose fields have unexpected types (a string where
			// the page implies a number) is still a failure, not garbage.
			return nil, c.loginError(op, res)
		}
		return nil, err
	}
	s := &Session{
		UserName:            ptr.Deref(r.UserName),
		UserGUID:            ptr.Deref(r.UserGUID),
		Email:               ptr.Deref(r.SmtpAddress),
		DeviceID:            cr.DeviceID,
		ForcePasswordChange: ptr.Deref(r.ForcePasswordChange),
		ExpiresAt:           c.tx.Now().Add(timeout),
		timeout:             timeout,
	}
	switch {
	case strings.TrimSpace(ptr.Deref(r.Token)) != "":
		s.value = tokenkit.Secret(strings.TrimSpace(*r.Token))
	case r.Data != nil && strings.TrimSpace(ptr.Deref(r.Data.AuthToken)) != "":
		s.value, s.present = tokenkit.Secret(strings.TrimSpace(*r.Data.AuthToken)), tokenkit.Bearer()
	case r.Data != nil && strings.TrimSpace(ptr.Deref(r.Data.Token)) != "":
		s.value, s.present = tokenkit.Secret(strings.TrimSpace(*r.Data.Token)), tokenkit.Bearer()
	case strings.TrimSpace(ptr.Deref(r.AuthToken)) != "":
		s.value, s.present = tokenkit.Secret(strings.TrimSpace(*r.AuthToken)), tokenkit.Bearer()
	}
	if s.value != "" && !ptr.Deref(r.IsAccountLocked) {
		if strings.HasPrefix(s.Value(), "QSDK ") {
			s.present = tokenkit.Presentation{}
		}
		return s, nil
	}
	if ptr.Deref(r.IsAccountLocked) || (r.ErrList != nil && len(*r.ErrList) > 0) {
		return nil, c.loginError(op, res)
	}
	return nil, c.missing(op, res, "login answer has neither a token nor an error")
}

// loginFailed reads a login answer tolerantly: whether it reports a failure
// (an errList entry or isAccountLocked), and whether the account is locked.
func loginFailed(body []byte) (failed, locked bool) {
	var b errorBody
	if json.Unmarshal(bytes.TrimSpace(body), &b) != nil {
		return false, false
	}
	locked = boolean(b.IsAccountLocked)
	return locked || len(b.ErrList) > 0, locked
}

func (c *Client) loginError(op *httpx.Op, res *httpx.Result) *tokenkit.Error {
	te := c.inBandError(op, res, true)
	if te.Message == "request failed" {
		te.Message = "login failed"
	}
	return te
}

// RenewLogin renews an expired session (POST /RenewLoginToken) with the
// DeviceID it was created with, and returns the new session. A refused
// renewal is a *tokenkit.Error matching tokenkit.ErrInvalidCredential. Like
// Login it is never resent after the request may have reached the server.
func (c *Client) RenewLogin(ctx context.Context, s *Session) (*Session, error) {
	return c.renewLogin(ctx, "RenewLogin", s)
}

// renewLogin is RenewLogin under the name of the method the caller called.
func (c *Client) renewLogin(ctx context.Context, opName string, s *Session) (*Session, error) {
	if s == nil || s.value == "" {
		return nil, c.tx.InvalidInput(opName, "no session to renew")
	}
	if s.DeviceID == "" {
		return nil, c.tx.InvalidInput(opName, "the session has no DeviceID: log in with Credentials.DeviceID to renew it")
	}
	body := api.RenewLoginTokenJSONRequestBody{DeviceId: s.DeviceID, SessionId: s.Value()}
	op := &httpx.Op{Name: opName, Class: httpx.Mutating, Auth: tokenkit.StaticSource(s)}
	res, err := httpx.Run(ctx, c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.RenewLoginToken(ctx, body)
	})
	if err != nil {
		return nil, markCredential(err)
	}
	if err := c.checked(op, res, true); err != nil {
		return nil, err
	}
	r, err := httpx.Decode[api.RenewLoginTokenResult](c.tx, op, res)
	if err != nil {
		return nil, err
	}
	v := strings.TrimSpace(ptr.Deref(r.Token))
	if v == "" {
		return nil, c.missing(op, res, "renewal answer has no token")
	}
	timeout := s.timeout // the one the session was created with, if known
	if timeout <= 0 {
		timeout = DefaultSessionTimeout
	}
	n := *s
	n.value = tokenkit.Secret(v)
	n.ExpiresAt = c.tx.Now().Add(timeout)
	if strings.HasPrefix(v, "QSDK ") {
		n.present = tokenkit.Presentation{}
	}
	return &n, nil
}

// Logout ends the session (POST /Logout). A session that is unknown or
// already logged out gives a *tokenkit.Error matching
// tokenkit.ErrUnauthorized (or, from servers that answer it in HTTP 200 as the
// older documentation says, tokenkit.ErrInvalidCredential).
func (c *Client) Logout(ctx context.Context, s *Session) error {
	const opName = "Logout"
	if s == nil || s.value == "" {
		return c.tx.InvalidInput(opName, "no session to log out")
	}
	op := &httpx.Op{Name: opName, Class: httpx.Idempotent, Auth: tokenkit.StaticSource(s)}
	res, err := httpx.Run(ctx, c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.Logout(ctx, func(_ context.Context, r *http.Request) error {
			r.Header.Set("Accept", "text/plain, application/json") // the answer is text/plain
			return nil
		})
	})
	if err != nil {
		return err
	}
	text := bytes.ToLower(bytes.TrimSpace(res.Body))
	if bytes.Contains(text, []byte("invalid authorization token")) || bytes.Contains(text, []byte("access denied")) {
		return c.inBandError(op, res, true)
	}
	return c.checked(op, res, true)
}

// SessionExchanger returns a tokenkit.Exchanger of login sessions: every
// Exchange is a new session (Login), or, when cr.DeviceID is set and the
// exchanger already has a session, first a RenewLogin of the last one. cr is
// validated up front: a missing user name or password, or a negative
// Timeout, is an error matching tokenkit.ErrInvalidInput that names the
// field.
func (c *Client) SessionExchanger(cr Credentials) (tokenkit.Exchanger, error) {
	return c.sessionExchanger("SessionExchanger", cr)
}

// SessionSource returns a cached tokenkit.Source of login sessions around
// SessionExchanger(cr): it logs in on first use, logs in again (or, when
// cr.DeviceID is set, first tries RenewLogin) when the session is about to
// expire, and after a 401 once the rejected session is invalidated
// (operations of this package do that themselves). Pass it as the auth of
// Tokens, CreateAccessToken, ListAccessTokens, UpdateAccessToken and
// DeleteAccessToken. cfg tunes the cache (its zero value gives the
// defaults); cr is validated as SessionExchanger does.
func (c *Client) SessionSource(cr Credentials, cfg tokenkit.SourceConfig) (*tokenkit.Source, error) {
	ex, err := c.sessionExchanger("SessionSource", cr)
	if err != nil {
		return nil, err
	}
	return tokenkit.NewSource(ex.Exchange, c.tx.SourceConfig("SessionSource", cfg)), nil
}

func (c *Client) sessionExchanger(opName string, cr Credentials) (*sessionState, error) {
	if err := c.checkCredentials(opName, cr); err != nil {
		return nil, err
	}
	return &sessionState{c: c, cr: cr}, nil
}

type sessionState struct {
	c  *Client
	cr Credentials

	mu   sync.Mutex
	last *Session
}

// Exchange logs in, or renews the last session when it can.
func (st *sessionState) Exchange(ctx context.Context) (tokenkit.Token, error) {
	st.mu.Lock()
	last := st.last
	st.mu.Unlock()
	if last != nil && last.DeviceID != "" {
		if s, err := st.c.renewLogin(ctx, "RenewLogin", last); err == nil {
			st.remember(s)
			return s, nil
		} else if errors.Is(err, tokenkit.ErrOutcomeUnknown) {
			// The old session may or may not have been replaced: a fresh
			// login is safe either way.
			st.remember(nil)
		}
	}
	s, err := st.c.login(ctx, "Login", st.cr)
	if err != nil {
		return nil, err
	}
	st.remember(s)
	return s, nil
}

func (st *sessionState) remember(s *Session) {
	st.mu.Lock()
	st.last = s
	st.mu.Unlock()
}

// String describes the exchanger without the password.
func (st *sessionState) String() string {
	return "commvault.SessionExchanger{" + st.cr.String() + "}"
}

// GoString is String, for %#v.
func (st *sessionState) GoString() string { return st.String() }

// Format writes String for every verb: fmt cannot call the Credentials'
// own Format on an unexported field, so the exchanger formats itself.
func (st *sessionState) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, st.String()) }
