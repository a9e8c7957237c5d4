package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/oracle"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// writeExported writes tok to a file the way a Go service does: the explicit
// Export and Encode. It also checks that the implicit way (json.Marshal of
// the token) would have written no secret.
func writeExported(t *testing.T, tok tokenkit.Token) string {
	t.Helper()
	if b, err := json.Marshal(tok); err == nil && strings.Contains(string(b), tok.Value()) {
		t.Fatalf("json.Marshal of %T wrote its secret", tok)
	}
	e, err := tok.(tokenkit.Exportable).Export()
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "token.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readExported reads a token file back in Go, as a service sharing it with
// tokenctl does.
func readExported(t *testing.T, path string) *tokenkit.Exported {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := tokenkit.DecodeExported(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return e
}

// TestTokenFilesRoundTrip: for every vendor, a token a Go program exported
// to a file works as tokenctl's --secret-file, and what tokenctl writes back
// (a renewed Commvault pair, a rotated Oracle refresh token) is read by the
// Go program with the vendor's Import.
func TestTokenFilesRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("commvault", func(t *testing.T) {
		t.Parallel()
		fake := commvaulttest.New(t)
		fake.AddUser(commvaulttest.User{Name: "admin", Password: "pw"})
		c, _ := commvault.New(fake.URL())
		s, err := c.Login(ctx, commvault.Credentials{Username: "admin", Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		pair, err := c.CreateAccessToken(ctx, s, commvault.CreateRequest{Name: "svc"})
		if err != nil {
			t.Fatal(err)
		}
		file := writeExported(t, pair)
		mustRun(t, map[string]string{"COMMVAULT_URL": fake.URL()}, "commvault", "token", "renew", "--secret-file", file)
		renewed, err := commvault.ImportAccessToken(readExported(t, file))
		if err != nil {
			t.Fatal(err)
		}
		if renewed.RefreshToken == pair.RefreshToken || !fake.ValidAccessToken(renewed.Value()) || renewed.ID != pair.ID {
			t.Fatal("the file does not hold the renewed pair")
		}
		if _, err := c.RenewAccessToken(ctx, renewed); err != nil || fake.ChainInvalidations() != 0 {
			t.Fatalf("the Go service cannot renew the pair tokenctl saved: %v", err)
		}
	})

	t.Run("oracle", func(t *testing.T) {
		t.Parallel()
		fake := oracletest.New(t)
		fake.AddUser(oracletest.User{Username: "ada", Password: "pw"})
		c, _ := oracle.New(fake.URL())
		tok, err := c.ExchangePassword(ctx, oracle.Credentials{Username: "ada", Password: "pw"})
		if err != nil || tok.RefreshToken == "" {
			t.Fatalf("%v (refresh token %v)", err, tok != nil && tok.RefreshToken != "")
		}
		file := writeExported(t, tok)
		mustRun(t, map[string]string{"ORACLE_URL": fake.URL()}, "oracle", "token", "--grant", "refresh-token", "--secret-file", file)
		got, err := oracle.ImportAccessToken(readExported(t, file))
		if err != nil {
			t.Fatal(err)
		}
		if got.RefreshToken == tok.RefreshToken || !fake.RefreshTokenActive(got.RefreshToken.Reveal()) || !fake.AccessTokenActive(got.Value()) {
			t.Fatal("the file does not hold the rotated token")
		}
		if _, err := c.CurrentUser(ctx, tokenkit.StaticSource(got), oracle.UserQuery{}); err != nil {
			t.Fatalf("the Go service cannot use the token tokenctl saved: %v", err)
		}
	})

	t.Run("canvus", func(t *testing.T) {
		t.Parallel()
		fake := canvustest.New(t)
		u := fake.AddUser(canvustest.User{Email: "ada@example.com", Password: "pw"})
		c, _ := canvus.New(fake.URL())
		login, err := c.Login(ctx, canvus.Credentials{Email: "ada@example.com", Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		toks, err := c.Tokens(tokenkit.StaticSource(login))
		if err != nil {
			t.Fatal(err)
		}
		pat, err := toks.Create(ctx, "svc")
		if err != nil {
			t.Fatal(err)
		}
		file := writeExported(t, pat)
		out := mustRun(t, map[string]string{"CANVUS_URL": fake.URL()}, "canvus", "token", "list", "--user-id", strconv.FormatInt(u.ID, 10), "--secret-file", file, "-o", "json")
		if !strings.Contains(out, pat.ID) {
			t.Fatalf("tokenctl listed with the file's token but not the token itself: %s", out)
		}
	})

	t.Run("cgscan", func(t *testing.T) {
		t.Parallel()
		fake := cgscantest.New(t)
		fake.AddUser(cgscantest.User{Username: "ada", Password: "pw"})
		c, _ := cgscan.New(fake.URL(), cgscan.WithAPIKey(tokenkit.Secret(fake.APIKey())))
		res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "ada", Password: "pw"})
		if err != nil || res.Session == nil {
			t.Fatalf("%v", err)
		}
		file := writeExported(t, res.Session)
		mustRun(t, map[string]string{"CGSCAN_URL": fake.URL(), "CGSCAN_API_KEY": fake.APIKey()}, "cgscan", "check", "--secret-file", file)
	})

	t.Run("csp", func(t *testing.T) {
		t.Parallel()
		fake := csptest.New(t)
		key := fake.AddAPIToken(csptest.APIToken{})
		c, _ := csp.New(fake.URL())
		tok, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(key)})
		if err != nil {
			t.Fatal(err)
		}
		file := writeExported(t, tok)
		mustRun(t, map[string]string{"CSP_URL": fake.URL()}, "csp", "verify", "--secret-file", file)
	})
}
