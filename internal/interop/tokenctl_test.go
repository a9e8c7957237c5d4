package interop_test

import (
	"bufio"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestClientCredentialsAgainstTokenctlFake runs clientcredentials, every
// AuthStyle, against `tokenctl fake` as a subprocess: what a Terraform
// provider's acceptance tests would point at.
func TestClientCredentialsAgainstTokenctlFake(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a Unix loopback setup")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build tokenctl with")
	}
	bin := filepath.Join(t.TempDir(), "tokenctl")
	// Built in the root module, with its own go.sum: tokenctl needs modules
	// (the file store's lock) that nothing in this module imports.
	build := exec.Command(goBin, "build", "-o", bin, "./cmd/tokenctl")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "fake", "--oauth-app", "tf-app:tf-secret", "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	cspURL := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "csp "); ok {
				cspURL <- u
			}
		}
	}()
	var base string
	select {
	case base = <-cspURL:
	case <-time.After(60 * time.Second):
		t.Fatal("tokenctl fake printed no CSP URL")
	}
	for name, style := range map[string]oauth2.AuthStyle{
		"auto-detect": oauth2.AuthStyleAutoDetect, "in header": oauth2.AuthStyleInHeader, "in params": oauth2.AuthStyleInParams,
	} {
		t.Run(name, func(t *testing.T) {
			cfg := clientcredentials.Config{ClientID: "tf-app", ClientSecret: "tf-secret", AuthStyle: style,
				TokenURL: base + "/" + "/csp/gateway/am/api/auth/token", EndpointParams: url.Values{}}
			tok, err := cfg.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !tok.Valid() || strings.Count(tok.AccessToken, ".") != 2 {
				t.Fatalf("token valid %t", tok.Valid())
			}
		})
	}
}
