package oracle

import (
	"time"

	"github.com/tokenkit/tokenkit"
)

// kindAccessToken is the Exported.Kind of an *AccessToken.
const kindAccessToken = "access_token"

var _ tokenkit.Exportable = (*AccessToken)(nil)

// Export returns the token's persisted form (see tokenkit.Exported),
// refresh token included: the explicit way to save it, for example to share
// it through a tokenkit.Store. Import reads it back. A token of a client
// built with WithPresentation records its presentations in the attribute
// presentations (tokenkit.Exported.SetPresentations); none are recorded
// for the default, "Authorization: <TokenType> <token>".
func (t *AccessToken) Export() (*tokenkit.Exported, error) {
	e := tokenkit.NewExported(vendor, kindAccessToken, t.ExpiresAt)
	e.Secrets["access_token"] = t.value
	if t.RefreshToken != "" {
		e.Secrets["refresh_token"] = t.RefreshToken
	}
	if t.TokenType != "" {
		e.Attrs["token_type"] = t.TokenType
	}
	if t.Lifetime > 0 {
		e.Attrs["lifetime"] = t.Lifetime.String()
	}
	e.SetPresentations(t.present)
	return e, nil
}

// Import rebuilds a token that Export saved. It returns an error matching
// tokenkit.ErrExportFormat for anything else; use it as a
// tokenkit.ImportFunc.
func Import(e *tokenkit.Exported) (tokenkit.Token, error) {
	return ImportAccessToken(e)
}

// ImportAccessToken is Import with the concrete type. The token presents
// itself as the presentations Export recorded say, or by default
// ("Authorization: <TokenType> <token>") when none were; presentations that
// WithPresentation would refuse are an error matching
// tokenkit.ErrExportFormat. Given to a client's Source as
// SourceConfig.Initial, it takes that client's presentation.
func ImportAccessToken(e *tokenkit.Exported) (*AccessToken, error) {
	if err := e.Check(vendor, kindAccessToken); err != nil {
		return nil, err
	}
	v, err := e.Required("access_token")
	if err != nil {
		return nil, err
	}
	ps, err := e.Presentations()
	if err != nil {
		return nil, err
	}
	life, _ := time.ParseDuration(e.Attrs["lifetime"])
	return &AccessToken{value: v, present: ps, RefreshToken: e.Secrets["refresh_token"], TokenType: e.Attrs["token_type"],
		Lifetime: life, ExpiresAt: e.Expiry}, nil
}
