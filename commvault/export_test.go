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
	t := NewAccessToken("acc-secret", "ref-secret")
	t.ID, t.UserID, t.Name, t.Type, t.Presentation = 42, 7, "bot", TokenTypeDefault, PresentBearer
	t.ExpiresAt = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	t.RefreshExpiresAt = t.ExpiresAt.Add(time.Hour)
	t.RenewableUntil = t.ExpiresAt.Add(24 * time.Hour)
	return t
}
