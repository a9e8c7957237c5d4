package canvus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

// AccessTokenInfo describes a personal access token without its secret.
type AccessTokenInfo struct {
	// ID is the token's id, a long standard-base64 string that may
	// contain '/', '+' and '='; pass it as it is, tokenkit escapes it.
	ID string
	// Description is the token's description.
	Description string
	// CreatedAt is when the token was created. Canvus sends it without a
	// time zone; it is read in the zone set with WithTimeZone (default
	// UTC).
	CreatedAt time.Time
}

// Tokens manages the personal access tokens of one user (under
// /users/{id}/access-tokens), authenticated by a login token or an access
// token. A regular user manages only their own tokens; an administrator may
// manage anyone's (ForUser). Get one from Client.Tokens. It implements
// tokenkit.Issuer, tokenkit.Revoker and tokenkit.Lister, and is safe for
// concurrent use.
type Tokens struct {
	c    *Client
	auth tokenkit.TokenSource

	mu     sync.Mutex
	userID int64 // 0 until given (ForUser) or resolved
}

var (
	_ tokenkit.Issuer  = (*Tokens)(nil)
	_ tokenkit.Revoker = (*Tokens)(nil)
	_ tokenkit.Lister  = (*Tokens)(nil)
	_ tokenkit.Checker = (*Client)(nil)
)

// Tokens returns the access-token API of the user auth's tokens belong to:
// auth is a *tokenkit.Source from LoginSource (refreshed and, after a 401,
// replaced automatically), or tokenkit.StaticSource(token) for a token you
// hold. A nil auth is an error matching tokenkit.ErrInvalidInput.
//
// Canvus paths name the user, and Canvus has no /users/me (it answers
// "User ID me is not an integer"), so the user is found on the first call
// that needs it, once, from what auth's token says: a *Session carries
// its user, and an *AccessToken its UserID when Create or Import set it. An
// *AccessToken whose user is unknown (one NewAccessToken wrapped) is asked
// for with the token form of sign-in (POST /users/login {"token"}), the
// only call of the API that names a token's user: the server signs the
// owner in with a new login token, which tokenkit drops unused (it expires
// with the session). Set AccessToken.UserID, or use ForUser, to skip that
// call. A token of another type is an error matching
// tokenkit.ErrInvalidInput: signing in with a login token may replace it.
func (c *Client) Tokens(auth tokenkit.TokenSource) (*Tokens, error) {
	if auth == nil {
		return nil, c.tx.InvalidInput(opTokens, "auth: a token source is required")
	}
	return &Tokens{c: c, auth: auth}, nil
}

// ForUser returns the access-token API of user userID with t's
// authentication: how an administrator manages another user's tokens (a
// regular user's token is answered 403, tokenkit.ErrForbidden), or how to
// name the user and skip finding it. A userID that is not positive is an
// error matching tokenkit.ErrInvalidInput.
func (t *Tokens) ForUser(userID int64) (*Tokens, error) {
	if err := t.valid("ForUser"); err != nil {
		return nil, err
	}
	if userID <= 0 {
		return nil, t.c.tx.InvalidInput("ForUser", "userID must be positive, got %d", userID)
	}
	return &Tokens{c: t.c, auth: t.auth, userID: userID}, nil
}

// String describes t without the token source, which holds secrets.
func (t *Tokens) String() string {
	if t == nil {
		return "canvus.Tokens(nil)"
	}
	base := ""
	if t.c != nil {
		base = t.c.base
	}
	t.mu.Lock()
	id := t.userID
	t.mu.Unlock()
	return fmt.Sprintf("canvus.Tokens{base: %q, user: %d}", base, id)
}

// Format writes String for every verb: fmt would otherwise print the token
// source, and the token in it, field by field.
func (t *Tokens) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// UserID returns the user whose tokens t manages, finding it first if no
// call has yet (see Client.Tokens).
func (t *Tokens) UserID(ctx context.Context) (int64, error) { return t.user(ctx, "UserID") }

// user returns the user id, resolving it once; a failure is not kept, so
// the next call tries again.
func (t *Tokens) user(ctx context.Context, op string) (int64, error) {
	if err := t.valid(op); err != nil {
		return 0, err
	}
	t.mu.Lock()
	id := t.userID
	t.mu.Unlock()
	if id > 0 {
		return id, nil
	}
	tok, err := t.auth.Token(ctx)
	if err != nil {
		return 0, t.c.tx.SourceError(op, err)
	}
	if tok == nil {
		return 0, t.c.tx.InvalidInput(op, "auth gave no token")
	}
	id, err = t.c.userOf(ctx, op, tok, true)
	if err != nil {
		return 0, err
	}
	t.mu.Lock()
	if t.userID == 0 {
		t.userID = id
	}
	id = t.userID
	t.mu.Unlock()
	return id, nil
}

