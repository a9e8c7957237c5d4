package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/oracle"
)

// bundle is one vendor in the common vocabulary of package tokenkit: what
// the token lifecycle needs, and nothing vendor-specific beyond it. newBundle
// is the only place that knows which vendor type does what; the lifecycle
// (lifecycle.go) is written once against these interfaces.
type bundle struct {
	vendor string
	// signIn signs in or exchanges the configured credential for the token
	// that authenticates everything else (a session, or CSP's access token).
	signIn tokenkit.Exchanger
	// manage builds what works under that session. auth hands out the
	// current session (it is refreshed by the lifecycle); first is the
	// session signIn returned.
	manage func(auth tokenkit.TokenSource, first tokenkit.Token) (managed, error)
	// na says why the vendor's API has no such step ("issue", "list",
	// "refresh", "revoke").
	na map[string]string
	// signInHow and refreshHow say what signing in and refreshing do, for
	// the table.
	signInHow, refreshHow string
	// close releases what newBundle started.
	close func()
}

// managed is what a vendor can do under a signed-in session.
type managed struct {
	issuer  tokenkit.Issuer  // nil: the API cannot issue tokens
	lister  tokenkit.Lister  // nil: the API cannot list tokens
	revoker tokenkit.Revoker // nil: the API cannot revoke tokens
	// probe is the URL of an authenticated GET that answers 2xx to a valid
	// token and 401 to a rejected one: the "use" step sends a real request
	// through tokenkit.Transport, which tokenkit.Checker (rotate's
	// verification) does not show.
	probe string
	// renew, when set, returns an Exchanger that renews the issued token
	// itself (a rotation); otherwise a refresh signs in again through the
	// session's Source, which prolongs or replaces the session.
	renew func(issued tokenkit.Token) (tokenkit.Exchanger, error)
}

// credentials are what newBundle signs in with.
type credentials struct {
	user     seedUser
	apiToken tokenkit.Secret // CSP
	apiKey   tokenkit.Secret // Clone Guard
}

