package tokenkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"time"

	"github.com/tokenkit/tokenkit/internal/redact"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
)

// Token is an access token of any vendor. Every vendor package has its own
// token type that implements it and carries that vendor's extras (refresh
// token, scope, token id, user, …) as fields.
//
// Implementations redact themselves in String, GoString, Format and LogValue:
// printing a Token never shows its secret. Call Value to get it.
type Token interface {
	// Value returns the secret token value.
	Value() string
	// Expiry returns when the token stops working; the zero time means the
	// token never expires or its lifetime is unknown.
	Expiry() time.Time
	// SetAuthHeader presents the token on r the way the vendor expects
	// (Authorization: Bearer, Authtoken, Private-Token, csp-auth-token, …).
	SetAuthHeader(r *http.Request)
}

// TokenSource hands out a valid token. *Source implements it.
type TokenSource interface {
	// Token returns a valid token, or why there is none.
	Token(ctx context.Context) (Token, error)
}

// Invalidator is implemented by token sources that can drop a token the
// server rejected. *Source implements it; Transport uses it after a 401.
type Invalidator interface {
	// Invalidate drops rejected, if it is still the current token.
	Invalidate(rejected Token)
}

// sameToken reports whether a and b carry the same secret. It compares values
// rather than interfaces, which could panic on non-comparable token types.
func sameToken(a, b Token) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Value() == b.Value()
}

// Secret is a string that never prints: String, GoString, Format, LogValue,
// MarshalJSON and MarshalText all give "REDACTED" (or "" for an empty
// secret), so fmt, log, log/slog, text/template, html/template, encoding/json,
// encoding/xml (elements, attributes, chardata and cdata) and
// any third-party encoder that honours encoding.TextMarshaler write the mask,
// never the value. encoding/gob is refused (GobEncode returns
// ErrSecretNotEncodable) rather than given a mask that would decode as a
// wrong credential. Use Reveal to get the value, and store it yourself where
// you mean to persist it. Credentials in tokenkit's option and request
// structs have this type so that logging or encoding such a struct cannot
// leak them.
//
// Decoding is allowed: reading a password or an API token from a JSON, XML
// or flag configuration is legitimate, so a Secret decodes from any text
// (UnmarshalText) except the mask itself, which can only be the output of a
// redacting encoder and would otherwise be sent to a server as a credential
// (and count towards its lockout).
//
// Three places of the standard library write a string-kinded value without
// consulting any of its methods, so no string type can redact itself there:
// encoding/json map keys (a map keyed by Secret shows its keys), encoding/asn1,
// and encoding/xml fields tagged ",comment". Never key a map by Secret, and do
// not use those two encoders on structs that hold one.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns "REDACTED", or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redact.Mask
}

// GoString returns the redacted form for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("tokenkit.Secret(%q)", s.String()) }

// Format writes the redacted form for every verb.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	if verb == 'q' {
		_, _ = fmt.Fprintf(f, "%q", s.String())
		return
	}
	_, _ = io.WriteString(f, s.String())
}

// LogValue returns the redacted form for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes the redacted form, so that a Secret cannot leak through a
// JSON log handler or an accidental json.Marshal.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText writes the redacted form. encoding/xml uses it for elements,
// attributes and chardata, log/slog's text handler for values, and so do many
// third-party encoders (YAML, TOML) and flag.TextVar for defaults.
// encoding/json does not use it for map keys of a string kind: see Secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText sets the secret to text, so that encoding/json, encoding/xml
// and flag.TextVar can read a Secret from configuration. It refuses exactly
// "REDACTED", the mask every encoder writes for a Secret: such input was
// produced by encoding a Secret, and the real value is not in it.
func (s *Secret) UnmarshalText(text []byte) error {
	if string(text) == redact.Mask {
		return errRedactedSecret
	}
	*s = Secret(text)
	return nil
}

// GobEncode refuses to encode the secret: gob is a persistence format, and a
// secret is persisted only on purpose, through Reveal. An empty Secret inside
// a struct is skipped by gob without calling GobEncode, so structs whose
// secrets are empty still encode.
func (s Secret) GobEncode() ([]byte, error) { return nil, ErrSecretNotEncodable }