// userOf returns the user tok belongs to, as tok says; when tok is an
// *AccessToken that does not say and ask is set, the token form of sign-in
// names it.
func (c *Client) userOf(ctx context.Context, op string, tok tokenkit.Token, ask bool) (int64, error) {
	switch x := tok.(type) {
	case *Session:
		if x != nil && x.User.ID > 0 {
			return x.User.ID, nil
		}
	case *AccessToken:
		if x == nil {
			break
		}
		if x.UserID > 0 {
			return x.UserID, nil
		}
		if !ask {
			return 0, c.tx.InvalidInput(op, "the access token's user is unknown: set AccessToken.UserID (Canvus has no /users/me, and the one call that names a token's user signs in, which a check must not)")
		}
		if x.Value() == "" {
			break
		}
		lt, err := c.login(ctx, op, Credentials{Token: x.value})
		if err != nil {
			return 0, err
		}
		return lt.User.ID, nil
	}
	return 0, c.tx.InvalidInput(op, "cannot tell whose token a %T is: use a *canvus.Session or *canvus.AccessToken, or Tokens.ForUser", tok)
}

// valid refuses a Tokens that Client.Tokens did not build (a nil pointer or
// a literal), instead of panicking.
func (t *Tokens) valid(op string) error {
	if t == nil || t.c == nil || t.auth == nil {
		return &tokenkit.Error{Vendor: vendor, Op: op, Message: "use Client.Tokens to get a Tokens", Err: tokenkit.ErrInvalidInput}
	}
	return nil
}

func (t *Tokens) checkID(op, id string) error {
	if err := t.valid(op); err != nil {
		return err
	}
	if strings.TrimSpace(id) == "" {
		return t.c.tx.InvalidInput(op, "empty token id")
	}
	if strings.Trim(id, ".") == "" {
		// "." and ".." would address another path once a server
		// normalises it; base64 ids never consist of dots.
		return t.c.tx.InvalidInput(op, "invalid token id %q", id)
	}
	return nil
}

func (t *Tokens) checkDescription(op, description string) error {
	if err := t.valid(op); err != nil {
		return err
	}
	if strings.TrimSpace(description) == "" {
		return t.c.tx.InvalidInput(op, "a description is required")
	}
	return nil
}

// ListInfo lists the user's tokens (GET /users/{id}/access-tokens). Canvus
// never returns their secrets.
func (t *Tokens) ListInfo(ctx context.Context) ([]AccessTokenInfo, error) {
	return t.listInfo(ctx, opListInfo)
}

func (t *Tokens) listInfo(ctx context.Context, name string) ([]AccessTokenInfo, error) {
	uid, err := t.user(ctx, name)
	if err != nil {
		return nil, err
	}
	op := &httpx.Op{Name: name, Class: httpx.Idempotent, Auth: t.auth}
	res, err := httpx.Run(ctx, t.c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return t.c.api.ListAccessTokens(ctx, uid, nil)
	})
	if err != nil {
		return nil, err
	}
	dtos, err := httpx.Decode[[]api.AccessToken](t.c.tx, op, res)
	if err != nil {
		return nil, err
	}
	out := make([]AccessTokenInfo, 0, len(*dtos))
	for _, d := range *dtos {
		info, err := t.c.info(d)
		if err != nil {
			return nil, t.c.tx.InvalidResponse(op, res.Status, res.Body, err)
		}
		out = append(out, info)
	}
	return out, nil
}

// List lists the user's tokens as tokenkit.TokenInfo (Name is the
// description). Canvus reports the name and creation time only; its tokens
// never expire and have no scopes, and it does not report their last use,
// so Reported is FieldName|FieldCreatedAt.
func (t *Tokens) List(ctx context.Context) ([]tokenkit.TokenInfo, error) {
	infos, err := t.listInfo(ctx, opList)
	if err != nil {
		return nil, err
	}
	out := make([]tokenkit.TokenInfo, len(infos))
	for i, in := range infos {
		out[i] = in.TokenInfo()
	}
	return out, nil
}

// TokenInfo converts to the vendor-neutral form.
func (i AccessTokenInfo) TokenInfo() tokenkit.TokenInfo {
	return tokenkit.TokenInfo{ID: i.ID, Name: i.Description, CreatedAt: i.CreatedAt,
		Reported: tokenkit.FieldName | tokenkit.FieldCreatedAt}
}

