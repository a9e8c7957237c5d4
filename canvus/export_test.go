package canvus

import (
	"errors"
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
