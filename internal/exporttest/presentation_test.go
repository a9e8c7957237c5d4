package exporttest_test

import (
	"encoding/base64"
	"errors"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/internal/exporttest"
	"github.com/tokenkit/tokenkit/oracle"
)

// vendorCase builds, for one vendor, a client with the options given and a
// token that client wraps (NewAccessToken, no call made).
type vendorCase struct {
	name     string
	withPres func(...tokenkit.Presentation) tokenkit.Option
	newToken func(opts ...tokenkit.Option) (tokenkit.Token, error)
	imp      tokenkit.ImportFunc
}

const base = "http://127.0.0.1:1"

// jwt is an unsigned JWT with an exp claim: CSP's NewAccessToken wants one.
var jwt = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." +
	base64.RawURLEncoding.EncodeToString([]byte(`{"exp":4102444800,"sub":"u"}`)) + ".c2ln"

// viaClient makes a newToken: New at base with the options, then wrap.
func viaClient[C any](newClient func(string, ...tokenkit.Option) (C, error), extra []tokenkit.Option,
	wrap func(C) (tokenkit.Token, error)) func(...tokenkit.Option) (tokenkit.Token, error) {
	return func(o ...tokenkit.Option) (tokenkit.Token, error) {
		c, err := newClient(base, append(slices.Clone(extra), o...)...)
		if err != nil {
			return nil, err
		}
		return wrap(c)
	}
}

func vendors() []vendorCase {
	held := tokenkit.HeldToken{Value: "held-secret"}
	return []vendorCase{
		{"csp", csp.WithPresentation, viaClient(csp.New, nil, func(c *csp.Client) (tokenkit.Token, error) {
			return c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(jwt)})
		}), csp.Import},
		{"commvault", commvault.WithPresentation, viaClient(commvault.New, nil, func(c *commvault.Client) (tokenkit.Token, error) {
			return c.NewAccessToken(held)
		}), commvault.Import},
		{"oracle", oracle.WithPresentation, viaClient(oracle.New, nil, func(c *oracle.Client) (tokenkit.Token, error) {
			return c.NewAccessToken(held)
		}), oracle.Import},
		{"cgscan", cgscan.WithPresentation, viaClient(cgscan.New, []tokenkit.Option{cgscan.WithAPIKey("key-secret")}, func(c *cgscan.Client) (tokenkit.Token, error) {
			return c.NewAccessToken(held)
		}), cgscan.Import},
		{"canvus", canvus.WithPresentation, viaClient(canvus.New, nil, func(c *canvus.Client) (tokenkit.Token, error) {
			return c.NewAccessToken(held)
		}), canvus.Import},
	}
}

// custom are presentations no vendor uses by default.
var custom = []tokenkit.Presentation{{Header: "X-Gateway-Token", Prefix: "Tok "}, tokenkit.Bearer()}

// exported returns the decoded persisted form of a token made with the
// custom presentations.
func exported(t *testing.T, v vendorCase) (tokenkit.Token, *tokenkit.Exported) {
	t.Helper()
	tok, err := v.newToken(v.withPres(custom...))
	if err != nil {
		t.Fatalf("%s: %v", v.name, err)
	}
	e, err := tokenkit.Export(tok)
	if err != nil {
		t.Fatalf("%s: Export: %v", v.name, err)
	}
	return tok, exporttest.Reencode(t, e)
}

func headers(tok tokenkit.Token) http.Header {
	r, _ := http.NewRequest(http.MethodGet, base, nil)
	tok.SetAuthHeader(r)
	return r.Header
}

// names lists the header names of h, never a value.
func names(h http.Header) []string {
	out := slices.Collect(maps.Keys(h))
	slices.Sort(out)
	return out
}

// TestPresentationSurvivesExport: every vendor's token made with a custom
// WithPresentation presents itself the same way after Export, Encode,
// DecodeExported and Import.
func TestPresentationSurvivesExport(t *testing.T) {
	t.Parallel()
	for _, v := range vendors() {
		tok, d := exported(t, v)
		got, err := v.imp(d)
		if err != nil {
			t.Errorf("%s: Import: %v", v.name, err)
			continue
		}
		want := headers(tok)
		if want.Get("X-Gateway-Token") == "" {
			t.Fatalf("%s: the token ignores WithPresentation: headers %v", v.name, names(want))
		}
		if h := headers(got); !reflect.DeepEqual(h, want) {
			t.Errorf("%s: the imported token presents itself differently: headers %v, want %v", v.name, names(h), names(want))
		}
	}
}

// TestImportRefusesBadPresentations: a persisted form whose presentations
// WithPresentation would refuse (the Host header, none at all, not a list)
// is ErrExportFormat from every vendor's Import, never a header set on
// requests nor a silent fallback to the default.
func TestImportRefusesBadPresentations(t *testing.T) {
	t.Parallel()
	for _, v := range vendors() {
		for _, attr := range []string{`[{"header":"Host","prefix":""}]`, `[]`, `{`} {
			_, d := exported(t, v)
			d.Attrs["presentations"] = attr
			if tok, err := v.imp(d); !errors.Is(err, tokenkit.ErrExportFormat) {
				t.Errorf("%s: Import of presentations %s = %v, %v; want ErrExportFormat", v.name, attr, tok, err)
			}
		}
	}
}

// TestWithPresentationRule: no presentation, and a header given twice (in
// any case), is a KindConfig error from every vendor's New.
func TestWithPresentationRule(t *testing.T) {
	t.Parallel()
	for _, v := range vendors() {
		for name, ps := range map[string][]tokenkit.Presentation{
			"none":      nil,
			"duplicate": {tokenkit.Bearer(), {Header: "authorization", Prefix: "Token "}},
			"host":      {{Header: "Host"}},
		} {
			_, err := v.newToken(v.withPres(ps...))
			var te *tokenkit.Error
			if !errors.As(err, &te) || tokenkit.KindOf(err) != tokenkit.KindConfig || te.Vendor != v.name {
				t.Errorf("%s: WithPresentation %s: %v, want a %s error of kind config", v.name, name, err, v.name)
			}
		}
	}
}
