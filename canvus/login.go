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
	ID       int64
	Name     string
	Email    string
	Admin    bool
	Approved bool
	Blocked  bool
	// State is the resource state, "normal" for a live user.
	State string
	// CreatedAt and LastLogin are zero when absent or unreadable.
	CreatedAt time.Time
	LastLogin time.Time
}

// Credentials sign a user in: either Email and Password, or Token (an
// existing login token, whose lifetime the server prolongs and which it may
// replace by a new one).
type Credentials struct {
	Email    string
	Password tokenkit.Secret
	Token    tokenkit.Secret
	// Remember asks for a longer session ("extends the session lifetime";
	// by how much is undocumented, so the expiry tokenkit computes stays
	// that of WithSessionLifetime).
	Remember bool
}

func (cr Credentials) hasPassword() bool { return cr.Email != "" && cr.Password != "" }

// Login signs in (POST /users/login) with an email and password, or
// prolongs an existing token. The server may answer the token form with a
// different token: the returned LoginToken is the one to use from then on.
//
// Sign-in creates a session, and the token form may rotate the token, so
// Login is retried only when the request provably never reached the server
// or the server answered 429. A wrong email or password, or a token the
// server refuses, gives a *tokenkit.Error matching
// tokenkit.ErrInvalidCredential.
func (c *Client) Login(ctx context.Context, cr Credentials) (*LoginToken, error) {
	var body api.LoginJSONRequestBody
	switch {
	case cr.Token != "" && (cr.Email != "" || cr.Password != ""):
		return nil, c.tx.InvalidInput(opLogin, "give either email and password or a token, not both")
	case cr.Token != "":
		body.Token = ptr.To(cr.Token.Reveal())
	case cr.hasPassword():
		body.Email, body.Password = ptr.To(cr.Email), ptr.To(cr.Password.Reveal())
	default:
		return nil, c.tx.InvalidInput(opLogin, "email and password, or a token, are required")
	}
	if cr.Remember {
		body.Remember = ptr.To(true)
	}
	res, op, err := c.run(ctx, opLogin, httpx.Mutating, nil, func(ctx context.Context) (*http.Response, error) {
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
	return &LoginToken{
		value:     tokenkit.Secret(dto.Token),
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
	_, _, err = c.run(ctx, opLogout, httpx.Idempotent, src, func(ctx context.Context) (*http.Response, error) {
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

// LoginExchanger is a tokenkit.Exchanger that signs in with Credentials.
// Once it holds a login token that has not expired, it prolongs that token
// with the token form of Login, and takes the token the server answers
// (which may be new); if the server refuses, it signs in with the email and
// password again, when it has them. It is safe for concurrent use.
type LoginExchanger struct {
	Client      *Client
	Credentials Credentials

	mu   sync.Mutex
	last *LoginToken
}

var _ tokenkit.Exchanger = (*LoginExchanger)(nil)

// String describes the exchanger without its credentials or token.
func (e *LoginExchanger) String() string {
	return fmt.Sprintf("canvus.LoginExchanger{email: %q, password: %t, token: %t}",
		e.Credentials.Email, e.Credentials.Password != "", e.Credentials.Token != "")
}

// Format writes String for every verb: fmt would otherwise print the login
// token it holds field by field.
func (e *LoginExchanger) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }

// Exchange returns a fresh login token.
func (e *LoginExchanger) Exchange(ctx context.Context) (tokenkit.Token, error) {
	return httpx.AsToken(e.Login(ctx))
}

// Login is Exchange with the concrete type.
func (e *LoginExchanger) Login(ctx context.Context) (*LoginToken, error) {
	if e.Client == nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: opLogin, Message: "LoginExchanger has no Client", Err: tokenkit.ErrInvalidInput}
	}
	cr := e.Credentials
	e.mu.Lock()
	prev := e.last
	e.mu.Unlock()
	if prev != nil && e.Client.tx.Now().Before(prev.ExpiresAt) {
		t, err := e.Client.Login(ctx, Credentials{Token: prev.value, Remember: cr.Remember})
		if err == nil {
			e.remember(t)
			return t, nil
		}
		if !cr.hasPassword() || ctx.Err() != nil {
			return nil, err
		}
	}
	if cr.hasPassword() {
		cr.Token = ""
	}
	t, err := e.Client.Login(ctx, cr)
	if err != nil {
		return nil, err
	}
	e.remember(t)
	return t, nil
}

func (e *LoginExchanger) remember(t *LoginToken) {
	e.mu.Lock()
	e.last = t
	e.mu.Unlock()
}

// LoginSource returns a cached, refresh-ahead tokenkit.Source of login
// tokens for cr (see LoginExchanger for how it refreshes). Pass it to
// Tokens, tokenkit.NewClient or tokenkit.Transport. With the default 24-hour
// session the token is refreshed about 15 minutes before it expires while
// requests keep using it. cfg may be omitted; the first one given is used.
func (c *Client) LoginSource(cr Credentials, cfg ...tokenkit.SourceConfig) *tokenkit.Source {
	e := &LoginExchanger{Client: c, Credentials: cr}
	return tokenkit.NewSource(e.Exchange, c.tx.SourceConfig("LoginSource", firstConfig(cfg)))
}

// ServerInfo describes a Canvus Server. The public docs do not list the
// fields; these are what public clients read.
type ServerInfo struct {
	Version  string
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
	res, op, err := c.run(ctx, opServerInfo, httpx.Idempotent, nil, func(ctx context.Context) (*http.Response, error) {
		return c.api.GetServerInfo(ctx)
	})
	if err != nil {
		return nil, err
	}
	dto, err := httpx.Decode[api.ServerInfo](c.tx, op, res)
	if err != nil {
		return nil, err
	}
	return &ServerInfo{
		Version: ptr.Deref(dto.Version), ServerID: ptr.Deref(dto.ServerId), API: ptr.Deref(dto.Api), Go: ptr.Deref(dto.Go),
		Extra: dto.AdditionalProperties,
	}, nil
}
