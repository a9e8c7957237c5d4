package commvault

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// CreateRequest describes a V4 access token to create.
type CreateRequest struct {
	// Name is the token's name; required. Commvault refuses a name the user
	// already has ("Token name already present").
	Name string
	// Type is the token type. The zero value, TokenTypeDefault, is not sent:
	// the server then creates an ALL token.
	Type TokenType
	// RenewableUntil ends the create-and-renew chain (ALL and CUSTOM only;
	// default 90 days from creation, at most 365 days). Zero sends none.
	RenewableUntil time.Time
	// ExpiresAt is the token's expiry (MS_SCIM and OneTouch only; defaults
	// 30 and 7 days). Zero sends none.
	ExpiresAt time.Time
	// APIEndpoints limits a CUSTOM token to these endpoints; required for
	// CUSTOM.
	APIEndpoints []string
	// AllowedIPs is the token's IP allow-list (IPv4, IPv6, CIDR, ranges).
	// Sent by Commvault's Python SDK but not on the OpenAPI page: unverified.
	AllowedIPs []string
	// EnableIPAllowList sends enableIPAllowListFeature=true, as the
	// Terraform provider's pull request #27 does. Unverified.
	EnableIPAllowList bool
	// UserID creates the token for another user, such as a service account
	// (userId; sent by a fork of Commvault's Python SDK; unverified). Zero
	// creates it for the session's user.
	UserID int64
}

// UpdateRequest changes an access token (PUT /V4/AccessToken/{id}). Zero
// fields are left out of the body; whether the server then keeps or clears
// them is not documented.
type UpdateRequest struct {
	// Name renames the token.
	Name string
	// Type changes the type; TokenTypeDefault (zero) is not sent.
	Type TokenType
	// RenewableUntil moves the end of the chain (ALL and CUSTOM).
	RenewableUntil time.Time
	// ExpiresAt moves the expiry (MS_SCIM and OneTouch).
	ExpiresAt time.Time
	// APIEndpoints replaces a CUSTOM token's endpoints; nil sends none.
	APIEndpoints []string
	// AllowedIPs replaces the IP allow-list; nil sends none. Unverified.
	AllowedIPs []string
}

// typeField encodes a non-default type for a request body.
func (c *Client) typeField(opName string, t TokenType) (*api.TokenType, error) {
	if t == TokenTypeDefault {
		return nil, nil
	}
	if !t.valid() {
		return nil, c.tx.InvalidInput(opName, "unknown token type %d", int(t))
	}
	w, ok := t.wire(c.opts.typeNames)
	if !ok {
		return nil, c.tx.InvalidInput(opName, "token type %s has no documented name: do not use WithTokenTypeNames with it", t)
	}
	return w, nil
}

// CreateAccessToken creates a V4 access token (POST /V4/AccessToken) under
// a login session: auth is a *Session, a SessionSource or any token source of
// login sessions (Commvault does not let an access token create another).
// For ALL and CUSTOM tokens the answer has a refresh token.
//
// A creation the server refuses inside HTTP 200 (error.errorCode != 0, such
// as a duplicate name) is a *tokenkit.Error carrying Commvault's code and
// message, never a zero token. The call creates state, so it is never resent
// after the request may have reached the server; such a failure matches
// ErrOutcomeUnknown (list the tokens to find out).
func (c *Client) CreateAccessToken(ctx context.Context, auth tokenkit.TokenSource, req CreateRequest) (*AccessToken, error) {
	return c.createAccessToken(ctx, "CreateAccessToken", auth, req)
}

// checkCreate validates a CreateRequest but for its name, which
// AccessTokenRequest.Create uses as a prefix.
func (c *Client) checkCreate(opName string, req CreateRequest) error {
	if req.Type == TokenTypeCustom && len(req.APIEndpoints) == 0 {
		return c.tx.InvalidInput(opName, "CreateRequest.APIEndpoints: a CUSTOM token needs APIEndpoints")
	}
	if req.UserID < 0 {
		return c.tx.InvalidInput(opName, "CreateRequest.UserID: negative user id")
	}
	_, err := c.typeField(opName, req.Type)
	return err
}

