package commvault

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	tok := exportSample()
	e, err := tok.Export()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := json.Marshal(tok); err == nil && strings.Contains(string(out), "acc-secret") {
		t.Fatal("json.Marshal of the token leaked it")
	}
	if s := fmt.Sprintf("%v %+v %#v", e, e, e); strings.Contains(s, "acc-secret") || strings.Contains(s, "ref-secret") {
		t.Fatalf("the persisted form printed a secret: %s", s)
	}
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := tokenkit.DecodeExported(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Import(d)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, tokenkit.Token(tok)) {
		t.Fatalf("round trip: got %#v, want %#v", got, tok)
	}
	other := tokenkit.NewExported("somebody-else", "access_token", time.Time{})
	if _, err := Import(other); !errors.Is(err, tokenkit.ErrExportFormat) {
		t.Fatalf("Import of another vendor's token: %v", err)
	}
}

func exportSample() *AccessToken {
	t := NewAccessToken("acc-secret", "ref-secret")
	t.ID, t.UserID, t.Name, t.Type, t.Presentation = 42, 7, "bot", TokenTypeDefault, PresentBearer
	t.ExpiresAt = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	t.RefreshExpiresAt = t.ExpiresAt.Add(time.Hour)
	t.RenewableUntil = t.ExpiresAt.Add(24 * time.Hour)
	return t
}
