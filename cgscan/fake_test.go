package cgscan_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
	"github.com/tokenkit/tokenkit/fakes"
)

func fastRetries() tokenkit.Option {
	return tokenkit.WithRetryWait(time.Millisecond, 2*time.Millisecond)
}

func newFake(t *testing.T, opts ...tokenkit.Option) (*cgscantest.Server, *cgscan.Client) {
	t.Helper()
	fake := cgscantest.New(t)
	fake.StrictPaths(t) // the SDK must never send a doubled or trailing slash
	c, err := cgscan.New(fake.URL(), append([]tokenkit.Option{
		cgscan.WithAPIKey(tokenkit.Secret(fake.APIKey())),
		tokenkit.WithHTTPClient(fake.Client()),
		fastRetries(),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

// TestTwoFactorFlow walks the whole flow: sign-in → second factor required →
// OTP → signed in → generate → check (valid) → revoke → check (invalid) →
// sign out.
func TestTwoFactorFlow(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(cgscantest.User{Username: "alice", Password: "secret123", TwoFactor: true, Organization: "Acme"})
	ctx := context.Background()

	res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: "secret123"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Session != nil || res.SecondFactor == nil || res.SecondFactor.State == "" || res.SecondFactor.Username != "alice" {
		t.Fatalf("want a second-factor challenge, got %+v", res)
	}
	if fake.Applied("SignIn") != 0 {
		t.Fatal("no session may exist before the second factor")
	}

	session, err := c.VerifyOTP(ctx, res.SecondFactor, tokenkit.Secret(fake.OTP("alice")))
	if err != nil {
		t.Fatal(err)
	}
	if session.Username != "alice" || session.Organization.Name != "Acme" || session.Role != "User" ||
		!session.Verified || session.SignInCount != 1 || !fake.TokenValid(session.Value()) {
		t.Fatalf("session %v", session)
	}

	tok, err := c.GenerateAccessToken(ctx, session)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Value() == "" || tok.Value() != fake.AccessToken("alice") || tok.Username != "alice" || tok.Message == "" {
		t.Fatalf("access token %v", tok)
	}

	st, err := c.CheckToken(ctx, tok)
	if err != nil || !st.Valid || st.Username != "alice" {
		t.Fatalf("check (valid): %+v, %v", st, err)
	}

	if err := c.RevokeAccessToken(ctx, session); err != nil {
		t.Fatal(err)
	}
	st, err = c.CheckToken(ctx, tok)
	if err != nil || st.Valid || st.Message == "" {
		t.Fatalf("check (invalid): %+v, %v", st, err)
	}

	if err := c.SignOut(ctx, session); err != nil {
		t.Fatal(err)
	}
	if st, err := c.CheckToken(ctx, session); err != nil || st.Valid {
		t.Fatalf("session after sign-out: %+v, %v", st, err)
	}
	if err := c.SignOut(ctx, session); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("second sign-out: %v", err)
	}
	for op, want := range map[string]int{"SignIn": 1, "GenerateAccessToken": 1, "RevokeAccessToken": 1, "SignOut": 1} {
		if got := fake.Applied(op); got != want {
			t.Errorf("Applied(%s) = %d, want %d", op, got, want)
		}
	}
}

func TestSignInWithoutTwoFactor(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(cgscantest.User{Username: "bob", Password: "pw-bob-1"})
	res, err := c.SignIn(context.Background(), cgscan.SignInRequest{Username: "bob", Password: "pw-bob-1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.SecondFactor != nil || res.Session == nil || res.Session.Provider != "email" || res.Session.Timezone != "UTC" {
		t.Fatalf("result %+v", res)
	}
}

func TestGenerateReplacesPreviousToken(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(cgscantest.User{Username: "bob", Password: "pw-bob-1"})
	ctx := context.Background()
	res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "bob", Password: "pw-bob-1"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.GenerateAccessToken(ctx, res.Session)
	if err != nil {
		t.Fatal(err)
	}
	// The access token itself authenticates the next generate.
	second, err := c.GenerateAccessToken(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if first.Value() == second.Value() {
		t.Fatal("generate must give a new token")
	}
	if st, _ := c.CheckToken(ctx, first); st.Valid {
		t.Fatal("the previous token must stop working")
	}
	if st, _ := c.CheckToken(ctx, second); !st.Valid {
		t.Fatal("the new token must work")
	}
	// Revoking with the access token itself; a second revoke changes nothing.
	if err := c.RevokeAccessToken(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := c.RevokeAccessToken(ctx, res.Session); err != nil {
		t.Fatal(err)
	}
	if fake.Applied("RevokeAccessToken") != 1 || fake.Calls("RevokeAccessToken") != 2 {
		t.Fatalf("revoke applied %d of %d calls", fake.Applied("RevokeAccessToken"), fake.Calls("RevokeAccessToken"))
	}
}

func TestRecoveryCodeAndSMS(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(cgscantest.User{Username: "carol", Password: "pw-carol-1", TwoFactor: true, Method: "sms", Phone: "+15551234567"})
	ctx := context.Background()
	codes := fake.RecoveryCodes("carol")
	if len(codes) != 5 {
		t.Fatalf("recovery codes %d", len(codes))
	}

	res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "carol", Password: "pw-carol-1"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.CheckTwoFactor(ctx, res.SecondFactor)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Required || st.Method != "sms" || st.Phone != "********4567" {
		t.Fatalf("2fa status %+v", st)
	}
	before := fake.OTP("carol")
	if err := c.SendSMSOTP(ctx, res.SecondFactor); err != nil {
		t.Fatal(err)
	}
	if fake.SMSSent("carol") != 1 || fake.Applied("SendSMSOTP") != 1 {
		t.Fatalf("sms sent %d", fake.SMSSent("carol"))
	}
	sms := fake.OTP("carol")
	if sms == before && fake.OTP("carol") == before {
		t.Log("the new code happens to equal the old one (1 in a million)")
	}

	// A recovery code instead of the SMS code; it works once.
	session, err := c.SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{RecoveryCode: tokenkit.Secret(codes[0]), Challenge: res.SecondFactor})
	if err != nil {
		t.Fatal(err)
	}
	if session.Username != "carol" || len(fake.RecoveryCodes("carol")) != 4 {
		t.Fatalf("session %v, codes left %d", session, len(fake.RecoveryCodes("carol")))
	}
	// The challenge is used up, and so is the code, even with the password.
	if _, err := c.VerifyOTP(ctx, res.SecondFactor, tokenkit.Secret(sms)); !errors.Is(err, tokenkit.ErrInvalidCredential) {
		t.Fatalf("reused challenge: %v", err)
	}
	_, err = c.SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{RecoveryCode: tokenkit.Secret(codes[0]), Username: "carol", Password: "pw-carol-1"})
	if !errors.Is(err, tokenkit.ErrInvalidCredential) {
		t.Fatalf("reused recovery code: %v", err)
	}
	if _, err := c.SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{RecoveryCode: tokenkit.Secret(codes[1]), Username: "carol", Password: "pw-carol-1"}); err != nil {
		t.Fatalf("recovery code with user name and password: %v", err)
	}
}

func TestRejectedCredentials(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(cgscantest.User{Username: "dave", Password: "pw-dave-1", TwoFactor: true})
	ctx := context.Background()
	wrongKey, err := cgscan.New(fake.URL(), cgscan.WithAPIKey("not-the-key"), tokenkit.WithHTTPClient(fake.Client()))
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.SignIn(ctx, cgscan.SignInRequest{Username: "dave", Password: "wrong-password"})
	assertCredential(t, "wrong password", err, "Invalid username or password")
	_, err = wrongKey.SignIn(ctx, cgscan.SignInRequest{Username: "dave", Password: "pw-dave-1"})
	assertCredential(t, "wrong API key", err, "Invalid API key")

	res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "dave", Password: "pw-dave-1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.VerifyOTP(ctx, res.SecondFactor, "000000x")
	assertCredential(t, "wrong code", err, "Invalid two-factor code")
	// A wrong code does not end the pending sign-in.
	if _, err := c.VerifyOTP(ctx, res.SecondFactor, tokenkit.Secret(fake.OTP("dave"))); err != nil {
		t.Fatal(err)
	}
	// A used code does not work twice.
	res2, _ := c.SignIn(ctx, cgscan.SignInRequest{Username: "dave", Password: "pw-dave-1"})
	code := fake.OTP("dave")
	if _, err := c.VerifyOTP(ctx, res2.SecondFactor, tokenkit.Secret(code)); err != nil {
		t.Fatal(err)
	}
	res3, _ := c.SignIn(ctx, cgscan.SignInRequest{Username: "dave", Password: "pw-dave-1"})
	_, err = c.VerifyOTP(ctx, res3.SecondFactor, tokenkit.Secret(code))
	assertCredential(t, "reused code", err, "Invalid two-factor code")

	// The fake's validation errors are decoded.
	_, err = c.SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{RecoveryCode: "abc", Username: "dave"})
	if !errors.Is(err, tokenkit.ErrInvalidCredential) {
		t.Fatalf("recovery without password: %v", err)
	}

	// A user token is needed for generate; the API key for everything.
	if _, err := c.GenerateAccessToken(ctx, held(c, "made-up-token")); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("made-up token: %v", err)
	}
}

func assertCredential(t *testing.T, name string, err error, msg string) {
	t.Helper()
	var te *tokenkit.Error
	var er *cgscan.ErrorResponse
	if !errors.Is(err, tokenkit.ErrInvalidCredential) || !errors.Is(err, tokenkit.ErrAuth) || errors.Is(err, tokenkit.ErrUnauthorized) ||
		!errors.As(err, &te) || !errors.As(err, &er) {
		t.Fatalf("%s: got %v", name, err)
	}
	if te.Vendor != "cgscan" || te.Message != msg || er.Status != 401 || er.StatusText != "Unauthorized" {
		t.Fatalf("%s: error %+v / %+v", name, te, er)
	}
}

func TestOTPSessionExpires(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fake, c := newFake(t)
	fake.SetClock(clock)
	fake.AddUser(cgscantest.User{Username: "erin", Password: "pw-erin-1", TwoFactor: true})
	ctx := context.Background()
	res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "erin", Password: "pw-erin-1"})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(cgscantest.OTPSessionTTL)
	mu.Unlock()
	_, err = c.VerifyOTP(ctx, res.SecondFactor, tokenkit.Secret(fake.OTP("erin")))
	assertCredential(t, "expired challenge", err, "Invalid or expired two-factor session")
	if _, err := c.CheckTwoFactor(ctx, res.SecondFactor); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("check 2fa of an expired challenge: %v", err)
	}
}

