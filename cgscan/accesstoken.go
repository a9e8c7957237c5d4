package cgscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/cgscan/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// GenerateAccessToken generates a new access token for the signed-in user
// (PUT /v2/user/generate_access_token → {token, username, message}). auth
// authenticates the call: a *Session, an *AccessToken, a tokenkit.Source of
// them (for example SignInSource) or any tokenkit.TokenSource; its token is
// attached on every attempt, with this client's API key.
//
// The new token replaces the user's previous one, so the call is never
// replayed after a lost response: it is retried only when the request never
// reached the server, or after 429. If it fails with a transport error, the
// previous token may already be gone: generate again.
func (c *Client) GenerateAccessToken(ctx context.Context, auth tokenkit.TokenSource) (*AccessToken, error) {
	return c.generate(ctx, "GenerateAccessToken", auth)
}

// generate is GenerateAccessToken, its errors naming name.
func (c *Client) generate(ctx context.Context, name string, auth tokenkit.TokenSource) (*AccessToken, error) {
	const op = OpGenerateAccessToken
	if isNil(auth) {
		return nil, c.tx.InvalidInput(name, "no session to authenticate the call")
	}
	o := &httpx.Op{Name: name, Class: httpx.Mutating, Auth: c.bind(auth)}
	res, err := httpx.Run(ctx, c.tx, o, func(ctx context.Context) (*http.Response, error) {
		return c.api.GenerateAccessToken(ctx, c.editor(op))
	})
	if err != nil {
		return nil, err
	}
	dto, err := decodeObject[api.GeneratedAccessToken](c, o, res, false)
	if err != nil {
		return nil, err
	}
	tok := strings.TrimSpace(ptr.Deref(dto.Token))
	if tok == "" {
		return nil, c.invalid(o, res, "the answer has no token")
	}
	return &AccessToken{
		token:    tokenkit.Secret(tok),
		apiKey:   c.opts.apiKey,
		Username: ptr.Deref(dto.Username),
		Message:  ptr.Deref(dto.Message),
		IssuedAt: c.tx.Now(),

		presentations: slices.Clone(c.opts.presentations),
	}, nil
}

// RevokeAccessToken revokes the user's current access token
// (PUT /v2/user/revoke_access_token; path unverified, see WithPath). auth is
// the session or the access token itself. "Current" is relative: a replay
// after a lost response could revoke a token generated in between, so the
// call is retried only when the request never reached the server, or after
// 429.
func (c *Client) RevokeAccessToken(ctx context.Context, auth tokenkit.TokenSource) error {
	return c.revoke(ctx, "RevokeAccessToken", auth)
}

// revoke is RevokeAccessToken, its errors naming name.
func (c *Client) revoke(ctx context.Context, name string, auth tokenkit.TokenSource) error {
	const op = OpRevokeAccessToken
	if isNil(auth) {
		return c.tx.InvalidInput(name, "no token to authenticate the call")
	}
	o := &httpx.Op{Name: name, Class: httpx.Mutating, Auth: c.bind(auth)}
	res, err := httpx.Run(ctx, c.tx, o, func(ctx context.Context) (*http.Response, error) {
		return c.api.RevokeAccessToken(ctx, c.editor(op))
	})
	if err != nil {
		return err
	}
	_, err = decodeObject[api.StatusResponse](c, o, res, true)
	return err
}

// TokenStatus is the answer of CheckToken.
type TokenStatus struct {
	// Valid reports whether the API accepts the token.
	Valid bool
	// Username is the token's user, if the answer says.
	Username string
	// Message is the answer's message or, for an invalid token, the error's.
	Message string
}

// CheckToken asks whether tok is valid ("Checks if authorization token is
// valid"; GET /v2/user/check_token with tok as the user token; path
// unverified, see WithPath). A 401 answer means invalid and is not an error;
// note that a wrong API key also answers 401. tok may be a *Session or an
// *AccessToken. The call has no side effect and is retried like a GET.
func (c *Client) CheckToken(ctx context.Context, tok tokenkit.Token) (*TokenStatus, error) {
	return c.checkToken(ctx, "CheckToken", tok)
}

// checkToken is CheckToken, its errors naming name.
func (c *Client) checkToken(ctx context.Context, name string, tok tokenkit.Token) (*TokenStatus, error) {
	const op = OpCheckToken
	if isNil(tok) || tok.Value() == "" {
		return nil, c.tx.InvalidInput(name, "no token to check")
	}
	o := &httpx.Op{Name: name, Class: httpx.Idempotent, Auth: c.bind(tokenkit.StaticSource(tok))}
	res, err := httpx.Run(ctx, c.tx, o, func(ctx context.Context) (*http.Response, error) {
		return c.api.CheckToken(ctx, c.editor(op))
	})
	if err != nil {
		var te *tokenkit.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusUnauthorized {
			return &TokenStatus{Valid: false, Message: te.Message}, nil
		}
		return nil, err
	}
	dto, err := decodeObject[api.TokenCheck](c, o, res, true)
	if err != nil {
		return nil, err
	}
	return &TokenStatus{
		Valid:    dto.Valid == nil || *dto.Valid,
		Username: ptr.Deref(dto.Username),
		Message:  ptr.Deref(dto.Message),
	}, nil
}

