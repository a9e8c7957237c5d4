package oracle_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/internal/wiretest"
	"github.com/tokenkit/tokenkit/oracle"
)

const (
	host      = "https://ocm.test"
	tokenURL  = host + "/system/api/v1/security/token"
	meURL     = host + "/system/api/v1/me"
	tokenJSON = `{"accessToken":"at-value-123456","expiresInMillis":1209600000,"refreshToken":"rt-next-654321","tokenType":"Bearer"}`
)

func fastRetries() tokenkit.Option {
	return tokenkit.WithRetryWait(time.Millisecond, 2*time.Millisecond)
}

func newMocked(t *testing.T, opts ...tokenkit.Option) (*oracle.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	opts = append([]tokenkit.Option{tokenkit.WithHTTPClient(&http.Client{Transport: mt}), fastRetries()}, opts...)
	c, err := oracle.New(host, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt
}

func jsonResponder(status int, body string) httpmock.Responder {
	return httpmock.NewStringResponder(status, body).HeaderSet(http.Header{"Content-Type": {"application/json"}})
}

func TestPasswordExchangeWire(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	c, mt := newMocked(t, tokenkit.WithClock(func() time.Time { return now }))
	rec := &wiretest.Recorder{}
	mt.RegisterResponder("POST", tokenURL, rec.Wrap(
		jsonResponder(503, `{"title":"Service Unavailable","status":503}`).Once().Then(jsonResponder(200, tokenJSON))))

	tok, err := c.ExchangePassword(context.Background(), oracle.Credentials{Username: "ada", Password: "pw-s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	reqs := rec.All()
	if len(reqs) != 2 {
		t.Fatalf("attempts = %d, want 2 (the password form is retried after 503)", len(reqs))
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("ada:pw-s3cret"))
	for _, r := range reqs {
		if r.Method != "POST" || r.URL != tokenURL {
			t.Errorf("request %s %s", r.Method, r.URL)
		}
		if r.Header.Get("Authorization") != want {
			t.Errorf("Authorization %q, want %q", r.Header.Get("Authorization"), want)
		}
		if r.Body != "" || r.HasHeader("Content-Type") {
			t.Errorf("the password form sends no body and no Content-Type, got %q / %q", r.Body, r.Header.Get("Content-Type"))
		}
		if !strings.HasPrefix(r.Header.Get("User-Agent"), "tokenkit-go/"+tokenkit.Version) {
			t.Errorf("user agent %q", r.Header.Get("User-Agent"))
		}
	}
	if tok.Value() != "at-value-123456" || tok.TokenType != "Bearer" || tok.RefreshToken.Reveal() != "rt-next-654321" {
		t.Fatalf("token %v", tok)
	}
	if !tok.Expiry().Equal(now.Add(14 * 24 * time.Hour)) {
		t.Fatalf("expiry %s", tok.Expiry())
	}
}

// TestExpiresInMillisIsMilliseconds: Oracle's lifetime is in milliseconds;
// its own example, 1209600000, is 14 days.
func TestExpiresInMillisIsMilliseconds(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		field    string
		lifetime time.Duration
	}{
		{"Oracle's example: 14 days", `,"expiresInMillis":1209600000`, 14 * 24 * time.Hour},
		{"one and a half seconds", `,"expiresInMillis":1500`, 1500 * time.Millisecond},
		{"absent: unknown", ``, 0},
		{"zero: unknown", `,"expiresInMillis":0`, 0},
		{"negative: unknown", `,"expiresInMillis":-5`, 0},
		{"absurd: capped at a century", `,"expiresInMillis":9223372036854775807`, 100 * 365 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, tokenkit.WithClock(func() time.Time { return now }))
			mt.RegisterResponder("POST", tokenURL, jsonResponder(200, `{"accessToken":"a-token-value"`+tc.field+`}`))
			tok, err := c.ExchangePassword(context.Background(), oracle.Credentials{Username: "u", Password: "p"})
			if err != nil {
				t.Fatal(err)
			}
			if tok.Lifetime != tc.lifetime {
				t.Fatalf("lifetime %s, want %s", tok.Lifetime, tc.lifetime)
			}
			wantExp := time.Time{}
			if tc.lifetime > 0 {
				wantExp = now.Add(tc.lifetime)
			}
			if !tok.Expiry().Equal(wantExp) {
				t.Fatalf("expiry %s, want %s", tok.Expiry(), wantExp)
			}
		})
	}
}

