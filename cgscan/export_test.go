package cgscan

import (
	"errors"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/exporttest"
)

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	exporttest.RoundTrip(t, Import, exportSamples(), "acc-secret", "key-secret")
}

func exportSamples() []tokenkit.Token {
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	return []tokenkit.Token{
		&AccessToken{token: "acc-secret", apiKey: "key-secret", Username: "u", IssuedAt: at, presentations: []tokenkit.Presentation{LegacyBasic()}},
		// A held token with the expiry its holder knows.
		&AccessToken{token: "acc-secret", apiKey: "key-secret", expiry: at.Add(time.Hour),
			presentations: []tokenkit.Presentation{tokenkit.Bearer(), {Header: "X-Access-Token"}}},
		&Session{token: "acc-secret", apiKey: "key-secret", Username: "u", Role: "User", Timezone: "UTC", Provider: "email",
			Verified: true, SignInCount: 4, Organization: Organization{UUID: "o", Name: "org"}, presentations: []tokenkit.Presentation{tokenkit.Bearer()}},
	}
}

// TestImportRefusesBadPresentations: a persisted presentation that
// WithPresentation would refuse (the x-api-key header above all) is a format
// error, never used.
func TestImportRefusesBadPresentations(t *testing.T) {
	t.Parallel()
	for _, attr := range []string{`[{"header":"x-api-key","prefix":""}]`, `[]`, `[{"header":"Bad Header"}]`, `not json`,
		`[{"header":"Authorization","prefix":"Bearer "},{"header":"authorization","prefix":"Basic "}]`} {
		e := tokenkit.NewExported(vendor, kindAccessToken, time.Time{})
		e.Secrets["token"] = "acc-secret"
		e.Attrs["presentations"] = attr
		if _, err := Import(e); !errors.Is(err, tokenkit.ErrExportFormat) {
			t.Errorf("%s: got %v", attr, err)
		}
	}
}

// TestImportAccessTokenOnlyAccessTokens: ImportAccessToken gives the
// concrete access token back, and refuses a persisted Session.
func TestImportAccessTokenOnlyAccessTokens(t *testing.T) {
	t.Parallel()
	for _, tok := range exportSamples() {
		e, err := tok.(tokenkit.Exportable).Export()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ImportAccessToken(e)
		switch tok.(type) {
		case *AccessToken:
			if err != nil || got.Value() != tok.Value() {
				t.Errorf("access token: (%v, %v)", got, err)
			}
		default:
			if !errors.Is(err, tokenkit.ErrExportFormat) {
				t.Errorf("%T: err = %v, want ErrExportFormat", tok, err)
			}
		}
	}
}