// SignOut ends a session ("Sign out authentication"; DELETE /auth/sign_out
// with the session token; path unverified, see WithPath). It is retried like
// a GET: a replay can only end the same session. A retry that finds the
// session already ended answers 401, which SignOut returns as an error.
func (c *Client) SignOut(ctx context.Context, session tokenkit.TokenSource) error {
	const op, name = OpSignOut, "SignOut"
	if isNil(session) {
		return c.tx.InvalidInput(name, "no session to sign out")
	}
	// A 401 means the session is already over: no re-authentication, and a
	// 401 to a resend (the first answer was lost) means it worked.
	o := &httpx.Op{Name: name, Class: httpx.Idempotent, Auth: withoutReauth{c.bind(session)}}
	res, err := httpx.Run(ctx, c.tx, o, func(ctx context.Context) (*http.Response, error) {
		return c.api.SignOut(ctx, c.editor(op))
	})
	if err != nil {
		if o.Attempts() > 1 && errors.Is(err, tokenkit.ErrUnauthorized) {
			return nil
		}
		return err
	}
	_, err = decodeObject[api.StatusResponse](c, o, res, true)
	return err
}

// isNil reports a nil interface or an interface holding a nil pointer.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

// Tokens manages the access token of the user that its auth signs in: it is
// a tokenkit.Issuer (generate) and a tokenkit.Revoker (revoke the current
// access token). There is no Lister: the API has no list call, and a user
// has one access token. Build it with Client.Tokens.
type Tokens struct {
	c    *Client
	auth tokenkit.TokenSource
}

var (
	_ tokenkit.Issuer  = (*Tokens)(nil)
	_ tokenkit.Revoker = (*Tokens)(nil)
)

// Tokens returns the token management of the user auth authenticates: a
// *Session, an *AccessToken, a tokenkit.Source of them (SignInSource) or any
// tokenkit.TokenSource. A nil auth is an error matching
// tokenkit.ErrInvalidInput.
func (c *Client) Tokens(auth tokenkit.TokenSource) (*Tokens, error) {
	if isNil(auth) {
		return nil, c.tx.InvalidInput("Tokens", "no session to authenticate the calls")
	}
	return &Tokens{c: c, auth: auth}, nil
}

// String describes the token management without any secret. String,
// GoString and Format have value receivers so that printing Tokens, or a
// pointer to it, never shows the client's API key or the session.
func (t Tokens) String() string {
	if t.c == nil {
		return "cgscan.Tokens{}"
	}
	return "cgscan.Tokens{client: " + t.c.String() + "}"
}

// GoString is String, for %#v.
func (t Tokens) GoString() string { return t.String() }

// Format writes String for every verb.
func (t Tokens) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// Issue generates a new access token (GenerateAccessToken). The API takes no
// parameters: the token lives until it is revoked or replaced and may do
// what its user may, so a request with a Lifetime or Scopes is an error
// matching tokenkit.ErrInvalidInput, and nothing is sent; req.Name, a mere
// label, is dropped. The new token replaces the previous one; its TokenID is
// the id Revoke takes.
func (t *Tokens) Issue(ctx context.Context, req tokenkit.IssueRequest) (tokenkit.Token, error) {
	const name = "Issue"
	if req.Lifetime != 0 {
		return nil, t.c.tx.InvalidInput(name, "Lifetime: Clone Guard access tokens take no lifetime")
	}
	if len(req.Scopes) > 0 {
		return nil, t.c.tx.InvalidInput(name, "Scopes: Clone Guard access tokens take no scopes")
	}
	return httpx.AsToken(t.c.generate(ctx, name, t.auth))
}

// CurrentAccessToken is the id Tokens.Revoke accepts besides "", and the
// TokenID of every AccessToken: the API revokes only the user's current
// access token. Code written against the tokenkit interfaces reads it with
// tokenkit.IDOf and need not name it.
const CurrentAccessToken = "current"

// Revoke revokes the user's current access token (RevokeAccessToken). The
// API revokes only that one, so id must be "" or CurrentAccessToken; any
// other id is an error matching tokenkit.ErrInvalidInput, and nothing is
// sent.
func (t *Tokens) Revoke(ctx context.Context, id string) error {
	const name = "Revoke"
	if id != "" && id != CurrentAccessToken {
		return t.c.tx.InvalidInput(name,
			"the API revokes only the current access token: pass an empty id or %q", CurrentAccessToken)
	}
	return t.c.revoke(ctx, name, t.auth)
}
