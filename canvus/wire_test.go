package canvus_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/internal/wiretest"
)

func jsonResponder(status int, body string) httpmock.Responder {
	return httpmock.NewStringResponder(status, body).HeaderSet(http.Header{"Content-Type": {"application/json"}})
}

const (
	loginJSON   = `{"token":"login-token-value-1","user":{"id":1001,"name":"Alice","email":"alice@example.com","admin":false,"approved":true,"blocked":false,"state":"normal","created_at":"2025-03-15T09:22:41.817Z","last_login":"2025-03-15T09:22:41.817Z"}}`
	tokenJSON   = `{"created_at":"2021-07-02T06:38:36.025","description":"First token","id":"JDJhJDA0JENKTWJDT0g1QVNYSkFQTXh3NlhNWi5CWjlqT05yR2h0cXJ1d1VQZW9sZWlsWkJneXRXbTRp"}`
	createdJSON = `{"created_at":"2021-07-02T09:38:36.193","description":"Second token","id":"JDJhJDA0JENKTWJDT0g1QVNYSkFQTXh3NlhNWi44SUR3aHJaY2E1UUVaOGZUeTRDejB2ZnQzWGovclQ2","plain_token":"QbhGvPSeh0hLSgfJb120I6by4ao1J5RRd59XmNOQq2g"}`
	seedID      = "JDJhJDA0JENKTWJDT0g1QVNYSkFQTXh3NlhNWi5CWjlqT05yR2h0cXJ1d1VQZW9sZWlsWkJneXRXbTRp"
	patValue    = "W1bns7ZYuN_u7fQTR3i6L0JopiRCGsbNjXRw7Z-yX0E"
)

