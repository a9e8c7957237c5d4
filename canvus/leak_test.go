package canvus_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/leaktest"
)

// TestNoSecretLeaks captures debug logs, errors and every encoding (see
// internal/leaktest) of every exported type that holds a secret, and
// searches them for every password, login token and plain token used.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	rec := leaktest.New()
	logger := rec.Logger
	w := newWorld(t, tokenkit.WithLogger(logger), tokenkit.WithRetryMax(1))
	ctx := context.Background()

	record := rec.Record
	errs := func(es ...error) {
		for _, err := range es {
			rec.RecordErr(t, err)
		}
	}

	cr := canvus.Credentials{Email: aliceEmail, Password: alicePass}
	login, err := w.c.Login(ctx, cr)
	if err != nil {
		t.Fatal(err)
	}
	toks := tokensFor(t, w.c, w.alice.ID, tokenkit.StaticSource(login))
	pat, err := toks.Create(ctx, "leaky")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := w.c.Login(ctx, canvus.Credentials{Token: tokenkit.Secret(login.Value())})
	if err != nil {
		t.Fatal(err)
	}
	src := loginSource(t, w.c, cr, tokenkit.SourceConfig{})
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	fromSrc := src.Cached()
	ex, err := w.c.LoginExchanger(cr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Exchange(ctx); err != nil { // it now holds a login token
		t.Fatal(err)
	}
	held, err := w.c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(pat.Value()), ID: pat.ID})
	if err != nil {
		t.Fatal(err)
	}
	record(held, *held, login, *login, pat, *pat, rotated, cr, &cr, ex, w.c, toks, src, fromSrc)
	// The fake's own types print redacted; they hold the test's fixtures and
	// are not meant to survive the encoders (see leaktest.RecordPrinted).
	rec.RecordPrinted(canvustest.User{Email: aliceEmail, Password: alicePass},
		canvustest.AccessToken{Plain: pat.Value()}, w.fake.AccessTokens(w.alice.ID))
	for _, r := range w.fake.Requests() {
		rec.RecordPrinted(r)
	}

	// Failures: a retried 500, a wrong password, a refused token, a stream
	// that fails to open.
	w.fake.FailNext(2, fakes.Fault{Status: http.StatusInternalServerError})
	_, err1 := toks.ListInfo(ctx)
	_, err2 := w.c.Login(ctx, canvus.Credentials{Email: aliceEmail, Password: alicePass + "-wrong"})
	_, err3 := w.c.Login(ctx, canvus.Credentials{Token: tokenkit.Secret(login.Value())}) // rotated away
	err4 := firstErr(tokensFor(t, w.c, w.alice.ID, tokenkit.StaticSource(login)).Subscribe(ctx))
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
	echoToks := tokensFor(t, c, 1, tokenkit.StaticSource(pat))
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

	rec.RequireLogged(t, "tokenkit: http attempt", "tokenkit: retrying")
	rec.Check(t, alicePass, login.Value(), rotated.Value(), pat.Value(), fromSrc.Value())
}
