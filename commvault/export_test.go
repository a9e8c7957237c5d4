package commvault

import (
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

// TestImportLegacyPresentation reads the integer presentation earlier
// versions exported: 1 was Authorization: Bearer.
func TestImportLegacyPresentation(t *testing.T) {
	t.Parallel()
	e, _ := exportSample().Export()
	e.Attrs["presentation"] = "1"
	tok, err := ImportAccessToken(e)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.present) != 1 || tok.present[0] != tokenkit.Bearer() {
		t.Fatalf("presentation = %v, want Bearer", tok.present)
	}
}
