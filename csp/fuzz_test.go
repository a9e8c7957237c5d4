package csp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp"
)

// FuzzExchangeDecoding feeds arbitrary answers to the exchange and the
// details call: no panic, a 2xx never yields an empty token, a non-2xx is
// always a *tokenkit.Error with that status, and the API token never shows in
// an error even when the body echoes it.
func FuzzExchangeDecoding(f *testing.F) {
	const secret = "FUZZ-API-TOKEN-0123456789"
	f.Add(200, "application/json", `{"access_token":"a.b.c","expires_in":1799}`)
	f.Add(200, "application/json", `{"access_token":"","expires_in":-5}`)
	f.Add(200, "application/json", `{"access_token":7}`)
	f.Add(200, "text/html", `<html>`)
	f.Add(400, "application/json", `{"moduleCode":340,"message":"invalid_grant: Invalid refresh token: `+secret+`"}`)
	f.Add(400, "application/json", `{"message":["not","a","string"]}`)
	f.Add(429, "application/json", `{"statusCode":429,"errorCode":"rate"}`)
	f.Add(500, "text/plain", secret)
	f.Add(201, "application/json", `{"tokenId":"x","expiresAt":99999999999999,"createdAt":-1}`)
	f.Fuzz(func(t *testing.T, status int, ctype, body string) {
		if status < 200 || status > 599 {
			return
		}
		mt := httpmock.NewMockTransport()
		mt.RegisterNoResponder(httpmock.NewStringResponder(status, body).HeaderSet(http.Header{"Content-Type": {ctype}}))
		c, err := csp.New("https://csp.test", tokenkit.WithHTTPClient(&http.Client{Transport: mt}), tokenkit.WithRetryMax(0))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		tok, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: secret})
		check(t, status, tok != nil, err, secret)
		if tok != nil && (strings.TrimSpace(tok.Value()) == "" ||
			len(tok.Value()) >= 8 && strings.Contains(fmt.Sprintf("%v %+v %#v", tok, tok, *tok), tok.Value())) {
			t.Fatalf("bad token %v", tok)
		}
		d, err := c.APITokenDetails(ctx, secret)
		check(t, status, d != nil, err, secret)
		if d != nil && !d.CreatedAt.IsZero() && d.CreatedAt.Before(time.Unix(0, 0)) {
			t.Fatalf("negative timestamp decoded as %s", d.CreatedAt)
		}
	})
}

func check(t *testing.T, status int, ok bool, err error, secret string) {
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
	if strings.Contains(err.Error(), secret) || strings.Contains(te.Body, secret) || strings.Contains(te.Message, secret) {
		t.Fatalf("secret leaked: %v | %s", err, te.Body)
	}
}
