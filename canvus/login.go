package canvus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// User is a Canvus user as Login returns it.
type User struct {
	// ID is the user's id, an integer (the {id} of the access-token
	// paths).
	ID int64
	// Name is the user's display name.
	Name string
	// Email is the address the user signs in with.
	Email string
	// Admin reports an administrator, who may manage any user's tokens.
	Admin bool
	// Approved reports that an administrator approved the account.
	Approved bool
	// Blocked reports a blocked user, who cannot sign in.
	Blocked bool
	// State is the resource state, "normal" for a live user.
	State string
	// CreatedAt is when the account was created; zero when absent or
	// unreadable.
	CreatedAt time.Time
	// LastLogin is the user's latest sign-in; zero when absent or
	// unreadable.
	LastLogin time.Time
}

// Credentials sign a user in: either Email and Password, or Token (an
// existing login token, whose lifetime the server prolongs and which it may
// replace by a new one).
type Credentials struct {
	// Email is the user's address, given with Password.
	Email string
	// Password is the user's password, given with Email.
	Password tokenkit.Secret
	// Token is an existing login token, given instead of Email and
	// Password.
	Token tokenkit.Secret
	// Remember asks for a longer session ("extends the session lifetime";
	// by how much is undocumented, so the expiry tokenkit computes stays
	// that of WithSessionLifetime).
	Remember bool
}

func (cr Credentials) hasPassword() bool { return cr.Email != "" && cr.Password != "" }

// Login signs in (POST /users/login) with an email and password, or
// prolongs an existing token. The server may answer the token form with a
// different token: the returned Session is the one to use from then on.
//
// Sign-in creates a session, and the token form may rotate the token, so
// Login is retried only when the request provably never reached the server
// or the server answered 429. A wrong email or password, or a token the
// server refuses, gives a *tokenkit.Error matching
// tokenkit.ErrInvalidCredential.
func (c *Client) Login(ctx context.Context, cr Credentials) (*Session, error) {
	if err := c.checkCredentials(opLogin, cr); err != nil {
		return nil, err
	}
	return c.login(ctx, opLogin, cr)
}

// checkCredentials is the validation Login, LoginExchanger and LoginSource
// share: email and password, or a token, never both and never neither.
func (c *Client) checkCredentials(op string, cr Credentials) error {
	switch {
	case cr.Token != "" && (cr.Email != "" || cr.Password != ""):
		return c.tx.InvalidInput(op, "Credentials: give either Email and Password or Token, not both")
	case cr.Token != "" || cr.hasPassword():
		return nil
	case cr.Email != "":
		return c.tx.InvalidInput(op, "Credentials.Password is required with Email")
	case cr.Password != "":
		return c.tx.InvalidInput(op, "Credentials.Email is required with Password")
	}
	return c.tx.InvalidInput(op, "Credentials: Email and Password, or Token, are required")
}

// login signs in with valid credentials; name is the method the caller
// called.
func (c *Client) login(ctx context.Context, name string, cr Credentials) (*Session, error) {
	var body api.LoginJSONRequestBody
	if cr.Token != "" {
		body.Token = ptr.To(cr.Token.Reveal())
	} else {
		body.Email, body.Password = ptr.To(cr.Email), ptr.To(cr.Password.Reveal())
	}
	if cr.Remember {
		body.Remember = ptr.To(true)
	}
	// Sign-in creates a session and the token form may rotate the token:
	// mutating. Run, not Call: an answer without a token is reported with
	// its (scrubbed) body.
	op := &httpx.Op{Name: name, Class: httpx.Mutating}
	res, err := httpx.Run(ctx, c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.Login(ctx, body)
	})
	if err != nil {
		return nil, err
	}
	dto, err := httpx.Decode[api.LoginResult](c.tx, op, res)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(dto.Token) == "" || dto.User.Id <= 0 {
		return nil, c.tx.InvalidResponse(op, res.Status, res.Body, errors.New("the answer lacks the token or the user id"))
	}
	return &Session{
		value:     tokenkit.Secret(dto.Token),
		pres:      c.opts.presentations,
		User:      c.user(dto.User),
		ExpiresAt: c.tx.Now().Add(c.opts.sessionLifetime),
		Remember:  cr.Remember,
	}, nil
}

func (c *Client) user(u api.User) User {
	created, _ := parseTime(ptr.Deref(u.CreatedAt), c.opts.loc)
	last, _ := parseTime(ptr.Deref(u.LastLogin), c.opts.loc)
	return User{
		ID: u.Id, Name: ptr.Deref(u.Name), Email: ptr.Deref(u.Email),
		Admin: ptr.Deref(u.Admin), Approved: ptr.Deref(u.Approved), Blocked: ptr.Deref(u.Blocked),
		State: ptr.Deref(u.State), CreatedAt: created, LastLogin: last,
	}
}

// Logout signs tok out (POST /users/logout): tok is sent both as
// Private-Token and in the body, which is right under either reading of the
// documentation. A retried Logout whose earlier attempt already signed the
// token out (the server then answers 401) counts as success.
func (c *Client) Logout(ctx context.Context, tok tokenkit.Token) error {
	src := tokenkit.StaticSource(tok)
	t, err := src.Token(ctx)
	if err != nil || strings.TrimSpace(t.Value()) == "" {
		return c.tx.InvalidInput(opLogout, "no token to sign out")
	}
	body := api.LogoutJSONRequestBody{Token: ptr.To(t.Value())}
	_, err = httpx.Run(ctx, c.tx, &httpx.Op{Name: opLogout, Class: httpx.Idempotent, Auth: src}, func(ctx context.Context) (*http.Response, error) {
		return c.api.Logout(ctx, body)
	})
	if afterRetry(err, http.StatusUnauthorized) {
		return nil
	}
	return err
}

