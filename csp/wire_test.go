package csp_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/internal/wiretest"
)

const host = "https://csp.test"

func newMocked(t *testing.T, base string, opts ...tokenkit.Option) (*csp.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	opts = append([]tokenkit.Option{
		tokenkit.WithHTTPClient(&http.Client{Transport: mt}),
		tokenkit.WithRetryWait(time.Millisecond, 2*time.Millisecond),
	}, opts...)
	c, err := csp.New(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt
}

const tokenJSON = `{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln","token_type":"bearer","expires_in":1799,"scope":"openid csp:org_member","refresh_token":"api-token-value","id_token":"idt"}`

func TestExchangeAPITokenWire(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	c, mt := newMocked(t, host+"/", tokenkit.WithClock(func() time.Time { return now }))
	rec := &wiretest.Recorder{}
	mt.RegisterResponder("POST", host+"/csp/gateway/am/api/auth/api-tokens/authorize", rec.Wrap(
		httpmock.NewStringResponder(503, `{"message":"busy"}`).Once().Then(httpmock.NewStringResponder(200, tokenJSON).HeaderSet(http.Header{"Content-Type": {"application/json"}}))))

	tok, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{
		APIToken: "api-token-value", Passcode: "123456", Scopes: []string{"openid", "csp:org_member"},
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := rec.All()
	if len(reqs) != 2 {
		t.Fatalf("attempts = %d, want 2 (one retry after 503)", len(reqs))
	}
	for _, r := range reqs {
		if r.Method != "POST" || r.URL != host+"/csp/gateway/am/api/auth/api-tokens/authorize" {
			t.Errorf("request %s %s", r.Method, r.URL)
		}
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		if r.Header.Get("Authorization") != "" {
			t.Errorf("the exchange is anonymous, got Authorization %q", r.Header.Get("Authorization"))
		}
		want := url.Values{"api_token": {"api-token-value"}, "passcode": {"123456"}, "scope": {"openid csp:org_member"}}
		if r.Form().Encode() != want.Encode() {
			t.Errorf("form %q, want %q", r.Form().Encode(), want.Encode())
		}
		if !strings.HasPrefix(r.Header.Get("User-Agent"), "tokenkit-go/"+tokenkit.Version) {
			t.Errorf("user agent %q", r.Header.Get("User-Agent"))
		}
	}
	if tok.Value() != "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln" || tok.TokenType != "bearer" {
		t.Fatalf("token %v", tok)
	}
	if want := now.Add(1799 * time.Second); !tok.Expiry().Equal(want) {
		t.Fatalf("expiry %s, want %s", tok.Expiry(), want)
	}
	if tok.RefreshToken.Reveal() != "api-token-value" || tok.IDToken.Reveal() != "idt" {
		t.Fatal("refresh and id tokens must be kept")
	}
	if got := tok.Scopes(); len(got) != 2 || got[1] != "csp:org_member" {
		t.Fatalf("scopes %v", got)
	}
}

func TestClientCredentialsWire(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []tokenkit.Option
		path string
	}{
		{"default path", nil, "/csp/gateway/am/api/auth/authorize"},
		{"overridden path", []tokenkit.Option{csp.WithClientCredentialsPath("/csp/gateway/am/api/auth/token")}, "/csp/gateway/am/api/auth/token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, host, tc.opts...)
			rec := &wiretest.Recorder{}
			mt.RegisterResponder("POST", host+tc.path, rec.Wrap(httpmock.NewStringResponder(200, tokenJSON)))
			if _, err := c.ExchangeClientCredentials(context.Background(), csp.ClientCredentials{ClientID: "app", ClientSecret: "s3cret", OrgID: "org-1"}); err != nil {
				t.Fatal(err)
			}
			r := rec.All()[0]
			if want := "Basic " + base64.StdEncoding.EncodeToString([]byte("app:s3cret")); r.Header.Get("Authorization") != want {
				t.Errorf("auth %q, want %q", r.Header.Get("Authorization"), want)
			}
			if form := r.Form(); form.Get("grant_type") != "client_credentials" || form.Get("orgId") != "org-1" || len(form) != 2 {
				t.Errorf("form %v", form)
			}
		})
	}
}

