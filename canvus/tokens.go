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
// manage anyone's. Get one from Client.Tokens. It implements
// tokenkit.Issuer, tokenkit.Revoker and tokenkit.Lister, and is safe for
// concurrent use.
type Tokens struct {
	c      *Client
	userID int64
	auth   tokenkit.TokenSource
}

var (
	_ tokenkit.Issuer  = (*Tokens)(nil)
	_ tokenkit.Revoker = (*Tokens)(nil)
	_ tokenkit.Lister  = (*Tokens)(nil)
	_ tokenkit.Checker = (*Tokens)(nil)
)

// Tokens returns the access-token API of user userID, authenticated by
// auth: a *tokenkit.Source from LoginSource (refreshed and, after a 401,
// replaced automatically), or tokenkit.StaticSource(token) for a token you hold.
func (c *Client) Tokens(userID int64, auth tokenkit.TokenSource) *Tokens {
	return &Tokens{c: c, userID: userID, auth: auth}
}

// String describes t without the token source, which holds secrets.
func (t Tokens) String() string {
	base := ""
	if t.c != nil {
		base = t.c.base
	}
	return fmt.Sprintf("canvus.Tokens{base: %q, user: %d}", base, t.userID)
}

// Format writes String for every verb: fmt would otherwise print the token
// source, and the token in it, field by field.
func (t Tokens) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// UserID returns the user whose tokens t manages.
func (t *Tokens) UserID() int64 { return t.userID }

func (t *Tokens) check(op string) error {
	switch {
	case t == nil || t.c == nil:
		return &tokenkit.Error{Vendor: vendor, Op: op, Message: "use Client.Tokens to get a Tokens", Err: tokenkit.ErrInvalidInput}
	case t.userID <= 0:
		return t.c.tx.InvalidInput(op, "user id must be positive, got %d", t.userID)
	case t.auth == nil:
		return t.c.tx.InvalidInput(op, "no token source to authenticate with")
	}
	return nil
}

