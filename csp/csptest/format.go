package csptest

import (
	"fmt"
	"io"
)

// The fake's own types hold the secrets a test registers or sends. Like every
// exported type of tokenkit, they never print them: a failing test that logs
// one with %v, %+v or %#v does not put credentials into CI logs. The fields
// stay readable for assertions.

// String describes the API token without its value or passcode.
func (t APIToken) String() string {
	return fmt.Sprintf("csptest.APIToken{Value: REDACTED, Name: %q, OrgID: %q, UserID: %q, Username: %q, Scopes: %q, MFA: %t, ExpiresAt: %s}",
		t.Name, t.OrgID, t.UserID, t.Username, t.Scopes, t.Passcode != "", t.ExpiresAt)
}

// Format writes String for every verb.
func (t APIToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// String describes the OAuth app without its secret.
func (a OAuthApp) String() string {
	return fmt.Sprintf("csptest.OAuthApp{ID: %q, Secret: REDACTED, OrgID: %q, Scopes: %q}", a.ID, a.OrgID, a.Scopes)
}

// Format writes String for every verb.
func (a OAuthApp) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, a.String()) }