func TestStatusCheckedBeforeDecoding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		ctype  string
		body   string
		want   error
	}{
		{"400 invalid_grant", 400, "application/json", `{"moduleCode":340,"message":"invalid_grant: Invalid refresh token: api-token-value"}`, tokenkit.ErrInvalidCredential},
		{"401 JSON that looks like a token", 401, "application/json", `{"access_token":"not-a-token"}`, tokenkit.ErrUnauthorized},
		{"200 without access_token", 200, "application/json", `{"token_type":"bearer"}`, tokenkit.ErrInvalidResponse},
		{"200 HTML", 200, "text/html", `<html>maintenance</html>`, tokenkit.ErrInvalidResponse},
		{"200 truncated", 200, "application/json", `{"access_token":`, tokenkit.ErrInvalidResponse},
		{"404 HTML", 404, "text/html", `<html>not here</html>`, tokenkit.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, host)
			mt.RegisterResponder("POST", host+"/csp/gateway/am/api/auth/api-tokens/authorize",
				httpmock.NewStringResponder(tc.status, tc.body).HeaderSet(http.Header{"Content-Type": {tc.ctype}}))
			tok, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: "api-token-value"})
			if tok != nil || !errors.Is(err, tc.want) {
				t.Fatalf("got (%v, %v), want an error matching %v", tok, err, tc.want)
			}
			var te *tokenkit.Error
			if !errors.As(err, &te) || te.Vendor != "csp" || te.Op != "ExchangeAPIToken" {
				t.Fatalf("want a *tokenkit.Error naming csp and the operation, got %#v", err)
			}
			if strings.Contains(err.Error(), "api-token-value") || strings.Contains(te.Body, "api-token-value") {
				t.Fatalf("the API token leaked into the error: %v / %s", err, te.Body)
			}
		})
	}
}

func TestCSPErrorResponseReachable(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t, host)
	mt.RegisterResponder("POST", host+"/csp/gateway/am/api/auth/api-tokens/authorize",
		httpmock.NewStringResponder(400, `{"statusCode":400,"moduleCode":340,"message":"invalid_grant: Invalid refresh token: abcd","requestId":"req-9","traceId":"tr-1","metadata":{"k":"v"}}`))
	_, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: "abcd"})
	var te *tokenkit.Error
	var er *csp.ErrorResponse
	if !errors.As(err, &te) || !errors.As(err, &er) {
		t.Fatalf("got %v", err)
	}
	if te.StatusCode != 400 || te.Code != "invalid_grant" || te.RequestID != "req-9" || er.ModuleCode != 340 || er.TraceID != "tr-1" {
		t.Fatalf("error fields: %+v / %+v", te, er)
	}
	if !strings.HasPrefix(te.Message, "Invalid refresh token") {
		t.Fatalf("message %q", te.Message)
	}
}

func TestAPITokenDetailsTimeUnits(t *testing.T) {
	t.Parallel()
	want := time.Date(2027, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		value int64
		opts  []tokenkit.Option
	}{
		{"seconds, auto", want.Unix(), nil},
		{"milliseconds, auto", want.UnixMilli(), nil},
		{"seconds, fixed", want.Unix(), []tokenkit.Option{csp.WithDetailsTimeUnit(csp.DetailsSeconds)}},
		{"milliseconds, fixed", want.UnixMilli(), []tokenkit.Option{csp.WithDetailsTimeUnit(csp.DetailsMilliseconds)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, host, tc.opts...)
			rec := &wiretest.Recorder{}
			body := `{"tokenId":"t1","tokenName":"ci","orgId":"o1","scope":["openid"],"deactivated":false,"expiresAt":` +
				itoa(tc.value) + `,"allowedScopes":{"generalScopes":["openid"],"organizationScopes":{"allRoles":true}}}`
			mt.RegisterResponder("POST", host+"/csp/gateway/am/api/auth/api-tokens/details", rec.Wrap(httpmock.NewStringResponder(200, body)))
			d, err := c.APITokenDetails(context.Background(), "the-api-token")
			if err != nil {
				t.Fatal(err)
			}
			if !d.ExpiresAt.Equal(want) || !d.CreatedAt.IsZero() || d.TokenName != "ci" || d.OrgID != "o1" {
				t.Fatalf("details %+v", d)
			}
			if d.AllowedScopes == nil || !d.AllowedScopes.OrganizationScopes.AllRoles {
				t.Fatalf("allowed scopes %+v", d.AllowedScopes)
			}
			r := rec.All()[0]
			if r.Header.Get("Content-Type") != "application/json" || r.Body != `{"tokenValue":"the-api-token"}`+"\n" && r.Body != `{"tokenValue":"the-api-token"}` {
				t.Fatalf("wire: %q %q", r.Header.Get("Content-Type"), r.Body)
			}
		})
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestNewValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		base string
		opts []tokenkit.Option
	}{
		{"", nil},
		{"console.cloud.vmware.com", nil},
		{"http://console.cloud.vmware.com", nil},
		{"ftp://csp.test", nil},
		{"https://user:pw@csp.test", nil},
		{"https://csp.test?x=1", nil},
		{"https://csp.test/csp", nil},           // a path: the origin is the base
		{"http://localhost/x/", nil},            // a path, even on loopback
		{csp.CloudVMware + "/csp/gateway", nil}, // the API root is the client's to add
		{host, []tokenkit.Option{{}}},
		{host, []tokenkit.Option{commvault.WithTokenTypeNames()}},
		{host, []tokenkit.Option{csp.WithClientCredentialsPath("no-slash")}},
		{host, []tokenkit.Option{csp.WithClockSkew(-time.Second)}},
		{host, []tokenkit.Option{csp.WithPresentation()}},
		{host, []tokenkit.Option{csp.WithPresentation(tokenkit.Presentation{})}},
		{host, []tokenkit.Option{csp.WithPresentation(tokenkit.Presentation{Header: "Host"})}},
		{host, []tokenkit.Option{csp.WithPresentation(tokenkit.Presentation{Header: "bad header"})}},
		{host, []tokenkit.Option{csp.WithPresentation(csp.CSPAuthToken(), csp.CSPAuthToken())}},
		{host, []tokenkit.Option{csp.WithPresentation(tokenkit.Bearer(), tokenkit.Presentation{Header: "authorization"})}},
		{host, []tokenkit.Option{tokenkit.WithRetryMax(-1)}},
	} {
		if _, err := csp.New(tc.base, tc.opts...); !errors.Is(err, tokenkit.ErrConfig) {
			t.Errorf("New(%q): got %v, want ErrConfig", tc.base, err)
		}
	}
	for _, ok := range []string{csp.CloudVMware, csp.TanzuBroadcom + "/", "http://127.0.0.1:8080", "http://localhost:9/"} {
		if _, err := csp.New(ok); err != nil {
			t.Errorf("New(%q): %v", ok, err)
		}
	}
	c, _ := csp.New(csp.TanzuBroadcom + "//")
	if c.BaseURL() != csp.TanzuBroadcom {
		t.Errorf("BaseURL %q", c.BaseURL())
	}
	c2, _ := csp.New(host)
	if _, err := c2.ExchangeAPIToken(context.Background(), csp.APITokenRequest{}); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Errorf("empty API token: %v", err)
	}
	if _, err := c2.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: "x", AllowedResourceScope: []byte("{")}); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Errorf("bad allowed_resource_scope: %v", err)
	}
	if _, err := c2.ExchangeClientCredentials(context.Background(), csp.ClientCredentials{ClientID: "a"}); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Errorf("missing secret: %v", err)
	}
}

