package commvaulttest

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
	return fmt.Sprintf("commvaulttest.User{Name: %q, Password: REDACTED, Domain: %q, Email: %q, Admin: %t}",
		u.Name, u.Domain, u.Email, u.Admin)
}

// Format writes String for every verb.
func (u User) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, u.String()) }
