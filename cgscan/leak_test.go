package cgscan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/internal/leaktest"
)

// TestNoSecretLeaks captures debug logs, errors and every encoding (see
// internal/leaktest) of every exported type that holds a secret, and searches them for the API key, the
// password, one-time codes, the otp_session_state, recovery codes and tokens.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	rec := leaktest.New()
	logger := rec.Logger
	fake, c := newFake(t, tokenkit.WithLogger(logger), tokenkit.WithRetryMax(1))
	const password = "correct-horse-battery"
	fake.AddUser(cgscantest.User{Username: "leaky", Password: password, TwoFactor: true, Phone: "+15550001111"})
	ctx := context.Background()
	secrets := []string{fake.APIKey(), password}
	secrets = append(secrets, fake.RecoveryCodes("leaky")...)

	record := rec.Record
	recordErr := func(err error) { rec.RecordErr(t, err) }

	req := cgscan.SignInRequest{Username: "leaky", Password: password}
	res, err := c.SignIn(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	sf := res.SecondFactor
	secrets = append(secrets, sf.State.Reveal())
	if err := c.SendSMSOTP(ctx, sf); err != nil {
		t.Fatal(err)
	}
	st, err := c.CheckTwoFactor(ctx, sf)
	if err != nil {
		t.Fatal(err)
	}
	// A wrong code, then the right one.
	recordErr(func() error { _, err := c.VerifyOTP(ctx, sf, "999999x"); return err }())
	otp := fake.OTP("leaky")
	secrets = append(secrets, otp)
	session, err := c.VerifyOTP(ctx, sf, tokenkit.Secret(otp))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.GenerateAccessToken(ctx, session)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, session.Value(), tok.Value())
	check, _ := c.CheckToken(ctx, tok)
	rc := cgscan.RecoveryCodeRequest{RecoveryCode: tokenkit.Secret(fake.RecoveryCodes("leaky")[0]), Challenge: sf, Username: "leaky", Password: password}
	ex, err := c.SignInExchanger(req)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := c.Tokens(session)
	if err != nil {
		t.Fatal(err)
	}
	withOTP := req
	withOTP.OTP = func(context.Context, *cgscan.SecondFactor) (tokenkit.Secret, error) { return tokenkit.Secret(otp), nil }
	record(res, *res, sf, *sf, st, req, &req, withOTP, rc, &rc, session, *session, tok, *tok, check, c, *c, ex, tokens,
		&cgscan.SecondFactorError{Challenge: sf}, cgscan.LegacyBasic())
	// The fake's own types print redacted; they hold the test's fixtures and
	// are not meant to survive the encoders (see leaktest.RecordPrinted).
	rec.RecordPrinted(cgscantest.User{Username: "x", Password: password, RecoveryCodes: fake.RecoveryCodes("leaky")})

	// Failures: the exchanger's second-factor error; a wrong recovery code; a
	// used challenge; retried 500s (warn logs); a made-up token.
	_, err = ex.Exchange(ctx)
	recordErr(err)
	_, err = c.SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{RecoveryCode: "wrong-recovery-code", Username: "leaky", Password: password})
	recordErr(err)
	_, err = c.CheckTwoFactor(ctx, sf)
	recordErr(err)
	fake.FailNext(2, fakes.Fault{Status: 500})
	_, err = c.CheckToken(ctx, tok)
	recordErr(err)
	fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	_, err = c.GenerateAccessToken(ctx, session)
	recordErr(err)
	_, err = c.GenerateAccessToken(ctx, held(c, "made-up-token-value"))
	recordErr(err)
	secrets = append(secrets, "wrong-recovery-code", "made-up-token-value")

	// A server that echoes everything it got into its error bodies.
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		var b []byte
		if r.Body != nil {
			b, _ = io.ReadAll(r.Body)
		}
		echo := fmt.Sprintf("got %s %s key=%s auth=%s body=%s", r.Method, r.URL, r.Header.Get("x-api-key"), r.Header.Get("Authorization"), b)
		body, _ := json.Marshal(map[string]any{"status": 401, "status_text": echo, "message": echo, "errors": []string{echo}})
		return httpmock.NewBytesResponse(401, body), nil
	})
	echoing, err := cgscan.New(host, cgscan.WithAPIKey(tokenkit.Secret(fake.APIKey())), tokenkit.WithHTTPClient(&http.Client{Transport: mt}),
		tokenkit.WithLogger(logger), cgscan.WithPresentation(tokenkit.Presentation{Header: "Authorization", Prefix: "Custom "}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = echoing.SignIn(ctx, req)
	recordErr(err)
	_, err = echoing.VerifyOTP(ctx, sf, tokenkit.Secret(otp))
	recordErr(err)
	_, err = echoing.SignInWithRecoveryCode(ctx, rc)
	recordErr(err)
	err = echoing.SendSMSOTP(ctx, sf)
	recordErr(err)
	_, err = echoing.GenerateAccessToken(ctx, held(echoing, tok.Value()))
	recordErr(err)
	err = echoing.SignOut(ctx, held(echoing, session.Value()))
	recordErr(err)

	for _, r := range fake.Requests() {
		rec.RecordPrinted(r)
	}
	rec.RequireLogged(t, "tokenkit: http attempt", "tokenkit: retrying")
	rec.Check(t, secrets...)
}