// newBundle builds the bundle of vendor for the API at base. This is the one
// switch on the vendor in the lifecycle.
func newBundle(vendor, base string, cr credentials, opts ...tokenkit.Option) (*bundle, error) {
	opts = append(clientOptions(), opts...)
	b := &bundle{vendor: vendor, na: map[string]string{}, close: func() {}}
	switch vendor {
	case "csp":
		c, err := csp.New(base, opts...)
		if err != nil {
			return nil, err
		}
		b.signIn = &csp.APITokenExchanger{Client: c, Request: csp.APITokenRequest{APIToken: cr.apiToken}}
		// CSP's tokens are for other VMware APIs, and the fake has none: a
		// downstream API that accepts only tokens this CSP signed stands in.
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if _, err := c.Verify(r.Context(), tokenkit.Secret(tok)); err != nil {
				http.Error(w, "invalid token", http.StatusUnauthorized)
				return
			}
			fmt.Fprintln(w, `{"ok":true}`)
		}))
		b.close = api.Close
		b.manage = func(tokenkit.TokenSource, tokenkit.Token) (managed, error) {
			return managed{probe: api.URL + "/orgs"}, nil
		}
		b.signInHow, b.refreshHow = "exchanged the API token", "exchanged the API token again"
		b.na["issue"] = "CSP API tokens are created in the console; the API has no call for it"
		b.na["list"] = "the CSP API has no call that lists tokens"
		b.na["revoke"] = "CSP documents no revoke or logout endpoint"
	case "commvault":
		c, err := newCommvault(base, opts)
		if err != nil {
			return nil, err
		}
		if b.signIn, err = c.SessionExchanger(commvault.Credentials{Username: cr.user.Name, Password: tokenkit.Secret(cr.user.Password)}); err != nil {
			return nil, err
		}
		b.signInHow = "logged in"
		b.refreshHow = "renewed the pair with its refresh token (AccessTokenExchanger)"
		b.manage = func(auth tokenkit.TokenSource, _ tokenkit.Token) (managed, error) {
			m, err := c.Tokens(auth)
			if err != nil {
				return managed{}, err
			}
			return managed{
				issuer: m, lister: m, revoker: m,
				probe: c.BaseURL() + "/V4/AccessToken",
				renew: func(issued tokenkit.Token) (tokenkit.Exchanger, error) {
					pair, ok := issued.(*commvault.AccessToken)
					if !ok {
						return nil, fmt.Errorf("commvault: cannot renew a %T", issued)
					}
					return c.AccessTokenExchanger(commvault.AccessTokenRequest{Initial: pair})
				},
			}, nil
		}
	case "canvus":
		c, err := canvus.New(base, opts...)
		if err != nil {
			return nil, err
		}
		b.signIn = &canvus.LoginExchanger{Client: c, Credentials: canvus.Credentials{Email: cr.user.email(), Password: tokenkit.Secret(cr.user.Password)}}
		b.signInHow = "signed in with email and password"
		b.refreshHow = "prolonged the login with its token (rotated)"
		b.manage = func(auth tokenkit.TokenSource, first tokenkit.Token) (managed, error) {
			login, ok := first.(*canvus.LoginToken)
			if !ok {
				return managed{}, fmt.Errorf("canvus: sign-in returned a %T", first)
			}
			t := c.Tokens(login.User.ID, auth)
			return managed{issuer: t, lister: t, revoker: t,
				probe: c.BaseURL() + "/users/" + strconv.FormatInt(login.User.ID, 10) + "/access-tokens"}, nil
		}
	case "oracle":
		c, err := oracle.New(base, opts...)
		if err != nil {
			return nil, err
		}
		// The Refresher signs in with the password first, then uses the
		// refresh token it got: a second Exchange is a refresh.
		b.signIn = c.NewRefresher(oracle.SourceRequest{Credentials: &oracle.Credentials{Username: cr.user.Name, Password: tokenkit.Secret(cr.user.Password)}})
		b.signInHow, b.refreshHow = "signed in with HTTP Basic", "exchanged the refresh token (rotated)"
		b.manage = func(auth tokenkit.TokenSource, _ tokenkit.Token) (managed, error) {
			return managed{issuer: &oracle.SessionIssuer{Client: c, Auth: auth},
				probe: strings.TrimSuffix(c.BaseURL(), "/") + "/system/api/v1/me"}, nil
		}
		b.na["list"] = "the OCM API has no call that lists tokens"
		b.na["revoke"] = "Oracle documents no revoke endpoint: a token lives until it expires"
	case "cgscan":
		c, err := cgscan.New(base, append(opts, cgscan.WithAPIKey(cr.apiKey))...)
		if err != nil {
			return nil, err
		}
		b.signIn = &cgscan.PasswordExchanger{Client: c, Request: cgscan.SignInRequest{Username: cr.user.Name, Password: tokenkit.Secret(cr.user.Password)}}
		b.manage = func(auth tokenkit.TokenSource, _ tokenkit.Token) (managed, error) {
			return managed{
				issuer:  &cgscan.AccessTokenIssuer{Client: c, Session: auth},
				revoker: &cgscan.AccessTokenRevoker{Client: c, Auth: auth},
				probe:   c.BaseURL() + c.Path(cgscan.OpCheckToken),
			}, nil
		}
		b.signInHow = "signed in with the API key and password"
		b.na["list"] = "the Clone Guard API has no call that lists tokens"
		b.na["refresh"] = "Clone Guard tokens have no lifetime and no refresh call (generate replaces the token)"
	default:
		return nil, fmt.Errorf("unknown vendor %q", vendor)
	}
	return b, nil
}

// isAuthFailure reports an authentication or authorization failure: exit
// code 3. tokenkit's sentinels cover most; a few vendor sentinels mean the
// same and are not matched by them.
func isAuthFailure(err error) bool {
	var af *authFailure
	return errors.Is(err, tokenkit.ErrAuth) || errors.As(err, &af)
}

// probe makes an authenticated GET with tok through tokenkit.Transport and
// returns the HTTP status.
func probe(ctx context.Context, rawURL string, tok tokenkit.Token) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, err
	}
	resp, err := tokenkit.NewClient(tokenkit.StaticSource(tok), nil).Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
