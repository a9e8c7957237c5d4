package commvault

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/exporttest"
)

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	exporttest.RoundTrip(t, Import, []tokenkit.Token{exportSample()}, "acc-secret", "ref-secret")
}

func exportSample() *AccessToken {
	t := &AccessToken{value: "acc-secret", RefreshToken: "ref-secret", present: []tokenkit.Presentation{tokenkit.Bearer(), Authtoken()}}
	t.ID, t.UserID, t.Name, t.Type = 42, 7, "bot", TokenTypeDefault
	t.ExpiresAt = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	t.RefreshExpiresAt = t.ExpiresAt.Add(time.Hour)
	t.RenewableUntil = t.ExpiresAt.Add(24 * time.Hour)
	return t
}

// TestImportLegacyPresentation reads the attribute "presentation" earlier
// versions exported: an integer (1 was Authorization: Bearer, 0 and 2 the
// default), then a JSON list with capitalised keys; an invalid one is a
// format error, never a silent fallback to the default.
func TestImportLegacyPresentation(t *testing.T) {
	t.Parallel()
	for attr, want := range map[string][]tokenkit.Presentation{
		"0": nil, "1": {tokenkit.Bearer()}, "2": nil,
		`[{"Header":"Authorization","Prefix":"Bearer "},{"Header":"Authtoken","Prefix":""}]`: {tokenkit.Bearer(), Authtoken()},
	} {
		e, _ := exportSample().Export()
		delete(e.Attrs, "presentations") // a file of an earlier version
		e.Attrs["presentation"] = attr
		tok, err := ImportAccessToken(e)
		if err != nil {
			t.Fatalf("%q: %v", attr, err)
		}
		if !slices.Equal(tok.present, want) {
			t.Errorf("%q: presentation = %v, want %v", attr, tok.present, want)
		}
	}
	for _, attr := range []string{"7", "{", "[]", `[{"Header":"Host"}]`, `[{"Header":"Authtoken"},{"Header":"authtoken"}]`} {
		e, _ := exportSample().Export()
		delete(e.Attrs, "presentations")
		e.Attrs["presentation"] = attr
		if _, err := Import(e); !errors.Is(err, tokenkit.ErrExportFormat) {
			t.Errorf("%q: got %v, want ErrExportFormat", attr, err)
		}
	}
}