// TestWireEveryOperation checks method, URL, headers and body of every
// operation, with the vendor docs' own examples as answers.
func TestWireEveryOperation(t *testing.T) {
	t.Parallel()
	pat := tokenkit.StaticSource(held(patValue))
	slashy := "ab/c+d=="
	for _, tc := range []struct {
		name                 string
		method, path, answer string
		call                 func(c *canvus.Client) error
		wantURL, wantBody    string
		wantToken            string
	}{
		{"server info", "GET", "/server-info", `{"version":"3.4.0","server_id":"s1","api":["v1.2"]}`,
			func(c *canvus.Client) error {
				i, err := c.ServerInfo(context.Background())
				if err == nil && (i.Version != "3.4.0" || i.ServerID != "s1" || i.API[0] != "v1.2") {
					return errors.New("bad info")
				}
				return err
			}, "/server-info", "", ""},
		{"login", "POST", "/users/login", loginJSON,
			func(c *canvus.Client) error {
				l, err := c.Login(context.Background(), canvus.Credentials{Email: "alice@example.com", Password: "pw-1"})
				if err == nil && (l.Value() != "login-token-value-1" || l.User.ID != 1001 || !l.User.Approved || l.User.CreatedAt.IsZero()) {
					return errors.New("bad login")
				}
				return err
			}, "/users/login", `{"email":"alice@example.com","password":"pw-1"}`, ""},
		{"login remember", "POST", "/users/login", loginJSON,
			func(c *canvus.Client) error {
				_, err := c.Login(context.Background(), canvus.Credentials{Email: "a@x", Password: "pw", Remember: true})
				return err
			}, "/users/login", `{"email":"a@x","password":"pw","remember":true}`, ""},
		{"login token", "POST", "/users/login", loginJSON,
			func(c *canvus.Client) error {
				_, err := c.Login(context.Background(), canvus.Credentials{Token: "z_Ttm-old"})
				return err
			}, "/users/login", `{"token":"z_Ttm-old"}`, ""},
		{"logout", "POST", "/users/logout", `{"msg":"Logged out successfully"}`,
			func(c *canvus.Client) error {
				return c.Logout(context.Background(), held("login-token-value-1"))
			}, "/users/logout", `{"token":"login-token-value-1"}`, "login-token-value-1"},
		{"list", "GET", "/users/1001/access-tokens", "[" + tokenJSON + "]",
			func(c *canvus.Client) error {
				l, err := tokensFor(t, c, 1001, pat).ListInfo(context.Background())
				if err == nil && (len(l) != 1 || l[0].ID != seedID || l[0].CreatedAt.Hour() != 6) {
					return errors.New("bad list")
				}
				return err
			}, "/users/1001/access-tokens", "", patValue},
		{"get", "GET", "/users/1001/access-tokens/" + seedID, tokenJSON,
			func(c *canvus.Client) error {
				_, err := tokensFor(t, c, 1001, pat).Get(context.Background(), seedID)
				return err
			},
			"/users/1001/access-tokens/" + seedID, "", patValue},
		{"create", "POST", "/users/1001/access-tokens", createdJSON,
			func(c *canvus.Client) error {
				tok, err := tokensFor(t, c, 1001, pat).Create(context.Background(), "Second token")
				if err == nil && (tok.Value() != "QbhGvPSeh0hLSgfJb120I6by4ao1J5RRd59XmNOQq2g" || tok.CreatedAt.Minute() != 38) {
					return errors.New("bad token")
				}
				return err
			}, "/users/1001/access-tokens", `{"description":"Second token"}`, patValue},
		{"rename", "PATCH", "/users/1001/access-tokens/ab%2Fc%2Bd%3D%3D", tokenJSON,
			func(c *canvus.Client) error {
				_, err := tokensFor(t, c, 1001, pat).Rename(context.Background(), slashy, "Updated description")
				return err
			}, "/users/1001/access-tokens/ab%2Fc%2Bd%3D%3D", `{"description":"Updated description"}`, patValue},
		{"delete", "DELETE", "/users/1001/access-tokens/ab%2Fc%2Bd%3D%3D", ``,
			func(c *canvus.Client) error { return tokensFor(t, c, 1001, pat).Delete(context.Background(), slashy) },
			"/users/1001/access-tokens/ab%2Fc%2Bd%3D%3D", "", patValue},
		{"subscribe", "GET", "/users/1001/access-tokens", "[]\n",
			func(c *canvus.Client) error {
				return firstNonEnd(tokensFor(t, c, 1001, pat).Subscribe(context.Background()))
			},
			"/users/1001/access-tokens?subscribe=true", "", patValue},
		{"subscribe token", "GET", "/users/1001/access-tokens/ab%2Fc%2Bd%3D%3D", tokenJSON + "\n",
			func(c *canvus.Client) error {
				return firstNonEnd(tokensFor(t, c, 1001, pat).SubscribeToken(context.Background(), slashy))
			},
			"/users/1001/access-tokens/ab%2Fc%2Bd%3D%3D?subscribe=true", "", patValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t)
			rec := &wiretest.Recorder{}
			mt.RegisterResponder(tc.method, "=~^"+host, rec.Wrap(jsonResponder(200, tc.answer)))
			if err := tc.call(c); err != nil {
				t.Fatal(err)
			}
			reqs := rec.All()
			if len(reqs) != 1 {
				t.Fatalf("%d attempts, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tc.method || r.URL != host+canvus.APIPath+tc.wantURL {
				t.Errorf("request %s %s, want %s %s", r.Method, r.URL, tc.method, host+canvus.APIPath+tc.wantURL)
			}
			if r.Body != tc.wantBody {
				t.Errorf("body %q, want %q", r.Body, tc.wantBody)
			}
			if tc.wantBody != "" && r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("content type %q", r.Header.Get("Content-Type"))
			}
			if r.Header.Get("Private-Token") != tc.wantToken {
				t.Errorf("Private-Token %q, want %q", r.Header.Get("Private-Token"), tc.wantToken)
			}
			if !strings.Contains(r.Header.Get("User-Agent"), "tokenkit-go/"+tokenkit.Version) {
				t.Errorf("user agent %q", r.Header.Get("User-Agent"))
			}
		})
	}
}

// firstNonEnd returns the first error of a subscription other than the end
// of the canned stream.
func firstNonEnd(seq func(func(canvus.Event, error) bool)) error {
	for _, err := range seq {
		if err != nil && !errors.Is(err, canvus.ErrStreamClosed) {
			return err
		}
	}
	return nil
}

