package canvustest

import (
	"fmt"
	"io"
)

// The fake's own types hold the secrets a test registers or sends. Like every
// exported type of tokenkit, they never print them: a failing test that logs
// one with %v, %+v or %#v does not put credentials into CI logs. The fields
// stay readable for assertions.

// String describes the user without the password.
func (u User) String() string {
	return fmt.Sprintf("canvustest.User{ID: %d, Email: %q, Name: %q, Password: REDACTED, Admin: %t, Blocked: %t}",
		u.ID, u.Email, u.Name, u.Admin, u.Blocked)
}

// Format writes String for every verb.
func (u User) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, u.String()) }

// String describes the access token without its value.
func (t AccessToken) String() string {
	return fmt.Sprintf("canvustest.AccessToken{ID: %q, UserID: %d, Description: %q, Plain: REDACTED, CreatedAt: %s}",
		t.ID, t.UserID, t.Description, t.CreatedAt)
}

// Format writes String for every verb.
func (t AccessToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }
