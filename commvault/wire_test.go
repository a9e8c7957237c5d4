package commvault_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/internal/wiretest"
	"github.com/tokenkit/tokenkit/oracle"
)

// origin is what the tests give commvault.New; host is the API base the
// client calls under it.
const (
	origin = "https://cv.test"
	host   = origin + "/commandcenter/api"
)

func newMocked(t *testing.T, opts ...tokenkit.Option) (*commvault.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	opts = append([]tokenkit.Option{
		tokenkit.WithHTTPClient(&http.Client{Transport: mt}),
		tokenkit.WithRetryWait(time.Millisecond, 2*time.Millisecond),
	}, opts...)
	c, err := commvault.New(origin, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt
}

func jsonResponder(status int, body string) httpmock.Responder {
	return httpmock.NewStringResponder(status, body).HeaderSet(http.Header{"Content-Type": {"application/json"}})
}

// register records every attempt of method+url and answers with next.
func register(mt *httpmock.MockTransport, method, url string, next httpmock.Responder) *wiretest.Recorder {
	rec := &wiretest.Recorder{}
	mt.RegisterResponder(method, url, rec.Wrap(next))
	return rec
}

func assertJSON(t *testing.T, r wiretest.Request, want map[string]any) {
	t.Helper()
	got := r.JSON(t)
	wb, _ := json.Marshal(want)
	var norm map[string]any
	_ = json.Unmarshal(wb, &norm)
	if !reflect.DeepEqual(got, norm) {
		t.Errorf("body %s, want %s", r.Body, wb)
	}
}

func assertHeaders(t *testing.T, r wiretest.Request, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s %s: header %s = %q, want %q", r.Method, r.URL, k, got, v)
		}
	}
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "tokenkit-go/"+tokenkit.Version) {
		t.Errorf("user agent %q", ua)
	}
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func fixed() tokenkit.Option { return tokenkit.WithClock(func() time.Time { return t0 }) }

