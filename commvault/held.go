package commvault

import (
	"strconv"
	"strings"

	"github.com/tokenkit/tokenkit"
)

// NewAccessToken wraps an access token you already hold (from Command
// Center's UI, another program, or an earlier run that kept only the values)
// so that it presents itself as this client's WithPresentation says and can
// be checked, renewed or used as a tokenkit.TokenSource.
//
// h.Value, the access token, is required. h.RefreshToken makes it a pair
// that can be renewed (its Type is then TokenTypeAll; without one it is
// TokenTypeUnknown). h.ID is the decimal accessTokenId (TokenID), which must
// be a positive integer. h.Expiry becomes ExpiresAt; zero means unknown.
// Anything else is an error matching tokenkit.ErrInvalidInput that names the
// field. Only ever wrap the pair most recently issued: renewing an older one
// makes Commvault delete the whole chain. To restore a pair with every
// detail (its renewable-until time, its name), save it with Export and read
// it back with ImportAccessToken instead.
func (c *Client) NewAccessToken(h tokenkit.HeldToken) (*AccessToken, error) {
	const opName = "NewAccessToken"
	if strings.TrimSpace(h.Value.Reveal()) == "" {
		return nil, c.tx.InvalidInput(opName, "HeldToken.Value: no access token")
	}
	t := &AccessToken{value: h.Value, RefreshToken: h.RefreshToken, ExpiresAt: h.Expiry,
		Type: TokenTypeUnknown, present: c.opts.presentation}
	if h.RefreshToken != "" {
		t.Type = TokenTypeAll
	}
	if h.ID != "" {
		id, err := strconv.ParseInt(strings.TrimSpace(h.ID), 10, 64)
		if err != nil || id <= 0 {
			return nil, c.tx.InvalidInput(opName, "HeldToken.ID: %q is not a positive integer (a Commvault accessTokenId)", h.ID)
		}
		t.ID = id
	}
	return t, nil
}

// NewSession wraps a QSDK login session token you already hold, for example
// one that `tokenctl commvault login` printed. A value without the "QSDK "
// prefix gets it, as Commvault's Python SDK does with pasted tokens; the
// session is presented as Authtoken. h.Expiry becomes ExpiresAt (zero:
// unknown). A login session has no refresh token and no token id: h.Value
// is required, and h.RefreshToken or h.ID is an error matching
// tokenkit.ErrInvalidInput that names the field. A SaaS authToken, which is
// presented as Authorization: Bearer, can be used as
// tokenkit.StaticSource(tokenkit.NewBearerToken(value, time.Time{})).
//
// Sessions are login tokens, not API tokens: they can do what an access token
// cannot (create, list, update and delete access tokens), so NewSession is
// the way to run those calls under a session obtained elsewhere.
func (c *Client) NewSession(h tokenkit.HeldToken) (*Session, error) {
	const opName = "NewSession"
	v := strings.TrimSpace(h.Value.Reveal())
	switch {
	case v == "" || v == "QSDK":
		return nil, c.tx.InvalidInput(opName, "HeldToken.Value: no session token")
	case h.RefreshToken != "":
		return nil, c.tx.InvalidInput(opName, "HeldToken.RefreshToken: a Commvault login session has no refresh token")
	case h.ID != "":
		return nil, c.tx.InvalidInput(opName, "HeldToken.ID: a Commvault login session has no token id")
	}
	if !strings.HasPrefix(v, "QSDK ") {
		v = "QSDK " + v
	}
	return &Session{value: tokenkit.Secret(v), ExpiresAt: h.Expiry}, nil
}
