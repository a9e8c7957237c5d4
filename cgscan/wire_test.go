package cgscan_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/internal/wiretest"
)

const (
	host   = "https://portal.test"
	apiKey = "wire-api-key-0001"
)

func newMocked(t *testing.T, base string, opts ...tokenkit.Option) (*cgscan.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	opts = append([]tokenkit.Option{
		cgscan.WithAPIKey(apiKey),
		tokenkit.WithHTTPClient(&http.Client{Transport: mt}),
		fastRetries(),
	}, opts...)
	c, err := cgscan.New(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt
}

func jsonResponder(status int, body string) httpmock.Responder {
	return httpmock.NewStringResponder(status, body).HeaderSet(http.Header{"Content-Type": {"application/json"}})
}

const (
	sessionJSON   = `{"status":200,"status_text":"OK","username":"alice","token":"session-token-1","sign_in_count":3,"role":"User","timezone":"UTC","verified":true,"provider":"email","organization":{"uuid":"u-1","name":"Acme"}}`
	challengeJSON = `{"status":200,"status_text":"OK","otp_session_state":"state-1"}`
	generatedJSON = `{"token":"access-token-1","username":"alice","message":"ok"}`
	statusJSON    = `{"status":200,"status_text":"OK","message":"done"}`
)

// wireCase is one call of the package and what it must put on the wire.
type wireCase struct {
	name     string
	goName   string // the Go method, the Op of its errors
	op       cgscan.Operation
	method   string
	body     map[string]any // nil: no body
	auth     string         // Authorization header, "" for none
	response string
	call     func(context.Context, *cgscan.Client) error
}

var (
	challenge = &cgscan.SecondFactor{Username: "alice", State: "state-1"}
	session   = func(c *cgscan.Client) *cgscan.AccessToken { return held(c, "session-token-1") }
)

// held wraps a token value with c.NewAccessToken.
func held(c *cgscan.Client, v string) *cgscan.AccessToken {
	tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(v)})
	if err != nil {
		panic(err)
	}
	return tok
}

func wireCases() []wireCase {
	return []wireCase{
		{"sign in", "SignIn", cgscan.OpSignIn, "POST", map[string]any{"username": "alice", "password": "secret123"}, "", challengeJSON,
			func(ctx context.Context, c *cgscan.Client) error {
				res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: "secret123"})
				if err == nil && (res.SecondFactor == nil || res.SecondFactor.State.Reveal() != "state-1") {
					return errors.New("no challenge")
				}
				return err
			}},
		{"verify OTP", "VerifyOTP", cgscan.OpSignIn, "POST", map[string]any{"otp_attempt": "123456", "otp_session_state": "state-1"}, "", sessionJSON,
			func(ctx context.Context, c *cgscan.Client) error {
				s, err := c.VerifyOTP(ctx, challenge, " 123456 ")
				if err == nil && (s.Value() != "session-token-1" || s.SignInCount != 3 || s.Organization.UUID != "u-1") {
					return errors.New("bad session")
				}
				return err
			}},
		{"recovery code", "SignInWithRecoveryCode", cgscan.OpSignInWithRecoveryCode, "POST", map[string]any{"recovery_code": "abcd-1234", "otp_session_state": "state-1"}, "", sessionJSON,
			func(ctx context.Context, c *cgscan.Client) error {
				_, err := c.SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{RecoveryCode: "abcd-1234", Challenge: challenge})
				return err
			}},
		{"check 2fa", "CheckTwoFactor", cgscan.OpCheckTwoFactor, "POST", map[string]any{"username": "alice", "otp_session_state": "state-1"}, "",
			`{"status":200,"status_text":"OK","otp_required":true,"otp_method":"sms","phone":"***1234","backup":"x","otp_secret":"hide-me"}`,
			func(ctx context.Context, c *cgscan.Client) error {
				st, err := c.CheckTwoFactor(ctx, challenge)
				if err == nil && (!st.Required || st.Method != "sms" || st.Phone != "***1234" || !reflect.DeepEqual(st.Fields, map[string]any{"backup": "x"})) {
					return errors.New("bad status")
				}
				return err
			}},
		{"send SMS OTP", "SendSMSOTP", cgscan.OpSendSMSOTP, "POST", map[string]any{"username": "alice", "otp_session_state": "state-1"}, "", statusJSON,
			func(ctx context.Context, c *cgscan.Client) error { return c.SendSMSOTP(ctx, challenge) }},
		{"generate", "GenerateAccessToken", cgscan.OpGenerateAccessToken, "PUT", nil, "Bearer session-token-1", generatedJSON,
			func(ctx context.Context, c *cgscan.Client) error {
				tok, err := c.GenerateAccessToken(ctx, session(c))
				if err == nil && (tok.Value() != "access-token-1" || tok.Username != "alice" || tok.Message != "ok") {
					return errors.New("bad token")
				}
				return err
			}},
		{"revoke", "RevokeAccessToken", cgscan.OpRevokeAccessToken, "PUT", nil, "Bearer session-token-1", statusJSON,
			func(ctx context.Context, c *cgscan.Client) error { return c.RevokeAccessToken(ctx, session(c)) }},
		{"check token", "CheckToken", cgscan.OpCheckToken, "GET", nil, "Bearer session-token-1", `{"status":200,"valid":true,"username":"alice"}`,
			func(ctx context.Context, c *cgscan.Client) error {
				st, err := c.CheckToken(ctx, session(c))
				if err == nil && (!st.Valid || st.Username != "alice") {
					return errors.New("bad check")
				}
				return err
			}},
		{"sign out", "SignOut", cgscan.OpSignOut, "DELETE", nil, "Bearer session-token-1", statusJSON,
			func(ctx context.Context, c *cgscan.Client) error { return c.SignOut(ctx, session(c)) }},
	}
}