func TestWireBareSubscribe(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t, canvus.WithBareSubscribe())
	rec := &wiretest.Recorder{}
	mt.RegisterResponder("GET", "=~^"+host, rec.Wrap(jsonResponder(200, "[]\n")))
	_ = firstNonEnd(tokensFor(t, c, 1, tokenkit.StaticSource(held("t"))).Subscribe(context.Background()))
	if got := rec.All()[0].URL; got != host+"/api/v1/users/1/access-tokens?subscribe" {
		t.Fatalf("url %q", got)
	}
}

// TestWireAttempts pins how often each class of operation is tried.
func TestWireAttempts(t *testing.T) {
	t.Parallel()
	pat := tokenkit.StaticSource(held(patValue))
	busy := jsonResponder(503, `{"msg":"busy"}`)
	limited := jsonResponder(429, `{"msg":"slow down"}`).HeaderAdd(http.Header{"Retry-After": {"0"}})
	broken := httpmock.NewErrorResponder(errors.New("connection reset by peer"))
	for _, tc := range []struct {
		name     string
		method   string
		first    httpmock.Responder
		then     string
		call     func(c *canvus.Client) error
		attempts int
		wantErr  error
	}{
		{"create not retried after 503", "POST", busy, createdJSON,
			func(c *canvus.Client) error {
				_, err := tokensFor(t, c, 1, pat).Create(context.Background(), "d")
				return err
			}, 1, tokenkit.ErrServer},
		{"create not retried after a reset", "POST", broken, createdJSON,
			func(c *canvus.Client) error {
				_, err := tokensFor(t, c, 1, pat).Create(context.Background(), "d")
				return err
			}, 1, tokenkit.ErrTransport},
		{"create retried after 429", "POST", limited, createdJSON,
			func(c *canvus.Client) error {
				_, err := tokensFor(t, c, 1, pat).Create(context.Background(), "d")
				return err
			}, 2, nil},
		{"login not retried after 503", "POST", busy, loginJSON,
			func(c *canvus.Client) error {
				_, err := c.Login(context.Background(), canvus.Credentials{Email: "a", Password: "b"})
				return err
			}, 1, tokenkit.ErrServer},
		{"list retried after 503", "GET", busy, "[]",
			func(c *canvus.Client) error {
				_, err := tokensFor(t, c, 1, pat).ListInfo(context.Background())
				return err
			}, 2, nil},
		{"get retried after a reset", "GET", broken, tokenJSON,
			func(c *canvus.Client) error {
				_, err := tokensFor(t, c, 1, pat).Get(context.Background(), "x")
				return err
			}, 2, nil},
		{"rename retried after 503", "PATCH", busy, tokenJSON,
			func(c *canvus.Client) error {
				_, err := tokensFor(t, c, 1, pat).Rename(context.Background(), "x", "y")
				return err
			}, 2, nil},
		{"delete retried after 503", "DELETE", busy, "",
			func(c *canvus.Client) error { return tokensFor(t, c, 1, pat).Delete(context.Background(), "x") }, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t)
			rec := &wiretest.Recorder{}
			mt.RegisterResponder(tc.method, "=~^"+host, rec.Wrap(tc.first.Once().Then(jsonResponder(200, tc.then))))
			err := tc.call(c)
			if n := len(rec.All()); n != tc.attempts {
				t.Fatalf("%d attempts, want %d", n, tc.attempts)
			}
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if te := isTK(t, err); te.Attempts != tc.attempts {
					t.Fatalf("Attempts %d", te.Attempts)
				}
			}
		})
	}
}

