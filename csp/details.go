package csp

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
	"github.com/tokenkit/tokenkit/internal/wiretime"
)

// APITokenDetails describes an API token (ApiTokenDetailsDto). CSP answers
// only for an unexpired, organization-scoped API token.
type APITokenDetails struct {
	// TokenID is the API token's id (tokenId).
	TokenID string
	// TokenName is the API token's display name (tokenName).
	TokenName string
	// UserID is the id of the token's owner (userId).
	UserID string
	// Username is the owner's user name (username), which CSP marks
	// deprecated: prefer UserID, Acct or FirstName and LastName.
	Username string
	// FirstName is the owner's first name.
	FirstName string
	// LastName is the owner's last name.
	LastName string
	// Domain is the owner's identity domain.
	Domain string
	// IDPID is the id of the owner's identity provider (idpId).
	IDPID string
	// OrgID is the organization the API token is scoped to.
	OrgID string
	// Acct is the owner's account (acct).
	Acct string
	// Deactivated reports whether the API token is deactivated.
	Deactivated bool
	// Scopes are the API token's scopes (scope).
	Scopes []string
	// CreatedAt is when the API token was created. It, LastUsedAt and
	// ExpiresAt are read in the unit set with WithDetailsTimeUnit (seconds
	// or milliseconds; by default whichever the value's size shows), and
	// are zero when absent.
	CreatedAt time.Time
	// LastUsedAt is when the API token was last used; zero when CSP does
	// not say.
	LastUsedAt time.Time
	// ExpiresAt is when the API token expires; zero when CSP does not say.
	ExpiresAt time.Time
	// AllowedScopes is what the token is limited to, if CSP says.
	AllowedScopes *AllowedScopes
}

// AllowedScopes is the AllowedScopesDto of an API token: what its access
// tokens are limited to.
type AllowedScopes struct {
	// GeneralScopes are the general, non-organization scopes.
	GeneralScopes []string `json:"generalScopes,omitempty"`
	// OrganizationScopes are the organization-level scopes.
	OrganizationScopes *OrganizationScopes `json:"organizationScopes,omitempty"`
	// ServicesScopes are the scopes of each service definition.
	ServicesScopes []ServiceScopes `json:"servicesScopes,omitempty"`
}

// OrganizationScopes are the organization part of AllowedScopes.
type OrganizationScopes struct {
	// AllPermissions reports whether every permission is allowed.
	AllPermissions bool `json:"allPermissions,omitempty"`
	// AllRoles reports whether every role is allowed.
	AllRoles bool `json:"allRoles,omitempty"`
	// KeptInToken are the scope types kept in the token.
	KeptInToken []string `json:"keptInToken,omitempty"`
	// Permissions are the allowed permissions, with their resources.
	Permissions []PermissionScope `json:"permissions,omitempty"`
	// Roles are the allowed roles, with their resource.
	Roles []RoleScope `json:"roles,omitempty"`
}

// ServiceScopes are the scopes of one service in AllowedScopes.
type ServiceScopes struct {
	// ServiceDefinitionID is the service definition's id, without the
	// "external" prefix.
	ServiceDefinitionID string `json:"serviceDefinitionId,omitempty"`
	// AllPermissions reports whether every permission of the service is
	// allowed (Permissions is then empty).
	AllPermissions bool `json:"allPermissions,omitempty"`
	// AllRoles reports whether every role of the service is allowed
	// (Roles is then empty).
	AllRoles bool `json:"allRoles,omitempty"`
	// KeptInToken is the scope type kept in the token: ROLES or
	// PERMISSIONS.
	KeptInToken []string `json:"keptInToken,omitempty"`
	// Permissions are the allowed permissions, with their resources.
	Permissions []PermissionScope `json:"permissions,omitempty"`
	// Roles are the allowed roles, with their resource.
	Roles []RoleScope `json:"roles,omitempty"`
}

// PermissionScope is one permission, optionally on resources.
type PermissionScope struct {
	// PermissionID is the permission's id.
	PermissionID string `json:"permissionId,omitempty"`
	// Resources are the resources the permission applies to; empty for
	// all.
	Resources []string `json:"resources,omitempty"`
}

// RoleScope is one role on a resource.
type RoleScope struct {
	// Name is the role's name.
	Name string `json:"name,omitempty"`
	// Resource is the resource the role applies to.
	Resource string `json:"resource,omitempty"`
}

// APITokenDetails looks up an API token's owner, scopes and dates
// (POST /csp/gateway/am/api/auth/api-tokens/details). The API token travels
// in the JSON body, never in the URL.
func (c *Client) APITokenDetails(ctx context.Context, apiToken tokenkit.Secret) (*APITokenDetails, error) {
	const op = "APITokenDetails"
	if strings.TrimSpace(apiToken.Reveal()) == "" {
		return nil, c.tx.InvalidInput(op, "empty API token")
	}
	body := api.GetAPITokenDetailsJSONRequestBody{TokenValue: apiToken.Reveal()}
	dto, err := httpx.Call[api.ApiTokenDetailsDto](ctx, c.tx, &httpx.Op{Name: op, Class: httpx.Idempotent}, func(ctx context.Context) (*http.Response, error) {
		return c.api.GetAPITokenDetails(ctx, body)
	})
	if err != nil {
		return nil, err
	}
	d := &APITokenDetails{
		TokenID: ptr.Deref(dto.TokenId), TokenName: ptr.Deref(dto.TokenName), UserID: ptr.Deref(dto.UserId),
		Username: ptr.Deref(dto.Username), FirstName: ptr.Deref(dto.FirstName), LastName: ptr.Deref(dto.LastName),
		Domain: ptr.Deref(dto.Domain), IDPID: ptr.Deref(dto.IdpId), OrgID: ptr.Deref(dto.OrgId), Acct: ptr.Deref(dto.Acct),
		Deactivated: ptr.Deref(dto.Deactivated), Scopes: ptr.Deref(dto.Scope),
		CreatedAt:  epoch(ptr.Deref(dto.CreatedAt), c.opts.detailsUnit),
		LastUsedAt: epoch(ptr.Deref(dto.LastUsedAt), c.opts.detailsUnit),
		ExpiresAt:  epoch(ptr.Deref(dto.ExpiresAt), c.opts.detailsUnit),
	}
	if dto.AllowedScopes != nil {
		// Same JSON shape on both sides: a round trip copies it without a
		// hand-written mapping of every nested pointer.
		if b, err := json.Marshal(dto.AllowedScopes); err == nil {
			var as AllowedScopes
			if json.Unmarshal(b, &as) == nil {
				d.AllowedScopes = &as
			}
		}
	}
	return d, nil
}

// epoch converts a CSP timestamp. The identity-governance page says seconds;
// PowerCLI's Get-CSPRefreshTokenExpiry reads milliseconds. A value of 1e12 or
// more is milliseconds in DetailsAuto: as seconds it would be past the year
// 33000, as milliseconds anything below it would be before 2001.
//
// Values are clamped like every vendor's timestamps (internal/wiretime): zero
// or negative is "not set", past the year 9999 is the end of 9999.
func epoch(v int64, unit DetailsTimeUnit) time.Time {
	switch {
	case unit == DetailsSeconds:
		return wiretime.Unix(v)
	case unit == DetailsMilliseconds, v >= 1e12:
		return wiretime.UnixMilli(v)
	}
	return wiretime.Unix(v)
}