func TestUnverifiedPathsAndPresentationAgainstFake(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t,
		cgscan.WithPath(cgscan.OpRevokeAccessToken, "/v2/user/revoke_token"),
		cgscan.WithPath(cgscan.OpCheckToken, "/v2/user/validate_token"),
		cgscan.WithPresentation(cgscan.LegacyBasic()),
	)
	fake.SetPath("RevokeAccessToken", "/v2/user/revoke_token")
	fake.SetPath("CheckToken", "/v2/user/validate_token")
	fake.SetPresentation(cgscan.LegacyBasic())
	fake.AddUser(cgscantest.User{Username: "frank", Password: "pw-frank-1"})
	ctx := context.Background()
	res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "frank", Password: "pw-frank-1"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.GenerateAccessToken(ctx, res.Session)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.CheckToken(ctx, tok); err != nil || !st.Valid {
		t.Fatalf("check: %+v %v", st, err)
	}
	if err := c.RevokeAccessToken(ctx, res.Session); err != nil {
		t.Fatal(err)
	}
	if fake.Applied("RevokeAccessToken") != 1 || fake.TokenValid(tok.Value()) {
		t.Fatal("revoke through the moved path must apply")
	}
	for _, r := range fake.Requests() {
		if r.Operation == "CheckToken" && (r.Path != "/v2/user/validate_token" || r.Header.Get("Authorization") != "Basic "+tok.Value()) {
			t.Fatalf("check request %s %q", r.Path, r.Header.Get("Authorization"))
		}
	}

	// A client on the default paths now gets 404 from the moved routes.
	_, plain := newFakeClient(t, fake)
	if err := plain.RevokeAccessToken(ctx, res.Session); !errors.Is(err, tokenkit.ErrNotFound) {
		t.Fatalf("default path after the move: %v", err)
	}
}