func TestWire(t *testing.T) {
	t.Parallel()
	for _, tc := range wireCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, moved := range []bool{false, true} {
				var opts []tokenkit.Option
				path := tc.op.DefaultPath()
				if moved {
					path = "/custom/" + strings.ToLower(string(tc.op))
					opts = append(opts, cgscan.WithPath(tc.op, path))
				}
				c, mt := newMocked(t, host+"/", opts...) // the origin; a trailing slash is allowed
				rec := &wiretest.Recorder{}
				mt.RegisterResponder(tc.method, host+path, rec.Wrap(jsonResponder(200, tc.response)))
				if err := tc.call(context.Background(), c); err != nil {
					t.Fatalf("moved=%t: %v", moved, err)
				}
				if c.Path(tc.op) != path {
					t.Errorf("Path(%s) = %q, want %q", tc.op, c.Path(tc.op), path)
				}
				reqs := rec.All()
				if len(reqs) != 1 || mt.GetTotalCallCount() != 1 {
					t.Fatalf("attempts = %d, want 1", len(reqs))
				}
				r := reqs[0]
				if r.Method != tc.method || r.URL != host+path {
					t.Errorf("request %s %s", r.Method, r.URL)
				}
				if r.Header.Get("x-api-key") != apiKey || r.Header.Get("Accept") != "application/json" {
					t.Errorf("headers %v", r.Header)
				}
				if !strings.HasPrefix(r.Header.Get("User-Agent"), "tokenkit-go/"+tokenkit.Version) {
					t.Errorf("user agent %q", r.Header.Get("User-Agent"))
				}
				if got := r.Header.Get("Authorization"); got != tc.auth {
					t.Errorf("Authorization %q, want %q", got, tc.auth)
				}
				if tc.body == nil {
					if r.Body != "" || r.Header.Get("Content-Type") != "" {
						t.Errorf("unexpected body %q (%s)", r.Body, r.Header.Get("Content-Type"))
					}
					continue
				}
				var got map[string]any
				if err := json.Unmarshal([]byte(r.Body), &got); err != nil || !reflect.DeepEqual(got, tc.body) {
					t.Errorf("body %s, want %v", r.Body, tc.body)
				}
				if r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("content type %q", r.Header.Get("Content-Type"))
				}
			}
		})
	}
}

