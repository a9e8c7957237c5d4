package tokenkit

import (
	"context"
	"time"
)

// Exchanger trades a credential it was built with (an API token, a refresh
// token, a password, client credentials) for an access token. Its Exchange
// method has the shape of a FetchFunc, so NewSource(e.Exchange, …) caches it.
type Exchanger interface {
	// Exchange obtains a new access token with the credential.
	Exchange(ctx context.Context) (Token, error)
}

// Issuer creates a new long-lived token under an authenticated session.
//
// Issue honours every field of the request it is given or fails: a Lifetime
// or Scopes the vendor cannot give a token is an error matching
// ErrInvalidInput whose message names the field, and nothing is sent. It
// never returns a token that lives longer or may do more than was asked.
type Issuer interface {
	// Issue creates a token as req describes, or fails without one.
	Issue(ctx context.Context, req IssueRequest) (Token, error)
}

// Revoker revokes or deletes a token by the id the vendor gives it (see
// TokenInfo.ID). Vendors that revoke only the current token document what id
// they accept.
type Revoker interface {
	// Revoke ends the token with this id.
	Revoke(ctx context.Context, id string) error
}

// Renewer renews an issued token: it returns a token that replaces tok,
// which may stop working (Commvault deletes a renewed pair's predecessor).
// tok must be a token of the Renewer's vendor, as its Issuer or Exchanger
// returned it (or its Import gave it back); another token is an error
// matching ErrInvalidInput. Vendors whose tokens are renewed by exchanging
// the original credential again (a tokenkit.Source does that) or that cannot
// renew at all do not implement it.
type Renewer interface {
	// Renew returns the token that replaces tok.
	Renew(ctx context.Context, tok Token) (Token, error)
}

// Checker asks the vendor whether a token still works. The answer is one of
// three, told apart by the error alone:
//
//   - nil error: the token works; the CheckResult says what the vendor
//     told about it.
//   - an error for which Rejected reports true (of kind
//     KindInvalidCredential or KindUnauthorized): the token does not work
//     (revoked, expired, never valid).
//   - any other error: the check could not tell (transport failure, server
//     error, rate limit, a caller's cancellation, invalid input).
//
// Check has no side effect and presents tok alone: it does not fetch,
// refresh or replace anything.
type Checker interface {
	// Check reports whether tok works, by its error (see above).
	Check(ctx context.Context, tok Token) (*CheckResult, error)
}

// CheckResult is what a vendor told about a token that works.
type CheckResult struct {
	// Subject names whose token it is (a user name or id, in the vendor's
	// terms), if the vendor says; empty otherwise.
	Subject string
	// ExpiresAt is when the token stops working, if the vendor says; the
	// zero time means never or unknown.
	ExpiresAt time.Time
}

// Rejected reports whether err is a Checker's answer that the token does not
// work (an error of kind KindInvalidCredential or KindUnauthorized), as
// opposed to a check that could not tell.
func Rejected(err error) bool {
	switch KindOf(err) {
	case KindInvalidCredential, KindUnauthorized:
		return true
	}
	return false
}

// Identified is implemented by issued tokens that carry the id their vendor's
// Revoker (and TokenInfo.ID) uses, so that code written against the
// interfaces can revoke what it issued without listing first.
type Identified interface {
	// TokenID returns the id the vendor's Revoker takes.
	TokenID() string
}

// IDOf returns the id tok's vendor's Revoker takes, when tok says it
// (Identified), and "" otherwise. Every token an Issuer of a vendor with a
// Revoker returns says it.
func IDOf(tok Token) string {
	if id, ok := tok.(Identified); ok {
		return id.TokenID()
	}
	return ""
}

// Lister lists the tokens of the authenticated user, without their secrets.
type Lister interface {
	// List returns the tokens, newest state as the vendor reports it.
	List(ctx context.Context) ([]TokenInfo, error)
}

// IssueRequest describes a token to issue. Lifetime and Scopes limit the
// token: an Issuer that cannot honour one that is set fails with
// ErrInvalidInput naming it, never issuing a token that lives longer or may
// do more than asked.
type IssueRequest struct {
	// Name is a label or description for the token. It changes nothing
	// the token can do: vendors that keep no label (Clone Guard, Oracle)
	// drop it, vendors that require one (Canvus) fail without it.
	Name string
	// Lifetime asks for a token that stops working this far from now;
	// zero leaves the vendor's default, negative is invalid.
	Lifetime time.Duration
	// Scopes narrows what the token may do, in the vendor's own terms;
	// empty asks for no narrowing.
	Scopes []string
}

// TokenInfo describes a token without its secret, as a Lister returns it.
// A zero time means "never" (ExpiresAt: never expires; LastUsedAt: never
// used) or "not set" only when Reported has its field: otherwise the vendor
// does not report it and the zero time means "unknown".
type TokenInfo struct {
	// ID is the id the vendor's Revoker takes.
	ID string
	// Name is the token's label or description.
	Name string
	// CreatedAt is when the token was created.
	CreatedAt time.Time
	// ExpiresAt is when the token stops working; zero: never (if
	// reported) or unknown.
	ExpiresAt time.Time
	// LastUsedAt is when the token was last used; zero: never (if
	// reported) or unknown.
	LastUsedAt time.Time
	// Scopes is what the token is limited to, in the vendor's terms;
	// empty: not limited (if reported) or unknown.
	Scopes []string
	// Reported says which of the fields above the vendor reports.
	Reported Fields
}

// Fields is a set of TokenInfo fields, as TokenInfo.Reported gives it.
type Fields uint8

// The TokenInfo fields a vendor may report (ID always is).
const (
	FieldName       Fields = 1 << iota // TokenInfo.Name
	FieldCreatedAt                     // TokenInfo.CreatedAt
	FieldExpiresAt                     // TokenInfo.ExpiresAt (zero: never expires)
	FieldLastUsedAt                    // TokenInfo.LastUsedAt (zero: never used)
	FieldScopes                        // TokenInfo.Scopes (empty: not limited)
)

// Has reports whether f holds every field of g.
func (f Fields) Has(g Fields) bool { return f&g == g }

// String lists the fields, e.g. "Name|CreatedAt", or "none".
func (f Fields) String() string {
	names := [...]string{"Name", "CreatedAt", "ExpiresAt", "LastUsedAt", "Scopes"}
	out := ""
	for i, n := range names {
		if f&(1<<i) != 0 {
			if out != "" {
				out += "|"
			}
			out += n
		}
	}
	if out == "" {
		return "none"
	}
	return out
}