func newFakeClient(t *testing.T, fake *cgscantest.Server, opts ...tokenkit.Option) (*cgscantest.Server, *cgscan.Client) {
	t.Helper()
	c, err := cgscan.New(fake.URL(), append([]tokenkit.Option{
		cgscan.WithAPIKey(tokenkit.Secret(fake.APIKey())), tokenkit.WithHTTPClient(fake.Client()), fastRetries(),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

func TestNoReplayOfMutatingCalls(t *testing.T) {
	t.Parallel()
	signedIn := func(t *testing.T) (*cgscantest.Server, *cgscan.Client, *cgscan.Session) {
		fake, c := newFake(t)
		fake.AddUser(cgscantest.User{Username: "gina", Password: "pw-gina-1"})
		res, err := c.SignIn(context.Background(), cgscan.SignInRequest{Username: "gina", Password: "pw-gina-1"})
		if err != nil {
			t.Fatal(err)
		}
		return fake, c, res.Session
	}
	t.Run("lost response to generate is not replayed", func(t *testing.T) {
		t.Parallel()
		fake, c, s := signedIn(t)
		fake.FailNext(1, fakes.Fault{DropAfterApply: true})
		_, err := c.GenerateAccessToken(context.Background(), s)
		if !errors.Is(err, tokenkit.ErrTransport) {
			t.Fatalf("got %v", err)
		}
		if fake.Calls("GenerateAccessToken") != 1 || fake.Applied("GenerateAccessToken") != 1 {
			t.Fatalf("calls %d, applied %d", fake.Calls("GenerateAccessToken"), fake.Applied("GenerateAccessToken"))
		}
	})
	t.Run("lost response to sign-in is not replayed", func(t *testing.T) {
		t.Parallel()
		fake, c, _ := signedIn(t)
		fake.FailNext(1, fakes.Fault{DropAfterApply: true})
		_, err := c.SignIn(context.Background(), cgscan.SignInRequest{Username: "gina", Password: "pw-gina-1"})
		if !errors.Is(err, tokenkit.ErrTransport) || fake.Calls("SignIn") != 2 || fake.Applied("SignIn") != 2 {
			t.Fatalf("got %v; calls %d applied %d", err, fake.Calls("SignIn"), fake.Applied("SignIn"))
		}
	})
	t.Run("503 on generate is not retried", func(t *testing.T) {
		t.Parallel()
		fake, c, s := signedIn(t)
		fake.FailNext(1, fakes.Fault{Status: 503})
		_, err := c.GenerateAccessToken(context.Background(), s)
		if !errors.Is(err, tokenkit.ErrServer) || fake.Calls("GenerateAccessToken") != 1 {
			t.Fatalf("got %v after %d calls", err, fake.Calls("GenerateAccessToken"))
		}
	})
	t.Run("429 on generate is retried", func(t *testing.T) {
		t.Parallel()
		fake, c, s := signedIn(t)
		fake.FailNext(1, fakes.Fault{Status: 429, RetryAfter: "0"})
		tok, err := c.GenerateAccessToken(context.Background(), s)
		if err != nil || fake.Calls("GenerateAccessToken") != 2 || fake.Applied("GenerateAccessToken") != 1 || tok.Value() != fake.AccessToken("gina") {
			t.Fatalf("got %v after %d calls", err, fake.Calls("GenerateAccessToken"))
		}
	})
	t.Run("dropped before acting: generate is not retried either", func(t *testing.T) {
		t.Parallel()
		fake, c, s := signedIn(t)
		fake.FailNext(1, fakes.Fault{Drop: true})
		_, err := c.GenerateAccessToken(context.Background(), s)
		// The connection was made: the SDK cannot know nothing happened.
		if !errors.Is(err, tokenkit.ErrTransport) || fake.Calls("GenerateAccessToken") != 1 || fake.Applied("GenerateAccessToken") != 0 {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("check and sign-out are retried", func(t *testing.T) {
		t.Parallel()
		fake, c, s := signedIn(t)
		fake.FailNext(1, fakes.Fault{HTML: true})
		fake.FailNext(1, fakes.Fault{Drop: true})
		if st, err := c.CheckToken(context.Background(), s); err != nil || !st.Valid {
			t.Fatalf("check: %+v %v", st, err)
		}
		fake.FailNext(1, fakes.Fault{Status: 500})
		if err := c.SignOut(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		if fake.Calls("SignOut") != 2 || fake.Applied("SignOut") != 1 {
			t.Fatalf("sign out calls %d applied %d", fake.Calls("SignOut"), fake.Applied("SignOut"))
		}
	})
	t.Run("malformed answer is an invalid response, not a token", func(t *testing.T) {
		t.Parallel()
		fake, c, s := signedIn(t)
		fake.FailNext(1, fakes.Fault{Malformed: true})
		tok, err := c.GenerateAccessToken(context.Background(), s)
		if tok != nil || !errors.Is(err, tokenkit.ErrInvalidResponse) {
			t.Fatalf("got %v, %v", tok, err)
		}
	})
	t.Run("the last error body reaches the caller", func(t *testing.T) {
		t.Parallel()
		fake, c, s := signedIn(t)
		fake.FailNext(4, fakes.Fault{Status: 502})
		_, err := c.CheckToken(context.Background(), s)
		var te *tokenkit.Error
		var er *cgscan.ErrorResponse
		if !errors.As(err, &te) || !errors.As(err, &er) || te.StatusCode != 502 || te.Attempts != 4 || er.StatusText != "Bad Gateway" {
			t.Fatalf("got %#v", err)
		}
	})
}

func TestFakeAsHTTPMockResponder(t *testing.T) {
	t.Parallel()
	fake := cgscantest.New(t)
	fake.StrictPaths(t) // the SDK must never send a doubled or trailing slash
	fake.AddUser(cgscantest.User{Username: "hank", Password: "pw-hank-1", TwoFactor: true})
	// A portal that serves the API under /api (behind a reverse proxy, say):
	// New takes the origin, and WithPath gives each operation its whole
	// path. The fake routes on the path: serve it there by stripping the
	// prefix.
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/api")
		return fake.Responder()(r2)
	})
	opts := []tokenkit.Option{cgscan.WithAPIKey(tokenkit.Secret(fake.APIKey())),
		tokenkit.WithHTTPClient(&http.Client{Transport: mt}), fastRetries()}
	for _, op := range cgscan.Operations() {
		opts = append(opts, cgscan.WithPath(op, "/api"+op.DefaultPath()))
	}
	opts = append(opts, cgscan.WithPath(cgscan.OpSignOut, "/api/auth/logout"))
	c, err := cgscan.New("https://portal.example.test", opts...)
	if err != nil {
		t.Fatal(err)
	}
	fake.SetPath("SignOut", "/auth/logout")

	src, err := c.SignInSource(cgscan.SignInRequest{Username: "hank", Password: "pw-hank-1",
		OTP: func(_ context.Context, ch *cgscan.SecondFactor) (tokenkit.Secret, error) {
			return tokenkit.Secret(fake.OTP(ch.Username)), nil
		}}, tokenkit.SourceConfig{FailureBackoff: -1}) // the second Issue below signs in again at once
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tokens, err := c.Tokens(src)
	if err != nil {
		t.Fatal(err)
	}
	fake.FailNext(1, fakes.Fault{Drop: true}) // the first sign-in step: a lost connection is not retried
	if _, err := tokens.Issue(ctx, tokenkit.IssueRequest{Name: "ignored"}); !errors.Is(err, tokenkit.ErrTransport) {
		t.Fatalf("dropped sign-in: %v", err)
	}
	tok, err := tokens.Issue(ctx, tokenkit.IssueRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tokens.Revoke(ctx, "some-id"); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("revoke by id: %v", err)
	}
	if err := tokens.Revoke(ctx, tokenkit.IDOf(tok)); err != nil {
		t.Fatal(err)
	}
	if fake.TokenValid(tok.Value()) {
		t.Fatal("revoked token still valid")
	}
	session, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SignOut(ctx, src); err != nil {
		t.Fatal(err)
	}
	// SignIn: the dropped first step, then both steps of 2FA.
	if fake.TokenValid(session.Value()) || fake.Calls("SignIn") != 3 || fake.Applied("SignOut") != 1 || mt.GetTotalCallCount() != fake.TotalCalls() {
		t.Fatalf("sign-in calls %d", fake.Calls("SignIn"))
	}
	for _, r := range fake.Requests() {
		if r.Operation == "" {
			t.Errorf("a request missed every route: %s %s", r.Method, r.Path)
		}
	}
}

func TestSignInExchangerWithoutOTP(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(cgscantest.User{Username: "ivy", Password: "pw-ivy-1", TwoFactor: true})
	req := cgscan.SignInRequest{Username: "ivy", Password: "pw-ivy-1"}
	ex, err := c.SignInExchanger(req)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ex.Exchange(context.Background())
	var sfe *cgscan.SecondFactorError
	var te *tokenkit.Error
	if tok != nil || !errors.Is(err, cgscan.ErrSecondFactorRequired) || !errors.Is(err, tokenkit.ErrAuth) || !errors.As(err, &sfe) ||
		sfe.Challenge.State == "" || !errors.As(err, &te) || te.Op != "SignIn" {
		t.Fatalf("got %v, %v", tok, err)
	}
	// The caller can finish the sign-in with the challenge from the error.
	s, err := c.VerifyOTP(context.Background(), sfe.Challenge, tokenkit.Secret(fake.OTP("ivy")))
	if err != nil || s.Username != "ivy" {
		t.Fatalf("finish: %v %v", s, err)
	}
	// An OTP function's error is reported with the operation.
	req.OTP = func(context.Context, *cgscan.SecondFactor) (tokenkit.Secret, error) {
		return "", errors.New("no authenticator")
	}
	ex, _ = c.SignInExchanger(req)
	if _, err := ex.Exchange(context.Background()); !errors.As(err, &te) || te.Op != "SignIn" || !strings.Contains(err.Error(), "no authenticator") {
		t.Fatalf("otp func error: %v", err)
	}
}

// TestSignInWithOTP: SignIn completes the second factor itself when the
// request has an OTP function, and the exchanger does the same.
func TestSignInWithOTP(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(cgscantest.User{Username: "kim", Password: "pw-kim-1", TwoFactor: true})
	fake.AddUser(cgscantest.User{Username: "lee", Password: "pw-lee-1"})
	ctx := context.Background()
	asked := 0
	otp := func(_ context.Context, ch *cgscan.SecondFactor) (tokenkit.Secret, error) {
		asked++
		return tokenkit.Secret(fake.OTP(ch.Username)), nil
	}
	res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "kim", Password: "pw-kim-1", OTP: otp})
	if err != nil || res.SecondFactor != nil || res.Session == nil || res.Session.Username != "kim" || !fake.TokenValid(res.Session.Value()) {
		t.Fatalf("got %+v, %v", res, err)
	}
	if asked != 1 || fake.Calls("SignIn") != 2 {
		t.Fatalf("OTP asked %d times, %d sign-in calls", asked, fake.Calls("SignIn"))
	}
	// A user without 2FA: the OTP function is not called.
	res, err = c.SignIn(ctx, cgscan.SignInRequest{Username: "lee", Password: "pw-lee-1", OTP: otp})
	if err != nil || res.Session == nil || asked != 1 {
		t.Fatalf("no 2FA: %+v, %v, asked %d", res, err, asked)
	}
	// A wrong code: a rejected credential, named after the method called.
	bad := func(context.Context, *cgscan.SecondFactor) (tokenkit.Secret, error) { return "000000x", nil }
	_, err = c.SignIn(ctx, cgscan.SignInRequest{Username: "kim", Password: "pw-kim-1", OTP: bad})
	var te *tokenkit.Error
	if !errors.Is(err, tokenkit.ErrInvalidCredential) || !errors.As(err, &te) || te.Op != "SignIn" {
		t.Fatalf("wrong code: %v", err)
	}
	ex, err := c.SignInExchanger(cgscan.SignInRequest{Username: "kim", Password: "pw-kim-1", OTP: otp})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := ex.Exchange(ctx); err != nil || tok.(*cgscan.Session).Username != "kim" || asked != 2 {
		t.Fatalf("exchanger: %v, %v", tok, err)
	}
}

// TestErrorOpNames: an error names the Go method the caller called, not the
// API's operation id.
func TestErrorOpNames(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, tokenkit.WithRetryMax(0))
	fake.AddUser(cgscantest.User{Username: "max", Password: "pw-max-1"})
	ctx := context.Background()
	res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "max", Password: "pw-max-1"})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := c.Tokens(res.Session)
	if err != nil {
		t.Fatal(err)
	}
	for want, call := range map[string]func() error{
		"Issue":               func() error { _, err := tokens.Issue(ctx, tokenkit.IssueRequest{}); return err },
		"GenerateAccessToken": func() error { _, err := c.GenerateAccessToken(ctx, res.Session); return err },
		"Revoke":              func() error { return tokens.Revoke(ctx, "") },
		"RevokeAccessToken":   func() error { return c.RevokeAccessToken(ctx, res.Session) },
		"Check":               func() error { _, err := c.Check(ctx, res.Session); return err },
		"CheckToken":          func() error { _, err := c.CheckToken(ctx, res.Session); return err },
	} {
		fake.FailNext(1, fakes.Fault{Status: http.StatusInternalServerError})
		var te *tokenkit.Error
		if err := call(); !errors.As(err, &te) || te.Op != want || te.StatusCode != 500 {
			t.Errorf("%s: got %v", want, err)
		}
	}
	var te *tokenkit.Error
	if _, err := tokens.Issue(ctx, tokenkit.IssueRequest{Lifetime: time.Hour}); !errors.As(err, &te) || te.Op != "Issue" || !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Errorf("Issue with a lifetime: %v", err)
	}
}

