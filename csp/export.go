package csp

import (
	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/legacypres"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
)

// kindAccessToken is the Exported.Kind of an *AccessToken.
const kindAccessToken = "access_token"

var _ tokenkit.Exportable = (*AccessToken)(nil)

// Export returns the token's persisted form (see tokenkit.Exported): the
// explicit way to save it, for example to share it through a tokenkit.Store.
// Import reads it back. Kind "access_token"; secrets access_token, and
// id_token and refresh_token when set; attrs token_type, issued_token_type
// and scope when set, and presentations, the token's Presentations as
// tokenkit.Exported.SetPresentations records them, absent for the default
// (tokenkit.Bearer()). Import refuses presentations that WithPresentation
// would refuse (tokenkit.ErrExportFormat), and still reads the attribute
// "presentation" of files written before.
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
	e.SetPresentations(t.presentations)
	return e, nil
}

// legacyPresentations are the numbers tokenkit 0.1.0 wrote in the attribute
// "presentation" before csp took tokenkit.Presentation (csp.Presentation:
// 0 Bearer, 1 CSPAuthToken, 2 Both); the JSON list that followed until
// presentations moved to tokenkit.Exported.SetPresentations is read too
// (internal/legacypres).
var legacyPresentations = map[string][]tokenkit.Presentation{
	"0": nil,
	"1": {CSPAuthToken()},
	"2": {tokenkit.Bearer(), CSPAuthToken()},
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
	ps, err := legacypres.Presentations(e, legacyPresentations)
	if err != nil {
		return nil, err
	}
	t := &AccessToken{
		value: v, bearer: tokenfmt.BearerHeader(v.Reveal()),
		TokenType: e.Attrs["token_type"], IssuedTokenType: e.Attrs["issued_token_type"], Scope: e.Attrs["scope"],
		IDToken: e.Secrets["id_token"], RefreshToken: e.Secrets["refresh_token"],
		ExpiresAt: e.Expiry, presentations: ps,
	}
	return t, nil
}
