package oracle_test

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
	"github.com/tokenkit/tokenkit/oracle"
)

// FuzzDecoding feeds arbitrary answers to the token call (in its
// refresh-token and password forms) and to CurrentUser: no panic, a 2xx
// never yields an empty token, a non-2xx is always a *tokenkit.Error with
// that status, an ExceptionDetail is walkable to the end, and no secret the
// request carried shows in an error even when the body echoes it.
func FuzzDecoding(f *testing.F) {
	const (
		refresh  = "FUZZ-REFRESH-TOKEN-0123456789"
		password = "FUZZ-PASSWORD-9876"
		access   = "FUZZ-ACCESS-TOKEN-abcdef"
	)
	f.Add(200, "application/json", `{"accessToken":"a.b.c","expiresInMillis":1209600000,"refreshToken":"r","tokenType":"Bearer"}`)
	f.Add(200, "application/json", `{"accessToken":"","expiresInMillis":-5}`)
	f.Add(200, "application/json", `{"accessToken":7}`)
	f.Add(200, "application/json", `{"accessToken":"x","expiresInMillis":1e30}`)
	f.Add(200, "application/json", `{"email":"a@b","idcsappRoles":[1,null,{"id":"r"}],"membershipGroupsList":[{"id":3}]}`)
	f.Add(200, "text/html", `<html>`)
	f.Add(400, "application/json", `{"title":"Bad Request","detail":"Illegal Argument","o:errorCode":"C","o:errorDetails":[{"detail":"refresh `+refresh+` revoked","o:errorDetails":[{"o:errorCode":"ROOT"}]}]}`)
	f.Add(403, "application/json", `{"status":"403","o:errorDetails":{"title":"single"}}`)
	f.Add(401, "application/json", `{"o:errorDetails":[[],"x",{"o:errorDetails":[{"o:errorDetails":[{}]}]}]}`)
	f.Add(500, "application/json", `{"errorCode":"E","errorMessage":"`+password+`","httpStatusCode":"x"}`)
	f.Add(429, "application/json", `{"title":["not","a","string"],"status":1e400}`)
	f.Add(502, "text/plain", access)
	f.Fuzz(func(t *testing.T, status int, ctype, body string) {
		if status < 200 || status > 599 {
			return
		}
		mt := httpmock.NewMockTransport()
		mt.RegisterNoResponder(httpmock.NewStringResponder(status, body).HeaderSet(http.Header{"Content-Type": {ctype}}))
		c, err := oracle.New("https://ocm.test", tokenkit.WithHTTPClient(&http.Client{Transport: mt}), tokenkit.WithRetryMax(0))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()

		// Each call is checked for the secret it sent: the server can only
		// echo what it received.
		tok, err := c.ExchangeRefreshToken(ctx, refresh)
		check(t, status, tok != nil, err, refresh)
		checkToken(t, tok)
		tok, err = c.ExchangePassword(ctx, oracle.Credentials{Username: "fuzz-user", Password: password})
		check(t, status, tok != nil, err, password)
		checkToken(t, tok)
		u, err := c.CurrentUser(ctx, tokenkit.StaticSource(tokenkit.NewBearerToken(access, time.Time{})), oracle.UserQuery{})
		check(t, status, u != nil, err, access)
	})
}

func checkToken(t *testing.T, tok *oracle.AccessToken) {
	t.Helper()
	if tok == nil {
		return
	}
	if strings.TrimSpace(tok.Value()) == "" || tok.Lifetime < 0 || (tok.Lifetime > 0) == tok.ExpiresAt.IsZero() {
		t.Fatalf("bad token %v", tok)
	}
	if len(tok.Value()) >= 8 && strings.Contains(fmt.Sprintf("%v %+v %#v", tok, tok, *tok), tok.Value()) {
		t.Fatal("token printed its value")
	}
	r, _ := http.NewRequest("GET", "https://ocm.test", nil)
	tok.SetAuthHeader(r)
	if !strings.HasSuffix(r.Header.Get("Authorization"), " "+tok.Value()) {
		t.Fatalf("Authorization %q", r.Header.Get("Authorization"))
	}
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
	text := err.Error() + te.Body + te.Message
	var d *oracle.ExceptionDetail
	if errors.As(err, &d) {
		n := 0
		for x := range d.All() {
			n++
			text += x.Error() + x.Detail + x.Title
		}
		if n > 300 {
			t.Fatalf("%d details decoded: the bound is not enforced", n)
		}
	}
	if strings.Contains(text, secret) {
		t.Fatalf("secret leaked: %v | %s", err, te.Body)
	}
}
