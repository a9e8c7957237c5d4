package canvus

import (
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/exporttest"
)

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	exporttest.RoundTrip(t, Import, exportSamples(), "acc-secret")
}

func exportSamples() []tokenkit.Token {
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	return []tokenkit.Token{
		&AccessToken{value: "acc-secret", ID: "abc", Description: "bot", UserID: 3, CreatedAt: at},
		&Session{value: "acc-secret", ExpiresAt: at, Remember: true, User: User{ID: 3, Name: "n", Email: "e@example.com"}},
	}
}