func TestRefreshTokenWireAndRetryClass(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		opts     []tokenkit.Option
		first    int
		attempts int
		ok       bool
	}{
		{"rotation assumed: a 503 is not replayed", nil, 503, 1, false},
		{"rotation assumed: 429 means not acted on, retried", nil, 429, 2, true},
		{"no rotation: retried like a GET", []tokenkit.Option{oracle.WithRefreshTokenRotation(false)}, 503, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, tc.opts...)
			rec := &wiretest.Recorder{}
			mt.RegisterResponder("POST", tokenURL, rec.Wrap(
				jsonResponder(tc.first, `{"title":"x","status":`+itoa(tc.first)+`}`).Once().Then(jsonResponder(200, tokenJSON))))
			tok, err := c.ExchangeRefreshToken(context.Background(), "rt-old-0123456")
			if (err == nil) != tc.ok {
				t.Fatalf("got (%v, %v)", tok, err)
			}
			reqs := rec.All()
			if len(reqs) != tc.attempts {
				t.Fatalf("attempts = %d, want %d", len(reqs), tc.attempts)
			}
			for _, r := range reqs {
				if r.Header.Get("Content-Type") != "application/json" || strings.TrimSpace(r.Body) != `{"refreshToken":"rt-old-0123456"}` {
					t.Errorf("wire: %q %q", r.Header.Get("Content-Type"), r.Body)
				}
				if r.Header.Get("Authorization") != "" {
					t.Errorf("the refresh token is sent alone, got Authorization %q", r.Header.Get("Authorization"))
				}
			}
			if !tc.ok && !errors.Is(err, tokenkit.ErrServer) {
				t.Fatalf("want the server's 503, got %v", err)
			}
		})
	}
}

func TestRenewAndCombinedForms(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t)
	rec := &wiretest.Recorder{}
	mt.RegisterResponder("POST", tokenURL, rec.Wrap(
		jsonResponder(500, `{}`).Once().Then(jsonResponder(200, `{"accessToken":"renewed-1234","tokenType":"OAuth"}`))))
	ctx := context.Background()

	// Renew with an existing token: presented per attempt, no body.
	cur := tokenkit.NewBearerToken("current-token-1", time.Time{})
	tok, err := c.RenewAccessToken(ctx, cur)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.All() {
		if r.Header.Get("Authorization") != "Bearer current-token-1" || r.Body != "" || r.HasHeader("Content-Type") {
			t.Errorf("renew wire: %+v", r)
		}
	}
	// The token type the instance sent is the scheme.
	req, _ := http.NewRequest("GET", host+"/content/management/api/v1.1/items", nil)
	tok.SetAuthHeader(req)
	if got := req.Header.Get("Authorization"); got != "OAuth renewed-1234" {
		t.Fatalf("Authorization %q", got)
	}

	// Basic and a refresh token together.
	rec2 := &wiretest.Recorder{}
	mt.RegisterResponder("POST", tokenURL, rec2.Wrap(jsonResponder(200, tokenJSON)))
	if _, err := c.RequestToken(ctx, oracle.TokenRequest{
		Credentials:  &oracle.Credentials{Username: "ada", Password: "pw"},
		RefreshToken: "rt-1234",
	}); err != nil {
		t.Fatal(err)
	}
	r := rec2.All()[0]
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") || strings.TrimSpace(r.Body) != `{"refreshToken":"rt-1234"}` {
		t.Fatalf("combined wire: %+v", r)
	}
}

func TestTokenScheme(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ typ, want string }{
		{"Bearer", "Bearer x-token"},
		{"", "Bearer x-token"},
		{"bearer", "bearer x-token"},
		{"Bad Type\r\nX: y", "Bearer x-token"},
	} {
		c, mt := newMocked(t)
		mt.RegisterResponder("POST", tokenURL, jsonResponder(200, `{"accessToken":"x-token","tokenType":`+quote(tc.typ)+`}`))
		tok, err := c.ExchangePassword(context.Background(), oracle.Credentials{Username: "u", Password: "p"})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest("GET", host, nil)
		tok.SetAuthHeader(r)
		if got := r.Header.Get("Authorization"); got != tc.want {
			t.Errorf("tokenType %q: Authorization %q, want %q", tc.typ, got, tc.want)
		}
	}
}