// TestRetryClasses pins the per-attempt counts: mutating calls are not
// retried after 503, idempotent ones are, and every call is retried after 429.
func TestRetryClasses(t *testing.T) {
	t.Parallel()
	mutating := map[cgscan.Operation]bool{
		cgscan.OpSignIn: true, cgscan.OpSignInWithRecoveryCode: true, cgscan.OpSendSMSOTP: true,
		cgscan.OpGenerateAccessToken: true, cgscan.OpRevokeAccessToken: true,
	}
	for _, tc := range wireCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, status := range []int{503, 429} {
				c, mt := newMocked(t, host)
				rec := &wiretest.Recorder{}
				mt.RegisterResponder(tc.method, host+tc.op.DefaultPath(), rec.Wrap(
					jsonResponder(status, `{"status":`+strconv.Itoa(status)+`,"status_text":"busy"}`).Once().Then(jsonResponder(200, tc.response))))
				err := tc.call(context.Background(), c)
				want := 2
				if status == 503 && mutating[tc.op] {
					want = 1
					var te *tokenkit.Error
					if !errors.As(err, &te) || te.StatusCode != 503 || te.Op != tc.goName || te.Message != "busy" {
						t.Fatalf("status %d: got %v", status, err)
					}
				} else if err != nil {
					t.Fatalf("status %d: %v", status, err)
				}
				if n := len(rec.All()); n != want {
					t.Errorf("status %d: attempts %d, want %d", status, n, want)
				}
			}
		})
	}
}

