package cgscan

import (
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
		&AccessToken{token: "acc-secret", apiKey: "key-secret", Username: "u", IssuedAt: at, Scheme: LegacyBasicScheme()},
		&Session{token: "acc-secret", apiKey: "key-secret", Username: "u", Role: "User", Timezone: "UTC", Provider: "email",
			Verified: true, SignInCount: 4, Organization: Organization{UUID: "o", Name: "org"}, Scheme: BearerScheme()},
	}
}