func TestErrorBodies(t *testing.T) {
	t.Parallel()
	const nested = `{"type":"https://example.test/problems/400","title":"Bad Request","status":400,"detail":"Illegal Argument",
		"o:errorCode":"OCE-TOP-1","instance":"https://ocm.test/help",
		"o:errorDetails":[{"title":"Invalid refresh token","detail":"refresh token rt-secret-999 is revoked","o:errorCode":"OCE-RT-2","o:errorPath":"refreshToken",
			"o:errorDetails":[{"detail":"root cause","o:errorCode":"OCE-ROOT-3"}]}]}`
	c, mt := newMocked(t)
	mt.RegisterResponder("POST", tokenURL, jsonResponder(400, nested).HeaderAdd(http.Header{"X-Oracle-Dms-Ecid": {"ecid-42"}}))
	_, err := c.ExchangeRefreshToken(context.Background(), "rt-secret-999")

	var te *tokenkit.Error
	var d *oracle.ExceptionDetail
	if !errors.As(err, &te) || !errors.As(err, &d) {
		t.Fatalf("got %#v", err)
	}
	if te.Vendor != "oracle" || te.Op != "ExchangeRefreshToken" || te.StatusCode != 400 || te.Code != "OCE-TOP-1" ||
		te.Message != "Illegal Argument" || te.RequestID != "ecid-42" {
		t.Fatalf("error fields %+v", te)
	}
	if !errors.Is(err, tokenkit.ErrInvalidCredential) || errors.Is(err, tokenkit.ErrBadRequest) {
		t.Fatal("a 400 to a refresh is a refused refresh token")
	}
	if d.Type != "https://example.test/problems/400" || d.Status != 400 || d.Instance != "https://ocm.test/help" || len(d.ErrorDetails) != 1 {
		t.Fatalf("detail %+v", d)
	}
	rt := d.Find("OCE-RT-2")
	if rt == nil || rt.ErrorPath != "refreshToken" || d.Find("OCE-ROOT-3") == nil || d.Find("nope") != nil {
		t.Fatal("nested details must be reachable")
	}
	if strings.Contains(rt.Detail, "rt-secret-999") || strings.Contains(err.Error(), "rt-secret-999") || strings.Contains(te.Body, "rt-secret-999") {
		t.Fatal("the echoed refresh token must be masked")
	}
	var codes []string
	for x := range d.All() {
		codes = append(codes, x.ErrorCode)
	}
	if strings.Join(codes, ",") != "OCE-TOP-1,OCE-RT-2,OCE-ROOT-3" {
		t.Fatalf("All: %v", codes)
	}
	// The nested details are in the error tree.
	var target *oracle.ExceptionDetail
	if !errors.As(d.Unwrap()[0], &target) || target.ErrorCode != "OCE-RT-2" {
		t.Fatal("Unwrap must expose the nested details")
	}

	for _, tc := range []struct {
		name         string
		status       int
		ctype, body  string
		refresh      bool
		code         string
		want, wantNo error
	}{
		{"ErrorResponse shape", 500, "application/json", `{"errorCode":"E500","errorMessage":"boom","httpMessage":"Internal Server Error","httpStatusCode":500}`, false, "E500", tokenkit.ErrServer, tokenkit.ErrInvalidCredential},
		{"403 refuses the password", 403, "application/json", `{"title":"Forbidden","o:errorCode":"OCE-403"}`, false, "OCE-403", tokenkit.ErrInvalidCredential, nil},
		{"401 HTML from a gateway", 401, "text/html", `<html>401</html>`, false, "", tokenkit.ErrInvalidCredential, nil},
		{"400 to a password is not a refused password", 400, "application/json", `{"detail":"Illegal Argument"}`, false, "", tokenkit.ErrBadRequest, tokenkit.ErrInvalidCredential},
		{"nested code when the top has none", 400, "application/json", `{"title":"Bad Request","o:errorDetails":{"o:errorCode":"INNER","detail":"inner"}}`, true, "INNER", tokenkit.ErrInvalidCredential, nil},
		{"200 without accessToken", 200, "application/json", `{"tokenType":"Bearer"}`, false, "", tokenkit.ErrInvalidResponse, nil},
		{"200 truncated", 200, "application/json", `{"accessToken":`, false, "", tokenkit.ErrInvalidResponse, nil},
		{"200 HTML", 200, "text/html", `<html>maintenance</html>`, false, "", tokenkit.ErrInvalidResponse, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, tokenkit.WithRetryMax(0))
			mt.RegisterResponder("POST", tokenURL,
				httpmock.NewStringResponder(tc.status, tc.body).HeaderSet(http.Header{"Content-Type": {tc.ctype}}))
			var err error
			if tc.refresh {
				_, err = c.ExchangeRefreshToken(context.Background(), "rt-x-1234")
			} else {
				_, err = c.ExchangePassword(context.Background(), oracle.Credentials{Username: "u", Password: "pw-1234"})
			}
			var te *tokenkit.Error
			if !errors.As(err, &te) || !errors.Is(err, tc.want) || te.Code != tc.code {
				t.Fatalf("got %v (code %q), want %v with code %q", err, te.Code, tc.want, tc.code)
			}
			if tc.wantNo != nil && errors.Is(err, tc.wantNo) {
				t.Fatalf("%v must not match %v", err, tc.wantNo)
			}
		})
	}
}