// TestStatusCheckedBeforeDecoding: an error status never decodes into a
// token, and a 2xx that is not a usable token is ErrInvalidResponse.
func TestStatusCheckedBeforeDecoding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		want              []error
		message           string
	}{
		{"401 msg", "application/json", `{"msg":"Invalid username or password."}`, 401,
			[]error{tokenkit.ErrAuth, tokenkit.ErrInvalidCredential}, "Invalid username or password."},
		{"400 msg, bad password by message", "application/json", `{"msg":"Invalid username or password."}`, 400,
			[]error{tokenkit.ErrAuth, tokenkit.ErrInvalidCredential}, "Invalid username or password."},
		{"401 legacy message", "application/json", `{"message":"401 Unauthorized"}`, 401,
			[]error{tokenkit.ErrAuth, tokenkit.ErrInvalidCredential}, "401 Unauthorized"},
		{"400 strict check", "application/json", `{"msg":"Login request must have either email and password or token"}`, 400,
			[]error{tokenkit.ErrBadRequest}, "Login request must have either email and password or token"},
		{"401 body that looks like a token", "application/json", loginJSON, 401,
			[]error{tokenkit.ErrUnauthorized}, "Unauthorized"},
		{"402 seat limit", "application/json", `{"msg":"License seat limit reached"}`, 402, nil, "License seat limit reached"},
		{"500 text", "text/plain", "upstream exploded", 500, []error{tokenkit.ErrServer}, "Internal Server Error"},
		{"msg not a string", "application/json", `{"msg":{"a":1},"message":"fallback"}`, 403, []error{tokenkit.ErrForbidden}, "fallback"},
		{"200 without token", "application/json", `{"user":{"id":1}}`, 200, []error{tokenkit.ErrInvalidResponse}, ""},
		{"200 without user id", "application/json", `{"token":"t-123456"}`, 200, []error{tokenkit.ErrInvalidResponse}, ""},
		{"200 HTML", "text/html", "<html>maintenance</html>", 200, []error{tokenkit.ErrInvalidResponse}, ""},
		{"200 truncated", "application/json", `{"token":`, 200, []error{tokenkit.ErrInvalidResponse}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, tokenkit.WithRetryMax(0))
			mt.RegisterResponder("POST", host+"/api/v1/users/login",
				httpmock.NewStringResponder(tc.status, tc.body).HeaderSet(http.Header{"Content-Type": {tc.ctype}}))
			tok, err := c.Login(context.Background(), canvus.Credentials{Email: "a@x", Password: "pw-secret-77"})
			if tok != nil || err == nil {
				t.Fatalf("got a token for %s", tc.name)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("%v does not match %v", err, w)
				}
			}
			te := isTK(t, err)
			if tc.message != "" && te.Message != tc.message {
				t.Errorf("message %q, want %q", te.Message, tc.message)
			}
			if tc.status == 500 && !strings.Contains(te.Body, "upstream exploded") {
				t.Errorf("a non-JSON body keeps an excerpt, got %q", te.Body)
			}
			if strings.Contains(err.Error()+te.Body, "pw-secret-77") || strings.Contains(te.Body, "login-token-value-1") {
				t.Fatalf("secret in error: %v | %s", err, te.Body)
			}
		})
	}
}

func TestCreateAnswerChecks(t *testing.T) {
	t.Parallel()
	pat := tokenkit.StaticSource(held(patValue))
	for name, body := range map[string]string{
		"no plain_token": `{"id":"a","description":"d","created_at":"2021-07-02T09:38:36.193"}`,
		"bad created_at": `{"id":"a","description":"d","created_at":"July 2nd","plain_token":"p-123"}`,
		"no id":          `{"description":"d","created_at":"2021-07-02T09:38:36.193","plain_token":"p-123"}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t)
			mt.RegisterResponder("POST", host+"/api/v1/users/1/access-tokens", jsonResponder(200, body))
			if tok, err := tokensFor(t, c, 1, pat).Create(context.Background(), "d"); tok != nil || !errors.Is(err, tokenkit.ErrInvalidResponse) {
				t.Fatalf("%v %v", tok, err)
			}
		})
	}
	// Any 2xx is success; a created_at with a zone keeps it.
	c, mt := newMocked(t)
	mt.RegisterResponder("POST", host+"/api/v1/users/1/access-tokens",
		jsonResponder(201, `{"id":"a","description":"d","created_at":"2021-07-02T09:38:36.193+02:00","plain_token":"p-123"}`))
	tok, err := tokensFor(t, c, 1, pat).Create(context.Background(), "d")
	if err != nil || tok.CreatedAt.UTC().Hour() != 7 {
		t.Fatalf("%v %v", tok, err)
	}
	// A list entry with a bad created_at fails the list rather than
	// inventing a date.
	mt.RegisterResponder("GET", host+"/api/v1/users/1/access-tokens", jsonResponder(200, `[{"id":"a","description":"d","created_at":"soon"}]`))
	if _, err := tokensFor(t, c, 1, pat).ListInfo(context.Background()); !errors.Is(err, tokenkit.ErrInvalidResponse) {
		t.Fatal(err)
	}
}
