// Package capmatrix holds the capability matrix of tokenkit: which of the
// common verbs (exchange, issue, renew, check, revoke, list) each vendor
// package implements, through which type, and why a vendor cannot where it
// cannot. Its test checks the table against the vendor packages' types
// (the same assertions their compile-time checks make) and checks that the
// README and the root package documentation show the table as Markdown
// renders it, so neither can drift.
package capmatrix

import "strings"

// Verb is one of the common verbs, named after its tokenkit interface.
type Verb int

// The verbs, in table order.
const (
	Exchange Verb = iota // tokenkit.Exchanger
	Issue                // tokenkit.Issuer
	Renew                // tokenkit.Renewer
	Check                // tokenkit.Checker
	Revoke               // tokenkit.Revoker
	List                 // tokenkit.Lister
	numVerbs
)

// Verbs lists every verb in table order.
func Verbs() []Verb { return []Verb{Exchange, Issue, Renew, Check, Revoke, List} }

// String is the verb's lower-case name.
func (v Verb) String() string {
	return [...]string{"exchange", "issue", "renew", "check", "revoke", "list"}[v]
}

// Cell is one vendor's answer for one verb: the types that implement it
// (empty when the vendor cannot) or the reason it cannot.
type Cell struct {
	// By names the implementing types, e.g. "*Client", or the methods that
	// return an implementation of an unexported type, e.g.
	// "*Client.SessionExchanger".
	By []string
	// Why says why the vendor cannot, when By is empty.
	Why string
}

// Row is one vendor package's capabilities.
type Row struct {
	// Vendor is the package name.
	Vendor string
	// Cells holds one Cell per Verb.
	Cells [numVerbs]Cell
}

// Can reports whether the vendor implements the verb.
func (c Cell) Can() bool { return len(c.By) > 0 }

// Lookup returns vendor's answer for verb v from Matrix, and false when
// Matrix has no row for vendor (or v is no verb). Code that says what a
// vendor can do (tokenctl) asks here, so that the table is the one source
// of the answers and of the reasons.
func Lookup(vendor string, v Verb) (Cell, bool) {
	if v < 0 || v >= numVerbs {
		return Cell{}, false
	}
	for _, r := range Matrix {
		if r.Vendor == vendor {
			return r.Cells[v], true
		}
	}
	return Cell{}, false
}

func by(types ...string) Cell { return Cell{By: types} }
func no(why string) Cell      { return Cell{Why: why} }

// Matrix is the capability matrix, one row per vendor package.
var Matrix = []Row{
	{"csp", [numVerbs]Cell{
		Exchange: by("*Client.APITokenExchanger", "*Client.ClientCredentialsExchanger"),
		Issue:    no("no documented call creates an API token"),
		Renew:    no("exchange the API token again (a Source does)"),
		Check:    by("*Client (local JWT verification: no introspection call exists)"),
		Revoke:   no("no documented revoke call"),
		List:     no("no documented list call"),
	}},
	{"commvault", [numVerbs]Cell{
		Exchange: by("*Client.SessionExchanger", "*Client.AccessTokenExchanger"),
		Issue:    by("*Tokens"),
		Renew:    by("*Client (one renewal; AccessTokenExchanger serialises them)"),
		Check:    by("*Client (WhoAmI)"),
		Revoke:   by("*Tokens"),
		List:     by("*Tokens"),
	}},
	{"oracle", [numVerbs]Cell{
		Exchange: by("*Client.PasswordExchanger", "*Client.RefreshTokenExchanger"),
		Issue:    by("*Tokens (no name, lifetime or scopes)"),
		Renew:    by("*Client"),
		Check:    by("*Client (/me)"),
		Revoke:   no("the API has no revoke or logout call: a token lives until it expires"),
		List:     no("the API has no list call"),
	}},
	{"cgscan", [numVerbs]Cell{
		Exchange: by("*Client.SignInExchanger"),
		Issue:    by("*Tokens (no name, lifetime or scopes)"),
		Renew:    no("no renew call: tokens do not expire; Issue replaces the token"),
		Check:    by("*Client (check_token)"),
		Revoke:   by("*Tokens (the current token only)"),
		List:     no("no list call: a user has one access token"),
	}},
	{"canvus", [numVerbs]Cell{
		Exchange: by("*Client.LoginExchanger"),
		Issue:    by("*Tokens (no lifetime or scopes)"),
		Renew:    no("access tokens never expire; a login is renewed by logging in again (a Source does)"),
		Check:    by("*Client (an authenticated list of the token's own user)"),
		Revoke:   by("*Tokens"),
		List:     by("*Tokens"),
	}},
}

// Markdown renders Matrix as a Markdown table: "yes (types)" or "no: why".
func Markdown() string {
	var b strings.Builder
	b.WriteString("| vendor |")
	for _, v := range Verbs() {
		b.WriteString(" " + v.String() + " |")
	}
	b.WriteString("\n|---|")
	for range Verbs() {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range Matrix {
		b.WriteString("| " + r.Vendor + " |")
		for _, v := range Verbs() {
			c := r.Cells[v]
			if len(c.By) > 0 {
				b.WriteString(" yes: " + strings.Join(c.By, ", ") + " |")
			} else {
				b.WriteString(" no: " + c.Why + " |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
