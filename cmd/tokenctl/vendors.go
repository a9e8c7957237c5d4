package main

import (
	"errors"
	"fmt"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/oracle"
)

// bundle is one vendor in the common vocabulary of package tokenkit: what
// the token lifecycle needs, and nothing vendor-specific beyond it. newBundle
// and the <vendor>Verbs functions below are the only places that know which
// vendor type does what; the lifecycle (lifecycle.go) is written once
// against the interfaces, and what a vendor cannot do, and why, comes from
// internal/capmatrix.
type bundle struct {
	vendor string
	// signIn signs in or exchanges the configured credential for the token
	// that authenticates everything else (a session, or CSP's access token).
	signIn tokenkit.Exchanger
	// manage builds the verbs that work under that session.
	manage manageFunc
	// signInHow says what signing in does, for the table.
	signInHow string
}

// manageFunc builds a vendor's verbs under a signed-in session: auth hands
// out the current session, first is the session signIn returned.
type manageFunc func(auth tokenkit.TokenSource, first tokenkit.Token) (verbs, error)

// verbs is what a vendor can do under a signed-in session, as the
// interfaces of package tokenkit: nil where the vendor cannot
// (internal/capmatrix says why; TestVerbsMatchCapmatrix keeps the two in
// step).
type verbs struct {
	issuer  tokenkit.Issuer
	lister  tokenkit.Lister
	checker tokenkit.Checker
	renewer tokenkit.Renewer
	revoker tokenkit.Revoker
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
	b := &bundle{vendor: vendor}
	switch vendor {
	case "csp":
		c, err := csp.New(base, opts...)
		if err != nil {
			return nil, err
		}
		if b.signIn, err = c.APITokenExchanger(csp.APITokenRequest{APIToken: cr.apiToken}); err != nil {
			return nil, err
		}
		b.manage = cspVerbs(c)
		b.signInHow = "exchanged the API token"
	case "commvault":
		c, err := newCommvault(base, opts)
		if err != nil {
			return nil, err
		}
		if b.signIn, err = c.SessionExchanger(commvault.Credentials{Username: cr.user.Name, Password: tokenkit.Secret(cr.user.Password)}); err != nil {
			return nil, err
		}
		b.signInHow = "logged in"
		b.manage = commvaultVerbs(c)
	case "canvus":
		c, err := canvus.New(base, opts...)
		if err != nil {
			return nil, err
		}
		if b.signIn, err = c.LoginExchanger(canvus.Credentials{Email: cr.user.email(), Password: tokenkit.Secret(cr.user.Password)}); err != nil {
			return nil, err
		}
		b.signInHow = "signed in with email and password"
		b.manage = canvusVerbs(c)
	case "oracle":
		c, err := oracle.New(base, opts...)
		if err != nil {
			return nil, err
		}
		// The refresh-token flow signs in with the password first, then
		// uses the refresh token it got: a second Exchange is a refresh.
		if b.signIn, err = c.RefreshTokenExchanger(oracle.RefreshTokenRequest{Credentials: &oracle.Credentials{Username: cr.user.Name, Password: tokenkit.Secret(cr.user.Password)}}); err != nil {
			return nil, err
		}
		b.signInHow = "signed in with HTTP Basic"
		b.manage = oracleVerbs(c)
	case "cgscan":
		c, err := cgscan.New(base, append(opts, cgscan.WithAPIKey(cr.apiKey))...)
		if err != nil {
			return nil, err
		}
		if b.signIn, err = c.SignInExchanger(cgscan.SignInRequest{Username: cr.user.Name, Password: tokenkit.Secret(cr.user.Password)}); err != nil {
			return nil, err
		}
		b.manage = cgscanVerbs(c)
		b.signInHow = "signed in with the API key and password"
	default:
		return nil, fmt.Errorf("unknown vendor %q", vendor)
	}
	return b, nil
}

// The <vendor>Verbs functions get each vendor's verbs from its client, as
// the interfaces of package tokenkit; a verb the vendor cannot do stays nil.
// Each is the one place to change when a vendor's API changes.

// cspVerbs: CSP checks an access token (by verifying it); it issues, lists,
// renews and revokes none.
func cspVerbs(c *csp.Client) manageFunc {
	return func(tokenkit.TokenSource, tokenkit.Token) (verbs, error) {
		return verbs{checker: c}, nil
	}
}

// commvaultVerbs: Commvault does every verb; renewing a pair spends it.
func commvaultVerbs(c *commvault.Client) manageFunc {
	return func(auth tokenkit.TokenSource, _ tokenkit.Token) (verbs, error) {
		m, err := c.Tokens(auth)
		if err != nil {
			return verbs{}, err
		}
		return verbs{issuer: m, lister: m, revoker: m, checker: c, renewer: c}, nil
	}
}

// canvusVerbs: Canvus's Tokens work on the signed-in user's tokens (the
// login token names its user).
func canvusVerbs(c *canvus.Client) manageFunc {
	return func(auth tokenkit.TokenSource, _ tokenkit.Token) (verbs, error) {
		t, err := c.Tokens(auth)
		if err != nil {
			return verbs{}, err
		}
		return verbs{issuer: t, lister: t, revoker: t, checker: c}, nil
	}
}

// oracleVerbs: Oracle issues a token under the session, checks and renews
// it.
func oracleVerbs(c *oracle.Client) manageFunc {
	return func(auth tokenkit.TokenSource, _ tokenkit.Token) (verbs, error) {
		tokens, err := c.Tokens(auth)
		if err != nil {
			return verbs{}, err
		}
		return verbs{issuer: tokens, checker: c, renewer: c}, nil
	}
}

// cgscanVerbs: Clone Guard generates, checks and revokes the user's one
// access token.
func cgscanVerbs(c *cgscan.Client) manageFunc {
	return func(auth tokenkit.TokenSource, _ tokenkit.Token) (verbs, error) {
		tokens, err := c.Tokens(auth)
		if err != nil {
			return verbs{}, err
		}
		return verbs{issuer: tokens, revoker: tokens, checker: c}, nil
	}
}

// isAuthFailure reports an authentication or authorization failure: exit
// code 3. tokenkit's sentinels cover most; a few vendor sentinels mean the
// same and are not matched by them.
func isAuthFailure(err error) bool {
	var af *authFailure
	return errors.Is(err, tokenkit.ErrAuth) || errors.As(err, &af)
}
