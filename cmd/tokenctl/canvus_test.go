package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit/canvus/canvustest"
)

// TestCanvusAuditFindsTheUser: a Canvus profile entry with an access token
// needs no user_id: tokenctl finds the user by signing in with the token
// once (Canvus has no /users/me). A login token still needs user_id (see
// TestAuditProfileErrors).
func TestCanvusAuditFindsTheUser(t *testing.T) {
	t.Parallel()
	fake := canvustest.New(t)
	u := fake.AddUser(canvustest.User{Email: "ada@example.com", Password: "pw"})
	pat := fake.AddAccessToken(canvustest.AccessToken{UserID: u.ID, Description: "bot"})
	other := fake.AddAccessToken(canvustest.AccessToken{UserID: u.ID, Description: "old one"})
	prof, err := json.Marshal(map[string]any{"vendors": []map[string]any{{
		"name": "cn", "vendor": "canvus", "url": fake.URL(), "self_id": pat.ID,
		"credential": map[string]string{"env": "CANVUS_TOKEN"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(p, prof, 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, map[string]string{"CANVUS_TOKEN": pat.Plain}, "audit", "--profile", p, "-o", "json")
	if !strings.Contains(out, other.ID) || !strings.Contains(out, "old one") {
		t.Fatalf("audit without user_id: %s", out)
	}
	if n := fake.Calls(canvustest.OpLogin); n != 1 {
		t.Fatalf("finding the user took %d sign-ins, want 1", n)
	}
}