// TestNewRefusesPath: a base with a path is a config error that names the
// origin to give instead.
func TestNewRefusesPath(t *testing.T) {
	t.Parallel()
	_, err := csp.New("https://console.cloud.vmware.com/csp/gateway/am/api")
	var te *tokenkit.Error
	if !errors.As(err, &te) || tokenkit.KindOf(err) != tokenkit.KindConfig || !strings.Contains(te.Message, "https://console.cloud.vmware.com") {
		t.Fatalf("got %v, want a config error naming the origin", err)
	}
}

func TestPresentation(t *testing.T) {
	t.Parallel()
	custom := tokenkit.Presentation{Header: "X-Session", Prefix: "Token "}
	for name, tc := range map[string]struct {
		opts             []tokenkit.Option
		auth, csph, xses string
	}{
		"default":      {nil, "Bearer JWT", "", ""},
		"Bearer":       {[]tokenkit.Option{csp.WithPresentation(tokenkit.Bearer())}, "Bearer JWT", "", ""},
		"CSPAuthToken": {[]tokenkit.Option{csp.WithPresentation(csp.CSPAuthToken())}, "", "JWT", ""},
		"both":         {[]tokenkit.Option{csp.WithPresentation(tokenkit.Bearer(), csp.CSPAuthToken())}, "Bearer JWT", "JWT", ""},
		"custom":       {[]tokenkit.Option{csp.WithPresentation(custom)}, "", "", "Token JWT"},
	} {
		c, mt := newMocked(t, host, tc.opts...)
		mt.RegisterResponder("POST", host+"/csp/gateway/am/api/auth/api-tokens/authorize",
			httpmock.NewStringResponder(200, `{"access_token":"JWT","expires_in":60}`))
		tok, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: "k"})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest("GET", "https://vmc.test/", nil)
		tok.SetAuthHeader(r)
		if r.Header.Get("Authorization") != tc.auth || r.Header.Get("csp-auth-token") != tc.csph || r.Header.Get("X-Session") != tc.xses || len(r.Header) != nonEmpty(tc.auth, tc.csph, tc.xses) {
			t.Errorf("%s: headers %v", name, r.Header)
		}
	}
}

// nonEmpty counts the non-empty strings in list.
func nonEmpty(list ...string) int {
	n := 0
	for _, s := range list {
		if s != "" {
			n++
		}
	}
	return n
}

// TestPresentationOptionCopied: changing the slice given to
// WithPresentation changes no token of the client.
func TestPresentationOptionCopied(t *testing.T) {
	t.Parallel()
	ps := []tokenkit.Presentation{csp.CSPAuthToken()}
	c, mt := newMocked(t, host, csp.WithPresentation(ps...))
	ps[0] = tokenkit.Bearer()
	mt.RegisterResponder("POST", host+"/csp/gateway/am/api/auth/api-tokens/authorize",
		httpmock.NewStringResponder(200, `{"access_token":"JWT","expires_in":60}`))
	first, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: "k"})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest("GET", host+"/vmc/api/orgs", nil)
	first.SetAuthHeader(r)
	if r.Header.Get("csp-auth-token") != "JWT" || r.Header.Get("Authorization") != "" {
		t.Fatalf("headers %v", r.Header)
	}
}
