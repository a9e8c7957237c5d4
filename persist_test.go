package tokenkit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

func TestExportedRoundTripAndRedaction(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-token-value"
	exp := time.Date(2026, 12, 7, 1, 2, 3, 4, time.UTC)
	e, err := tokenkit.NewBearerToken(secret, exp).Export()
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"version":1`)) || !bytes.Contains(b, []byte(secret)) {
		t.Fatalf("Encode wrote %d bytes without the version or the secret", len(b))
	}
	d, err := tokenkit.DecodeExported(b)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenkit.ImportBearer(d)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Value() != secret || !tok.Expiry().Equal(exp) {
		t.Fatalf("round trip changed the token (expiry %v)", tok.Expiry())
	}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "e", e, "d", *d)
	for _, s := range []string{fmt.Sprint(e), fmt.Sprintf("%v %+v %#v %s %q", *e, *e, e, e, e), logged.String()} {
		if strings.Contains(s, secret) {
			t.Fatalf("a secret leaked: %s", s)
		}
	}
	if _, err := json.Marshal(e); err == nil {
		t.Fatal("json.Marshal of an Exported must fail, not write a redacted copy")
	}
}

func TestDecodeExportedRefuses(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"not json":   `{`,
		"no vendor":  `{"version":1,"kind":"bearer"}`,
		"newer":      `{"version":99,"vendor":"tokenkit","kind":"bearer","secrets":{"token":"hush-hush"}}`,
		"bad expiry": `{"version":1,"vendor":"tokenkit","kind":"bearer","expiry":"soon"}`,
	} {
		_, err := tokenkit.DecodeExported([]byte(in))
		if !errors.Is(err, tokenkit.ErrExportFormat) || strings.Contains(err.Error(), "hush-hush") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	e := tokenkit.NewExported("csp", "access_token", time.Time{})
	if _, err := tokenkit.ImportBearer(e); !errors.Is(err, tokenkit.ErrExportFormat) {
		t.Errorf("ImportBearer of a csp token: %v", err)
	}
}

// TestExportedRequired: an Import of a persisted form without the token's
// own secret fails with ErrExportFormat, naming the secret but no value.
func TestExportedRequired(t *testing.T) {
	t.Parallel()
	e := tokenkit.NewExported("tokenkit", "bearer", time.Time{})
	if _, err := tokenkit.ImportBearer(e); !errors.Is(err, tokenkit.ErrExportFormat) || !strings.Contains(err.Error(), "no token") {
		t.Fatalf("got %v", err)
	}
	e.Secrets["token"] = "tok-present-1"
	if v, err := e.Required("token"); err != nil || v != "tok-present-1" {
		t.Fatalf("got %v, %v", v, err)
	}
}
