package canvus

import (
	"strconv"

	"github.com/tokenkit/tokenkit"
)

// Exported kinds of this package's tokens.
const (
	kindAccessToken = "access_token"
	kindLoginToken  = "login_token"
)

var (
	_ tokenkit.Exportable = (*AccessToken)(nil)
	_ tokenkit.Exportable = (*Session)(nil)
)

// Export returns the access token's persisted form (see tokenkit.Exported):
// the explicit way to save it. Import reads it back. The token's
// presentations (WithPresentation) go in the attribute presentations
// (tokenkit.Exported.SetPresentations); Import refuses any that
// WithPresentation would refuse, and a file without them gives a token
// presented as PrivateToken().
func (t *AccessToken) Export() (*tokenkit.Exported, error) {
	e := tokenkit.NewExported(vendor, kindAccessToken, t.Expiry())
	e.Secrets["token"] = t.value
	if t.ID != "" {
		e.Attrs["id"] = t.ID
	}
	if t.Description != "" {
		e.Attrs["description"] = t.Description
	}
	if t.UserID != 0 {
		e.Attrs["user_id"] = strconv.FormatInt(t.UserID, 10)
	}
	e.SetTime("created_at", t.CreatedAt)
	e.SetPresentations(t.pres)
	return e, nil
}

// Export returns the login token's persisted form (see tokenkit.Exported),
// with the user's id, name and email.
func (t *Session) Export() (*tokenkit.Exported, error) {
	e := tokenkit.NewExported(vendor, kindLoginToken, t.ExpiresAt)
	e.Secrets["token"] = t.value
	e.Attrs["user_id"] = strconv.FormatInt(t.User.ID, 10)
	e.Attrs["user_name"] = t.User.Name
	e.Attrs["user_email"] = t.User.Email
	e.Attrs["remember"] = strconv.FormatBool(t.Remember)
	e.SetPresentations(t.pres)
	return e, nil
}

// Import rebuilds an *AccessToken or a *Session that Export saved. It
// returns an error matching tokenkit.ErrExportFormat for anything else; use
// it as a tokenkit.ImportFunc.
func Import(e *tokenkit.Exported) (tokenkit.Token, error) {
	if err := e.Check(vendor, kindAccessToken, kindLoginToken); err != nil {
		return nil, err
	}
	v, err := e.Required("token")
	if err != nil {
		return nil, err
	}
	ps, err := e.Presentations()
	if err != nil {
		return nil, err
	}
	uid, _ := strconv.ParseInt(e.Attrs["user_id"], 10, 64)
	if e.Kind == kindLoginToken {
		rem, _ := strconv.ParseBool(e.Attrs["remember"])
		return &Session{value: v, pres: ps, ExpiresAt: e.Expiry, Remember: rem,
			User: User{ID: uid, Name: e.Attrs["user_name"], Email: e.Attrs["user_email"]}}, nil
	}
	return &AccessToken{value: v, pres: ps, ID: e.Attrs["id"], Description: e.Attrs["description"], UserID: uid, CreatedAt: e.Time("created_at")}, nil
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
