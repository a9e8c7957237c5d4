package canvus_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
)

// TestNoSecretLeaks captures debug logs, errors and every fmt verb of every
// exported type that holds a secret, and searches them for every password,
// login token and plain token used.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := newWorld(t, tokenkit.WithLogger(logger), tokenkit.WithRetryMax(1))
	ctx := context.Background()

	var out strings.Builder
	record := func(vs ...any) {
		for _, v := range vs {
			for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
				fmt.Fprintf(&out, f+"\n", v)
			}
			logger.Info("value", "v", v)
		}
	}
	errs := func(es ...error) {
		for _, err := range es {
			if err == nil {
				t.Fatal("expected an error")
			}
			te := isTK(t, err)
			record(err, te)
			out.WriteString(te.Body + "\n" + te.Message + "\n")
		}
	}

	cr := canvus.Credentials{Email: aliceEmail, Password: alicePass}
	login, err := w.c.Login(ctx, cr)
	if err != nil {
		t.Fatal(err)
	}
	toks := w.c.Tokens(w.alice.ID, tokenkit.StaticSource(login))
	pat, err := toks.Create(ctx, "leaky")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := w.c.Login(ctx, canvus.Credentials{Token: tokenkit.Secret(login.Value())})
	if err != nil {
		t.Fatal(err)
	}
	src := w.c.LoginSource(cr)
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	fromSrc := src.Cached()
	ex := &canvus.LoginExchanger{Client: w.c, Credentials: cr}
	record(login, *login, pat, *pat, rotated, cr, &cr, ex, w.c, toks, src, fromSrc,
		canvustest.User{Email: aliceEmail, Password: alicePass},
		canvustest.AccessToken{Plain: pat.Value()}, w.fake.AccessTokens(w.alice.ID))
	for _, r := range w.fake.Requests() {
		record(r)
	}

	// Failures: a retried 500, a wrong password, a refused token, a stream
	// that fails to open.
	w.fake.FailNext(2, canvustest.Fault{Status: http.StatusInternalServerError})
	_, err1 := toks.ListInfo(ctx)
	_, err2 := w.c.Login(ctx, canvus.Credentials{Email: aliceEmail, Password: alicePass + "-wrong"})
	_, err3 := w.c.Login(ctx, canvus.Credentials{Token: tokenkit.Secret(login.Value())}) // rotated away
	err4 := firstErr(w.c.Tokens(w.alice.ID, tokenkit.StaticSource(login)).Subscribe(ctx))
	errs(err1, err2, err3, err4)

	// A server that echoes what it was sent, in error bodies and in an error
	// frame of a stream; JSON keys that name secrets are masked whatever
	// their value.
	c, mt := newMocked(t, tokenkit.WithLogger(logger), tokenkit.WithRetryMax(0))
	loginEcho := `{"msg":"bad password ` + alicePass + ` for ` + aliceEmail + `","token":"` + rotated.Value() + `"}`
	streamEcho := `{"msg":"token ` + pat.Value() + ` was revoked","plain_token":"` + login.Value() + `"}`
	mt.RegisterResponder("POST", host+"/api/v1/users/login", jsonResponder(401, loginEcho))
	mt.RegisterResponder("GET", host+"/api/v1/users/1/access-tokens", jsonResponder(200, "[]\n"+streamEcho+"\n"))
	mt.RegisterResponder("POST", host+"/api/v1/users/1/access-tokens", jsonResponder(200, `{"id":"x","plain_token":"`+pat.Value()+`","created_at":"never"}`))
	_, err5 := c.Login(ctx, cr)
	echoToks := c.Tokens(1, tokenkit.StaticSource(pat))
	_, err6 := echoToks.Create(ctx, "x")
	var streamErrs []error
	for _, err := range echoToks.Subscribe(ctx) {
		if err != nil {
			streamErrs = append(streamErrs, err)
		}
	}
	errs(append([]error{err5, err6}, streamErrs...)...)
	var er *canvus.ErrorResponse
	if !errors.As(err5, &er) || !strings.Contains(er.Msg, "REDACTED") {
		t.Fatalf("the echoed secret must be masked in the vendor error: %v", er)
	}
	record(er)

	all := out.String() + logs.String()
	if !strings.Contains(logs.String(), "tokenkit: http attempt") || !strings.Contains(logs.String(), "tokenkit: retrying") {
		t.Fatalf("expected debug and retry log lines, got:\n%s", logs.String())
	}
	for _, secret := range []string{alicePass, login.Value(), rotated.Value(), pat.Value(), fromSrc.Value()} {
		if strings.Contains(all, secret) {
			i := strings.Index(all, secret)
			t.Fatalf("secret %q leaked at %q", secret[:4]+"…", all[max(0, i-300):i])
		}
	}
}