// GobDecode refuses to decode a secret, for the same reason as GobEncode.
func (s *Secret) GobDecode([]byte) error { return ErrSecretNotEncodable }

// ErrSecretNotEncodable is returned by Secret's GobEncode and GobDecode (and
// so by gob's Encode and Decode of any value holding a non-empty Secret).
var ErrSecretNotEncodable = errors.New("tokenkit: a Secret is not gob-encoded: store Secret.Reveal() explicitly where you mean to persist it")

var errRedactedSecret = fmt.Errorf("tokenkit: the text %q is a redacted Secret, not its value: encode secrets for storage with Reveal: %w", redact.Mask, ErrInvalidInput)

// BearerToken is a Token presented as "Authorization: Bearer <value>". Use it
// for a token you already hold, for example one read from the environment.
type BearerToken struct {
	secret  Secret
	expires time.Time
	header  []string // "Bearer <value>", built once: no allocation per request
}

// NewBearerToken returns a BearerToken; a zero expiry means it never expires.
func NewBearerToken(value string, expiry time.Time) *BearerToken {
	return &BearerToken{secret: Secret(value), expires: expiry, header: []string{"Bearer " + value}}
}

// Value returns the secret token value.
func (t *BearerToken) Value() string { return t.secret.Reveal() }

// Expiry returns the expiry given to NewBearerToken.
func (t *BearerToken) Expiry() time.Time { return t.expires }

// SetAuthHeader sets "Authorization: Bearer <value>".
func (t *BearerToken) SetAuthHeader(r *http.Request) {
	if t.header == nil { // a zero BearerToken
		r.Header.Set("Authorization", "Bearer "+t.Value())
		return
	}
	// The slice has len == cap, so a later Header.Add copies it instead of
	// writing into the one this token shares between requests.
	r.Header["Authorization"] = t.header
}

// String describes the token without its value.
func (t BearerToken) String() string {
	return "tokenkit.BearerToken{value: " + redact.Mask + ", expiry: " + tokenfmt.Expiry(t.expires) + "}"
}

// GoString is String, for %#v.
func (t BearerToken) GoString() string { return t.String() }

// Format writes String for every verb.
func (t BearerToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue logs the expiry, never the value.
func (t BearerToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("value", redact.Mask), slog.Time("expiry", t.expires))
}

// StaticSource returns a TokenSource that always hands out tok: for a
// vendor call that takes a TokenSource when you already hold the token (an
// access token, or a login token you manage yourself). A nil tok, typed or
// not, gives an error wrapping ErrInvalidInput at Token, never a panic.
// Printing the source never shows the token.
func StaticSource(tok Token) TokenSource {
	if v := reflect.ValueOf(tok); tok != nil && v.Kind() == reflect.Pointer && v.IsNil() {
		tok = nil
	}
	return staticSource{tok}
}

type staticSource struct{ tok Token }

func (s staticSource) Token(context.Context) (Token, error) {
	if s.tok == nil {
		return nil, &Error{Vendor: "tokenkit", Op: "StaticSource", Message: "no token given", Err: ErrInvalidInput}
	}
	return s.tok, nil
}

// String names the source without its token.
func (s staticSource) String() string {
	if s.tok == nil {
		return "tokenkit.StaticSource(nil)"
	}
	return "tokenkit.StaticSource(" + redact.Mask + ")"
}

// Format writes String for every verb: fmt would otherwise print the token
// it holds field by field.
func (s staticSource) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// HeldToken is a token obtained outside tokenkit (from a vendor's console,
// another program or an earlier run that kept only the values) for a vendor
// client's NewAccessToken to wrap. Each vendor refuses, with an error
// matching ErrInvalidInput that names the field, what its tokens cannot
// carry, never dropping it silently.
type HeldToken struct {
	// Value is the token itself; required.
	Value Secret
	// RefreshToken renews Value, for the vendors whose tokens have one
	// (Commvault, Oracle).
	RefreshToken Secret
	// ID is the token's id at the vendor, the one its Revoker takes (a
	// Commvault or Canvus token id), for the vendors whose tokens have one.
	ID string
	// Expiry is when Value stops working; the zero time means unknown
	// (a vendor that can read it from the token itself, such as CSP's JWT,
	// does).
	Expiry time.Time
}