func TestLoginWire(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t, fixed())
	rec := register(mt, "POST", host+"/Login", jsonResponder(200,
		`{"token":"QSDK 3856abcdef","userName":"Admin","userGUID":"g-1","smtpAddress":"a@example.com","isAccountLocked":false,"remainingLockTime":0,"errList":[]}`))
	s, err := c.Login(context.Background(), commvault.Credentials{
		Username: "admin", Password: "pässwörd", Domain: "corp", CommServer: "cs*cs01", DeviceID: "dev-1", Timeout: 44*time.Minute + 30*time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := rec.Only(t)
	assertHeaders(t, r, map[string]string{"Content-Type": "application/json", "Accept": "application/json", "Authtoken": "", "Authorization": ""})
	assertJSON(t, r, map[string]any{
		"username": "admin", "password": base64.StdEncoding.EncodeToString([]byte("pässwörd")),
		"domain": "corp", "commserver": "cs*cs01", "deviceId": "dev-1", "timeout": 45,
	})
	if s.Value() != "QSDK 3856abcdef" || s.UserName != "Admin" || s.UserGUID != "g-1" || s.Email != "a@example.com" || s.DeviceID != "dev-1" {
		t.Fatalf("session %+v", s)
	}
	if !s.Expiry().Equal(t0.Add(45 * time.Minute)) {
		t.Fatalf("expiry %s", s.Expiry())
	}
	req, _ := http.NewRequest("GET", host+"/Client", nil)
	s.SetAuthHeader(req)
	if req.Header.Get("Authtoken") != "QSDK 3856abcdef" || req.Header.Get("Authorization") != "" {
		t.Fatalf("session header %v", req.Header)
	}

	// Minimal body: no optional field, and the server's default timeout.
	rec2 := register(mt, "POST", "https://cv2.test/webconsole/api/Login", jsonResponder(200, `{"token":"QSDK 1"}`))
	c2, _ := commvault.New("https://cv2.test/", commvault.WithAPIPath(commvault.LegacyAPIPath), tokenkit.WithHTTPClient(&http.Client{Transport: mt}), fixed())
	s2, err := c2.Login(context.Background(), commvault.Credentials{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, rec2.Only(t), map[string]any{"username": "u", "password": "cA=="})
	if !s2.Expiry().Equal(t0.Add(commvault.DefaultSessionTimeout)) {
		t.Fatalf("default expiry %s", s2.Expiry())
	}
}

func TestLoginIsNotRetriedAfterItMayHaveArrived(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t)
	rec := register(mt, "POST", host+"/Login", jsonResponder(503, `{"errorMessage":"busy","errorCode":503}`))
	_, err := c.Login(context.Background(), commvault.Credentials{Username: "u", Password: "p"})
	if !errors.Is(err, tokenkit.ErrServer) || len(rec.All()) != 1 {
		t.Fatalf("got %v after %d attempts, want one attempt (a replayed failed login counts towards lockout)", err, len(rec.All()))
	}
	rec429 := register(mt, "POST", "https://cv.test/commandcenter/api/Login", httpmock.NewStringResponder(429, `{}`).HeaderSet(http.Header{"Retry-After": {"0"}}).
		Once().Then(jsonResponder(200, `{"token":"QSDK 2"}`)))
	if _, err := c.Login(context.Background(), commvault.Credentials{Username: "u", Password: "p"}); err != nil || len(rec429.All()) != 2 {
		t.Fatalf("429 is retried: %v, %d attempts", err, len(rec429.All()))
	}
}

func TestLoginAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		body      string
		wantErr   error
		notErr    error
		code      string
		message   string
		bearer    bool
		lockedFor time.Duration
	}{
		{name: "customer-managed token", body: `{"token":"QSDK abc","userName":"u"}`},
		{name: "SaaS data.authToken", body: `{"data":{"authToken":"saas-token"}}`, bearer: true},
		{name: "data.token", body: `{"data":{"token":"saas-token"}}`, bearer: true},
		{name: "top-level authToken", body: `{"authToken":"saas-token"}`, bearer: true},
		{name: "bad credentials inside 200", body: `{"errList":[{"errorCode":1116,"errLogMessage":"Invalid Username or Password"}],"loginAttempts":2}`,
			wantErr: tokenkit.ErrInvalidCredential, notErr: commvault.ErrAccountLocked, code: "1116", message: "Invalid Username or Password"},
		{name: "locked account", body: `{"isAccountLocked":true,"remainingLockTime":1500,"errList":[{"errorCode":1117,"errLogMessage":"User account is locked"}]}`,
			wantErr: commvault.ErrAccountLocked, notErr: tokenkit.ErrInvalidCredential, code: "1117", message: "User account is locked", lockedFor: 25 * time.Minute},
		{name: "locked account, string fields", body: `{"isAccountLocked":"true","remainingLockTime":"60"}`,
			wantErr: commvault.ErrAccountLocked, notErr: tokenkit.ErrInvalidCredential, lockedFor: time.Minute},
		{name: "token but locked", body: `{"token":"QSDK x","isAccountLocked":true}`, wantErr: commvault.ErrAccountLocked},
		{name: "neither token nor error", body: `{"userName":"u"}`, wantErr: tokenkit.ErrInvalidResponse},
		{name: "not JSON", body: `<html>`, wantErr: tokenkit.ErrInvalidResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t)
			register(mt, "POST", host+"/Login", jsonResponder(200, tc.body))
			s, err := c.Login(context.Background(), commvault.Credentials{Username: "u", Password: "p"})
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				req, _ := http.NewRequest("GET", host, nil)
				s.SetAuthHeader(req)
				if tc.bearer != (req.Header.Get("Authorization") == "Bearer saas-token") {
					t.Fatalf("headers %v", req.Header)
				}
				return
			}
			if s != nil || !errors.Is(err, tc.wantErr) || (tc.notErr != nil && errors.Is(err, tc.notErr)) {
				t.Fatalf("got (%v, %v), want an error matching %v and not %v", s, err, tc.wantErr, tc.notErr)
			}
			var te *tokenkit.Error
			if !errors.As(err, &te) || te.Vendor != "commvault" || te.Op != "Login" || te.StatusCode != 200 {
				t.Fatalf("error %#v", err)
			}
			if tc.code != "" && (te.Code != tc.code || te.Message != tc.message) {
				t.Fatalf("code %q message %q", te.Code, te.Message)
			}
			var er *commvault.ErrorResponse
			if tc.lockedFor > 0 && (!errors.As(err, &er) || !er.AccountLocked || er.RemainingLockTime != tc.lockedFor) {
				t.Fatalf("vendor error %+v", er)
			}
		})
	}
}

func TestRenewLoginWire(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t)
	rec := register(mt, "POST", host+"/RenewLoginToken", jsonResponder(200, `{"token":"QSDK new","error":{}}`))
	old := heldSession("old-hex") // the QSDK prefix is added
	old.DeviceID = "dev-1"
	s, err := c.RenewLogin(context.Background(), old)
	if err != nil {
		t.Fatal(err)
	}
	r := rec.Only(t)
	assertHeaders(t, r, map[string]string{"Authtoken": "QSDK old-hex", "Content-Type": "application/json", "Accept": "application/json"})
	assertJSON(t, r, map[string]any{"deviceId": "dev-1", "sessionId": "QSDK old-hex"})
	if s.Value() != "QSDK new" || s.DeviceID != "dev-1" {
		t.Fatalf("session %v %q", s, s.DeviceID)
	}

	mt.RegisterResponder("POST", host+"/RenewLoginToken", jsonResponder(200, `{"error":{"errLogMessage":"Session expired beyond renewal"}}`))
	_, err = c.RenewLogin(context.Background(), old)
	var te *tokenkit.Error
	if !errors.Is(err, tokenkit.ErrInvalidCredential) || !errors.As(err, &te) || te.Message != "Session expired beyond renewal" {
		t.Fatalf("got %v", err)
	}
	if _, err := c.RenewLogin(context.Background(), heldSession("x")); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("a session without DeviceID cannot be renewed: %v", err)
	}
}

