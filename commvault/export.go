package commvault

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/legacypres"
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

// Export returns the pair's persisted form (see tokenkit.Exported): both
// tokens, the id and the chain's times. It is the explicit way to save a
// pair; only ever restore the newest one (an older pair makes Commvault
// delete the chain), which the shared-refresh protocol of tokenkit.Store
// guarantees. Import reads it back. How the token is presented
// (WithPresentation) goes in the attribute presentations
// (tokenkit.Exported.SetPresentations); Import refuses any that
// WithPresentation would refuse, reads the attribute "presentation" of
// older files, and presents a token without either as Authtoken().
func (t *AccessToken) Export() (*tokenkit.Exported, error) {
	e := tokenkit.NewExported(vendor, kindAccessToken, t.ExpiresAt)
	e.Secrets["access_token"] = t.value
	if t.RefreshToken != "" {
		e.Secrets["refresh_token"] = t.RefreshToken
	}
	e.Attrs["id"] = strconv.FormatInt(t.ID, 10)
	e.Attrs["user_id"] = strconv.FormatInt(t.UserID, 10)
	e.Attrs["type"] = strconv.Itoa(int(t.Type))
	e.SetPresentations(t.present)
	if t.Name != "" {
		e.Attrs["name"] = t.Name
	}
	e.SetTime("refresh_expires_at", t.RefreshExpiresAt)
	e.SetTime("renewable_until", t.RenewableUntil)
	return e, nil
}

// Export returns the login session's persisted form (see
// tokenkit.Exported).
func (s *Session) Export() (*tokenkit.Exported, error) {
	e := tokenkit.NewExported(vendor, kindSession, s.ExpiresAt)
	e.Secrets["token"] = s.value
	for k, v := range map[string]string{"user_name": s.UserName, "user_guid": s.UserGUID, "email": s.Email, "device_id": s.DeviceID} {
		if v != "" {
			e.Attrs[k] = v
		}
	}
	if s.present.Header != "" {
		e.SetPresentations([]tokenkit.Presentation{s.present})
	}
	if s.timeout > 0 {
		e.Attrs["timeout"] = s.timeout.String()
	}
	return e, nil
}

// Import rebuilds an *AccessToken or a *Session that Export saved. It
// returns an error matching tokenkit.ErrExportFormat for anything else; use
// it as a tokenkit.ImportFunc.
func Import(e *tokenkit.Exported) (tokenkit.Token, error) {
	if err := e.Check(vendor, kindAccessToken, kindSession); err != nil {
		return nil, err
	}
	if e.Kind == kindSession {
		v, err := e.Required("token")
		if err != nil {
			return nil, err
		}
		s := &Session{value: v, UserName: e.Attrs["user_name"], UserGUID: e.Attrs["user_guid"], Email: e.Attrs["email"],
			DeviceID: e.Attrs["device_id"], ExpiresAt: e.Expiry}
		ps, err := legacypres.Presentations(e, legacyPresentations)
		switch {
		case err != nil:
			return nil, err
		case len(ps) > 1:
			return nil, fmt.Errorf("%w: commvault: a session is presented one way, the file names %d", tokenkit.ErrExportFormat, len(ps))
		case len(ps) == 1:
			s.present = ps[0]
		}
		s.timeout, _ = time.ParseDuration(e.Attrs["timeout"])
		return s, nil
	}
	return ImportAccessToken(e)
}

// ImportAccessToken rebuilds an *AccessToken that Export saved.
func ImportAccessToken(e *tokenkit.Exported) (*AccessToken, error) {
	if err := e.Check(vendor, kindAccessToken); err != nil {
		return nil, err
	}
	v, err := e.Required("access_token")
	if err != nil {
		return nil, err
	}
	t := &AccessToken{value: v, RefreshToken: e.Secrets["refresh_token"], Type: TokenTypeAll}
	t.ID, _ = strconv.ParseInt(e.Attrs["id"], 10, 64)
	t.UserID, _ = strconv.ParseInt(e.Attrs["user_id"], 10, 64)
	if ty, err := strconv.Atoi(e.Attrs["type"]); err == nil && TokenType(ty).valid() {
		t.Type = TokenType(ty)
	}
	if t.present, err = legacypres.Presentations(e, legacyPresentations); err != nil {
		return nil, err
	}
	t.Name = e.Attrs["name"]
	t.ExpiresAt = e.Expiry
	t.RefreshExpiresAt = e.Time("refresh_expires_at")
	t.RenewableUntil = e.Time("renewable_until")
	return t, nil
}

// legacyPresentations are the numbers tokenkit 0.1.0 wrote in the attribute
// "presentation" before commvault took tokenkit.Presentation
// (commvault.Presentation: 0 PresentAuthtoken, 1 PresentBearer, 2
// PresentNone, which was never a token's own and so meant the default).
// The JSON list of tokenkit.Presentation with keys "Header"/"Prefix" that
// followed until presentations moved to tokenkit.Exported.SetPresentations
// is read too (internal/legacypres).
var legacyPresentations = map[string][]tokenkit.Presentation{
	"0": nil,
	"1": {tokenkit.Bearer()},
	"2": nil,
}
