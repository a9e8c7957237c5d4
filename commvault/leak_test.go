package commvault_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/leaktest"
)

// TestNoSecretLeaks captures debug logs, errors and every encoding (see
// internal/leaktest) of every exported type that holds a secret, and searches them for every password,
// session token, access token and refresh token involved.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	rec := leaktest.New()
	logger := rec.Logger
	clk := newClock()
	fake, c := newFake(t, clk, tokenkit.WithLogger(logger), tokenkit.WithRetryMax(1))
	fake.SetLockout(2, time.Hour)
	fake.AddUser(commvaulttest.User{Name: "victim", Password: "victim-password-1"})
	ctx := context.Background()

	record := rec.Record
	recordErr := func(err error) {
		t.Helper()
		rec.RecordErr(t, err)
	}

	cr := creds
	cr.DeviceID = "device-leak"
	s, err := c.Login(ctx, cr)
	if err != nil {
		t.Fatal(err)
	}
	tok := create(t, c, s, commvault.CreateRequest{Name: "leaky"})
	renewed, err := c.RenewAccessToken(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{password, base64.StdEncoding.EncodeToString([]byte(password)), "victim-password-1",
		base64.StdEncoding.EncodeToString([]byte("victim-password-1")), s.Value(), strings.TrimPrefix(s.Value(), "QSDK "),
		tok.Value(), tok.RefreshToken.Reveal(), renewed.Value(), renewed.RefreshToken.Reveal()}

	rot, err := c.AccessTokenExchanger(commvault.AccessTokenRequest{Initial: renewed})
	if err != nil {
		t.Fatal(err)
	}
	src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Initial: renewed, Credentials: &cr}, tokenkit.SourceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	login, err := c.SessionExchanger(cr)
	if err != nil {
		t.Fatal(err)
	}
	srcEx, err := c.AccessTokenExchanger(commvault.AccessTokenRequest{Initial: renewed, Credentials: &cr})
	if err != nil {
		t.Fatal(err)
	}
	m := tokens(t, c, s)
	record(src, s, *s, tok, *tok, renewed, *renewed, cr, &cr, commvault.CreateRequest{Name: "x"},
		login, srcEx, m, *m, rot, c,
		commvault.AccessTokenRequest{Initial: renewed, Credentials: &cr})
	// The fake's own types print redacted; they hold the test's fixtures and
	// are not meant to survive the encoders (see leaktest.RecordPrinted).
	rec.RecordPrinted(commvaulttest.User{Name: user, Password: password})

	// Failures: a wrong password, a locked account, a stale pair (chain
	// deleted), 500s that are retried (warn log), a lost renewal, a refused
	// session renewal, an expired session.
	_, err = c.Login(ctx, commvault.Credentials{Username: "victim", Password: "victim-password-1x"})
	recordErr(err)
	_, err = c.Login(ctx, commvault.Credentials{Username: "victim", Password: "victim-password-1y"}) // locks
	recordErr(err)
	_, err = c.Login(ctx, commvault.Credentials{Username: "victim", Password: "victim-password-1"})
	if !errors.Is(err, commvault.ErrAccountLocked) {
		t.Fatalf("want a locked account: %v", err)
	}
	recordErr(err)
	fake.FailNext(2, fakes.Fault{Status: 500})
	_, err = c.ListAccessTokens(ctx, s, 0)
	recordErr(err)
	fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	_, err = rot.Exchange(ctx)
	recordErr(err)
	_, err = rot.Exchange(ctx)
	recordErr(err)
	_, err = c.RenewAccessToken(ctx, tok) // stale: the chain is deleted
	recordErr(err)
	_, err = c.RenewLogin(ctx, heldSession("QSDK unknown-session-0123"))
	recordErr(err)
	clk.Advance(time.Hour)
	_, err = c.CreateAccessToken(ctx, s, commvault.CreateRequest{Name: "late"})
	recordErr(err)
	for _, r := range fake.Requests() {
		rec.RecordPrinted(r)
	}
	for _, st := range fake.Tokens(0) {
		rec.RecordPrinted(st)
	}

	// A server that echoes what it was sent, in every error shape.
	mt := httpmock.NewMockTransport()
	echo := func(status int, tmpl string) httpmock.Responder {
		return func(req *http.Request) (*http.Response, error) {
			b, _ := io.ReadAll(req.Body)
			body := strings.ReplaceAll(tmpl, "ECHO", strings.ReplaceAll(string(b), `"`, `'`)+" "+req.Header.Get("Authtoken"))
			return httpmock.NewStringResponse(status, body), nil
		}
	}
	mt.RegisterResponder("POST", host+"/Login", echo(200, `{"errList":[{"errorCode":1,"errLogMessage":"bad login ECHO"}]}`))
	mt.RegisterResponder("POST", host+"/V4/AccessToken/Renew", echo(400, `{"errorMessage":"bad pair ECHO","errorCode":9}`))
	mt.RegisterResponder("POST", host+"/V4/AccessToken", echo(200, `{"error":{"errorMessage":"refused ECHO","errorCode":2}}`))
	mt.RegisterResponder("POST", host+"/RenewLoginToken", echo(200, `{"error":{"errLogMessage":"no ECHO"}}`))
	mt.RegisterResponder("POST", host+"/Logout", echo(200, `Invalid authorization token provided. ECHO`))
	mc, err := commvault.New(origin, tokenkit.WithHTTPClient(&http.Client{Transport: mt}), tokenkit.WithLogger(logger), fastRetries())
	if err != nil {
		t.Fatal(err)
	}
	_, err = mc.Login(ctx, cr)
	recordErr(err)
	_, err = mc.RenewAccessToken(ctx, renewed)
	recordErr(err)
	_, err = mc.CreateAccessToken(ctx, s, commvault.CreateRequest{Name: "x"})
	recordErr(err)
	_, err = mc.RenewLogin(ctx, &commvault.Session{DeviceID: "d"})
	recordErr(err) // refused before sending: no session value
	sess := *s
	sess.DeviceID = "device-leak"
	_, err = mc.RenewLogin(ctx, &sess)
	recordErr(err)
	recordErr(mc.Logout(ctx, s))

	rec.RequireLogged(t, "tokenkit: http attempt", "tokenkit: retrying")
	rec.Check(t, secrets...)
}