func TestLogoutWire(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t)
	rec := register(mt, "POST", host+"/Logout", httpmock.NewStringResponder(200, "User logged out").HeaderSet(http.Header{"Content-Type": {"text/plain"}}))
	if err := c.Logout(context.Background(), heldSession("QSDK abc")); err != nil {
		t.Fatal(err)
	}
	r := rec.Only(t)
	assertHeaders(t, r, map[string]string{"Authtoken": "QSDK abc", "Accept": "text/plain, application/json", "Content-Type": ""})
	if r.Body != "" {
		t.Fatalf("logout has no body, got %q", r.Body)
	}
	for _, tc := range []struct {
		status int
		body   string
		want   error
	}{
		{401, `{"errorMessage":"Access denied","errorCode":5}`, tokenkit.ErrUnauthorized},
		{200, "Invalid authorization token provided.", tokenkit.ErrInvalidCredential},
	} {
		mt.RegisterResponder("POST", host+"/Logout", httpmock.NewStringResponder(tc.status, tc.body))
		err := c.Logout(context.Background(), heldSession("QSDK abc"))
		var te *tokenkit.Error
		if !errors.Is(err, tc.want) || !errors.As(err, &te) || te.Message == "" {
			t.Fatalf("%d %q: got %v", tc.status, tc.body, err)
		}
	}
}

const createdBody = `{"error":{"errorMessage":"","errorCode":0},"tokenInfo":{"error":{"errorCode":0},"accessTokenId":77,"tokenName":"ci","userId":5,` +
	`"tokenExpiryTimestamp":1777638600,"accessToken":"AT-1","refreshToken":"RT-1","refreshTokenExpiryTimestamp":1778848200,"renewableUntilTimestamp":1785412800}}`

func TestCreateAccessTokenWire(t *testing.T) {
	t.Parallel()
	until := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		opts []tokenkit.Option
		req  commvault.CreateRequest
		want map[string]any
	}{
		{"default type is not sent", nil, commvault.CreateRequest{Name: "ci"}, map[string]any{"tokenName": "ci"}},
		{"ALL as code", nil, commvault.CreateRequest{Name: "ci", Type: commvault.TokenTypeAll, RenewableUntil: until},
			map[string]any{"tokenName": "ci", "tokenType": 2, "renewableUntilTimestamp": until.Unix()}},
		{"ALL as name", []tokenkit.Option{commvault.WithTokenTypeNames()}, commvault.CreateRequest{Name: "ci", Type: commvault.TokenTypeAll},
			map[string]any{"tokenName": "ci", "tokenType": "ALL"}},
		{"CUSTOM with endpoints", nil, commvault.CreateRequest{Name: "ci", Type: commvault.TokenTypeCustom, APIEndpoints: []string{"/Client", "/Job"}},
			map[string]any{"tokenName": "ci", "tokenType": 3, "apiEndpoints": []string{"/Client", "/Job"}}},
		{"CUSTOM as name", []tokenkit.Option{commvault.WithTokenTypeNames()}, commvault.CreateRequest{Name: "ci", Type: commvault.TokenTypeCustom, APIEndpoints: []string{"/Job"}},
			map[string]any{"tokenName": "ci", "tokenType": "CUSTOM", "apiEndpoints": []string{"/Job"}}},
		{"MS_SCIM with expiry", nil, commvault.CreateRequest{Name: "scim", Type: commvault.TokenTypeMSSCIM, ExpiresAt: until},
			map[string]any{"tokenName": "scim", "tokenType": 1, "tokenExpiryTimestamp": until.Unix()}},
		{"MS_SCIM as name", []tokenkit.Option{commvault.WithTokenTypeNames()}, commvault.CreateRequest{Name: "scim", Type: commvault.TokenTypeMSSCIM},
			map[string]any{"tokenName": "scim", "tokenType": "MS_SCIM"}},
		{"OneTouch", nil, commvault.CreateRequest{Name: "1t", Type: commvault.TokenTypeOneTouch}, map[string]any{"tokenName": "1t", "tokenType": 4}},
		{"OneTouch as name", []tokenkit.Option{commvault.WithTokenTypeNames()}, commvault.CreateRequest{Name: "1t", Type: commvault.TokenTypeOneTouch},
			map[string]any{"tokenName": "1t", "tokenType": "OneTouch"}},
		{"Hyperscale", nil, commvault.CreateRequest{Name: "hs", Type: commvault.TokenTypeHyperscale}, map[string]any{"tokenName": "hs", "tokenType": 5}},
		{"undocumented fields", nil, commvault.CreateRequest{Name: "svc", AllowedIPs: []string{"10.0.0.0/8"}, EnableIPAllowList: true, UserID: 9},
			map[string]any{"tokenName": "svc", "allowedIPs": []string{"10.0.0.0/8"}, "enableIPAllowListFeature": true, "userId": 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, tc.opts...)
			rec := register(mt, "POST", host+"/V4/AccessToken", jsonResponder(200, createdBody))
			tok, err := c.CreateAccessToken(context.Background(), heldSession("QSDK sess"), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			r := rec.Only(t)
			assertHeaders(t, r, map[string]string{"Authtoken": "QSDK sess", "Authorization": "", "Content-Type": "application/json", "Accept": "application/json"})
			assertJSON(t, r, tc.want)
			if tok.Value() != "AT-1" || tok.RefreshToken.Reveal() != "RT-1" || tok.ID != 77 || tok.Name != "ci" || tok.UserID != 5 {
				t.Fatalf("token %v", tok)
			}
			if !tok.ExpiresAt.Equal(time.Unix(1777638600, 0)) || !tok.RefreshExpiresAt.Equal(time.Unix(1778848200, 0)) ||
				!tok.RenewableUntil.Equal(time.Unix(1785412800, 0)) {
				t.Fatalf("times %v %v %v", tok.ExpiresAt, tok.RefreshExpiresAt, tok.RenewableUntil)
			}
			if want := tc.req.Type; want != commvault.TokenTypeDefault && tok.Type != want || want == commvault.TokenTypeDefault && tok.Type != commvault.TokenTypeAll {
				t.Fatalf("type %v", tok.Type)
			}
		})
	}
}

func TestCreateRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t)
	names, _ := newMocked(t, commvault.WithTokenTypeNames())
	s := heldSession("QSDK s")
	for _, tc := range []struct {
		c   *commvault.Client
		req commvault.CreateRequest
	}{
		{c, commvault.CreateRequest{}},
		{c, commvault.CreateRequest{Name: "x", Type: commvault.TokenTypeCustom}},
		{c, commvault.CreateRequest{Name: "x", Type: commvault.TokenType(9)}},
		{c, commvault.CreateRequest{Name: "x", UserID: -1}},
		{names, commvault.CreateRequest{Name: "x", Type: commvault.TokenTypeHyperscale}},
	} {
		if _, err := tc.c.CreateAccessToken(context.Background(), s, tc.req); !errors.Is(err, tokenkit.ErrInvalidInput) {
			t.Errorf("%+v: got %v", tc.req, err)
		}
	}
	if _, err := c.CreateAccessToken(context.Background(), nil, commvault.CreateRequest{Name: "x"}); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Errorf("nil auth: %v", err)
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestCreateIsNeverResentAfterItMayHaveArrived(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t)
	rec := register(mt, "POST", host+"/V4/AccessToken", jsonResponder(502, `<html>bad gateway</html>`))
	_, err := c.CreateAccessToken(context.Background(), heldSession("QSDK s"), commvault.CreateRequest{Name: "x"})
	if !errors.Is(err, tokenkit.ErrServer) || len(rec.All()) != 1 {
		t.Fatalf("got %v after %d attempts", err, len(rec.All()))
	}
	rec2 := register(mt, "POST", host+"/V4/AccessToken", httpmock.NewErrorResponder(io.ErrUnexpectedEOF))
	_, err = c.CreateAccessToken(context.Background(), heldSession("QSDK s"), commvault.CreateRequest{Name: "x"})
	if !errors.Is(err, tokenkit.ErrOutcomeUnknown) || !errors.Is(err, tokenkit.ErrTransport) || len(rec2.All()) != 1 {
		t.Fatalf("got %v after %d attempts", err, len(rec2.All()))
	}
}