// createAccessToken is CreateAccessToken under the name of the method the
// caller called.
func (c *Client) createAccessToken(ctx context.Context, opName string, auth tokenkit.TokenSource, req CreateRequest) (*AccessToken, error) {
	if auth == nil {
		return nil, c.tx.InvalidInput(opName, "no login session")
	}
	if strings.TrimSpace(req.Name) == "" {
		return nil, c.tx.InvalidInput(opName, "CreateRequest.Name: token name is required")
	}
	if err := c.checkCreate(opName, req); err != nil {
		return nil, err
	}
	typ, _ := c.typeField(opName, req.Type) // checked by checkCreate
	body := api.CreateAccessTokenJSONRequestBody{
		TokenName:               req.Name,
		TokenType:               typ,
		RenewableUntilTimestamp: seconds(req.RenewableUntil),
		TokenExpiryTimestamp:    seconds(req.ExpiresAt),
	}
	if len(req.APIEndpoints) > 0 {
		body.ApiEndpoints = ptr.To(slices.Clone(req.APIEndpoints))
	}
	if len(req.AllowedIPs) > 0 {
		body.AllowedIPs = ptr.To(slices.Clone(req.AllowedIPs))
	}
	if req.EnableIPAllowList {
		body.EnableIPAllowListFeature = ptr.To(true)
	}
	if req.UserID > 0 {
		body.UserId = ptr.To(req.UserID)
	}
	op := &httpx.Op{Name: opName, Class: httpx.Mutating, Auth: auth}
	res, err := httpx.Run(ctx, c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.CreateAccessToken(ctx, body)
	})
	if err != nil {
		return nil, err
	}
	if err := c.checked(op, res, false); err != nil {
		return nil, err
	}
	r, err := httpx.Decode[api.CreateAccessTokenResult](c.tx, op, res)
	if err != nil {
		return nil, err
	}
	ti := r.TokenInfo
	if ti == nil || strings.TrimSpace(ptr.Deref(ti.AccessToken)) == "" {
		return nil, c.missing(op, res, "answer has no tokenInfo.accessToken")
	}
	t := &AccessToken{
		value:            tokenkit.Secret(*ti.AccessToken),
		RefreshToken:     tokenkit.Secret(ptr.Deref(ti.RefreshToken)),
		ID:               ptr.Deref(ti.AccessTokenId),
		Name:             cmp.Or(ptr.Deref(ti.TokenName), req.Name),
		UserID:           ptr.Deref(ti.UserId),
		Type:             req.Type,
		ExpiresAt:        epoch(ti.TokenExpiryTimestamp),
		RefreshExpiresAt: epoch(ti.RefreshTokenExpiryTimestamp),
		RenewableUntil:   epoch(ti.RenewableUntilTimestamp),
		present:          c.opts.presentation,
	}
	if t.Type == TokenTypeDefault {
		t.Type = TokenTypeAll // "(0)DEFAULT is ALL(2)"
	}
	return t, nil
}

// ListAccessTokens lists the access tokens of a user (GET
// /V4/AccessToken?userId=), without their secrets. userID 0 sends no userId:
// the session's own tokens.
func (c *Client) ListAccessTokens(ctx context.Context, auth tokenkit.TokenSource, userID int64) ([]AccessTokenInfo, error) {
	return c.listAccessTokens(ctx, "ListAccessTokens", auth, userID)
}

