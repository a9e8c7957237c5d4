package canvus_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
)

// FuzzDecoding feeds arbitrary answers to every operation and, as a
// subscription stream, to both subscribe calls: no panic; a result or an
// error, never both or neither; a non-2xx is always a *tokenkit.Error with
// that status; a token is never empty and never prints its value; events
// are well-formed; and the password or token a call sent never shows in its
// error, even when the body echoes it (JSON-escaped included).
func FuzzDecoding(f *testing.F) {
	const password = "FUZZ-PASSWORD-0123456789"
	const pat = "FUZZ-PAT-0123456789abcdef"
	f.Add(200, "application/json", loginJSON)
	f.Add(200, "application/json", createdJSON)
	f.Add(200, "application/json", "["+tokenJSON+"]")
	f.Add(200, "application/json", tokenJSON)
	f.Add(200, "application/json", `{"token":"","user":{"id":-1}}`)
	f.Add(200, "application/json", `{"id":"a","plain_token":7,"created_at":"2021-07-02T06:38:36"}`)
	f.Add(200, "application/json", "[]\n\n{\"id\":\"a\",\"state\":\"deleted\"}\n{\"msg\":\"gone\"}\n[{\"id\":\"b\"}]\n")
	f.Add(200, "application/json", "{\"id\":\"x\",\"created_at\":\"2021-13-45T99:99:99.999\"}\r\n[null]\n{}\n[1,2]\n")
	f.Add(200, "application/json", `{"msg":"echo `+pat+`"}`+"\n")
	f.Add(200, "text/html", "<html>")
	f.Add(401, "application/json", `{"msg":"Invalid username or password. `+password+`"}`)
	f.Add(401, "application/json", `{"message":"401 Unauthorized","token":"`+pat+`"}`)
	f.Add(403, "application/json", `{"msg":"bad \u0046UZZ-PAT-0123456789abcdef"}`)
	f.Add(400, "application/json", `{"msg":["not","a","string"]}`)
	f.Add(429, "application/json", `{"msg":"slow down"}`)
	f.Add(500, "text/plain", password)
	f.Fuzz(func(t *testing.T, status int, ctype, body string) {
		if status < 200 || status > 599 {
			return
		}
		mt := httpmock.NewMockTransport()
		mt.RegisterNoResponder(httpmock.NewStringResponder(status, body).HeaderSet(http.Header{"Content-Type": {ctype}}))
		c, err := canvus.New(host, tokenkit.WithHTTPClient(&http.Client{Transport: mt}), tokenkit.WithRetryMax(0),
			canvus.WithMaxFrameBytes(4096))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		// Each call can mask only what it sent: the password for Login, the
		// access token for the token calls.
		secrets := []string{pat}

		login, err := c.Login(ctx, canvus.Credentials{Email: "fuzz@example.com", Password: password})
		check(t, status, login != nil, err, []string{password})
		if login != nil {
			checkToken(t, login, login.Value(), body)
		}
		toks := tokensFor(t, c, 1, tokenkit.StaticSource(held(pat)))
		list, err := toks.ListInfo(ctx)
		check(t, status, list != nil, err, secrets)
		for _, in := range list {
			if in.ID == "" {
				t.Fatal("listed a token without an id")
			}
		}
		got, err := toks.Get(ctx, "a/b+c=")
		check(t, status, got != nil, err, secrets)
		created, err := toks.Create(ctx, "fuzz")
		check(t, status, created != nil, err, secrets)
		if created != nil {
			checkToken(t, created, created.Value(), body)
		}
		renamed, err := toks.Rename(ctx, "a", "b")
		check(t, status, renamed != nil, err, secrets)
		info, err := c.ServerInfo(ctx)
		check(t, status, info != nil, err, nil)
		err = toks.Delete(ctx, "a")
		check(t, status, err == nil, err, secrets)

		for _, seq := range []func(func(canvus.Event, error) bool){toks.Subscribe(ctx), toks.SubscribeToken(ctx, "a")} {
			n := 0
			for ev, err := range seq {
				if n++; n > 10000 {
					t.Fatal("a finite body gave endless events")
				}
				if err != nil {
					if ev.Type != 0 {
						t.Fatalf("an error came with an event %+v", ev)
					}
					checkErr(t, status, err, secrets)
					continue
				}
				if status >= 300 {
					t.Fatalf("status %d produced an event", status)
				}
				switch ev.Type {
				case canvus.Snapshot:
					for _, in := range ev.Tokens {
						if in.ID == "" {
							t.Fatal("snapshot token without an id")
						}
					}
				case canvus.Created, canvus.Updated, canvus.Deleted:
					if ev.Token.ID == "" {
						t.Fatalf("%s event without an id", ev.Type)
					}
				default:
					t.Fatalf("event of unknown type %d", ev.Type)
				}
			}
		}
	})
}

// checkToken fails when printing tok shows its value. A value the body also
// carries in a printable field (an e-mail address equal to the token, say)
// may legitimately appear, so such inputs are not judged.
func checkToken(t *testing.T, tok tokenkit.Token, value, body string) {
	t.Helper()
	if strings.TrimSpace(value) == "" {
		t.Fatal("empty token")
	}
	if len(value) >= 8 && strings.Count(body, value) == 1 && strings.Contains(fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok), value) {
		t.Fatal("a token printed its value")
	}
}

func check(t *testing.T, status int, ok bool, err error, secrets []string) {
	t.Helper()
	if ok == (err != nil) {
		t.Fatalf("status %d: result and error both set or both missing (err %v)", status, err)
	}
	if status >= 300 && ok {
		t.Fatalf("status %d produced a result", status)
	}
	if err != nil {
		checkErr(t, status, err, secrets)
	}
}

func checkErr(t *testing.T, status int, err error, secrets []string) {
	t.Helper()
	var te *tokenkit.Error
	if !errors.As(err, &te) {
		t.Fatalf("not a *tokenkit.Error: %T %v", err, err)
	}
	if status >= 300 && te.StatusCode != status {
		t.Fatalf("status %d reported as %d", status, te.StatusCode)
	}
	text := err.Error() + "|" + te.Body + "|" + te.Message + "|" + fmt.Sprintf("%+v", te)
	var er *canvus.ErrorResponse
	if errors.As(err, &er) {
		text += "|" + er.Msg + "|" + er.LegacyMessage
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Fatalf("secret leaked: %s", text)
		}
	}
}