// Commvault reports refusals inside HTTP 200: every operation's in-band
// error shape must become a *tokenkit.Error with the vendor's code and
// message, never a zero value.
func TestFailuresInside200(t *testing.T) {
	t.Parallel()
	s := heldSession("QSDK s")
	pair := heldPair("AT", "RT")
	for _, tc := range []struct {
		name, method, path, body string
		call                     func(*commvault.Client) (any, error)
		code, message            string
		credential               bool
	}{
		{"create: nested error", "POST", "/V4/AccessToken", `{"error":{"errorMessage":"Token name already present","errorCode":409}}`,
			func(c *commvault.Client) (any, error) {
				return c.CreateAccessToken(context.Background(), s, commvault.CreateRequest{Name: "dup"})
			}, "409", "Token name already present", false},
		{"create: tokenInfo error", "POST", "/V4/AccessToken", `{"error":{"errorCode":0},"tokenInfo":{"error":{"errorCode":7,"errorMessage":"bad window"}}}`,
			func(c *commvault.Client) (any, error) {
				return c.CreateAccessToken(context.Background(), s, commvault.CreateRequest{Name: "x"})
			}, "7", "bad window", false},
		{"create: string code", "POST", "/V4/AccessToken", `{"error":{"errorCode":"13","errorMessage":"nope"}}`,
			func(c *commvault.Client) (any, error) {
				return c.CreateAccessToken(context.Background(), s, commvault.CreateRequest{Name: "x"})
			}, "13", "nope", false},
		{"update: nested error", "PUT", "/V4/AccessToken/3", `{"error":{"errorMessage":"Access token not found","errorCode":3}}`,
			func(c *commvault.Client) (any, error) {
				return c.UpdateAccessToken(context.Background(), s, 3, commvault.UpdateRequest{Name: "n"})
			}, "3", "Access token not found", false},
		{"delete: top-level", "DELETE", "/V4/AccessToken/3", `{"errorMessage":"Access token not found","errorCode":3}`,
			func(c *commvault.Client) (any, error) {
				return nil, c.DeleteAccessToken(context.Background(), s, 3)
			}, "3", "Access token not found", false},
		{"list: top-level", "GET", "/V4/AccessToken", `{"errorMessage":"No permission","errorCode":5}`,
			func(c *commvault.Client) (any, error) {
				return c.ListAccessTokens(context.Background(), s, 0)
			}, "5", "No permission", false},
		{"renew: nested error", "POST", "/V4/AccessToken/Renew", `{"error":{"errorMessage":"Refresh token expired","errorCode":21}}`,
			func(c *commvault.Client) (any, error) {
				return c.RenewAccessToken(context.Background(), pair)
			}, "21", "Refresh token expired", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t)
			register(mt, tc.method, host+tc.path, jsonResponder(200, tc.body))
			v, err := tc.call(c)
			if err == nil || !isNil(v) {
				t.Fatalf("got (%v, %v), want only an error", v, err)
			}
			var te *tokenkit.Error
			var er *commvault.ErrorResponse
			if !errors.As(err, &te) || !errors.As(err, &er) || te.StatusCode != 200 || te.Code != tc.code || te.Message != tc.message {
				t.Fatalf("error %#v", err)
			}
			if er.Message != tc.message || errors.Is(err, tokenkit.ErrInvalidCredential) != tc.credential {
				t.Fatalf("vendor error %+v", er)
			}
		})
	}
}

func TestListWire(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t)
	body := `{"tokens":[{"accessTokenId":1,"userId":7,"tokenName":"a","createdTime":1777600000,"tokenType":2,"renewableUntilTimestamp":1785412800,"lastUsedTime":0,"tokenExpiryTimestamp":1777638600},` +
		`{"accessTokenId":2,"userId":7,"tokenName":"b","createdTime":1777600001,"tokenType":"CUSTOM","apiEndpoints":["/Job"],"lastUsedTime":1777600100,"allowedIPs":["10.0.0.1"]},` +
		`{"accessTokenId":3,"tokenType":"SOMETHING_NEW"}],"error":{"errorCode":0}}`
	rec := register(mt, "GET", host+"/V4/AccessToken", jsonResponder(200, body))
	s := heldSession("QSDK s")
	list, err := c.ListAccessTokens(context.Background(), s, 7)
	if err != nil {
		t.Fatal(err)
	}
	r := rec.Only(t)
	if r.URL != host+"/V4/AccessToken?userId=7" || r.Body != "" {
		t.Fatalf("request %s %q", r.URL, r.Body)
	}
	assertHeaders(t, r, map[string]string{"Authtoken": "QSDK s", "Accept": "application/json"})
	if len(list) != 3 || list[0].Type != commvault.TokenTypeAll || list[1].Type != commvault.TokenTypeCustom || list[2].Type != commvault.TokenTypeUnknown {
		t.Fatalf("list %+v", list)
	}
	if !list[0].LastUsedAt.IsZero() || !list[1].LastUsedAt.Equal(time.Unix(1777600100, 0)) || !list[0].CreatedAt.Equal(time.Unix(1777600000, 0)) ||
		!list[0].RenewableUntil.Equal(time.Unix(1785412800, 0)) || list[1].APIEndpoints[0] != "/Job" || list[1].AllowedIPs[0] != "10.0.0.1" {
		t.Fatalf("list %+v", list)
	}
	if ti := list[1].TokenInfo(); ti.ID != "2" || ti.Name != "b" || ti.Scopes[0] != "/Job" {
		t.Fatalf("TokenInfo %+v", ti)
	}
	if _, err := c.ListAccessTokens(context.Background(), s, 0); err != nil {
		t.Fatal(err)
	}
	if all := rec.All(); all[1].URL != host+"/V4/AccessToken" {
		t.Fatalf("userId 0 must not be sent: %s", all[1].URL)
	}
}