// TestNewAccessToken: a held token carries the client's API key and
// presentations, CurrentAccessToken as its id, and the expiry its holder
// knows.
func TestNewAccessToken(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, cgscan.WithPresentation(cgscan.LegacyBasic()))
	fake.SetPresentation(cgscan.LegacyBasic())
	fake.AddUser(cgscantest.User{Username: "ned", Password: "pw-ned-1"})
	ctx := context.Background()
	res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "ned", Password: "pw-ned-1"})
	if err != nil {
		t.Fatal(err)
	}
	at, err := c.GenerateAccessToken(ctx, res.Session)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(at.Value()), ID: cgscan.CurrentAccessToken, Expiry: exp})
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry().Equal(exp) || tokenkit.IDOf(tok) != cgscan.CurrentAccessToken {
		t.Fatalf("held token %v: expiry %v id %q", tok, tok.Expiry(), tokenkit.IDOf(tok))
	}
	r, _ := http.NewRequest("GET", fake.URL()+"/v2/scans", nil)
	tok.SetAuthHeader(r)
	if r.Header.Get("Authorization") != "Basic "+at.Value() || r.Header.Get("x-api-key") != fake.APIKey() {
		t.Fatalf("held token presents itself as %v", r.Header)
	}
	if _, err := c.Check(ctx, tok); err != nil {
		t.Fatal(err)
	}
}

