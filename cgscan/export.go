package cgscan

import (
	"fmt"
	"strconv"

	"github.com/tokenkit/tokenkit"
)

// Exported kinds of this package's tokens.
const (
	kindAccessToken = "access_token"
	kindSession     = "session"
)

var (
	_ tokenkit.Exportable = (*AccessToken)(nil)
	_ tokenkit.Exportable = (*Session)(nil)
)

// Export returns the access token's persisted form (see tokenkit.Exported),
// with the API key it is presented with: the explicit way to save it.
// Import reads it back. The token's Presentations go in the attribute
// presentations (tokenkit.Exported.SetPresentations); Import refuses any
// that WithPresentation would refuse, and a file without them gives the
// default, tokenkit.Bearer().
func (t *AccessToken) Export() (*tokenkit.Exported, error) {
	e := tokenkit.NewExported(vendor, kindAccessToken, t.Expiry())
	e.Secrets["token"] = t.token
	if t.apiKey != "" {
		e.Secrets["api_key"] = t.apiKey
	}
	e.Attrs["username"] = t.Username
	e.SetTime("issued_at", t.IssuedAt)
	e.SetPresentations(t.presentations)
	return e, nil
}

// Export returns the session's persisted form (see tokenkit.Exported), with
// the API key it is presented with and the user's details.
func (s *Session) Export() (*tokenkit.Exported, error) {
	e := tokenkit.NewExported(vendor, kindSession, s.Expiry())
	e.Secrets["token"] = s.token
	if s.apiKey != "" {
		e.Secrets["api_key"] = s.apiKey
	}
	for k, v := range map[string]string{"username": s.Username, "role": s.Role, "timezone": s.Timezone, "provider": s.Provider,
		"org_uuid": s.Organization.UUID, "org_name": s.Organization.Name} {
		e.Attrs[k] = v
	}
	e.SetPresentations(s.presentations)
	e.Attrs["verified"] = strconv.FormatBool(s.Verified)
	e.Attrs["sign_in_count"] = strconv.Itoa(s.SignInCount)
	return e, nil
}

// Import rebuilds an *AccessToken or a *Session that Export saved. It
// returns an error matching tokenkit.ErrExportFormat for anything else; use
// it as a tokenkit.ImportFunc.
func Import(e *tokenkit.Exported) (tokenkit.Token, error) {
	if err := e.Check(vendor, kindAccessToken, kindSession); err != nil {
		return nil, err
	}
	v, err := e.Required("token")
	if err != nil {
		return nil, err
	}
	ps, err := importPresentations(e)
	if err != nil {
		return nil, err
	}
	if e.Kind == kindSession {
		verified, _ := strconv.ParseBool(e.Attrs["verified"])
		n, _ := strconv.Atoi(e.Attrs["sign_in_count"])
		return &Session{token: v, apiKey: e.Secrets["api_key"], Username: e.Attrs["username"], Role: e.Attrs["role"],
			Timezone: e.Attrs["timezone"], Provider: e.Attrs["provider"], Verified: verified, SignInCount: n,
			Organization: Organization{UUID: e.Attrs["org_uuid"], Name: e.Attrs["org_name"]}, presentations: ps}, nil
	}
	return &AccessToken{token: v, apiKey: e.Secrets["api_key"], expiry: e.Expiry, Username: e.Attrs["username"],
		IssuedAt: e.Time("issued_at"), presentations: ps}, nil
}

// importPresentations reads the presentations Export recorded
// (tokenkit.Exported.Presentations; nil, the default, when there are none)
// and refuses, as WithPresentation does, one in the x-api-key header.
func importPresentations(e *tokenkit.Exported) ([]tokenkit.Presentation, error) {
	ps, err := e.Presentations()
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if err := notAPIKey(p); err != nil {
			return nil, fmt.Errorf("%w: cgscan: attribute presentations: %v", tokenkit.ErrExportFormat, err)
		}
	}
	return ps, nil
}

// ImportAccessToken is Import for an access token, with the concrete type:
// a persisted token of another kind (a Session) is an error matching
// tokenkit.ErrExportFormat.
func ImportAccessToken(e *tokenkit.Exported) (*AccessToken, error) {
	if err := e.Check(vendor, kindAccessToken); err != nil {
		return nil, err
	}
	tok, err := Import(e)
	if err != nil {
		return nil, err
	}
	return tok.(*AccessToken), nil // Check admitted only kindAccessToken
}