// Check asks the server whether tok works, for tokenkit.Checker: it lists
// the tokens of tok's user (GET /users/{id}/access-tokens) presenting tok
// alone, the cheapest call without a side effect that a login token and an
// access token may both make. A nil error means tok works (the result's
// Subject is the user id); a refused token is an error for which
// tokenkit.Rejected reports true (HTTP 401); anything else means the check
// could not tell.
//
// The path names the user, and Canvus has no /users/me: tok must say whose
// it is, as a *Session always does and an *AccessToken does when its
// UserID is set (Create and Import set it; set it yourself on a token
// NewAccessToken wrapped). The one call that names an unknown token's user
// signs in with it, which a check must not do, so a token whose user is
// unknown is an error matching tokenkit.ErrInvalidInput and nothing is sent.
func (c *Client) Check(ctx context.Context, tok tokenkit.Token) (*tokenkit.CheckResult, error) {
	if tok == nil || tok.Value() == "" {
		return nil, c.tx.InvalidInput(opCheck, "no token to check")
	}
	uid, err := c.userOf(ctx, opCheck, tok, false)
	if err != nil {
		return nil, err
	}
	_, err = httpx.Run(ctx, c.tx, &httpx.Op{Name: opCheck, Class: httpx.Idempotent, Auth: tokenkit.StaticSource(tok)}, func(ctx context.Context) (*http.Response, error) {
		return c.api.ListAccessTokens(ctx, uid, nil)
	})
	if err != nil {
		return nil, err
	}
	return &tokenkit.CheckResult{Subject: strconv.FormatInt(uid, 10)}, nil
}

// Get returns one token (GET /users/{id}/access-tokens/{token-id}).
func (t *Tokens) Get(ctx context.Context, id string) (*AccessTokenInfo, error) {
	uid, err := t.userFor(ctx, opGet, id)
	if err != nil {
		return nil, err
	}
	op := &httpx.Op{Name: opGet, Class: httpx.Idempotent, Auth: t.auth}
	res, err := httpx.Run(ctx, t.c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return t.c.api.GetAccessToken(ctx, uid, id, nil, escapeTokenID(id))
	})
	if err != nil {
		return nil, err
	}
	return t.decodeInfo(op, res)
}

// userFor checks a token id, then returns the user id.
func (t *Tokens) userFor(ctx context.Context, op, id string) (int64, error) {
	if err := t.checkID(op, id); err != nil {
		return 0, err
	}
	return t.user(ctx, op)
}

// Create creates a token with the given description (POST
// /users/{id}/access-tokens). The returned AccessToken carries the secret,
// which Canvus shows only this once; it never expires. Each call creates a
// token, so Create is retried only when the request provably never reached
// the server or the server answered 429: a lost answer is an error, never a
// second token.
func (t *Tokens) Create(ctx context.Context, description string) (*AccessToken, error) {
	return t.create(ctx, opCreate, description)
}

func (t *Tokens) create(ctx context.Context, name, description string) (*AccessToken, error) {
	if err := t.checkDescription(name, description); err != nil {
		return nil, err
	}
	uid, err := t.user(ctx, name)
	if err != nil {
		return nil, err
	}
	body := api.CreateAccessTokenJSONRequestBody{Description: description}
	op := &httpx.Op{Name: name, Class: httpx.Mutating, Auth: t.auth}
	res, err := httpx.Run(ctx, t.c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return t.c.api.CreateAccessToken(ctx, uid, body)
	})
	if err != nil {
		return nil, err
	}
	dto, err := httpx.Decode[api.CreatedAccessToken](t.c.tx, op, res)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(dto.PlainToken) == "" || strings.TrimSpace(dto.Id) == "" {
		return nil, t.c.tx.InvalidResponse(op, res.Status, res.Body, errors.New("the answer lacks plain_token or id"))
	}
	created, err := parseTime(dto.CreatedAt, t.c.opts.loc)
	if err != nil {
		return nil, t.c.tx.InvalidResponse(op, res.Status, res.Body, fmt.Errorf("created_at: %w", err))
	}
	return &AccessToken{
		value:       tokenkit.Secret(dto.PlainToken),
		pres:        t.c.opts.presentations,
		ID:          dto.Id,
		Description: dto.Description,
		CreatedAt:   created,
		UserID:      uid,
	}, nil
}

