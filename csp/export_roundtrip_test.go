package csp

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/exporttest"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
)

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	exporttest.RoundTrip(t, Import, []tokenkit.Token{exportSample()}, "acc-secret", "ref-secret")
}

func exportSample() *AccessToken {
	return &AccessToken{value: "acc-secret", bearer: tokenfmt.BearerHeader("acc-secret"), TokenType: "bearer", Scope: "openid",
		RefreshToken: "ref-secret", ExpiresAt: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), presentations: []tokenkit.Presentation{tokenkit.Bearer(), CSPAuthToken()}}
}

// TestExportKeepsPresentations: an imported token presents itself as the
// exported one did, custom presentations included; files of the first
// version (a number) still load; a presentation WithPresentation would
// refuse is a format error, never a header set on requests.
func TestExportKeepsPresentations(t *testing.T) {
	t.Parallel()
	custom := tokenkit.Presentation{Header: "X-Session", Prefix: "Token "}
	for _, ps := range [][]tokenkit.Presentation{nil, {CSPAuthToken()}, {tokenkit.Bearer(), CSPAuthToken()}, {custom}} {
		tok := exportSample()
		tok.presentations = ps
		e, err := tok.Export()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ImportAccessToken(exporttest.Reencode(t, e))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(back.presentations, ps) {
			t.Errorf("presentations %v, want %v", back.presentations, ps)
		}
	}
	for attr, want := range map[string][]tokenkit.Presentation{
		"0": nil, "1": {CSPAuthToken()}, "2": {tokenkit.Bearer(), CSPAuthToken()},
	} {
		e, _ := exportSample().Export()
		delete(e.Attrs, "presentations") // a file of the first version
		e.Attrs["presentation"] = attr
		back, err := ImportAccessToken(e)
		if err != nil || !slices.Equal(back.presentations, want) {
			t.Errorf("legacy %q: %v %v", attr, back, err)
		}
	}
	for _, attr := range []string{"9", "{", `[]`, `[{"header":"Host"}]`, `[{"header":"csp-auth-token"},{"header":"CSP-Auth-Token"}]`} {
		for _, name := range []string{"presentation", "presentations"} {
			e, _ := exportSample().Export()
			delete(e.Attrs, "presentations")
			e.Attrs[name] = attr
			if _, err := ImportAccessToken(e); !errors.Is(err, tokenkit.ErrExportFormat) {
				t.Errorf("attr %s %q: got %v, want ErrExportFormat", name, attr, err)
			}
		}
	}
	for _, attr := range []string{`[{"header":"X-Session","prefix":"Token "}]`, `[{"Header":"X-Session","Prefix":"Token "}]`} {
		e, _ := exportSample().Export()
		delete(e.Attrs, "presentations") // written before presentations moved to tokenkit.Exported
		e.Attrs["presentation"] = attr
		back, err := ImportAccessToken(e)
		if err != nil || !slices.Equal(back.presentations, []tokenkit.Presentation{custom}) {
			t.Errorf("legacy %q: %v %v", attr, back, err)
		}
	}
}
