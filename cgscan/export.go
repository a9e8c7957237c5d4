package cgscan

import (
	"encoding/json"
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
// Import reads it back.
func (t *AccessToken) Export() (*tokenkit.Exported, error) {
	e := tokenkit.NewExported(vendor, kindAccessToken, t.Expiry())
	e.Secrets["token"] = t.token
	if t.apiKey != "" {
		e.Secrets["api_key"] = t.apiKey
	}
	e.Attrs["username"] = t.Username
	e.SetTime("issued_at", t.IssuedAt)
	e.Attrs["presentations"] = encodePresentations(t.Presentations)
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
		"org_uuid": s.Organization.UUID, "org_name": s.Organization.Name, "presentations": encodePresentations(s.Presentations)} {
		e.Attrs[k] = v
	}
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
	ps, err := decodePresentations(e.Attrs["presentations"])
	if err != nil {
		return nil, err
	}
	if e.Kind == kindSession {
		verified, _ := strconv.ParseBool(e.Attrs["verified"])
		n, _ := strconv.Atoi(e.Attrs["sign_in_count"])
		return &Session{token: v, apiKey: e.Secrets["api_key"], Username: e.Attrs["username"], Role: e.Attrs["role"],
			Timezone: e.Attrs["timezone"], Provider: e.Attrs["provider"], Verified: verified, SignInCount: n,
			Organization: Organization{UUID: e.Attrs["org_uuid"], Name: e.Attrs["org_name"]}, Presentations: ps}, nil
	}
	return &AccessToken{token: v, apiKey: e.Secrets["api_key"], expiry: e.Expiry, Username: e.Attrs["username"],
		IssuedAt: e.Time("issued_at"), Presentations: ps}, nil
}

// presentationJSON is one presentation in the "presentations" attribute.
type presentationJSON struct {
	Header string `json:"header"`
	Prefix string `json:"prefix"`
}

// encodePresentations writes the presentations of a token as a JSON list of
// {header, prefix}: the default's when there are none.
func encodePresentations(ps []tokenkit.Presentation) string {
	if len(ps) == 0 {
		ps = defaultPresentations()
	}
	out := make([]presentationJSON, len(ps))
	for i, p := range ps {
		out[i] = presentationJSON{p.Header, p.Prefix}
	}
	b, _ := json.Marshal(out) // strings only: cannot fail
	return string(b)
}

// decodePresentations reads what encodePresentations wrote; "" is the
// default. Anything WithPresentation would refuse is an error matching
// tokenkit.ErrExportFormat.
func decodePresentations(s string) ([]tokenkit.Presentation, error) {
	if s == "" {
		return defaultPresentations(), nil
	}
	var in []presentationJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("cgscan: presentations: %w", tokenkit.ErrExportFormat)
	}
	ps := make([]tokenkit.Presentation, len(in))
	for i, p := range in {
		ps[i] = tokenkit.Presentation{Header: p.Header, Prefix: p.Prefix}
	}
	if err := validPresentations(ps); err != nil {
		return nil, fmt.Errorf("cgscan: presentations: %s: %w", err.Error(), tokenkit.ErrExportFormat)
	}
	return ps, nil
}