func TestSessionSourceThroughTransport(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t)
	fake.AddUser(cgscantest.User{Username: "jack", Password: "pw-jack-1"})
	src, err := c.SignInSource(cgscan.SignInRequest{Username: "jack", Password: "pw-jack-1"}, tokenkit.SourceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// The rest of the Clone Guard API: here the fake's check_token route, reached
	// with the session and the API key that SetAuthHeader presents.
	hc := tokenkit.NewClient(src, fake.Client().Transport)
	for i := range 3 {
		if i == 1 {
			// The session is ended behind the source's back: a 401 makes the
			// transport sign in again.
			s, _ := src.Token(context.Background())
			if err := c.SignOut(context.Background(), s.(*cgscan.Session)); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := hc.Get(fake.URL() + "/v2/user/check_token")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("round %d: status %d", i, resp.StatusCode)
		}
	}
	if n := fake.Calls("SignIn"); n != 2 {
		t.Fatalf("sign-ins = %d, want 2", n)
	}
}

// TestSignInSourceSave: the session a SignInSource hands to cfg.Save exports
// everything needed to use it again: imported, it authenticates calls.
func TestSignInSourceSave(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, cgscan.WithPresentation(cgscan.LegacyBasic()))
	fake.SetPresentation(cgscan.LegacyBasic())
	fake.AddUser(cgscantest.User{Username: "olga", Password: "pw-olga-1"})
	var saved []byte
	src, err := c.SignInSource(cgscan.SignInRequest{Username: "olga", Password: "pw-olga-1"}, tokenkit.SourceConfig{
		Save: func(_ context.Context, tok tokenkit.Token) error {
			e, err := tokenkit.Export(tok)
			if err != nil {
				return err
			}
			saved, err = e.Encode()
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	e, err := tokenkit.DecodeExported(saved)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cgscan.Import(e)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := tok.(*cgscan.Session)
	r, _ := http.NewRequest("GET", fake.URL()+"/v2/scans", nil)
	if ok {
		s.SetAuthHeader(r)
	}
	if !ok || s.Username != "olga" || r.Header.Get("Authorization") != "Basic "+s.Value() {
		t.Fatalf("imported %v, presented as %v", tok, r.Header)
	}
	if res, err := c.Check(ctx, s); err != nil || res.Subject != "olga" {
		t.Fatalf("check of the imported session: %v, %v", res, err)
	}
}