func TestUpdateAndDeleteWire(t *testing.T) {
	t.Parallel()
	c, mt := newMocked(t)
	until := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	rec := register(mt, "PUT", host+"/V4/AccessToken/42", jsonResponder(200,
		`{"error":{"errorCode":0},"tokenInfo":{"accessTokenId":42,"tokenName":"renamed","tokenType":3,"renewableUntilTimestamp":`+itoa(until.Unix())+`}}`))
	s := heldSession("QSDK s")
	info, err := c.UpdateAccessToken(context.Background(), s, 42, commvault.UpdateRequest{
		Name: "renamed", Type: commvault.TokenTypeCustom, APIEndpoints: []string{"/Job"}, RenewableUntil: until, AllowedIPs: []string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := rec.Only(t)
	assertHeaders(t, r, map[string]string{"Authtoken": "QSDK s", "Content-Type": "application/json", "Accept": "application/json"})
	assertJSON(t, r, map[string]any{"accessTokenId": 42, "tokenName": "renamed", "tokenType": 3, "apiEndpoints": []string{"/Job"},
		"renewableUntilTimestamp": until.Unix(), "allowedIPs": []string{}})
	if info.ID != 42 || info.Name != "renamed" || info.Type != commvault.TokenTypeCustom || !info.RenewableUntil.Equal(until) {
		t.Fatalf("info %+v", info)
	}

	del := register(mt, "DELETE", host+"/V4/AccessToken/42", jsonResponder(200, `{"errorMessage":"","errorCode":0}`))
	if err := c.DeleteAccessToken(context.Background(), s, 42); err != nil {
		t.Fatal(err)
	}
	d := del.Only(t)
	assertHeaders(t, d, map[string]string{"Authtoken": "QSDK s", "Accept": "application/json"})
	if d.Body != "" {
		t.Fatalf("delete body %q", d.Body)
	}
	for _, id := range []int64{0, -1} {
		if err := c.DeleteAccessToken(context.Background(), s, id); !errors.Is(err, tokenkit.ErrInvalidInput) {
			t.Fatalf("id %d: %v", id, err)
		}
	}
}

const renewedBody = `{"error":{"errorMessage":"","errorCode":0},"accessTokenId":77,"tokenName":"ci","userId":5,"tokenType":2,` +
	`"tokenExpiryTimestamp":1770926484,"accessToken":"AT-2","refreshToken":"RT-2","refreshTokenExpiryTimestamp":1772136084,"renewableUntilTimestamp":1778644800}`

func TestRenewWire(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		opts       []tokenkit.Option
		auth, bear string
	}{
		{"default Authtoken", nil, "AT-1", ""},
		{"Bearer", []tokenkit.Option{commvault.WithRenewPresentation(tokenkit.Bearer())}, "", "Bearer AT-1"},
		{"no header", []tokenkit.Option{commvault.WithRenewPresentation()}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, append(tc.opts, fixed())...)
			rec := register(mt, "POST", host+"/V4/AccessToken/Renew", jsonResponder(200, renewedBody))
			old := heldPair("AT-1", "RT-1")
			old.ID, old.Name = 77, "ci"
			tok, err := c.RenewAccessToken(context.Background(), old)
			if err != nil {
				t.Fatal(err)
			}
			r := rec.Only(t)
			assertHeaders(t, r, map[string]string{"Authtoken": tc.auth, "Authorization": tc.bear, "Content-Type": "application/json", "Accept": "application/json"})
			assertJSON(t, r, map[string]any{"accessToken": "AT-1", "refreshToken": "RT-1"})
			if tok.Value() != "AT-2" || tok.RefreshToken.Reveal() != "RT-2" || tok.ID != 77 || tok.Type != commvault.TokenTypeAll ||
				!tok.ExpiresAt.Equal(time.Unix(1770926484, 0)) || !tok.RenewableUntil.Equal(time.Unix(1778644800, 0)) ||
				!tok.RefreshExpiresAt.Equal(time.Unix(1772136084, 0)) {
				t.Fatalf("renewed %v", tok)
			}
			if old.Value() != "AT-1" {
				t.Fatal("the old pair must not change")
			}
		})
	}
}

