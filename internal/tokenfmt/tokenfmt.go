// Package tokenfmt holds the small formatting helpers the token types of the
// root and vendor packages share: they were exported from the root package
// before, where they did not belong to the public vocabulary.
package tokenfmt

import "time"

// BearerHeader returns the value of an "Authorization: Bearer" header for
// token: token types build it once and share it between requests.
func BearerHeader(token string) []string { return []string{"Bearer " + token} }

// Expiry renders an expiry for String methods: RFC 3339 in UTC, or "never"
// for the zero time.
func Expiry(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
