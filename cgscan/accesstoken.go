package cgscan

import (
	"context"
	"errors"
	"net/http"
	"reflect"
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
	const op = OpGenerateAccessToken
	if isNil(auth) {
		return nil, c.tx.InvalidInput(string(op), "no session to authenticate the call")
	}
	o := &httpx.Op{Name: string(op), Class: httpx.Mutating, Auth: c.bind(auth)}
	res, err := c.run(ctx, o, func(ctx context.Context) (*http.Response, error) {
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
		Scheme:   c.opts.scheme,
	}, nil
}

// RevokeAccessToken revokes the user's current access token
// (PUT /v2/user/revoke_access_token; path unverified, see WithPath). auth is
// the session or the access token itself. "Current" is relative: a replay
// after a lost response could revoke a token generated in between, so the
// call is retried only when the request never reached the server, or after
// 429.
func (c *Client) RevokeAccessToken(ctx context.Context, auth tokenkit.TokenSource) error {
	const op = OpRevokeAccessToken
	if isNil(auth) {
		return c.tx.InvalidInput(string(op), "no token to authenticate the call")
	}
	o := &httpx.Op{Name: string(op), Class: httpx.Mutating, Auth: c.bind(auth)}
	res, err := c.run(ctx, o, func(ctx context.Context) (*http.Response, error) {
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
	const op = OpCheckToken
	if isNil(tok) || tok.Value() == "" {
		return nil, c.tx.InvalidInput(string(op), "no token to check")
	}
	o := &httpx.Op{Name: string(op), Class: httpx.Idempotent, Auth: c.bind(tokenkit.StaticSource(tok))}
	res, err := c.run(ctx, o, func(ctx context.Context) (*http.Response, error) {
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
	const op = OpSignOut
	if isNil(session) {
		return c.tx.InvalidInput(string(op), "no session to sign out")
	}
	// A 401 means the session is already over: no re-authentication, and a
	// 401 to a resend (the first answer was lost) means it worked.
	o := &httpx.Op{Name: string(op), Class: httpx.Idempotent, Auth: withoutReauth{c.bind(session)}}
	res, err := c.run(ctx, o, func(ctx context.Context) (*http.Response, error) {
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

// AccessTokenIssuer is a tokenkit.Issuer: it generates access tokens for the
// user of Session.
type AccessTokenIssuer struct {
	Client *Client
	// Session authenticates the calls: a *Session or a source of them.
	Session tokenkit.TokenSource
}

var _ tokenkit.Issuer = (*AccessTokenIssuer)(nil)

// Issue calls GenerateAccessToken. The API takes no parameters: the token
// lives until it is revoked or replaced and may do what its user may, so a
// request with a Lifetime or Scopes is an error matching
// tokenkit.ErrInvalidInput, and nothing is sent; req.Name, a mere label, is
// dropped. The new token replaces the previous one; its TokenID is the id
// AccessTokenRevoker takes.
func (i *AccessTokenIssuer) Issue(ctx context.Context, req tokenkit.IssueRequest) (tokenkit.Token, error) {
	if i == nil || i.Client == nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: string(OpGenerateAccessToken), Message: "AccessTokenIssuer has no Client", Err: tokenkit.ErrInvalidInput}
	}
	if req.Lifetime != 0 {
		return nil, i.Client.tx.InvalidInput(string(OpGenerateAccessToken), "Lifetime: Clone Guard access tokens take no lifetime")
	}
	if len(req.Scopes) > 0 {
		return nil, i.Client.tx.InvalidInput(string(OpGenerateAccessToken), "Scopes: Clone Guard access tokens take no scopes")
	}
	return httpx.AsToken(i.Client.GenerateAccessToken(ctx, i.Session))
}

// CurrentAccessToken is the id AccessTokenRevoker.Revoke accepts besides "",
// and the TokenID of every AccessToken: the API revokes only the user's
// current access token. Code written against the tokenkit interfaces reads
// it with tokenkit.IDOf and need not name it.
const CurrentAccessToken = "current"

// AccessTokenRevoker is a tokenkit.Revoker: it revokes the current access
// token of the user of Auth.
type AccessTokenRevoker struct {
	Client *Client
	// Auth authenticates the calls: a *Session, the *AccessToken itself, or
	// a source of them.
	Auth tokenkit.TokenSource
}

var _ tokenkit.Revoker = (*AccessTokenRevoker)(nil)

// Revoke calls RevokeAccessToken. The API revokes only the user's current
// access token, so id must be "" or CurrentAccessToken.
func (r *AccessTokenRevoker) Revoke(ctx context.Context, id string) error {
	if id != "" && id != CurrentAccessToken {
		return r.Client.tx.InvalidInput(string(OpRevokeAccessToken),
			"the API revokes only the current access token: pass an empty id or %q", CurrentAccessToken)
	}
	return r.Client.RevokeAccessToken(ctx, r.Auth)
}