func TestRenewFailures(t *testing.T) {
	t.Parallel()
	pair := func() *commvault.AccessToken { return heldPair("AT-1", "RT-1") }
	t.Run("5xx is not retried", func(t *testing.T) {
		t.Parallel()
		c, mt := newMocked(t)
		rec := register(mt, "POST", host+"/V4/AccessToken/Renew", jsonResponder(503, `{"errorMessage":"busy","errorCode":1}`))
		if _, err := c.RenewAccessToken(context.Background(), pair()); !errors.Is(err, tokenkit.ErrServer) || len(rec.All()) != 1 {
			t.Fatalf("got %v after %d attempts", err, len(rec.All()))
		}
	})
	t.Run("lost answer: outcome unknown, not retried", func(t *testing.T) {
		t.Parallel()
		c, mt := newMocked(t)
		rec := register(mt, "POST", host+"/V4/AccessToken/Renew", httpmock.NewErrorResponder(io.ErrUnexpectedEOF))
		_, err := c.RenewAccessToken(context.Background(), pair())
		if !errors.Is(err, tokenkit.ErrOutcomeUnknown) || len(rec.All()) != 1 {
			t.Fatalf("got %v after %d attempts", err, len(rec.All()))
		}
	})
	t.Run("canceled in flight: outcome unknown", func(t *testing.T) {
		t.Parallel()
		c, mt := newMocked(t)
		ctx, cancel := context.WithCancel(context.Background())
		register(mt, "POST", host+"/V4/AccessToken/Renew", func(req *http.Request) (*http.Response, error) {
			cancel() // the caller gives up once the request is on its way
			<-req.Context().Done()
			return nil, req.Context().Err()
		})
		_, err := c.RenewAccessToken(ctx, pair())
		if !errors.Is(err, tokenkit.ErrOutcomeUnknown) || !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
		ctx2, cancel2 := context.WithCancel(context.Background())
		cancel2()
		if _, err := c.RenewAccessToken(ctx2, pair()); errors.Is(err, tokenkit.ErrOutcomeUnknown) || !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled before sending: %v", err)
		}
	})
	t.Run("refused pair is a rejected credential", func(t *testing.T) {
		t.Parallel()
		c, mt := newMocked(t)
		register(mt, "POST", host+"/V4/AccessToken/Renew", jsonResponder(400, `{"errorMessage":"Invalid token RT-1","errorCode":9}`))
		_, err := c.RenewAccessToken(context.Background(), pair())
		var te *tokenkit.Error
		if !errors.Is(err, tokenkit.ErrInvalidCredential) || errors.Is(err, tokenkit.ErrBadRequest) || !errors.As(err, &te) || te.Code != "9" || te.StatusCode != 400 {
			t.Fatalf("got %v", err)
		}
		if strings.Contains(err.Error(), "RT-1") || strings.Contains(te.Body, "RT-1") {
			t.Fatalf("the echoed refresh token leaked: %v | %s", err, te.Body)
		}
	})
	t.Run("invalid JSON is salvaged", func(t *testing.T) {
		t.Parallel()
		c, mt := newMocked(t)
		// centreon-plugins: "json flux is sometime invalid", with "tokenExpiryTimes}amp".
		register(mt, "POST", host+"/V4/AccessToken/Renew", jsonResponder(200,
			`{"accessToken":"AT-2","refreshToken":"RT-2","tokenExpiryTimes}amp":1770926484,"renewableUntilTimestamp":1778644800,}`))
		tok, err := c.RenewAccessToken(context.Background(), pair())
		if err != nil || tok.Value() != "AT-2" || tok.RefreshToken.Reveal() != "RT-2" || !tok.ExpiresAt.Equal(time.Unix(1770926484, 0)) {
			t.Fatalf("got (%v, %v)", tok, err)
		}
	})
	t.Run("200 without a new pair: outcome unknown", func(t *testing.T) {
		t.Parallel()
		c, mt := newMocked(t)
		register(mt, "POST", host+"/V4/AccessToken/Renew", jsonResponder(200, `{"error":{"errorCode":0},"accessToken":`))
		tok, err := c.RenewAccessToken(context.Background(), pair())
		if tok != nil || !errors.Is(err, tokenkit.ErrOutcomeUnknown) || tokenkit.KindOf(err) != tokenkit.KindOutcomeUnknown ||
			errors.Is(err, tokenkit.ErrInvalidResponse) {
			t.Fatalf("got (%v, %v)", tok, err)
		}
	})
	t.Run("not renewable: refused before sending", func(t *testing.T) {
		t.Parallel()
		c, mt := newMocked(t, fixed())
		scim := heldPair("AT", "")
		past := heldPair("AT", "RT")
		past.RenewableUntil = t0.Add(-time.Second)
		for _, tok := range []*commvault.AccessToken{scim, past} {
			_, err := c.RenewAccessToken(context.Background(), tok)
			if !errors.Is(err, commvault.ErrNotRenewable) || !errors.Is(err, tokenkit.ErrInvalidInput) || errors.Is(err, tokenkit.ErrTransport) {
				t.Fatalf("got %v", err)
			}
		}
		if mt.GetTotalCallCount() != 0 {
			t.Fatal("nothing may be sent")
		}
	})
}