func (t *Tokens) checkID(op, id string) error {
	if err := t.check(op); err != nil {
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
	if strings.TrimSpace(description) == "" {
		return t.c.tx.InvalidInput(op, "a description is required")
	}
	return nil
}

// ListInfo lists the user's tokens (GET /users/{id}/access-tokens). Canvus
// never returns their secrets.
func (t *Tokens) ListInfo(ctx context.Context) ([]AccessTokenInfo, error) {
	if err := t.check(opList); err != nil {
		return nil, err
	}
	res, op, err := t.c.run(ctx, opList, httpx.Idempotent, t.auth, func(ctx context.Context) (*http.Response, error) {
		return t.c.api.ListAccessTokens(ctx, t.userID, nil)
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
	infos, err := t.ListInfo(ctx)
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
// the tokens of t's user (GET /users/{id}/access-tokens) presenting tok
// alone, the cheapest call a login token and an access token may both make
// (Canvus has no /users/me). A nil error means tok works (the result's
// Subject is the user id); a refused token is an error for which
// tokenkit.Rejected reports true (HTTP 401); anything else means the check
// could not tell. An administrator's token works for any user; a token of
// another, ordinary user is answered 403 (ErrForbidden): could not tell, so
// check a token with the Tokens of its own user.
func (t *Tokens) Check(ctx context.Context, tok tokenkit.Token) (*tokenkit.CheckResult, error) {
	if err := t.check(opList); err != nil {
		return nil, err
	}
	if tok == nil || tok.Value() == "" {
		return nil, t.c.tx.InvalidInput(opList, "no token to check")
	}
	_, _, err := t.c.run(ctx, opList, httpx.Idempotent, tokenkit.StaticSource(tok), func(ctx context.Context) (*http.Response, error) {
		return t.c.api.ListAccessTokens(ctx, t.userID, nil)
	})
	if err != nil {
		return nil, err
	}
	return &tokenkit.CheckResult{Subject: strconv.FormatInt(t.userID, 10)}, nil
}

// Get returns one token (GET /users/{id}/access-tokens/{token-id}).
func (t *Tokens) Get(ctx context.Context, id string) (*AccessTokenInfo, error) {
	if err := t.checkID(opGet, id); err != nil {
		return nil, err
	}
	res, op, err := t.c.run(ctx, opGet, httpx.Idempotent, t.auth, func(ctx context.Context) (*http.Response, error) {
		return t.c.api.GetAccessToken(ctx, t.userID, id, nil, escapeTokenID(id))
	})
	if err != nil {
		return nil, err
	}
	return t.decodeInfo(op, res)
}

// Create creates a token with the given description (POST
// /users/{id}/access-tokens). The returned AccessToken carries the secret,
// which Canvus shows only this once; it never expires. Each call creates a
// token, so Create is retried only when the request provably never reached
// the server or the server answered 429: a lost answer is an error, never a
// second token.
func (t *Tokens) Create(ctx context.Context, description string) (*AccessToken, error) {
	if err := t.check(opCreate); err != nil {
		return nil, err
	}
	if err := t.checkDescription(opCreate, description); err != nil {
		return nil, err
	}
	body := api.CreateAccessTokenJSONRequestBody{Description: description}
	res, op, err := t.c.run(ctx, opCreate, httpx.Mutating, t.auth, func(ctx context.Context) (*http.Response, error) {
		return t.c.api.CreateAccessToken(ctx, t.userID, body)
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
		ID:          dto.Id,
		Description: dto.Description,
		CreatedAt:   created,
		UserID:      t.userID,
	}, nil
}

// Issue is Create for tokenkit.Issuer: req.Name is the description and is
// required. Canvus tokens never expire and have no scopes, so a request with
// a Lifetime or Scopes is an error matching tokenkit.ErrInvalidInput, and
// nothing is sent. The result is an *AccessToken, whose TokenID is the id
// Revoke takes.
func (t *Tokens) Issue(ctx context.Context, req tokenkit.IssueRequest) (tokenkit.Token, error) {
	if err := t.check(opCreate); err != nil {
		return nil, err
	}
	if req.Lifetime != 0 {
		return nil, t.c.tx.InvalidInput(opCreate, "Lifetime: Canvus access tokens never expire")
	}
	if len(req.Scopes) > 0 {
		return nil, t.c.tx.InvalidInput(opCreate, "Scopes: Canvus access tokens have no scopes")
	}
	return httpx.AsToken(t.Create(ctx, req.Name))
}

// Rename changes a token's description (PATCH
// /users/{id}/access-tokens/{token-id}) and returns the updated token.
func (t *Tokens) Rename(ctx context.Context, id, description string) (*AccessTokenInfo, error) {
	if err := t.checkID(opRename, id); err != nil {
		return nil, err
	}
	if err := t.checkDescription(opRename, description); err != nil {
		return nil, err
	}
	body := api.RenameAccessTokenJSONRequestBody{Description: description}
	res, op, err := t.c.run(ctx, opRename, httpx.Idempotent, t.auth, func(ctx context.Context) (*http.Response, error) {
		return t.c.api.RenameAccessToken(ctx, t.userID, id, body, escapeTokenID(id))
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
func (t *Tokens) Delete(ctx context.Context, id string) error {
	if err := t.checkID(opDelete, id); err != nil {
		return err
	}
	_, _, err := t.c.run(ctx, opDelete, httpx.Idempotent, t.auth, func(ctx context.Context) (*http.Response, error) {
		return t.c.api.DeleteAccessToken(ctx, t.userID, id, escapeTokenID(id))
	})
	if afterRetry(err, http.StatusNotFound) {
		return nil
	}
	return err
}

// Revoke is Delete, for tokenkit.Revoker.
func (t *Tokens) Revoke(ctx context.Context, id string) error { return t.Delete(ctx, id) }

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
