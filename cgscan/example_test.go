package cgscan_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
)

// newExample starts a fake portal with one 2FA user and returns a client for
// it. A real program passes its portal's URL and API key instead.
func newExample(opts ...tokenkit.Option) (*cgscantest.Server, *cgscan.Client) {
	fake := cgscantest.NewServer()
	fake.AddUser(cgscantest.User{Username: "alice", Password: "secret123", TwoFactor: true, Method: "sms", Phone: "+15551234567"})
	fake.AddUser(cgscantest.User{Username: "bob", Password: "hunter22"})
	c, err := cgscan.New(fake.URL(), append([]tokenkit.Option{cgscan.WithAPIKey(tokenkit.Secret(fake.APIKey()))}, opts...)...)
	if err != nil {
		panic(err)
	}
	return fake, c
}

// Sign in a user who has two-factor authentication on: without an OTP
// function the first answer is a challenge, not an error; the one-time code
// completes it.
func ExampleClient_SignIn() {
	fake, c := newExample()
	defer fake.Close()
	ctx := context.Background()

	res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: "secret123"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("second factor required:", res.SecondFactor != nil)

	code := tokenkit.Secret(fake.OTP("alice")) // from the user's authenticator
	session, err := c.VerifyOTP(ctx, res.SecondFactor, code)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(session.Username, session.Role, session.Provider)
	fmt.Println(strings.Contains(fmt.Sprint(session), session.Value())) // printing never shows the token
	// Output:
	// second factor required: true
	// alice User email
	// false
}

// With an OTP function in the request, SignIn completes the second factor
// itself and returns the session.
func ExampleSignInRequest_oTP() {
	fake, c := newExample()
	defer fake.Close()
	otp := func(_ context.Context, ch *cgscan.SecondFactor) (tokenkit.Secret, error) {
		return tokenkit.Secret(fake.OTP(ch.Username)), nil // e.g. a TOTP generator
	}
	res, err := c.SignIn(context.Background(), cgscan.SignInRequest{Username: "alice", Password: "secret123", OTP: otp})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.SecondFactor == nil, res.Session.Username)
	// Output:
	// true alice
}

// Ask which second factor a pending sign-in needs, have the code sent by SMS,
// and complete the sign-in with it.
func ExampleClient_SendSMSOTP() {
	fake, c := newExample()
	defer fake.Close()
	ctx := context.Background()
	res, _ := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: "secret123"})

	st, err := c.CheckTwoFactor(ctx, res.SecondFactor)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Method, st.Phone)
	if err := c.SendSMSOTP(ctx, res.SecondFactor); err != nil {
		fmt.Println(err)
		return
	}
	session, err := c.VerifyOTP(ctx, res.SecondFactor, tokenkit.Secret(fake.OTP("alice")))
	fmt.Println(session.Username, err, fake.SMSSent("alice"))
	// Output:
	// sms ********4567
	// alice <nil> 1
}

// Check 2fa tells a client which second factor a pending sign-in needs.
func ExampleClient_CheckTwoFactor() {
	fake, c := newExample()
	defer fake.Close()
	ctx := context.Background()
	res, _ := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: "secret123"})

	st, err := c.CheckTwoFactor(ctx, res.SecondFactor)
	fmt.Println(st.Required, st.Method, err)
	// Output:
	// true sms <nil>
}

// A user who lost their authenticator signs in with a recovery code, which
// works once.
func ExampleClient_SignInWithRecoveryCode() {
	fake, c := newExample()
	defer fake.Close()
	ctx := context.Background()
	res, _ := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: "secret123"})
	code := tokenkit.Secret(fake.RecoveryCodes("alice")[0])

	session, err := c.SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{RecoveryCode: code, Challenge: res.SecondFactor})
	fmt.Println(session.Username, err)

	res, _ = c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: "secret123"})
	_, err = c.SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{RecoveryCode: code, Challenge: res.SecondFactor})
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidCredential))
	// Output:
	// alice <nil>
	// true
}