func TestAccessTokenPresentation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts       []tokenkit.Option
		auth, bear string
	}{
		{nil, "AT-1", ""},
		{[]tokenkit.Option{commvault.WithPresentation(tokenkit.Bearer())}, "", "Bearer AT-1"},
		{[]tokenkit.Option{commvault.WithPresentation(commvault.Authtoken(), tokenkit.Bearer())}, "AT-1", "Bearer AT-1"},
	} {
		c, mt := newMocked(t, tc.opts...)
		register(mt, "POST", host+"/V4/AccessToken", jsonResponder(200, createdBody))
		tok, err := c.CreateAccessToken(context.Background(), heldSession("s"), commvault.CreateRequest{Name: "ci"})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest("GET", host+"/Client", nil)
		tok.SetAuthHeader(r)
		if r.Header.Get("Authtoken") != tc.auth || r.Header.Get("Authorization") != tc.bear {
			t.Errorf("headers %v", r.Header)
		}
	}
}

func TestNewValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		base string
		opts []tokenkit.Option
	}{
		{"", nil},
		{"http://cv.example.com", nil},
		{"https://u:p@cv.example.com", nil},
		// The full API base URL earlier versions took: a path is refused.
		{"https://cv.example.com/commandcenter/api", nil},
		{"https://cv.example.com/webconsole/api", nil},
		{origin, []tokenkit.Option{commvault.WithPresentation()}},
		{origin, []tokenkit.Option{commvault.WithPresentation(tokenkit.Presentation{})}},
		{origin, []tokenkit.Option{commvault.WithPresentation(tokenkit.Presentation{Header: "Content-Length"})}},
		{origin, []tokenkit.Option{commvault.WithPresentation(commvault.Authtoken(), tokenkit.Presentation{Header: "authtoken", Prefix: "x "})}},
		{origin, []tokenkit.Option{commvault.WithRenewPresentation(tokenkit.Presentation{Header: "Bad Header"})}},
		{origin, []tokenkit.Option{commvault.WithRenewPresentation(tokenkit.Bearer(), tokenkit.Bearer())}},
		{origin, []tokenkit.Option{commvault.WithAPIPath("")}},
		{origin, []tokenkit.Option{commvault.WithAPIPath("/")}},
		{origin, []tokenkit.Option{commvault.WithAPIPath("commandcenter/api")}},
		{origin, []tokenkit.Option{commvault.WithAPIPath("/commandcenter/api?x=1")}},
		{origin, []tokenkit.Option{commvault.WithAPIPath("/commandcenter/api#f")}},
		{origin, []tokenkit.Option{commvault.WithAPIPath("/commandcenter/../api")}},
		{origin, []tokenkit.Option{commvault.WithAPIPath("/commandcenter//api")}},
		{origin, []tokenkit.Option{commvault.WithAPIPath("/command center/api")}},
		{origin, []tokenkit.Option{commvault.WithAPIPath("https://other.example.com/api")}},
		{origin, []tokenkit.Option{tokenkit.WithClock(nil)}},
		{origin, []tokenkit.Option{{}}},
		{origin, []tokenkit.Option{csp.WithVerification(), oracle.WithRefreshTokenRotation(false)}},
	} {
		if _, err := commvault.New(tc.base, tc.opts...); !errors.Is(err, tokenkit.ErrConfig) {
			t.Errorf("New(%q): got %v, want ErrConfig", tc.base, err)
		}
	}
	_, err := commvault.New("https://cv.example.com/commandcenter/api")
	if err == nil || !strings.Contains(err.Error(), "give the origin, https://cv.example.com;") {
		t.Fatalf("a base with a path must name the origin to give: %v", err)
	}
	for _, tc := range []struct{ base, path, want string }{
		{"https://cv.example.com", "", "https://cv.example.com/commandcenter/api"},
		{"https://cv.example.com/", "", "https://cv.example.com/commandcenter/api"},
		{"https://cv.example.com", commvault.LegacyAPIPath, "https://cv.example.com/webconsole/api"},
		{"https://cv.example.com:8443", "/webconsole/api/", "https://cv.example.com:8443/webconsole/api"},
	} {
		var opts []tokenkit.Option
		if tc.path != "" {
			opts = append(opts, commvault.WithAPIPath(tc.path))
		}
		c, err := commvault.New(tc.base, opts...)
		if err != nil || c.BaseURL() != tc.want {
			t.Errorf("New(%q, WithAPIPath(%q)): %v %v, want %s", tc.base, tc.path, c, err, tc.want)
		}
	}
	c, err := commvault.New("https://cv.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(context.Background(), commvault.Credentials{Username: "u"}); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("missing password: %v", err)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Slice) && rv.IsNil()
}
