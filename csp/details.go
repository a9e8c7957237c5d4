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
	TokenID     string
	TokenName   string
	UserID      string
	Username    string
	FirstName   string
	LastName    string
	Domain      string
	IDPID       string
	OrgID       string
	Acct        string
	Deactivated bool
	Scopes      []string
	// CreatedAt, LastUsedAt and ExpiresAt are read in the unit set with
	// WithDetailsTimeUnit (seconds or milliseconds; by default whichever the
	// value's size shows). Zero when absent.
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	// AllowedScopes is what the token is limited to, if CSP says.
	AllowedScopes *AllowedScopes
}

// AllowedScopes is the AllowedScopesDto of an API token: what its access
// tokens are limited to.
type AllowedScopes struct {
	GeneralScopes      []string            `json:"generalScopes,omitempty"`
	OrganizationScopes *OrganizationScopes `json:"organizationScopes,omitempty"`
	ServicesScopes     []ServiceScopes     `json:"servicesScopes,omitempty"`
}

// OrganizationScopes are the organization part of AllowedScopes.
type OrganizationScopes struct {
	AllPermissions bool              `json:"allPermissions,omitempty"`
	AllRoles       bool              `json:"allRoles,omitempty"`
	KeptInToken    []string          `json:"keptInToken,omitempty"`
	Permissions    []PermissionScope `json:"permissions,omitempty"`
	Roles          []RoleScope       `json:"roles,omitempty"`
}

// ServiceScopes are the scopes of one service in AllowedScopes.
type ServiceScopes struct {
	ServiceDefinitionID string            `json:"serviceDefinitionId,omitempty"`
	AllPermissions      bool              `json:"allPermissions,omitempty"`
	AllRoles            bool              `json:"allRoles,omitempty"`
	KeptInToken         []string          `json:"keptInToken,omitempty"`
	Permissions         []PermissionScope `json:"permissions,omitempty"`
	Roles               []RoleScope       `json:"roles,omitempty"`
}

// PermissionScope is one permission, optionally on resources.
type PermissionScope struct {
	PermissionID string   `json:"permissionId,omitempty"`
	Resources    []string `json:"resources,omitempty"`
}

// RoleScope is one role on a resource.
type RoleScope struct {
	Name     string `json:"name,omitempty"`
	Resource string `json:"resource,omitempty"`
}

// APITokenDetails looks up an API token's owner, scopes and dates
// (POST /csp/gateway/am/api/auth/api-tokens/details). The API token travels
// in the JSON body, never in the URL.
func (c *Client) APITokenDetails(ctx context.Context, apiToken tokenkit.Secret) (*APITokenDetails, error) {
	const op = "GetAPITokenDetails"
	if strings.TrimSpace(apiToken.Reveal()) == "" {
		return nil, c.tx.InvalidInput(op, "empty API token")
	}
	body := api.GetAPITokenDetailsJSONRequestBody{TokenValue: apiToken.Reveal()}
	dto, err := call[api.ApiTokenDetailsDto](ctx, c, op, httpx.Idempotent, func(ctx context.Context) (*http.Response, error) {
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
// more is milliseconds in AutoUnit: as seconds it would be past the year
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