// Generate an access token for the signed-in user; a new one replaces the
// previous one.
func ExampleClient_GenerateAccessToken() {
	fake, c := newExample()
	defer fake.Close()
	ctx := context.Background()
	res, _ := c.SignIn(ctx, cgscan.SignInRequest{Username: "bob", Password: "hunter22"})

	first, err := c.GenerateAccessToken(ctx, res.Session)
	if err != nil {
		fmt.Println(err)
		return
	}
	second, _ := c.GenerateAccessToken(ctx, res.Session)
	a, _ := c.CheckToken(ctx, first)
	b, _ := c.CheckToken(ctx, second)
	fmt.Println(second.Username, a.Valid, b.Valid)
	// Output:
	// bob false true
}

// Check a token, revoke it, and check it again.
func ExampleClient_RevokeAccessToken() {
	fake, c := newExample()
	defer fake.Close()
	ctx := context.Background()
	res, _ := c.SignIn(ctx, cgscan.SignInRequest{Username: "bob", Password: "hunter22"})
	tok, _ := c.GenerateAccessToken(ctx, res.Session)

	before, _ := c.CheckToken(ctx, tok)
	if err := c.RevokeAccessToken(ctx, res.Session); err != nil {
		fmt.Println(err)
		return
	}
	after, _ := c.CheckToken(ctx, tok)
	fmt.Println(before.Valid, after.Valid)
	// Output:
	// true false
}

// CheckToken reports a token the API refuses as invalid, not as an error.
func ExampleClient_CheckToken() {
	fake, c := newExample()
	defer fake.Close()
	held, err := c.NewAccessToken(tokenkit.HeldToken{Value: "a-token-from-an-earlier-run"})
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := c.CheckToken(context.Background(), held)
	fmt.Println(st.Valid, st.Message, err)
	// Output:
	// false Invalid or expired token <nil>
}

// Sign out ends the session.
func ExampleClient_SignOut() {
	fake, c := newExample()
	defer fake.Close()
	ctx := context.Background()
	res, _ := c.SignIn(ctx, cgscan.SignInRequest{Username: "bob", Password: "hunter22"})

	err := c.SignOut(ctx, res.Session)
	st, _ := c.CheckToken(ctx, res.Session)
	fmt.Println(err, st.Valid)
	// Output:
	// <nil> false
}

// The paths of most calls are not in the public documentation. If your portal
// serves one elsewhere (under a path prefix, say), move it with WithPath; the
// header of the user token changes with WithPresentation. (The fake is told
// the same with SetPath and SetPresentation.)
func ExampleWithPath() {
	fake, c := newExample(
		cgscan.WithPath(cgscan.OpRevokeAccessToken, "/v2/user/revoke_token"),
		cgscan.WithPresentation(cgscan.LegacyBasic()),
	)
	defer fake.Close()
	fake.SetPath("RevokeAccessToken", "/v2/user/revoke_token")
	fake.SetPresentation(cgscan.LegacyBasic())
	ctx := context.Background()

	res, _ := c.SignIn(ctx, cgscan.SignInRequest{Username: "bob", Password: "hunter22"})
	tok, _ := c.GenerateAccessToken(ctx, res.Session)
	err := c.RevokeAccessToken(ctx, res.Session)
	fmt.Println(c.Path(cgscan.OpRevokeAccessToken), cgscan.OpRevokeAccessToken.Unverified(), err, fake.TokenValid(tok.Value()))
	// Output:
	// /v2/user/revoke_token true <nil> false
}

// Every unverified operation and its default path.
func ExampleOperation_Unverified() {
	for _, op := range cgscan.Operations() {
		if op.Unverified() {
			fmt.Println(op.Method(), op.DefaultPath())
		}
	}
	// Output:
	// GET /v2/user/check_token
	// POST /auth/check_2fa
	// PUT /v2/user/revoke_access_token
	// POST /auth/send_sms_otp
	// POST /auth/sign_in_with_recovery_code
	// DELETE /auth/sign_out
}