func TestPresentation(t *testing.T) {
	t.Parallel()
	type sent struct{ header, want string }
	for _, tc := range []struct {
		opts []tokenkit.Option
		want []sent
	}{
		{nil, []sent{{"Authorization", "Bearer session-token-1"}}}, // the default: tokenkit.Bearer()
		{[]tokenkit.Option{cgscan.WithPresentation(tokenkit.Bearer())}, []sent{{"Authorization", "Bearer session-token-1"}}},
		{[]tokenkit.Option{cgscan.WithPresentation(cgscan.LegacyBasic())}, []sent{{"Authorization", "Basic session-token-1"}}},
		{[]tokenkit.Option{cgscan.WithPresentation(tokenkit.Presentation{Header: "X-Access-Token"})}, []sent{{"X-Access-Token", "session-token-1"}}},
		{[]tokenkit.Option{cgscan.WithPresentation(tokenkit.Presentation{Header: "Authorization", Prefix: "Token token="})},
			[]sent{{"Authorization", "Token token=session-token-1"}}},
		// Several: the token goes in each. The last option wins.
		{[]tokenkit.Option{cgscan.WithPresentation(cgscan.LegacyBasic()),
			cgscan.WithPresentation(tokenkit.Bearer(), tokenkit.Presentation{Header: "X-Access-Token"})},
			[]sent{{"Authorization", "Bearer session-token-1"}, {"X-Access-Token", "session-token-1"}}},
	} {
		c, mt := newMocked(t, host, tc.opts...)
		rec := &wiretest.Recorder{}
		mt.RegisterResponder("POST", host+"/auth/sign_in", jsonResponder(200, sessionJSON))
		mt.RegisterResponder("PUT", host+"/v2/user/generate_access_token", rec.Wrap(jsonResponder(200, generatedJSON)))
		res, err := c.SignIn(context.Background(), cgscan.SignInRequest{Username: "alice", Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.GenerateAccessToken(context.Background(), res.Session)
		if err != nil {
			t.Fatal(err)
		}
		h := rec.All()[0].Header
		// The tokens present themselves the same way to the rest of the API.
		r, _ := http.NewRequest("GET", host+"/v2/scans", nil)
		tok.SetAuthHeader(r)
		authorization := false
		for _, w := range tc.want {
			authorization = authorization || w.header == "Authorization"
			if h.Get(w.header) != w.want || h.Get("x-api-key") != apiKey {
				t.Errorf("%v: headers %v", c, h)
			}
			if want := strings.Replace(w.want, "session-token-1", "access-token-1", 1); r.Header.Get(w.header) != want || r.Header.Get("x-api-key") != apiKey {
				t.Errorf("%v: SetAuthHeader gave %v", c, r.Header)
			}
		}
		if !authorization && (h.Get("Authorization") != "" || r.Header.Get("Authorization") != "") {
			t.Errorf("%v: Authorization must not be sent", c)
		}
	}
}

// TestPresentationNeverReplacesAPIKey: no presentation can put the token in
// the x-api-key header — not WithPresentation, not a persisted file (a
// token's presentations are not a field anyone can set by hand).
func TestPresentationNeverReplacesAPIKey(t *testing.T) {
	t.Parallel()
	if _, err := cgscan.New(host, cgscan.WithAPIKey(apiKey), cgscan.WithPresentation(tokenkit.Presentation{Header: "X-Api-Key"})); !errors.Is(err, tokenkit.ErrConfig) {
		t.Fatalf("WithPresentation(x-api-key): %v", err)
	}
	c, _ := newMocked(t, host)
	e, err := held(c, "session-token-1").Export()
	if err != nil {
		t.Fatal(err)
	}
	e.SetPresentations([]tokenkit.Presentation{{Header: "x-api-key"}})
	if _, err := cgscan.Import(e); !errors.Is(err, tokenkit.ErrExportFormat) {
		t.Fatalf("Import of a token presented as x-api-key: %v", err)
	}
}

// TestClientAPIKeyWins: a token of another client, or a plain
// tokenkit.BearerToken, is sent with this client's API key.
func TestClientAPIKeyWins(t *testing.T) {
	t.Parallel()
	other, _ := cgscan.New(host, cgscan.WithAPIKey("other-key-0002"))
	c, mt := newMocked(t, host)
	rec := &wiretest.Recorder{}
	mt.RegisterResponder("PUT", host+"/v2/user/generate_access_token", rec.Wrap(jsonResponder(200, generatedJSON)))
	for _, auth := range []tokenkit.TokenSource{
		held(other, "session-token-1"),
		tokenkit.StaticSource(tokenkit.NewBearerToken("session-token-1", time.Time{})),
	} {
		if _, err := c.GenerateAccessToken(context.Background(), auth); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rec.All() {
		if r.Header.Get("x-api-key") != apiKey || r.Header.Get("Authorization") != "Bearer session-token-1" {
			t.Fatalf("headers %v", r.Header)
		}
	}
}

func TestErrorDecoding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, ctype      string
		status                 int
		wantStatus             int
		code, message, excerpt string
		errs                   []string
		want                   []error
	}{
		{name: "status and status_text", status: 422, body: `{"status":422,"status_text":"Unprocessable Entity"}`,
			message: "Unprocessable Entity"},
		{name: "message and code", status: 401, body: `{"status":401,"status_text":"Unauthorized","message":"Invalid username or password","code":"bad_credentials"}`,
			code: "bad_credentials", message: "Invalid username or password", want: []error{tokenkit.ErrAuth, tokenkit.ErrInvalidCredential}},
		{name: "errors list", status: 422, body: `{"status":"422","errors":["username can't be blank","password can't be blank"]}`,
			message: "username can't be blank; password can't be blank", errs: []string{"username can't be blank", "password can't be blank"}},
		{name: "errors object", status: 422, body: `{"errors":{"username":["is invalid"],"password":["secret-echo"]}}`,
			message: "password: REDACTED; username: is invalid", errs: []string{"password: REDACTED", "username: is invalid"}},
		{name: "error string", status: 404, body: `{"error":"Not Found"}`, message: "Not Found", want: []error{tokenkit.ErrNotFound}},
		{name: "nested error", status: 500, body: `{"error":{"message":"boom"}}`, message: "boom", want: []error{tokenkit.ErrServer}},
		{name: "HTML", status: 502, ctype: "text/html", body: `<html><body>Bad gateway</body></html>`,
			message: "Bad Gateway", excerpt: "<html><body>Bad gateway</body></html>"},
		{name: "empty 401 on sign-in", status: 401, body: ``, message: "Unauthorized", want: []error{tokenkit.ErrInvalidCredential}},
		{name: "failure inside 200", status: 200, body: `{"status":401,"status_text":"Unauthorized","message":"Invalid API key"}`,
			wantStatus: 401, message: "Invalid API key", want: []error{tokenkit.ErrAuth, tokenkit.ErrInvalidCredential}},
		{name: "JSON of another shape", status: 400, body: `{"detail":"x"}`, message: "Bad Request", excerpt: `{"detail":"x"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, host)
			ct := tc.ctype
			if ct == "" {
				ct = "application/json"
			}
			mt.RegisterResponder("POST", host+"/auth/sign_in", httpmock.NewStringResponder(tc.status, tc.body).HeaderSet(http.Header{"Content-Type": {ct}}))
			res, err := c.SignIn(context.Background(), cgscan.SignInRequest{Username: "alice", Password: "secret-echo"})
			var te *tokenkit.Error
			if res != nil || !errors.As(err, &te) {
				t.Fatalf("got %v, %v", res, err)
			}
			wantStatus := tc.wantStatus
			if wantStatus == 0 {
				wantStatus = tc.status
			}
			if te.Vendor != "cgscan" || te.Op != "SignIn" || te.StatusCode != wantStatus || te.Code != tc.code || te.Message != tc.message {
				t.Fatalf("error %+v", te)
			}
			if tc.excerpt != "" && te.Body != tc.excerpt {
				t.Fatalf("excerpt %q", te.Body)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("want errors.Is %v", w)
				}
			}
			if tc.status == 422 && errors.Is(err, tokenkit.ErrInvalidCredential) {
				t.Error("a 422 is not a rejected credential")
			}
			var er *cgscan.ErrorResponse
			if tc.errs != nil && (!errors.As(err, &er) || !reflect.DeepEqual(er.Errors, tc.errs)) {
				t.Fatalf("errors %v", er)
			}
			if strings.Contains(err.Error(), "secret-echo") || strings.Contains(te.Body, "secret-echo") {
				t.Fatalf("the password leaked: %v", err)
			}
		})
	}
}

func TestInvalidAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name, method, path, body string
		call                     func(*cgscan.Client) error
	}{
		{"sign-in without token or state", "POST", "/auth/sign_in", `{"status":200,"username":"alice"}`, func(c *cgscan.Client) error {
			_, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: "pw"})
			return err
		}},
		{"sign-in HTML 200", "POST", "/auth/sign_in", `<html>login</html>`, func(c *cgscan.Client) error {
			_, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: "pw"})
			return err
		}},
		{"generate without token", "PUT", "/v2/user/generate_access_token", `{"message":"ok"}`, func(c *cgscan.Client) error {
			_, err := c.GenerateAccessToken(ctx, session(c))
			return err
		}},
		{"generate empty body", "PUT", "/v2/user/generate_access_token", ``, func(c *cgscan.Client) error {
			_, err := c.GenerateAccessToken(ctx, session(c))
			return err
		}},
		{"revoke HTML 200", "PUT", "/v2/user/revoke_access_token", `<html>portal login</html>`, func(c *cgscan.Client) error {
			return c.RevokeAccessToken(ctx, session(c))
		}},
		{"generate token of wrong type", "PUT", "/v2/user/generate_access_token", `{"token":42}`, func(c *cgscan.Client) error {
			_, err := c.GenerateAccessToken(ctx, session(c))
			return err
		}},
	} {
		c, mt := newMocked(t, host)
		mt.RegisterResponder(tc.method, host+tc.path, jsonResponder(200, tc.body))
		if err := tc.call(c); !errors.Is(err, tokenkit.ErrInvalidResponse) {
			t.Errorf("%s: got %v", tc.name, err)
		}
	}

	// VerifyOTP answered with a new challenge: an error carrying it.
	c, mt := newMocked(t, host)
	mt.RegisterResponder("POST", host+"/auth/sign_in", jsonResponder(200, `{"otp_session_state":"state-2"}`))
	_, err := c.VerifyOTP(ctx, challenge, "123456")
	var sfe *cgscan.SecondFactorError
	if !errors.Is(err, cgscan.ErrSecondFactorRequired) || !errors.As(err, &sfe) || sfe.Challenge.State.Reveal() != "state-2" {
		t.Fatalf("new challenge: %v", err)
	}

	// Check: 200 with valid=false, and an empty 200, and a 401.
	for body, want := range map[string]bool{`{"valid":false,"message":"expired"}`: false, ``: true} {
		c, mt := newMocked(t, host)
		mt.RegisterResponder("GET", host+"/v2/user/check_token", jsonResponder(200, body))
		st, err := c.CheckToken(ctx, session(c))
		if err != nil || st.Valid != want {
			t.Errorf("check %q: %+v %v", body, st, err)
		}
	}
	c, mt = newMocked(t, host)
	mt.RegisterResponder("GET", host+"/v2/user/check_token", jsonResponder(401, `{"status":401,"message":"Token revoked"}`))
	if st, err := c.CheckToken(ctx, session(c)); err != nil || st.Valid || st.Message != "Token revoked" {
		t.Errorf("check 401: %+v %v", st, err)
	}
	// Other failures of check are errors.
	c, mt = newMocked(t, host)
	mt.RegisterResponder("GET", host+"/v2/user/check_token", jsonResponder(403, `{"status":403}`))
	if _, err := c.CheckToken(ctx, session(c)); !errors.Is(err, tokenkit.ErrForbidden) {
		t.Errorf("check 403: %v", err)
	}
}

func TestNewValidation(t *testing.T) {
	t.Parallel()
	key := cgscan.WithAPIKey(apiKey)
	for _, tc := range []struct {
		base string
		opts []tokenkit.Option
	}{
		{host, nil}, // no API key
		{"", []tokenkit.Option{key}},
		{"http://portal.test", []tokenkit.Option{key}},
		{"https://u:p@portal.test", []tokenkit.Option{key}},
		{host, []tokenkit.Option{cgscan.WithAPIKey(" ")}},
		{host, []tokenkit.Option{cgscan.WithAPIKey("a\nb")}},
		{host, []tokenkit.Option{key, cgscan.WithPath("Nope", "/x")}},
		{host, []tokenkit.Option{key, cgscan.WithPath(cgscan.OpSignOut, "no-slash")}},
		{host, []tokenkit.Option{key, cgscan.WithPath(cgscan.OpSignOut, "/a/../b")}},
		{host, []tokenkit.Option{key, cgscan.WithPath(cgscan.OpSignOut, "/a?x=1")}},
		{host, []tokenkit.Option{key, cgscan.WithPath(cgscan.OpSignOut, "//evil.test/x")}},
		{host, []tokenkit.Option{key, cgscan.WithPresentation()}},
		{host, []tokenkit.Option{key, cgscan.WithPresentation(tokenkit.Presentation{})}},
		{host, []tokenkit.Option{key, cgscan.WithPresentation(tokenkit.Presentation{Header: "Bad Header"})}},
		{host, []tokenkit.Option{key, cgscan.WithPresentation(tokenkit.Presentation{Header: "X-Api-Key"})}},
		{host, []tokenkit.Option{key, cgscan.WithPresentation(tokenkit.Bearer(), tokenkit.Presentation{Header: "x-api-key"})}},
		{host, []tokenkit.Option{key, cgscan.WithPresentation(tokenkit.Presentation{Header: "Authorization", Prefix: "Bearer\r\n"})}},
		{host, []tokenkit.Option{key, cgscan.WithPresentation(tokenkit.Bearer(), cgscan.LegacyBasic())}}, // Authorization twice
		{host, []tokenkit.Option{key, cgscan.WithPresentation(tokenkit.Bearer(), tokenkit.Bearer())}},
		{host, []tokenkit.Option{key, {}}},
		// New takes the portal's origin: operation paths are whole paths.
		{"https://portal.example.test/api", []tokenkit.Option{key}},
		{"http://127.0.0.1:9/base//", []tokenkit.Option{key}},
	} {
		if _, err := cgscan.New(tc.base, tc.opts...); !errors.Is(err, tokenkit.ErrConfig) {
			t.Errorf("New(%q, %d options): got %v, want ErrConfig", tc.base, len(tc.opts), err)
		}
	}
	if _, err := cgscan.New("https://portal.example.test/api", key); err == nil || !strings.Contains(err.Error(), "https://portal.example.test;") {
		t.Errorf("a base with a path: the error must name the origin to give: %v", err)
	}
	c, err := cgscan.New("http://127.0.0.1:9/", key)
	if err != nil || c.BaseURL() != "http://127.0.0.1:9" {
		t.Fatalf("loopback: %v %v", c, err)
	}
	// Options do not leak between clients.
	c1, _ := cgscan.New(host, key, cgscan.WithPath(cgscan.OpSignOut, "/a"))
	c2, _ := cgscan.New(host, key, cgscan.WithPath(cgscan.OpCheckToken, "/b"))
	if c1.Path(cgscan.OpCheckToken) != "/v2/user/check_token" || c2.Path(cgscan.OpSignOut) != "/auth/sign_out" {
		t.Fatal("path overrides leaked between clients")
	}

	ctx := context.Background()
	var nilSession *cgscan.Session
	for name, call := range map[string]func() error{
		"empty user name": func() error {
			_, err := c.SignIn(ctx, cgscan.SignInRequest{Password: "x"})
			return err
		},
		"empty password": func() error { _, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "x"}); return err },
		"nil challenge":  func() error { _, err := c.VerifyOTP(ctx, nil, "1"); return err },
		"empty code":     func() error { _, err := c.VerifyOTP(ctx, challenge, " "); return err },
		"no recovery":    func() error { _, err := c.SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{}); return err },
		"recovery without user": func() error {
			_, err := c.SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{RecoveryCode: "x"})
			return err
		},
		"check 2fa nil":  func() error { _, err := c.CheckTwoFactor(ctx, nil); return err },
		"sms nil":        func() error { return c.SendSMSOTP(ctx, &cgscan.SecondFactor{}) },
		"generate nil":   func() error { _, err := c.GenerateAccessToken(ctx, nil); return err },
		"generate typed": func() error { _, err := c.GenerateAccessToken(ctx, nilSession); return err },
		"revoke nil":     func() error { return c.RevokeAccessToken(ctx, nil) },
		"check nil":      func() error { _, err := c.CheckToken(ctx, nil); return err },
		"check empty":    func() error { _, err := c.CheckToken(ctx, &cgscan.AccessToken{}); return err },
		"sign out nil":   func() error { return c.SignOut(ctx, nilSession) },
		"revoke with id": func() error {
			tk, _ := c.Tokens(session(c))
			return tk.Revoke(ctx, "tok-1")
		},
		"tokens nil":       func() error { _, err := c.Tokens(nil); return err },
		"tokens typed nil": func() error { _, err := c.Tokens(nilSession); return err },
		"exchanger without password": func() error {
			_, err := c.SignInExchanger(cgscan.SignInRequest{Username: "x"})
			return err
		},
		"source without user name": func() error {
			_, err := c.SignInSource(cgscan.SignInRequest{Password: "x"}, tokenkit.SourceConfig{})
			return err
		},
		"held without value": func() error { _, err := c.NewAccessToken(tokenkit.HeldToken{}); return err },
		"held with refresh token": func() error {
			_, err := c.NewAccessToken(tokenkit.HeldToken{Value: "v", RefreshToken: "r"})
			return err
		},
		"held with an id": func() error { _, err := c.NewAccessToken(tokenkit.HeldToken{Value: "v", ID: "tok-1"}); return err },
	} {
		if err := call(); !errors.Is(err, tokenkit.ErrInvalidInput) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	// The fields a held token cannot carry are named.
	for field, h := range map[string]tokenkit.HeldToken{
		"Value": {}, "RefreshToken": {Value: "v", RefreshToken: "r"}, "ID": {Value: "v", ID: "tok-1"},
	} {
		if _, err := c.NewAccessToken(h); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("NewAccessToken without %s: %v", field, err)
		}
	}
	for field, req := range map[string]cgscan.SignInRequest{"Username": {Password: "x"}, "Password": {Username: "x"}} {
		if _, err := c.SignInExchanger(req); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("SignInExchanger without %s: %v", field, err)
		}
	}
	// An empty session value fails per attempt, before anything is sent.
	if err := c.SignOut(ctx, &cgscan.Session{}); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Errorf("empty session: %v", err)
	}
}

func TestOperations(t *testing.T) {
	t.Parallel()
	ops := cgscan.Operations()
	if len(ops) != 8 {
		t.Fatalf("operations %v", ops)
	}
	verified := 0
	for _, op := range ops {
		if op.DefaultPath() == "" || op.Method() == "" {
			t.Errorf("%s has no route", op)
		}
		if !op.Unverified() {
			verified++
		}
	}
	if verified != 2 || cgscan.OpSignIn.Unverified() || cgscan.OpGenerateAccessToken.Unverified() || !cgscan.OpCheckToken.Unverified() {
		t.Fatal("only sign-in and generate are documented")
	}
	if cgscan.Operation("x").DefaultPath() != "" || cgscan.Operation("x").Unverified() {
		t.Fatal("unknown operation")
	}
}

// TestSignInRequestEncodes: a request with an OTP function still encodes
// (a JSON log of it works) and never shows the password.
func TestSignInRequestEncodes(t *testing.T) {
	t.Parallel()
	req := cgscan.SignInRequest{Username: "alice", Password: "pw-never-shown",
		OTP: func(context.Context, *cgscan.SecondFactor) (tokenkit.Secret, error) { return "", nil }}
	b, err := json.Marshal(req)
	if err != nil || strings.Contains(string(b), "pw-never-shown") || !strings.Contains(string(b), `"OTP":true`) {
		t.Fatalf("json: %s, %v", b, err)
	}
	if s := fmt.Sprintf("%v %+v %#v", req, req, &req); strings.Contains(s, "pw-never-shown") || !strings.Contains(s, "alice") {
		t.Fatalf("printed: %s", s)
	}
}