func TestCurrentUserWire(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t)
	rec := &wiretest.Recorder{}
	body := `{"email":"joe@example.com","firstName":"Joe","lastName":"Janesen","locale":"en","realmUserGUID":"g-1",
		"membershipGroupsList":[{"displayName":"Admins","id":"grp-1","extra":true}],
		"idcsappRoles":["CECRepositoryAdministrator",{"name":"CECSitesAdministrator"},{"displayName":"Viewer"}],
		"customAttributes":{"dept":"R&D"},"links":[{"href":"https://ocm.test/system/api/v1/me","rel":"self"}],
		"userName":"joe","timezone":"UTC"}`
	mt.RegisterResponder("GET", `=~^`+meURL, rec.Wrap(jsonResponder(502, `{}`).Once().Then(jsonResponder(200, body))))
	u, err := c.CurrentUser(context.Background(), tokenkit.StaticSource(tokenkit.NewBearerToken("me-token-1", time.Time{})), oracle.UserQuery{
		CustomAttributes: []string{"dept", "site"}, Groups: true, AppRoles: true, RealmUserGUID: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := rec.All()
	if len(reqs) != 2 {
		t.Fatalf("attempts %d", len(reqs))
	}
	for _, r := range reqs {
		if r.Method != "GET" || r.Header.Get("Authorization") != "Bearer me-token-1" ||
			!strings.HasPrefix(r.URL, meURL+"?") || !strings.Contains(r.URL, "customAttributes=dept%2Csite") ||
			!strings.Contains(r.URL, "includeGroupMembership=true") || !strings.Contains(r.URL, "includeIDCSAppRoles=true") ||
			!strings.Contains(r.URL, "includeRealmUserGUID=true") {
			t.Errorf("wire %+v", r)
		}
	}
	if u.Email != "joe@example.com" || u.FirstName != "Joe" || u.LastName != "Janesen" || u.RealmUserGUID != "g-1" ||
		len(u.Groups) != 1 || u.Groups[0] != (oracle.Group{ID: "grp-1", DisplayName: "Admins"}) ||
		strings.Join(u.AppRoles, ",") != "CECRepositoryAdministrator,CECSitesAdministrator,Viewer" ||
		u.CustomAttributes["dept"] != "R&D" || len(u.Links) != 1 || u.Links[0].Rel != "self" ||
		u.Extra["userName"] != "joe" || u.Extra["timezone"] != "UTC" {
		t.Fatalf("user %+v", u)
	}

	// 401: ErrUnauthorized, and not retried.
	rec401 := &wiretest.Recorder{}
	mt.RegisterResponder("GET", `=~^`+meURL, rec401.Wrap(jsonResponder(401, `{"title":"Unauthorized","status":401}`)))
	_, err = c.CurrentUser(context.Background(), tokenkit.StaticSource(tokenkit.NewBearerToken("dead-token", time.Time{})), oracle.UserQuery{})
	if !errors.Is(err, tokenkit.ErrUnauthorized) || len(rec401.All()) != 1 {
		t.Fatalf("got %v after %d attempts", err, len(rec401.All()))
	}
}

func TestInputValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		base string
		opts []tokenkit.Option
	}{
		{"", nil},
		{"ocm.test", nil},
		{"http://ocm.test", nil},
		{"https://user:pw@ocm.test", nil},
		{"http://localhost/proxy/", nil},
		{host + "/system/api/v1", nil},
		{host, []tokenkit.Option{oracle.WithPresentation()}},
		{host, []tokenkit.Option{{}}},
		{host, []tokenkit.Option{canvus.WithBareSubscribe()}},
		{host, []tokenkit.Option{tokenkit.WithClock(nil)}},
		{host, []tokenkit.Option{tokenkit.WithRetryMax(-1)}},
	} {
		if _, err := oracle.New(tc.base, tc.opts...); !errors.Is(err, tokenkit.ErrConfig) {
			t.Errorf("New(%q): got %v, want ErrConfig", tc.base, err)
		}
	}
	for _, ok := range []string{host + "/", "http://127.0.0.1:8080", "http://localhost"} {
		if _, err := oracle.New(ok); err != nil {
			t.Errorf("New(%q): %v", ok, err)
		}
	}
	c, mt := newMocked(t)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"nothing": func() error { _, err := c.RequestToken(ctx, oracle.TokenRequest{}); return err },
		"both auths": func() error {
			_, err := c.RequestToken(ctx, oracle.TokenRequest{Credentials: &oracle.Credentials{Username: "u", Password: "p"},
				AccessToken: tokenkit.NewBearerToken("t", time.Time{})})
			return err
		},
		"no password": func() error { _, err := c.ExchangePassword(ctx, oracle.Credentials{Username: "u"}); return err },
		"colon in user": func() error {
			_, err := c.ExchangePassword(ctx, oracle.Credentials{Username: "a:b", Password: "p"})
			return err
		},
		"empty refresh":     func() error { _, err := c.ExchangeRefreshToken(ctx, ""); return err },
		"blank refresh":     func() error { _, err := c.ExchangeRefreshToken(ctx, "  "); return err },
		"nil renew":         func() error { _, err := c.RenewAccessToken(ctx, nil); return err },
		"empty renew":       func() error { _, err := c.RenewAccessToken(ctx, tokenkit.NewBearerToken(" ", time.Time{})); return err },
		"nil source for me": func() error { _, err := c.CurrentUser(ctx, nil, oracle.UserQuery{}); return err },
		"21 attributes": func() error {
			_, err := c.CurrentUser(ctx, staticTok("t"), oracle.UserQuery{CustomAttributes: make21()})
			return err
		},
		"comma in attribute": func() error {
			_, err := c.CurrentUser(ctx, staticTok("t"), oracle.UserQuery{CustomAttributes: []string{"a,b"}})
			return err
		},
		"tokens without auth": func() error { _, err := c.Tokens(nil); return err },
		"issue with a lifetime": func() error {
			tokens, _ := c.Tokens(staticTok("t"))
			_, err := tokens.Issue(ctx, tokenkit.IssueRequest{Lifetime: time.Hour})
			return err
		},
		"issue with scopes": func() error {
			tokens, _ := c.Tokens(staticTok("t"))
			_, err := tokens.Issue(ctx, tokenkit.IssueRequest{Scopes: []string{"read"}})
			return err
		},
		"refresh flow with nothing": func() error { _, err := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{}); return err },
		"refresh source with nothing": func() error {
			_, err := c.RefreshTokenSource(oracle.RefreshTokenRequest{}, tokenkit.SourceConfig{})
			return err
		},
		"blank refresh token in the flow": func() error {
			_, err := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{RefreshToken: " "})
			return err
		},
		"refresh with credentials but none": func() error {
			_, err := c.RefreshTokenExchanger(oracle.RefreshTokenRequest{RefreshToken: "rt", RefreshWithCredentials: true})
			return err
		},
		"refresh flow with bad credentials": func() error {
			_, err := c.RefreshTokenSource(oracle.RefreshTokenRequest{Credentials: &oracle.Credentials{Username: "u"}}, tokenkit.SourceConfig{})
			return err
		},
		"password exchanger without password": func() error {
			_, err := c.PasswordExchanger(oracle.Credentials{Username: "u"})
			return err
		},
		"password source with colon": func() error {
			_, err := c.PasswordSource(oracle.Credentials{Username: "a:b", Password: "p"}, tokenkit.SourceConfig{})
			return err
		},
		"held token without value": func() error { _, err := c.NewAccessToken(tokenkit.HeldToken{}); return err },
		"held token with an id": func() error {
			_, err := c.NewAccessToken(tokenkit.HeldToken{Value: "v", ID: "42"})
			return err
		},
		"nil check":  func() error { _, err := c.Check(ctx, nil); return err },
		"nil renew2": func() error { _, err := c.Renew(ctx, nil); return err },
	} {
		if err := call(); !errors.Is(err, tokenkit.ErrInvalidInput) || errors.Is(err, tokenkit.ErrTransport) {
			t.Errorf("%s: got %v, want ErrInvalidInput", name, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Fatalf("invalid input reached the network %d times", n)
	}
}

func staticTok(v string) tokenkit.TokenSource {
	return tokenkit.StaticSource(tokenkit.NewBearerToken(v, time.Time{}))
}

func make21() []string {
	out := make([]string, 21)
	for i := range out {
		out[i] = "attr" + itoa(i)
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

func quote(s string) string { return strconv.Quote(s) }
