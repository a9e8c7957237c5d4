package oracle

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
	"github.com/tokenkit/tokenkit/oracle/internal/api"
)

// MaxCustomAttributes is how many custom attributes one CurrentUser call may
// ask for (Oracle's documented maximum).
const MaxCustomAttributes = 20

// UserQuery selects what CurrentUser returns beyond the predefined user
// attributes. The zero value asks for nothing more.
type UserQuery struct {
	// CustomAttributes are names of IDCS custom attributes to return (at
	// most MaxCustomAttributes; case-insensitive).
	CustomAttributes []string
	// Groups asks for the IDCS groups the user is part of
	// (includeGroupMembership).
	Groups bool
	// AppRoles asks for the user's IDCS application roles of the service
	// (includeIDCSAppRoles).
	AppRoles bool
	// RealmUserGUID asks for the user's GUID from the realm
	// (includeRealmUserGUID).
	RealmUserGUID bool
}

// User is who a token belongs to (UserInfo of GET /system/api/v1/me).
type User struct {
	// Email is the user's e-mail address (email); Check reports it as the
	// token's subject.
	Email string
	// FirstName is the user's given name (firstName).
	FirstName string
	// MiddleName is the user's middle name (middleName), often empty.
	MiddleName string
	// LastName is the user's family name (lastName).
	LastName string
	// Locale is the user's preferred locale (locale), such as "en".
	Locale string
	// RealmUserGUID is set when UserQuery.RealmUserGUID asked for it.
	RealmUserGUID string
	// Groups are set when UserQuery.Groups asked for them.
	Groups []Group
	// AppRoles are set when UserQuery.AppRoles asked for them. Their JSON
	// shape is not documented: a string is kept as it is, an object by its
	// name, displayName, value or id member.
	AppRoles []string
	// CustomAttributes holds the custom attributes asked for, as decoded
	// JSON values.
	CustomAttributes map[string]any
	// Links are the resource's links (at least "self").
	Links []Link
	// Extra holds every member of the answer not listed above (the public
	// documentation shows only part of the schema).
	Extra map[string]any
}

// Group is an IDCS group the user is part of.
type Group struct {
	// ID is the group's IDCS id (id).
	ID string
	// DisplayName is the group's name as IDCS shows it (displayName).
	DisplayName string
}

// Link is one link of the resource.
type Link struct {
	// Href is the link's target URL (href).
	Href string
	// Rel is the link's relation to the resource (rel), such as "self".
	Rel string
	// Method is the HTTP method of the link (method), if given.
	Method string
	// MediaType is the media type of the target (mediaType), if given.
	MediaType string
}

// CurrentUser returns the user a token belongs to (GET /system/api/v1/me):
// the way to check that a token works. auth supplies the token for each
// attempt; pass a *tokenkit.Source, or tokenkit.StaticSource(tok) for a token you hold.
// A rejected token gives a *tokenkit.Error matching tokenkit.ErrUnauthorized.
func (c *Client) CurrentUser(ctx context.Context, auth tokenkit.TokenSource, q UserQuery) (*User, error) {
	return c.currentUser(ctx, "CurrentUser", auth, q)
}

// currentUser is CurrentUser for the method op.
func (c *Client) currentUser(ctx context.Context, op string, auth tokenkit.TokenSource, q UserQuery) (*User, error) {
	if auth == nil {
		return nil, c.tx.InvalidInput(op, "auth: no token source")
	}
	params := &api.GetCurrentUserParams{}
	if n := len(q.CustomAttributes); n > 0 {
		if n > MaxCustomAttributes {
			return nil, c.tx.InvalidInput(op, "UserQuery.CustomAttributes: %d custom attributes asked for; at most %d are allowed", n, MaxCustomAttributes)
		}
		for _, a := range q.CustomAttributes {
			if a = strings.TrimSpace(a); a == "" || strings.Contains(a, ",") {
				return nil, c.tx.InvalidInput(op, "UserQuery.CustomAttributes: names must be non-empty and contain no comma")
			}
		}
		params.CustomAttributes = ptr.To(strings.Join(q.CustomAttributes, ","))
	}
	if q.Groups {
		params.IncludeGroupMembership = ptr.To(true)
	}
	if q.AppRoles {
		params.IncludeIDCSAppRoles = ptr.To(true)
	}
	if q.RealmUserGUID {
		params.IncludeRealmUserGUID = ptr.To(true)
	}
	dto, err := httpx.Call[api.UserInfo](ctx, c.tx, &httpx.Op{Name: op, Class: httpx.Idempotent, Auth: auth}, func(ctx context.Context) (*http.Response, error) {
		return c.api.GetCurrentUser(ctx, params)
	})
	if err != nil {
		return nil, err
	}
	return userFrom(dto), nil
}

func userFrom(dto *api.UserInfo) *User {
	u := &User{
		Email:         ptr.Deref(dto.Email),
		FirstName:     ptr.Deref(dto.FirstName),
		MiddleName:    ptr.Deref(dto.MiddleName),
		LastName:      ptr.Deref(dto.LastName),
		Locale:        ptr.Deref(dto.Locale),
		RealmUserGUID: ptr.Deref(dto.RealmUserGUID),
		Extra:         dto.AdditionalProperties,
	}
	if dto.CustomAttributes != nil {
		u.CustomAttributes = *dto.CustomAttributes
	}
	for _, g := range ptr.Deref(dto.MembershipGroupsList) {
		u.Groups = append(u.Groups, Group{ID: ptr.Deref(g.Id), DisplayName: ptr.Deref(g.DisplayName)})
	}
	for _, r := range ptr.Deref(dto.IdcsappRoles) {
		if name := roleName(r); name != "" {
			u.AppRoles = append(u.AppRoles, name)
		}
	}
	for _, l := range ptr.Deref(dto.Links) {
		u.Links = append(u.Links, Link{Href: ptr.Deref(l.Href), Rel: ptr.Deref(l.Rel), Method: ptr.Deref(l.Method), MediaType: ptr.Deref(l.MediaType)})
	}
	return u
}

// roleName reads one idcsappRoles entry, whose shape is undocumented.
func roleName(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		for _, k := range []string{"name", "displayName", "value", "id"} {
			if s, ok := t[k].(string); ok && s != "" {
				return s
			}
		}
	case nil:
		return ""
	default:
		return fmt.Sprint(t)
	}
	return ""
}
