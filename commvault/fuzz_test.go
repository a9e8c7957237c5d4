package commvault_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault"
)

// FuzzDecoding feeds arbitrary answers to every operation: no panic; a
// result and an error are never both set or both missing; a 2xx never yields
// an empty token or session; a body reporting errorCode != 0 never yields a
// result; a non-2xx is always a *tokenkit.Error with that status; and no
// password, session token, access token or refresh token shows in an error,
// even when the body echoes it.
func FuzzDecoding(f *testing.F) {
	const (
		password = "FUZZ-PASSWORD-0123"
		b64      = "RlVaWi1QQVNTV09SRC0wMTIz" // base64 of password
		session  = "QSDK fuzzsession0123456789"
		access   = "FUZZ-ACCESS-0123456789"
		refresh  = "FUZZ-REFRESH-0123456789"
	)
	f.Add(200, "application/json", `{"token":"QSDK abc","userName":"u"}`)
	f.Add(200, "application/json", `{"data":{"authToken":"x"}}`)
	f.Add(200, "application/json", `{"errList":[{"errorCode":1116,"errLogMessage":"Invalid password `+b64+`"}]}`)
	f.Add(200, "application/json", `{"isAccountLocked":true,"remainingLockTime":99999999999999999}`)
	f.Add(200, "application/json", `{"isAccountLocked":"yes","remainingLockTime":"-5","loginAttempts":1e30}`)
	f.Add(200, "application/json", `{"error":{"errorCode":0},"tokenInfo":{"accessTokenId":1,"accessToken":"a","refreshToken":"r","tokenExpiryTimestamp":-1,"renewableUntilTimestamp":9223372036854775807}}`)
	f.Add(200, "application/json", `{"error":{"errorCode":"x","errorMessage":"`+refresh+`"}}`)
	f.Add(200, "application/json", `{"error":{"errorCode":0},"accessToken":"n","refreshToken":"m","tokenType":"CUSTOM","tokenExpiryTimestamp":1770926484}`)
	f.Add(200, "application/json", `{"accessToken":"n","refreshToken":"m","tokenExpiryTimes}amp":1770926484,}`)
	f.Add(200, "application/json", `{"tokens":[{"accessTokenId":1,"tokenType":7,"createdTime":1e3},{"tokenType":"ALL"}],"errorCode":0}`)
	f.Add(200, "application/json", `{"errorCode":3,"errorMessage":"not found"}`)
	f.Add(200, "application/json", `{"error":{"errLogMessage":"expired `+session+`"}}`)
	f.Add(200, "application/json", `{"errorCode":1.5}`)
	f.Add(200, "text/plain", `User logged out`)
	f.Add(200, "text/plain", `Invalid authorization token provided.`)
	f.Add(200, "text/html", `<html>`)
	f.Add(400, "application/json", `{"errorMessage":"bad pair `+access+` `+refresh+`","errorCode":9}`)
	f.Add(401, "application/json", `{"errorMessage":"Access denied","errorCode":5}`)
	f.Add(500, "text/plain", password+" "+session)
	f.Add(503, "application/json", `{"errorMessage":["no"],"errorCode":{}}`)
	f.Fuzz(func(t *testing.T, status int, ctype, body string) {
		if status < 200 || status > 599 {
			return
		}
		mt := httpmock.NewMockTransport()
		mt.RegisterNoResponder(httpmock.NewStringResponder(status, body).HeaderSet(http.Header{"Content-Type": {ctype}}))
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		c, err := commvault.New("https://cv.test", tokenkit.WithHTTPClient(&http.Client{Transport: mt}),
			tokenkit.WithRetryMax(0), tokenkit.WithClock(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		// Each call must mask the secrets it sent, whatever the body echoes.
		// (The plain password is never sent, only its Base64 form.)
		loginSecrets, sessionSecrets, pairSecrets := []string{b64}, []string{session}, []string{access, refresh}
		sess := heldSession(session)
		sess.DeviceID = "d"
		pair := heldPair(access, refresh)
		inband := reportsFailure(body)

		s, err := c.Login(ctx, commvault.Credentials{Username: "u", Password: password})
		check(t, "Login", status, s != nil, err, loginSecrets)
		if s != nil && strings.TrimSpace(s.Value()) == "" {
			t.Fatal("empty session")
		}
		s, err = c.RenewLogin(ctx, sess)
		check(t, "RenewLogin", status, s != nil, err, sessionSecrets)
		if s != nil && (strings.TrimSpace(s.Value()) == "" || inband) {
			t.Fatalf("session %v from %q", s, body)
		}
		tok, err := c.CreateAccessToken(ctx, sess, commvault.CreateRequest{Name: "n"})
		check(t, "CreateAccessToken", status, tok != nil, err, sessionSecrets)
		if tok != nil && (strings.TrimSpace(tok.Value()) == "" || inband) {
			t.Fatalf("token %v from %q", tok, body)
		}
		tok, err = c.RenewAccessToken(ctx, pair)
		check(t, "RenewAccessToken", status, tok != nil, err, pairSecrets)
		if tok != nil && (tok.Value() == "" || tok.RefreshToken == "" || inband) {
			t.Fatalf("renewed %v from %q", tok, body)
		}
		if tok != nil && (tok.ExpiresAt.Year() > 9999 || !tok.RenewableUntil.IsZero() && tok.RenewableUntil.Before(time.Unix(0, 0))) {
			t.Fatalf("times %v", tok)
		}
		var er *commvault.ErrorResponse
		if status >= 200 && status < 300 && err != nil && !errors.Is(err, tokenkit.ErrOutcomeUnknown) && !errors.As(err, &er) &&
			!errors.Is(err, tokenkit.ErrInvalidResponse) {
			t.Fatalf("a 2xx renew failure must be in-band, invalid or of unknown outcome: %v", err)
		}
		list, err := c.ListAccessTokens(ctx, sess, 0)
		check(t, "ListAccessTokens", status, err == nil, err, sessionSecrets)
		if err == nil && inband {
			t.Fatalf("list %v from %q", list, body)
		}
		info, err := c.UpdateAccessToken(ctx, sess, 1, commvault.UpdateRequest{Name: "x"})
		check(t, "UpdateAccessToken", status, info != nil, err, sessionSecrets)
		err = c.DeleteAccessToken(ctx, sess, 1)
		check(t, "DeleteAccessToken", status, err == nil, err, sessionSecrets)
		if err == nil && inband {
			t.Fatalf("delete succeeded on %q", body)
		}
		err = c.Logout(ctx, sess)
		check(t, "Logout", status, err == nil, err, sessionSecrets)
		// Tokens never print their own secrets.
		var own []string
		var printed string
		if s != nil {
			own, printed = append(own, s.Value()), fmt.Sprintf("%v %+v %#v %s", s, s, *s, *s)
		}
		if tok != nil {
			own = append(own, tok.Value(), tok.RefreshToken.Reveal())
			printed += fmt.Sprintf("%v %+v %#v %s", tok, tok, *tok, *tok)
		}
		for _, sec := range own {
			if len(sec) >= 8 && strings.Contains(printed, sec) {
				t.Fatalf("a token printed its secret: %s", printed)
			}
		}
		_, _ = list, info
	})
}

// reportsFailure is an independent reading of "the body reports a
// failure": a JSON number other than 0 as errorCode at the top level, in the
// nested error object or in tokenInfo's.
func reportsFailure(body string) bool {
	var m map[string]any
	if json.Unmarshal([]byte(body), &m) != nil {
		return false
	}
	nonzero := func(v any) bool { n, ok := v.(float64); return ok && n != 0 }
	obj := func(v any) map[string]any { o, _ := v.(map[string]any); return o }
	return nonzero(m["errorCode"]) || nonzero(obj(m["error"])["errorCode"]) ||
		nonzero(obj(obj(m["tokenInfo"])["error"])["errorCode"])
}

func check(t *testing.T, op string, status int, ok bool, err error, secrets []string) {
	t.Helper()
	if ok == (err != nil) {
		t.Fatalf("%s, status %d: result and error both set or both missing (err %v)", op, status, err)
	}
	if status >= 300 && ok {
		t.Fatalf("%s: status %d produced a result", op, status)
	}
	if err == nil {
		return
	}
	var te *tokenkit.Error
	if !errors.As(err, &te) {
		t.Fatalf("%s: not a *tokenkit.Error: %T %v", op, err, err)
	}
	if te.Vendor != "commvault" || te.Op == "" {
		t.Fatalf("%s: error without vendor or operation: %#v", op, te)
	}
	if status >= 300 && te.StatusCode != status {
		t.Fatalf("%s: status %d reported as %d", op, status, te.StatusCode)
	}
	text := err.Error() + "|" + te.Body + "|" + te.Message + "|" + fmt.Sprintf("%v %+v", te.Err, te.Err)
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Fatalf("%s: secret leaked: %s", op, text)
		}
	}
}
