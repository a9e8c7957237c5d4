package csp

import (
	"strconv"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
)

// kindAccessToken is the Exported.Kind of an *AccessToken.
const kindAccessToken = "access_token"

var _ tokenkit.Exportable = (*AccessToken)(nil)

// Export returns the token's persisted form (see tokenkit.Exported): the
// explicit way to save it, for example to share it through a tokenkit.Store.
// Import reads it back.
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
	e.Attrs["presentation"] = strconv.Itoa(int(t.Presentation))
	return e, nil
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
	p, _ := strconv.Atoi(e.Attrs["presentation"])
	t := &AccessToken{
		value: v, bearer: tokenfmt.BearerHeader(v.Reveal()),
		TokenType: e.Attrs["token_type"], IssuedTokenType: e.Attrs["issued_token_type"], Scope: e.Attrs["scope"],
		IDToken: e.Secrets["id_token"], RefreshToken: e.Secrets["refresh_token"],
		ExpiresAt: e.Expiry, Presentation: Presentation(p),
	}
	if t.Presentation < PresentBearer || t.Presentation > PresentBoth {
		t.Presentation = PresentBearer
	}
	return t, nil
}