// Issue is Create for tokenkit.Issuer: req.Name is the description and is
// required. Canvus tokens never expire and have no scopes, so a request with
// a Lifetime or Scopes is an error matching tokenkit.ErrInvalidInput, and
// nothing is sent. The result is an *AccessToken, whose TokenID is the id
// Revoke takes.
func (t *Tokens) Issue(ctx context.Context, req tokenkit.IssueRequest) (tokenkit.Token, error) {
	if err := t.valid(opIssue); err != nil {
		return nil, err
	}
	if req.Lifetime != 0 {
		return nil, t.c.tx.InvalidInput(opIssue, "Lifetime: Canvus access tokens never expire")
	}
	if len(req.Scopes) > 0 {
		return nil, t.c.tx.InvalidInput(opIssue, "Scopes: Canvus access tokens have no scopes")
	}
	return httpx.AsToken(t.create(ctx, opIssue, req.Name))
}

// Rename changes a token's description (PATCH
// /users/{id}/access-tokens/{token-id}) and returns the updated token.
func (t *Tokens) Rename(ctx context.Context, id, description string) (*AccessTokenInfo, error) {
	if err := t.checkDescription(opRename, description); err != nil {
		return nil, err
	}
	uid, err := t.userFor(ctx, opRename, id)
	if err != nil {
		return nil, err
	}
	body := api.RenameAccessTokenJSONRequestBody{Description: description}
	op := &httpx.Op{Name: opRename, Class: httpx.Idempotent, Auth: t.auth}
	res, err := httpx.Run(ctx, t.c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return t.c.api.RenameAccessToken(ctx, uid, id, body, escapeTokenID(id))
	})
	if err != nil {
		return nil, err
	}
	return t.decodeInfo(op, res)
}

// Delete deletes (revokes) a token (DELETE
// /users/{id}/access-tokens/{token-id}). A retried Delete whose earlier
// attempt already deleted the token (the server then answers 404) counts as
// success; a 404 on the first attempt is an error matching
// tokenkit.ErrNotFound.
func (t *Tokens) Delete(ctx context.Context, id string) error { return t.delete(ctx, opDelete, id) }

// Revoke is Delete, for tokenkit.Revoker.
func (t *Tokens) Revoke(ctx context.Context, id string) error { return t.delete(ctx, opRevoke, id) }

func (t *Tokens) delete(ctx context.Context, name, id string) error {
	uid, err := t.userFor(ctx, name, id)
	if err != nil {
		return err
	}
	_, err = httpx.Run(ctx, t.c.tx, &httpx.Op{Name: name, Class: httpx.Idempotent, Auth: t.auth}, func(ctx context.Context) (*http.Response, error) {
		return t.c.api.DeleteAccessToken(ctx, uid, id, escapeTokenID(id))
	})
	if afterRetry(err, http.StatusNotFound) {
		return nil
	}
	return err
}

func (t *Tokens) decodeInfo(op *httpx.Op, res *httpx.Result) (*AccessTokenInfo, error) {
	dto, err := httpx.Decode[api.AccessToken](t.c.tx, op, res)
	if err != nil {
		return nil, err
	}
	info, err := t.c.info(*dto)
	if err != nil {
		return nil, t.c.tx.InvalidResponse(op, res.Status, res.Body, err)
	}
	return &info, nil
}

// info converts a decoded token, refusing one without an id or with a
// created_at it cannot read.
func (c *Client) info(d api.AccessToken) (AccessTokenInfo, error) {
	if strings.TrimSpace(d.Id) == "" {
		return AccessTokenInfo{}, errors.New("access token without an id")
	}
	created, err := parseTime(d.CreatedAt, c.opts.loc)
	if err != nil {
		return AccessTokenInfo{}, fmt.Errorf("created_at: %w", err)
	}
	return AccessTokenInfo{ID: d.Id, Description: d.Description, CreatedAt: created}, nil
}

// escapeTokenID re-escapes the token-id path segment. The generated client
// escapes it with url.PathEscape, which turns '/' into %2F but leaves '+'
// and '=' as they are; a server that decodes paths like form values would
// read '+' as a space. Every byte outside RFC 3986's unreserved set is
// percent-encoded here, which every server decodes back to the same id.
func escapeTokenID(id string) api.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		generated := "/" + url.PathEscape(id)
		p := r.URL.EscapedPath()
		if !strings.HasSuffix(p, generated) {
			return fmt.Errorf("canvus: internal error: token id is not the last path segment")
		}
		r.URL.RawPath = strings.TrimSuffix(p, generated) + "/" + escapeSegment(id)
		return nil
	}
}

// escapeSegment percent-encodes every byte outside A–Z a–z 0–9 - . _ ~.
func escapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
