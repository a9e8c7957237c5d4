package cgscantest

import (
	"encoding/json"
	"fmt"
	"io"
)

// The fake's own types hold the secrets a test registers or sends. Like every
// exported type of tokenkit, they never print them: a failing test that logs
// one with %v, %+v or %#v does not put credentials into CI logs. The fields
// stay readable for assertions.

// String describes the user without the password or recovery codes.
func (u User) String() string {
	return fmt.Sprintf("cgscantest.User{Username: %q, Password: REDACTED, TwoFactor: %t, Method: %q, Phone: %t, RecoveryCodes: %d, Role: %q}",
		u.Username, u.TwoFactor, u.Method, u.Phone != "", len(u.RecoveryCodes), u.Role)
}

// Format writes String for every verb.
func (u User) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, u.String()) }

// MarshalJSON writes the user without the password or recovery codes, so a
// JSON log of it cannot leak them either.
func (u User) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Username      string
		TwoFactor     bool
		Method        string
		RecoveryCodes int
		Role          string
	}{u.Username, u.TwoFactor, u.Method, len(u.RecoveryCodes), u.Role})
}
