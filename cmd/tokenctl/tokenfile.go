package main

import (
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/oracle"
)

// Token files (--save, and --secret-file when it names one) hold tokenkit's
// one persisted form: what Export and Encode write and what
// tokenkit.DecodeExported and the vendor's Import read. A Go service and a
// cron job running tokenctl can share a file:
//
//	b, _ := os.ReadFile("ci.json")
//	e, err := tokenkit.DecodeExported(b)
//	tok, err := commvault.ImportAccessToken(e)
//
// Files written by tokenctl before the persisted form existed (plain JSON
// with access_token and refresh_token) are still read.

// encodeToken returns the file form of t.
func encodeToken(t tokenkit.Exportable) ([]byte, error) {
	e, err := t.Export()
	if err != nil {
		return nil, err
	}
	return e.Encode()
}

// decodeToken reads v as the persisted form; ok is false when v is not one
// (a bare secret, or an older tokenctl's file).
func decodeToken(v string) (*tokenkit.Exported, bool) {
	if !strings.HasPrefix(strings.TrimSpace(v), "{") {
		return nil, false
	}
	e, err := tokenkit.DecodeExported([]byte(v))
	return e, err == nil
}

// isTokenFile reports whether v is a token file in the persisted form.
func isTokenFile(v string) bool {
	_, ok := decodeToken(v)
	return ok
}

// imports are the vendors' Import functions, by the vendor a persisted
// token names.
var imports = map[string]tokenkit.ImportFunc{
	"canvus": canvus.Import, "cgscan": cgscan.Import, "commvault": commvault.Import,
	"csp": csp.Import, "oracle": oracle.Import, "tokenkit": tokenkit.ImportBearer,
}

// readToken reads the token a command presents, as readSecret does; a token
// file in the persisted form gives the value of the token it holds, so a
// file written by a Go service (Export, Encode) or by --save works as
// --secret-file.
func (e *env) readToken(cc *cmdCtx) (tokenkit.Secret, error) {
	s, err := e.readSecret(cc)
	if err != nil {
		return "", err
	}
	ex, ok := decodeToken(s.Reveal())
	if !ok {
		return s, nil
	}
	imp := imports[ex.Vendor]
	if imp == nil {
		return "", usagef("%s: the token file holds a token of %q, which tokenctl does not know", cc.path, ex.Vendor)
	}
	t, err := imp(ex)
	if err != nil {
		return "", usagef("%s: the token file cannot be read: %v", cc.path, err)
	}
	return tokenkit.Secret(t.Value()), nil
}
