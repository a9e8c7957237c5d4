package csp

import (
	"encoding/json"
	"fmt"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
)

// kindAccessToken is the Exported.Kind of an *AccessToken.
const kindAccessToken = "access_token"

var _ tokenkit.Exportable = (*AccessToken)(nil)

// Export returns the token's persisted form (see tokenkit.Exported): the
// explicit way to save it, for example to share it through a tokenkit.Store.
// Import reads it back. Kind "access_token"; secrets access_token, and
// id_token and refresh_token when set; attrs token_type, issued_token_type
// and scope when set, and presentation, the token's Presentations as a JSON
// list such as [{"header":"csp-auth-token"}], absent for the default
// (tokenkit.Bearer()).
func (t *AccessToken) Export() (*tokenkit.Exported, error) {
	e := tokenkit.NewExported(vendor, kindAccessToken, t.ExpiresAt)
	e.Secrets["access_token"] = t.value
	if t.IDToken != "" {
		e.Secrets["id_token"] = t.IDToken
	}
	if t.RefreshToken != "" {
		e.Secrets["refresh_token"] = t.RefreshToken
	}
	for k, v := range map[string]string{"token_type": t.TokenType, "issued_token_type": t.IssuedTokenType, "scope": t.Scope} {
		if v != "" {
			e.Attrs[k] = v
		}
	}
	if len(t.Presentations) > 0 {
		b, err := json.Marshal(presentationsJSON(t.Presentations))
		if err != nil {
			return nil, err
		}
		e.Attrs["presentation"] = string(b)
	}
	return e, nil
}

// presentationJSON is one presentation in the "presentation" attr: a JSON
// array of {"header":…,"prefix":…} objects, absent for the default
// (tokenkit.Bearer()).
type presentationJSON struct {
	Header string `json:"header"`
	Prefix string `json:"prefix,omitempty"`
}

func presentationsJSON(ps []tokenkit.Presentation) []presentationJSON {
	out := make([]presentationJSON, len(ps))
	for i, p := range ps {
		out[i] = presentationJSON(p)
	}
	return out
}

// legacyPresentations are the "presentation" attrs the first version of
// this package wrote, a number, read so that files it saved still load.
var legacyPresentations = map[string][]tokenkit.Presentation{
	"0": nil,
	"1": {CSPAuthToken()},
	"2": {tokenkit.Bearer(), CSPAuthToken()},
}

// importPresentations reads the "presentation" attr: each presentation
// must pass the rules of WithPresentation, so that a file cannot make a
// token replace a header such as Host.
func importPresentations(attr string) ([]tokenkit.Presentation, error) {
	if attr == "" {
		return nil, nil
	}
	if ps, ok := legacyPresentations[attr]; ok {
		return ps, nil
	}
	var list []presentationJSON
	if err := json.Unmarshal([]byte(attr), &list); err != nil {
		return nil, fmt.Errorf("%w: csp: attr presentation is not a list of presentations", tokenkit.ErrExportFormat)
	}
	ps := make([]tokenkit.Presentation, len(list))
	for i, p := range list {
		ps[i] = tokenkit.Presentation(p)
	}
	if err := checkPresentations(ps); err != nil {
		return nil, fmt.Errorf("%w: csp: attr presentation: %v", tokenkit.ErrExportFormat, err)
	}
	return ps, nil
}

// Import rebuilds a token that Export saved. It returns an error matching
// tokenkit.ErrExportFormat for anything else; use it as a
// tokenkit.ImportFunc.
func Import(e *tokenkit.Exported) (tokenkit.Token, error) {
	return ImportAccessToken(e)
}

// ImportAccessToken is Import with the concrete type.
func ImportAccessToken(e *tokenkit.Exported) (*AccessToken, error) {
	if err := e.Check(vendor, kindAccessToken); err != nil {
		return nil, err
	}
	v, err := e.Required("access_token")
	if err != nil {
		return nil, err
	}
	ps, err := importPresentations(e.Attrs["presentation"])
	if err != nil {
		return nil, err
	}
	t := &AccessToken{
		value: v, bearer: tokenfmt.BearerHeader(v.Reveal()),
		TokenType: e.Attrs["token_type"], IssuedTokenType: e.Attrs["issued_token_type"], Scope: e.Attrs["scope"],
		IDToken: e.Secrets["id_token"], RefreshToken: e.Secrets["refresh_token"],
		ExpiresAt: e.Expiry, Presentations: ps,
	}
	return t, nil
}