// listAccessTokens is ListAccessTokens under the name of the method the
// caller called.
func (c *Client) listAccessTokens(ctx context.Context, opName string, auth tokenkit.TokenSource, userID int64) ([]AccessTokenInfo, error) {
	if auth == nil {
		return nil, c.tx.InvalidInput(opName, "no login session")
	}
	if userID < 0 {
		return nil, c.tx.InvalidInput(opName, "negative user id")
	}
	params := &api.ListAccessTokensParams{}
	if userID > 0 {
		params.UserId = ptr.To(userID)
	}
	op := &httpx.Op{Name: opName, Class: httpx.Idempotent, Auth: auth}
	res, err := httpx.Run(ctx, c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.ListAccessTokens(ctx, params)
	})
	if err != nil {
		return nil, err
	}
	if err := c.checked(op, res, false); err != nil {
		return nil, err
	}
	r, err := httpx.Decode[api.AccessTokenList](c.tx, op, res)
	if err != nil {
		return nil, err
	}
	var out []AccessTokenInfo
	for _, s := range ptr.Deref(r.Tokens) {
		typ, _ := decodeType(s.TokenType)
		out = append(out, AccessTokenInfo{
			ID:             ptr.Deref(s.AccessTokenId),
			UserID:         ptr.Deref(s.UserId),
			Name:           ptr.Deref(s.TokenName),
			Type:           typ,
			CreatedAt:      epoch(s.CreatedTime),
			LastUsedAt:     epoch(s.LastUsedTime),
			ExpiresAt:      epoch(s.TokenExpiryTimestamp),
			RenewableUntil: epoch(s.RenewableUntilTimestamp),
			APIEndpoints:   ptr.Deref(s.ApiEndpoints),
			AllowedIPs:     ptr.Deref(s.AllowedIPs),
		})
	}
	return out, nil
}

// UpdateAccessToken changes an access token (PUT /V4/AccessToken/{id})
// under a login session and returns what the server reports back. A change
// refused inside HTTP 200 (error.errorCode != 0) is a *tokenkit.Error with
// Commvault's code and message.
func (c *Client) UpdateAccessToken(ctx context.Context, auth tokenkit.TokenSource, id int64, req UpdateRequest) (*AccessTokenInfo, error) {
	const opName = "UpdateAccessToken"
	if auth == nil {
		return nil, c.tx.InvalidInput(opName, "no login session")
	}
	if id <= 0 {
		return nil, c.tx.InvalidInput(opName, "token id must be positive")
	}
	if req.Type == TokenTypeCustom && req.APIEndpoints != nil && len(req.APIEndpoints) == 0 {
		return nil, c.tx.InvalidInput(opName, "a CUSTOM token needs APIEndpoints")
	}
	typ, err := c.typeField(opName, req.Type)
	if err != nil {
		return nil, err
	}
	body := api.UpdateAccessTokenJSONRequestBody{
		AccessTokenId:           ptr.To(id),
		TokenType:               typ,
		RenewableUntilTimestamp: seconds(req.RenewableUntil),
		TokenExpiryTimestamp:    seconds(req.ExpiresAt),
	}
	if req.Name != "" {
		body.TokenName = ptr.To(req.Name)
	}
	if req.APIEndpoints != nil {
		body.ApiEndpoints = ptr.To(slices.Clone(req.APIEndpoints))
	}
	if req.AllowedIPs != nil {
		body.AllowedIPs = ptr.To(slices.Clone(req.AllowedIPs))
	}
	sid := strconv.FormatInt(id, 10)
	op := &httpx.Op{Name: opName, Class: httpx.Idempotent, Auth: auth}
	res, err := httpx.Run(ctx, c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.UpdateAccessToken(ctx, sid, body)
	})
	if err != nil {
		return nil, err
	}
	if err := c.checked(op, res, false); err != nil {
		return nil, err
	}
	r, err := httpx.Decode[api.UpdateAccessTokenResult](c.tx, op, res)
	if err != nil {
		return nil, err
	}
	info := &AccessTokenInfo{ID: id, Name: req.Name, Type: req.Type, RenewableUntil: req.RenewableUntil,
		ExpiresAt: req.ExpiresAt, APIEndpoints: req.APIEndpoints, AllowedIPs: req.AllowedIPs}
	if ti := r.TokenInfo; ti != nil {
		if v := ptr.Deref(ti.AccessTokenId); v != 0 {
			info.ID = v
		}
		info.Name = cmp.Or(ptr.Deref(ti.TokenName), info.Name)
		if t, ok := decodeType(ti.TokenType); ok {
			info.Type = t
		}
		if t := epoch(ti.RenewableUntilTimestamp); !t.IsZero() {
			info.RenewableUntil = t
		}
		if t := epoch(ti.TokenExpiryTimestamp); !t.IsZero() {
			info.ExpiresAt = t
		}
	}
	return info, nil
}