// A rejected password is a *tokenkit.Error matching
// tokenkit.ErrInvalidCredential; the API's body is a *cgscan.ErrorResponse.
func ExampleErrorResponse() {
	fake, c := newExample()
	defer fake.Close()
	_, err := c.SignIn(context.Background(), cgscan.SignInRequest{Username: "bob", Password: "wrong"})

	var er *cgscan.ErrorResponse
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidCredential), errors.As(err, &er))
	fmt.Println(er.Status, er.StatusText, er.Message)
	fmt.Println(err)
	// Output:
	// true true
	// 401 Unauthorized Invalid username or password
	// cgscan: SignIn: HTTP 401: Invalid username or password
}

// The tokenkit interfaces: the exchanger of SignInExchanger completes 2FA
// through the request's OTP function, and Tokens issues and revokes.
func ExampleClient_SignInExchanger() {
	fake, c := newExample()
	defer fake.Close()
	ctx := context.Background()
	otp := func(_ context.Context, ch *cgscan.SecondFactor) (tokenkit.Secret, error) {
		return tokenkit.Secret(fake.OTP(ch.Username)), nil // e.g. a TOTP generator
	}
	ex, err := c.SignInExchanger(cgscan.SignInRequest{Username: "alice", Password: "secret123", OTP: otp})
	if err != nil {
		fmt.Println(err)
		return
	}
	session, err := ex.Exchange(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	tokens, err := c.Tokens(tokenkit.StaticSource(session))
	if err != nil {
		fmt.Println(err)
		return
	}
	var (
		is tokenkit.Issuer  = tokens
		rv tokenkit.Revoker = tokens
	)
	tok, _ := is.Issue(ctx, tokenkit.IssueRequest{})
	err = rv.Revoke(ctx, tokenkit.IDOf(tok))
	fmt.Println(err, fake.TokenValid(tok.Value()))
	// Output:
	// <nil> false
}

// A long-running program: the source signs in once and the client presents
// the session and the API key on every request to the rest of the API.
func ExampleClient_SignInSource() {
	fake, c := newExample()
	defer fake.Close()
	src, err := c.SignInSource(cgscan.SignInRequest{Username: "bob", Password: "hunter22"}, tokenkit.SourceConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	hc := tokenkit.NewClient(src, nil)
	for range 2 {
		resp, err := hc.Get(fake.URL() + "/v2/user/check_token") // any call of the API
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	fmt.Println("sign-ins:", fake.Calls("SignIn"))
	// Output:
	// 200
	// 200
	// sign-ins: 1
}

// Through the vendor-neutral verbs: the issued token names the id its
// Revoker takes (tokenkit.IDOf), and Check reports a revoked token as an
// error for which tokenkit.Rejected is true. A request with a Lifetime is
// refused: the API cannot give a token one.
func ExampleClient_Check() {
	fake, c := newExample()
	defer fake.Close()
	ctx := context.Background()
	session, err := c.SignInSource(cgscan.SignInRequest{Username: "bob", Password: "hunter22"}, tokenkit.SourceConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	tokens, err := c.Tokens(session)
	if err != nil {
		fmt.Println(err)
		return
	}
	var (
		issuer  tokenkit.Issuer  = tokens
		revoker tokenkit.Revoker = tokens
		checker tokenkit.Checker = c
	)
	_, err = issuer.Issue(ctx, tokenkit.IssueRequest{Name: "ci", Lifetime: time.Hour})
	fmt.Println(errors.Is(err, tokenkit.ErrInvalidInput))

	tok, _ := issuer.Issue(ctx, tokenkit.IssueRequest{Name: "ci"})
	res, err := checker.Check(ctx, tok)
	fmt.Println(res.Subject, err)
	_ = revoker.Revoke(ctx, tokenkit.IDOf(tok))
	_, err = checker.Check(ctx, tok)
	fmt.Println(tokenkit.Rejected(err))
	// Output:
	// true
	// bob <nil>
	// true
}
