package csp

import (
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
		RefreshToken: "ref-secret", ExpiresAt: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), Presentation: PresentBoth}
}