// afterRetry reports whether err is the given status on a retry: the
// earlier attempt's response was lost after the server acted, so the state
// the caller wanted (signed out, deleted) already holds.
func afterRetry(err error, status int) bool {
	var te *tokenkit.Error
	return errors.As(err, &te) && te.StatusCode == status && te.Attempts > 1
}

// loginExchanger signs in with Credentials (see Client.LoginExchanger).
type loginExchanger struct {
	c  *Client
	cr Credentials

	mu   sync.Mutex
	last *Session
}

var _ tokenkit.Exchanger = (*loginExchanger)(nil)

// String describes the exchanger without its credentials or token.
func (e *loginExchanger) String() string {
	return fmt.Sprintf("canvus.LoginExchanger{email: %q, password: %t, token: %t}",
		e.cr.Email, e.cr.Password != "", e.cr.Token != "")
}

// Format writes String for every verb: fmt would otherwise print the login
// token it holds field by field.
func (e *loginExchanger) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }

// Exchange returns a fresh login token.
func (e *loginExchanger) Exchange(ctx context.Context) (tokenkit.Token, error) {
	return httpx.AsToken(e.login(ctx))
}

func (e *loginExchanger) login(ctx context.Context) (*Session, error) {
	cr := e.cr
	e.mu.Lock()
	prev := e.last
	e.mu.Unlock()
	if prev != nil && e.c.tx.Now().Before(prev.ExpiresAt) {
		t, err := e.c.login(ctx, opLogin, Credentials{Token: prev.value, Remember: cr.Remember})
		if err == nil {
			e.remember(t)
			return t, nil
		}
		// Only a refused token is worth the password: a rate limit, a
		// server error or a broken connection would refuse the password
		// sign-in just the same, doubling the requests to a server that
		// asked for fewer. The Source backs off and tries again.
		if !cr.hasPassword() || !tokenkit.Rejected(err) || ctx.Err() != nil {
			return nil, err
		}
	}
	if cr.hasPassword() {
		cr.Token = ""
	}
	t, err := e.c.login(ctx, opLogin, cr)
	if err != nil {
		return nil, err
	}
	e.remember(t)
	return t, nil
}

func (e *loginExchanger) remember(t *Session) {
	e.mu.Lock()
	e.last = t
	e.mu.Unlock()
}

// LoginExchanger returns a tokenkit.Exchanger that signs in with cr, for
// tokenkit.NewSource or your own cache. Once it holds a login token that has
// not expired, it prolongs that token with the token form of Login and takes
// the token the server answers (which may be new); if the server refuses
// that token (tokenkit.Rejected), it signs in with the email and password
// again, when cr has them. Any other failure, such as a 429, is returned as
// it is, so that the caller backs off instead of doubling the requests. Its
// errors name the operation "Login". cr is checked first: an invalid cr (no
// email and password or token, or both) is an error matching
// tokenkit.ErrInvalidInput naming the field. The exchanger is safe for
// concurrent use.
func (c *Client) LoginExchanger(cr Credentials) (tokenkit.Exchanger, error) {
	return c.loginExchanger(opLoginExchanger, cr)
}

func (c *Client) loginExchanger(op string, cr Credentials) (*loginExchanger, error) {
	if err := c.checkCredentials(op, cr); err != nil {
		return nil, err
	}
	return &loginExchanger{c: c, cr: cr}, nil
}

// LoginSource returns a cached, refresh-ahead tokenkit.Source of login
// tokens for cr (see LoginExchanger for how it refreshes and how cr is
// checked). Pass it to Tokens, tokenkit.NewClient or tokenkit.Transport.
// With the default 24-hour session the token is refreshed about 15 minutes
// before it expires while requests keep using it. cfg configures the Source;
// its zero value is fine.
func (c *Client) LoginSource(cr Credentials, cfg tokenkit.SourceConfig) (*tokenkit.Source, error) {
	e, err := c.loginExchanger(opLoginSource, cr)
	if err != nil {
		return nil, err
	}
	return tokenkit.NewSource(e.Exchange, c.tx.SourceConfig(opLoginSource, cfg)), nil
}

// ServerInfo describes a Canvus Server. The public docs do not list the
// fields; these are what public clients read.
type ServerInfo struct {
	// Version is the server's version, such as "3.1.0".
	Version string
	// ServerID is the server's id, a UUID.
	ServerID string
	// API lists the API versions the server supports.
	API []string
	// Go is the Go version of the server build.
	Go string
	// Extra holds every other field of the answer.
	Extra map[string]any
}

// ServerInfo fetches GET /server-info, which needs no token: a cheap check
// that the base URL points at a reachable Canvus Server.
func (c *Client) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	dto, err := httpx.Call[api.ServerInfo](ctx, c.tx, &httpx.Op{Name: opServerInfo, Class: httpx.Idempotent}, func(ctx context.Context) (*http.Response, error) {
		return c.api.GetServerInfo(ctx)
	})
	if err != nil {
		return nil, err
	}
	return &ServerInfo{
		Version: ptr.Deref(dto.Version), ServerID: ptr.Deref(dto.ServerId), API: ptr.Deref(dto.Api), Go: ptr.Deref(dto.Go),
		Extra: dto.AdditionalProperties,
	}, nil
}
