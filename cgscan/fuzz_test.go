package cgscan_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/cgscan"
)

// FuzzDecoding feeds arbitrary answers to every call: no panic; a result and
// an error never come together; a 2xx never yields an empty token, state or
// session; a non-2xx is a *tokenkit.Error with that status (or, for
// CheckToken's 401, an invalid TokenStatus); and no secret the call sent
// shows in an error, even when the body echoes it.
func FuzzDecoding(f *testing.F) {
	const (
		key      = "FUZZ-API-KEY-0123"
		password = "FUZZ-PASSWORD-4567"
		otp      = "FUZZ-OTP-890"
		state    = "FUZZ-STATE-abcdef"
		userTok  = "FUZZ-USER-TOKEN-xyz"
	)
	f.Add(200, "application/json", `{"status":200,"status_text":"OK","username":"alice","token":"t0k3n","organization":{"uuid":"u","name":"n"}}`)
	f.Add(200, "application/json", `{"otp_session_state":"s1","message":"2fa"}`)
	f.Add(200, "application/json", `{"token":"","otp_session_state":"  "}`)
	f.Add(200, "application/json", `{"token":7,"sign_in_count":"x"}`)
	f.Add(200, "application/json", `{"status":"401","message":"Invalid API key `+key+`"}`)
	f.Add(200, "application/json", `{"valid":false,"message":"expired"}`)
	f.Add(200, "application/json", `{"otp_required":true,"otp_method":"sms","phone":"***1","x":{"password":"`+password+`"}}`)
	f.Add(200, "text/html", `<html>`)
	f.Add(200, "application/json", ``)
	f.Add(401, "application/json", `{"status":401,"status_text":"Unauthorized","message":"bad `+password+` `+otp+`"}`)
	f.Add(422, "application/json", `{"errors":{"otp_attempt":["`+otp+` is wrong"],"username":["blank"]}}`)
	f.Add(422, "application/json", `{"errors":[{"message":"m"},"s",3,null]}`)
	f.Add(404, "application/json", `{"error":{"message":"`+state+`"}}`)
	f.Add(429, "application/json", `{"status":99999999999999999999}`)
	f.Add(500, "text/plain", userTok+" "+key)
	f.Add(503, "application/json", `{"status":-1,"status_text":["x"],"code":{"a":1}}`)
	f.Fuzz(func(t *testing.T, status int, ctype, body string) {
		if status < 200 || status > 599 {
			return
		}
		mt := httpmock.NewMockTransport()
		mt.RegisterNoResponder(httpmock.NewStringResponder(status, body).HeaderSet(http.Header{"Content-Type": {ctype}}))
		c, err := cgscan.New("https://portal.test", cgscan.WithAPIKey(key),
			tokenkit.WithHTTPClient(&http.Client{Transport: mt}), tokenkit.WithRetryMax(0))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		// What each call sends, and so may find echoed back.
		signIn := []string{key, password}
		second := []string{key, otp, state}
		pending := []string{key, state}
		authed := []string{key, userTok}
		sf := &cgscan.SecondFactor{Username: "alice", State: state}
		user := held(c, userTok)

		res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: password})
		check(t, status, res != nil, err, signIn)
		if res != nil {
			switch {
			case (res.Session == nil) == (res.SecondFactor == nil):
				t.Fatalf("exactly one of Session and SecondFactor: %+v", res)
			case res.Session != nil && strings.TrimSpace(res.Session.Value()) == "":
				t.Fatal("empty session token")
			case res.SecondFactor != nil && strings.TrimSpace(res.SecondFactor.State.Reveal()) == "":
				t.Fatal("empty otp_session_state")
			}
			if res.Session != nil && len(res.Session.Value()) >= 4 && strings.Contains(fmt.Sprintf("%v %+v %#v", res.Session, *res.Session, res.Session), res.Session.Value()) {
				t.Fatal("session printed its token")
			}
		}
		s, err := c.VerifyOTP(ctx, sf, otp)
		check(t, status, s != nil, err, second)
		s, err = c.SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{RecoveryCode: otp, Challenge: sf})
		check(t, status, s != nil, err, second)
		st, err := c.CheckTwoFactor(ctx, sf)
		check(t, status, st != nil, err, pending)
		if st != nil {
			for k := range st.Fields {
				if strings.Contains(strings.ToLower(k), "password") {
					t.Fatalf("secret-looking field %q kept", k)
				}
			}
		}
		err = c.SendSMSOTP(ctx, sf)
		check(t, status, err == nil, err, pending)
		tok, err := c.GenerateAccessToken(ctx, user)
		check(t, status, tok != nil, err, authed)
		if tok != nil && strings.TrimSpace(tok.Value()) == "" {
			t.Fatal("empty access token")
		}
		err = c.RevokeAccessToken(ctx, user)
		check(t, status, err == nil, err, authed)
		ts, err := c.CheckToken(ctx, user)
		if status == http.StatusUnauthorized || err == nil && ts != nil && !ts.Valid {
			if err != nil || ts == nil || ts.Valid {
				t.Fatalf("check 401: %+v, %v", ts, err)
			}
			for _, sec := range authed {
				if strings.Contains(ts.Message, sec) {
					t.Fatal("secret in check message")
				}
			}
		} else {
			check(t, status, ts != nil, err, authed)
		}
		err = c.SignOut(ctx, user)
		check(t, status, err == nil, err, authed)
	})
}

func check(t *testing.T, status int, ok bool, err error, secrets []string) {
	t.Helper()
	if ok == (err != nil) {
		t.Fatalf("status %d: result and error both set or both missing (err %v)", status, err)
	}
	if status >= 300 && ok {
		t.Fatalf("status %d produced a result", status)
	}
	if err == nil {
		return
	}
	var te *tokenkit.Error
	if !errors.As(err, &te) {
		t.Fatalf("not a *tokenkit.Error: %T %v", err, err)
	}
	if status >= 300 && te.StatusCode != status {
		t.Fatalf("status %d reported as %d", status, te.StatusCode)
	}
	var er *cgscan.ErrorResponse
	text := err.Error() + "|" + te.Body + "|" + te.Message + "|" + fmt.Sprintf("%+v", te)
	if errors.As(err, &er) {
		text += fmt.Sprintf("|%+v", *er)
	}
	for _, sec := range secrets {
		if strings.Contains(text, sec) {
			t.Fatalf("secret leaked: %s", text)
		}
	}
}