// DeleteAccessToken deletes (revokes) an access token (DELETE
// /V4/AccessToken/{id}) under a login session. A refusal inside HTTP 200
// (errorCode != 0, for example an unknown id) is a *tokenkit.Error with
// Commvault's code and message.
func (c *Client) DeleteAccessToken(ctx context.Context, auth tokenkit.TokenSource, id int64) error {
	return c.deleteAccessToken(ctx, "DeleteAccessToken", auth, id)
}

// deleteAccessToken is DeleteAccessToken under the name of the method the
// caller called.
func (c *Client) deleteAccessToken(ctx context.Context, opName string, auth tokenkit.TokenSource, id int64) error {
	if auth == nil {
		return c.tx.InvalidInput(opName, "no login session")
	}
	if id <= 0 {
		return c.tx.InvalidInput(opName, "token id must be positive")
	}
	sid := strconv.FormatInt(id, 10)
	op := &httpx.Op{Name: opName, Class: httpx.Idempotent, Auth: auth}
	res, err := httpx.Run(ctx, c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.DeleteAccessToken(ctx, sid)
	})
	if err != nil {
		return err
	}
	return c.checked(op, res, false)
}

// notRenewable is the cause of a renew refused before sending.
type notRenewable struct{ why string }

func (e *notRenewable) Error() string { return e.why }

func (e *notRenewable) Is(target error) bool {
	return errors.Is(ErrNotRenewable, target)
}

// renewHeader presents the current access token on the renew call the way
// WithRenewPresentation says.
type renewHeader struct {
	value tokenkit.Secret
	ps    []tokenkit.Presentation
}

func (h renewHeader) Value() string                 { return h.value.Reveal() }
func (h renewHeader) Expiry() time.Time             { return time.Time{} }
func (h renewHeader) SetAuthHeader(r *http.Request) { present(r, h.ps, h.Value()) }

// RenewAccessToken renews a pair (POST /V4/AccessToken/Renew) and returns
// the new pair; the old refresh token is spent. This is the raw call: it does
// not stop you from renewing the same pair twice, which makes Commvault delete
// the whole token chain. Use an AccessTokenSource (or
// AccessTokenExchanger), which serialises renewals and refuses to replay a
// pair.
//
// The call is never resent after the request may have reached the server; a
// renewal whose answer was lost matches ErrOutcomeUnknown, and so do a
// renewal abandoned by canceling ctx (or by its deadline) while it was in
// flight, which still matches the context's error, and an HTTP 200 whose new
// pair cannot be read (the server has most likely rotated the pair). A pair the server refuses (expired, unknown, not renewable)
// matches tokenkit.ErrInvalidCredential. A token without a refresh token, or
// past its renewable-until time, is refused before sending with
// ErrNotRenewable.
func (c *Client) RenewAccessToken(ctx context.Context, tok *AccessToken) (*AccessToken, error) {
	return c.renewAccessToken(ctx, "RenewAccessToken", tok)
}

