package commvault_test

import (
	"testing"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault"
)

// heldClient wraps held tokens for the tests that need a session or a pair
// without logging in; it sends nothing.
var heldClient = func() *commvault.Client {
	c, err := commvault.New("https://held.invalid")
	if err != nil {
		panic(err)
	}
	return c
}()

// heldSession wraps a session value, as Client.NewSession does.
func heldSession(v tokenkit.Secret) *commvault.Session {
	s, err := heldClient.NewSession(tokenkit.HeldToken{Value: v})
	if err != nil {
		panic(err)
	}
	return s
}

// heldPair wraps an access token and its refresh token, as
// Client.NewAccessToken does.
func heldPair(access, refresh tokenkit.Secret) *commvault.AccessToken {
	t, err := heldClient.NewAccessToken(tokenkit.HeldToken{Value: access, RefreshToken: refresh})
	if err != nil {
		panic(err)
	}
	return t
}

// sessionSource is c.SessionSource(cr) with the default cache.
func sessionSource(t testing.TB, c *commvault.Client, cr commvault.Credentials) *tokenkit.Source {
	t.Helper()
	s, err := c.SessionSource(cr, tokenkit.SourceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tokens is c.Tokens(auth).
func tokens(t testing.TB, c *commvault.Client, auth tokenkit.TokenSource) *commvault.Tokens {
	t.Helper()
	m, err := c.Tokens(auth)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