// renewAccessToken is RenewAccessToken under the name of the method the
// caller called.
func (c *Client) renewAccessToken(ctx context.Context, opName string, tok *AccessToken) (*AccessToken, error) {
	if tok == nil {
		return nil, c.tx.InvalidInput(opName, "no access token")
	}
	if !tok.CanRenew(c.tx.Now()) {
		why := "the token has no refresh token"
		if tok.RefreshToken != "" && tok.value != "" {
			why = "the token is past its renewable-until time or its refresh token has expired"
		}
		return nil, &tokenkit.Error{Vendor: vendor, Op: opName, Message: why, Err: &notRenewable{why}}
	}
	if err := ctx.Err(); err != nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: opName, Message: "not sent", Err: err}
	}
	body := api.RenewAccessTokenJSONRequestBody{AccessToken: tok.Value(), RefreshToken: tok.RefreshToken.Reveal()}
	op := &httpx.Op{Name: opName, Class: httpx.Mutating}
	if len(c.opts.renewPresentation) > 0 {
		op.Auth = tokenkit.StaticSource(renewHeader{value: tok.value, ps: c.opts.renewPresentation})
	}
	res, err := httpx.Run(ctx, c.tx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.RenewAccessToken(ctx, body)
	})
	if err != nil {
		return nil, markCredential(err)
	}
	if err := c.checked(op, res, true); err != nil {
		return nil, err
	}
	r, derr := httpx.Decode[api.RenewedAccessToken](c.tx, op, res)
	if derr != nil {
		r = salvageRenewal(res.Body)
	}
	if r == nil || strings.TrimSpace(ptr.Deref(r.AccessToken)) == "" || strings.TrimSpace(ptr.Deref(r.RefreshToken)) == "" {
		te := c.missing(op, res, "renewal answer has no new access and refresh token")
		// HTTP 200 from a renew: the server has most likely rotated the pair
		// and the new one is lost with this body. The old one is spent.
		// Its kind is that alone: not also tokenkit.ErrInvalidResponse.
		te.Err = tokenkit.ErrOutcomeUnknown
		return nil, te
	}
	n := *tok
	n.value = tokenkit.Secret(*r.AccessToken)
	n.RefreshToken = tokenkit.Secret(*r.RefreshToken)
	if v := ptr.Deref(r.AccessTokenId); v != 0 {
		n.ID = v
	}
	n.Name = cmp.Or(ptr.Deref(r.TokenName), n.Name)
	if v := ptr.Deref(r.UserId); v != 0 {
		n.UserID = v
	}
	if t, ok := decodeType(r.TokenType); ok && t != TokenTypeUnknown {
		n.Type = t
	}
	n.ExpiresAt = epoch(r.TokenExpiryTimestamp)
	n.RefreshExpiresAt = epoch(r.RefreshTokenExpiryTimestamp)
	if t := epoch(r.RenewableUntilTimestamp); !t.IsZero() {
		n.RenewableUntil = t
	}
	n.present = c.opts.presentation
	return &n, nil
}

var (
	salvageString = regexp.MustCompile(`"(accessToken|refreshToken|tokenName)"\s*:\s*"([^"\\]{1,1000})"`)
	salvageNumber = regexp.MustCompile(`"(accessTokenId|userId|tokenExpiryTimestamp|tokenExpiryTimes.amp|refreshTokenExpiryTimestamp|renewableUntilTimestamp)"\s*:\s*"?(\d{1,19})`)
)

// salvageRenewal reads the new pair out of a renew answer that is not valid
// JSON: centreon-plugins reports that Commvault's renew answer is sometimes
// invalid and extracts the values with regular expressions, including a
// misspelled "tokenExpiryTimes}amp". nil when no pair can be found.
func salvageRenewal(body []byte) *api.RenewedAccessToken {
	r := &api.RenewedAccessToken{}
	for _, m := range salvageString.FindAllSubmatch(body, -1) {
		v := string(m[2])
		switch string(m[1]) {
		case "accessToken":
			r.AccessToken = &v
		case "refreshToken":
			r.RefreshToken = &v
		case "tokenName":
			r.TokenName = &v
		}
	}
	for _, m := range salvageNumber.FindAllSubmatch(body, -1) {
		n, err := strconv.ParseInt(string(m[2]), 10, 64)
		if err != nil {
			continue
		}
		switch key := string(m[1]); {
		case key == "accessTokenId":
			r.AccessTokenId = &n
		case key == "userId":
			r.UserId = &n
		case strings.HasPrefix(key, "tokenExpiryTimes"):
			r.TokenExpiryTimestamp = &n
		case key == "refreshTokenExpiryTimestamp":
			r.RefreshTokenExpiryTimestamp = &n
		case key == "renewableUntilTimestamp":
			r.RenewableUntilTimestamp = &n
		}
	}
	if r.AccessToken == nil || r.RefreshToken == nil || json.Valid(body) {
		return nil // valid JSON that did not decode is not salvaged: its types are wrong
	}
	return r
}
