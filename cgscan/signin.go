package cgscan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/cgscan/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
	"github.com/tokenkit/tokenkit/internal/redact"
)

// SignInRequest is a sign-in: the first step of POST /auth/sign_in and, for
// a user with two-factor authentication, how to get the one-time code of the
// second.
type SignInRequest struct {
	// Username is the user's name; required.
	Username string
	// Password is the user's password; required.
	Password tokenkit.Secret
	// OTP supplies the one-time code when the API asks for a second
	// factor; it is called at most once per sign-in, with the challenge.
	// SignIn then completes the sign-in itself (VerifyOTP) and returns the
	// Session; without OTP, SignIn returns the challenge
	// (SignInResult.SecondFactor) and SignInExchanger and SignInSource fail
	// with an error matching ErrSecondFactorRequired that carries it. Leave
	// it nil for users without two-factor authentication.
	OTP OTPFunc
}

// String describes the request without the password.
func (r SignInRequest) String() string {
	return fmt.Sprintf("cgscan.SignInRequest{Username: %q, Password: %s, OTP: %t}", r.Username, r.Password, r.OTP != nil)
}

// GoString is String, for %#v.
func (r SignInRequest) GoString() string { return r.String() }

// Format writes String for every verb.
func (r SignInRequest) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// MarshalJSON writes the request without the password, and whether it has
// an OTP function (a func has no JSON form), so that a JSON log of it works
// and leaks nothing.
func (r SignInRequest) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Username string
		Password tokenkit.Secret
		OTP      bool
	}{r.Username, r.Password, r.OTP != nil})
}

// SignInResult is the answer to SignIn: exactly one of its fields is set.
type SignInResult struct {
	// Session is the signed-in user, when no second factor is needed.
	Session *Session
	// SecondFactor is set instead when the user has two-factor
	// authentication on and the request has no OTP: complete the sign-in
	// with VerifyOTP (or SignInWithRecoveryCode), after SendSMSOTP if the
	// code comes by SMS.
	SecondFactor *SecondFactor
}

// SecondFactor is a pending sign-in that waits for a one-time code: the
// otp_session_state of the first answer of POST /auth/sign_in. Printing or
// logging it never shows the state.
type SecondFactor struct {
	// Username is the user signing in.
	Username string
	// State is the otp_session_state to send back with the code.
	State tokenkit.Secret
	// Message is the answer's message, if any.
	Message string
}

// String describes the challenge without its state.
func (sf SecondFactor) String() string {
	return fmt.Sprintf("cgscan.SecondFactor{username: %q, state: %s}", sf.Username, sf.State)
}

// GoString is String, for %#v.
func (sf SecondFactor) GoString() string { return sf.String() }

// Format writes String for every verb.
func (sf SecondFactor) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, sf.String()) }

// LogValue logs the user, never the state.
func (sf SecondFactor) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", sf.Username), slog.String("state", sf.State.String()))
}

// ErrSecondFactorRequired matches (errors.Is) the error of a sign-in that
// needs a one-time code it was not given: SignInExchanger or SignInSource
// of a request without OTP, or VerifyOTP answered with a new challenge. The challenge is reachable as a
// *SecondFactorError with errors.As.
//
// It is under tokenkit.ErrUnauthorized (and so tokenkit.ErrAuth): the user is
// not signed in yet.
var ErrSecondFactorRequired = tokenkit.Refine(tokenkit.ErrUnauthorized, "cgscan: second factor required")

// SecondFactorError carries the challenge of a sign-in that needs a one-time
// code. It matches ErrSecondFactorRequired.
type SecondFactorError struct {
	// Challenge is the pending sign-in: complete it with VerifyOTP or
	// SignInWithRecoveryCode.
	Challenge *SecondFactor
}

// Error says that a second factor is required, without any secret.
func (e *SecondFactorError) Error() string { return "cgscan: second factor required" }

// Is matches ErrSecondFactorRequired and every sentinel above it.
func (e *SecondFactorError) Is(target error) bool {
	return errors.Is(ErrSecondFactorRequired, target)
}

// SignIn signs a user in with their user name and password
// (POST /auth/sign_in, x-api-key and {username, password}). If the user has
// two-factor authentication on, SignIn calls req.OTP for the one-time code
// and completes the sign-in with it (a second POST /auth/sign_in, as
// VerifyOTP); without req.OTP the result carries a SecondFactor instead of a
// Session, which is not an error. A rejected password (or API key, or
// one-time code) is a *tokenkit.Error matching tokenkit.ErrInvalidCredential;
// an error of req.OTP is returned inside a *tokenkit.Error, and a second
// challenge after the code is an error matching ErrSecondFactorRequired.
//
// A sign-in creates a session (and may send an SMS), so it is not retried
// after a response is lost: only when the request never reached the server,
// or after 429.
func (c *Client) SignIn(ctx context.Context, req SignInRequest) (*SignInResult, error) {
	const name = "SignIn"
	if err := c.checkSignIn(name, req); err != nil {
		return nil, err
	}
	return c.signInFlow(ctx, name, req)
}

// checkSignIn validates a SignInRequest, for SignIn and the exchanger alike.
func (c *Client) checkSignIn(name string, req SignInRequest) error {
	switch {
	case strings.TrimSpace(req.Username) == "":
		return c.tx.InvalidInput(name, "Username is required")
	case req.Password == "":
		return c.tx.InvalidInput(name, "Password is required")
	}
	return nil
}

// signInFlow signs in and, when the API asks for a second factor and req has
// an OTP function, completes the sign-in with its code. Every error names
// the operation name.
func (c *Client) signInFlow(ctx context.Context, name string, req SignInRequest) (*SignInResult, error) {
	body := api.SignInJSONRequestBody{Username: &req.Username, Password: ptr.To(req.Password.Reveal())}
	res, err := c.signIn(ctx, name, req.Username, func(ctx context.Context) (*http.Response, error) {
		return c.api.SignIn(ctx, body, c.editor(OpSignIn))
	})
	if err != nil || res.SecondFactor == nil || req.OTP == nil {
		return res, err
	}
	code, err := req.OTP(ctx, res.SecondFactor)
	if err != nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: name, Message: "getting the one-time code", Err: err}
	}
	s, err := c.verifyOTP(ctx, name, res.SecondFactor, code)
	if err != nil {
		return nil, err
	}
	return &SignInResult{Session: s}, nil
}

// VerifyOTP completes a sign-in that needs a second factor: it sends the
// one-time code with the challenge's otp_session_state to POST /auth/sign_in.
// A rejected code is a *tokenkit.Error matching tokenkit.ErrInvalidCredential;
// if the API answers with a new challenge instead, the error matches
// ErrSecondFactorRequired and carries it. The call is not retried after a
// lost response: a one-time code works once.
func (c *Client) VerifyOTP(ctx context.Context, challenge *SecondFactor, code tokenkit.Secret) (*Session, error) {
	return c.verifyOTP(ctx, "VerifyOTP", challenge, code)
}

func (c *Client) verifyOTP(ctx context.Context, name string, challenge *SecondFactor, code tokenkit.Secret) (*Session, error) {
	if challenge == nil || challenge.State == "" {
		return nil, c.tx.InvalidInput(name, "no second-factor challenge (call SignIn first)")
	}
	if strings.TrimSpace(code.Reveal()) == "" {
		return nil, c.tx.InvalidInput(name, "empty one-time code")
	}
	body := api.SignInJSONRequestBody{
		OtpAttempt:      ptr.To(strings.TrimSpace(code.Reveal())),
		OtpSessionState: ptr.To(challenge.State.Reveal()),
	}
	res, err := c.signIn(ctx, name, challenge.Username, func(ctx context.Context) (*http.Response, error) {
		return c.api.SignIn(ctx, body, c.editor(OpSignIn))
	})
	return sessionOf(name, res, err)
}

// RecoveryCodeRequest signs in with a recovery code instead of a one-time
// code.
type RecoveryCodeRequest struct {
	// RecoveryCode is one of the user's recovery codes; required. Each works
	// once.
	RecoveryCode tokenkit.Secret
	// Challenge is the pending sign-in from SignIn, if any: its
	// otp_session_state is sent.
	Challenge *SecondFactor
	// Username is sent when set, for a portal that wants the user name and
	// password instead of (or with) the challenge. One of Challenge or
	// Username is required.
	Username string
	// Password is sent when set, with Username.
	Password tokenkit.Secret
}

// SignInWithRecoveryCode signs in with a recovery code
// (POST /auth/sign_in_with_recovery_code; path and body unverified, see
// WithPath). A rejected code is a *tokenkit.Error matching
// tokenkit.ErrInvalidCredential. A recovery code works once, so the call is
// not retried after a lost response.
func (c *Client) SignInWithRecoveryCode(ctx context.Context, req RecoveryCodeRequest) (*Session, error) {
	const op, name = OpSignInWithRecoveryCode, "SignInWithRecoveryCode"
	code := strings.TrimSpace(req.RecoveryCode.Reveal())
	if code == "" {
		return nil, c.tx.InvalidInput(name, "RecoveryCode is required")
	}
	body := api.SignInWithRecoveryCodeJSONRequestBody{RecoveryCode: code}
	username := req.Username
	if req.Challenge != nil && req.Challenge.State != "" {
		body.OtpSessionState = ptr.To(req.Challenge.State.Reveal())
		if username == "" {
			username = req.Challenge.Username
		}
	}
	if req.Username != "" {
		body.Username = ptr.To(req.Username)
	}
	if req.Password != "" {
		body.Password = ptr.To(req.Password.Reveal())
	}
	if body.OtpSessionState == nil && body.Username == nil {
		return nil, c.tx.InvalidInput(name, "Challenge or Username is required")
	}
	res, err := c.signIn(ctx, name, username, func(ctx context.Context) (*http.Response, error) {
		return c.api.SignInWithRecoveryCode(ctx, body, c.editor(op))
	})
	return sessionOf(name, res, err)
}

// sessionOf turns the answer of a second step into a session; another
// challenge is an error matching ErrSecondFactorRequired.
func sessionOf(name string, res *SignInResult, err error) (*Session, error) {
	if err != nil {
		return nil, err
	}
	if res.Session == nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: name, StatusCode: http.StatusOK,
			Message: "the second factor was not accepted: the API asked for one again",
			Err:     &SecondFactorError{Challenge: res.SecondFactor}}
	}
	return res.Session, nil
}

// signIn runs one sign-in call and reads its answer: a session when it has a
// token, a challenge when it has otp_session_state.
func (c *Client) signIn(ctx context.Context, name string, username string, send httpx.Send) (*SignInResult, error) {
	o := &httpx.Op{Name: name, Class: httpx.Mutating}
	res, err := httpx.Run(ctx, c.tx, o, send)
	if err != nil {
		return nil, markCredential(err)
	}
	dto, err := decodeObject[api.SignInResult](c, o, res, false)
	if err != nil {
		return nil, err
	}
	if u := strings.TrimSpace(ptr.Deref(dto.Username)); u != "" {
		username = u
	}
	if tok := strings.TrimSpace(ptr.Deref(dto.Token)); tok != "" {
		s := &Session{
			token:         tokenkit.Secret(tok),
			apiKey:        c.opts.apiKey,
			Username:      username,
			Role:          ptr.Deref(dto.Role),
			Timezone:      ptr.Deref(dto.Timezone),
			Provider:      ptr.Deref(dto.Provider),
			Verified:      ptr.Deref(dto.Verified),
			SignInCount:   ptr.Deref(dto.SignInCount),
			presentations: slices.Clone(c.opts.presentations),
		}
		if dto.Organization != nil {
			s.Organization = Organization{UUID: ptr.Deref(dto.Organization.Uuid), Name: ptr.Deref(dto.Organization.Name)}
		}
		return &SignInResult{Session: s}, nil
	}
	if state := strings.TrimSpace(ptr.Deref(dto.OtpSessionState)); state != "" {
		return &SignInResult{SecondFactor: &SecondFactor{
			Username: username,
			State:    tokenkit.Secret(state),
			Message:  redact.Truncate(ptr.Deref(dto.Message), 256),
		}}, nil
	}
	return nil, c.invalid(o, res, "the answer has neither token nor otp_session_state")
}

// TwoFactorStatus is the answer of CheckTwoFactor. The public documentation
// does not describe it: Required, Method and Phone are read from
// otp_required, otp_method and phone when present, and every other field
// that does not look like a secret is in Fields.
type TwoFactorStatus struct {
	// Required reports otp_required.
	Required bool
	// Method is the user's second factor, e.g. "app" or "sms".
	Method string
	// Phone is the (masked) number an SMS goes to.
	Phone string
	// Message is the answer's message, if any.
	Message string
	// Fields holds the rest of the answer as decoded JSON, without the
	// fields whose names look secret.
	Fields map[string]any
}

// CheckTwoFactor asks which second factor a pending sign-in needs ("Check
// 2fa"; POST /auth/check_2fa with the challenge's otp_session_state; method,
// path and body unverified, see WithPath). It has no side effect and is
// retried like a GET.
func (c *Client) CheckTwoFactor(ctx context.Context, challenge *SecondFactor) (*TwoFactorStatus, error) {
	const op, name = OpCheckTwoFactor, "CheckTwoFactor"
	body, err := c.twoFactorBody(name, challenge)
	if err != nil {
		return nil, err
	}
	o := &httpx.Op{Name: name, Class: httpx.Idempotent}
	res, err := httpx.Run(ctx, c.tx, o, func(ctx context.Context) (*http.Response, error) {
		return c.api.CheckTwoFactor(ctx, body, c.editor(op))
	})
	if err != nil {
		return nil, err
	}
	dto, err := decodeObject[api.TwoFactorCheck](c, o, res, true)
	if err != nil {
		return nil, err
	}
	st := &TwoFactorStatus{
		Required: ptr.Deref(dto.OtpRequired),
		Method:   ptr.Deref(dto.OtpMethod),
		Phone:    ptr.Deref(dto.Phone),
		Message:  ptr.Deref(dto.Message),
	}
	var all map[string]any
	if json.Unmarshal(res.Body, &all) == nil {
		for k, v := range all {
			switch k {
			case "otp_required", "otp_method", "phone", "message", "status", "status_text":
				continue
			}
			if redact.IsSensitive(k) {
				continue
			}
			if st.Fields == nil {
				st.Fields = make(map[string]any)
			}
			st.Fields[k] = v
		}
	}
	return st, nil
}

// SendSMSOTP asks the API to send the one-time code of a pending sign-in by
// SMS ("Send SMS OTP"; POST /auth/send_sms_otp with the challenge's
// otp_session_state; method, path and body unverified, see WithPath). Each
// call may send an SMS, so it is not retried after a lost response.
func (c *Client) SendSMSOTP(ctx context.Context, challenge *SecondFactor) error {
	const op, name = OpSendSMSOTP, "SendSMSOTP"
	body, err := c.twoFactorBody(name, challenge)
	if err != nil {
		return err
	}
	o := &httpx.Op{Name: name, Class: httpx.Mutating}
	res, err := httpx.Run(ctx, c.tx, o, func(ctx context.Context) (*http.Response, error) {
		return c.api.SendSMSOTP(ctx, body, c.editor(op))
	})
	if err != nil {
		return err
	}
	_, err = decodeObject[api.StatusResponse](c, o, res, true)
	return err
}

func (c *Client) twoFactorBody(name string, challenge *SecondFactor) (api.TwoFactorRequest, error) {
	if challenge == nil || challenge.State == "" {
		return api.TwoFactorRequest{}, c.tx.InvalidInput(name, "no second-factor challenge (call SignIn first)")
	}
	body := api.TwoFactorRequest{OtpSessionState: ptr.To(challenge.State.Reveal())}
	if challenge.Username != "" {
		body.Username = ptr.To(challenge.Username)
	}
	return body, nil
}

// OTPFunc supplies the one-time code for a pending sign-in, e.g. from a TOTP
// generator or by asking a person. It may call SendSMSOTP first.
type OTPFunc func(ctx context.Context, challenge *SecondFactor) (tokenkit.Secret, error)

// SignInExchanger returns a tokenkit.Exchanger that signs in with req and
// returns the *Session, completing two-factor authentication with req.OTP
// when the API asks for it. A request without OTP for a user with two-factor
// authentication fails with an error matching ErrSecondFactorRequired that
// carries the challenge (*SecondFactorError). req is validated here, as
// SignIn validates it: a missing Username or Password is an error matching
// tokenkit.ErrInvalidInput.
func (c *Client) SignInExchanger(req SignInRequest) (tokenkit.Exchanger, error) {
	return c.signInExchanger("SignInExchanger", req)
}

func (c *Client) signInExchanger(name string, req SignInRequest) (*signInExchanger, error) {
	if err := c.checkSignIn(name, req); err != nil {
		return nil, err
	}
	return &signInExchanger{c: c, req: req}, nil
}

// signInExchanger is the Exchanger of SignInExchanger and SignInSource.
type signInExchanger struct {
	c   *Client
	req SignInRequest
}

var _ tokenkit.Exchanger = (*signInExchanger)(nil)

// Exchange signs in and returns the *Session.
func (e *signInExchanger) Exchange(ctx context.Context) (tokenkit.Token, error) {
	const name = "SignIn"
	res, err := e.c.signInFlow(ctx, name, e.req)
	if err != nil {
		return nil, err
	}
	if res.Session == nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: name, StatusCode: http.StatusOK,
			Message: "a second factor is required and the request has no OTP function",
			Err:     &SecondFactorError{Challenge: res.SecondFactor}}
	}
	return res.Session, nil
}

// String describes the exchanger without any secret.
func (e *signInExchanger) String() string { return "cgscan.SignInExchanger{" + e.req.String() + "}" }

// Format writes String for every verb.
func (e *signInExchanger) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }

// SignInSource returns a cached tokenkit.Source of sessions: it signs in once
// (completing 2FA with req.OTP) and keeps the session until a request
// answered 401 invalidates it (through tokenkit.Transport). Pass it to
// GenerateAccessToken, Tokens and the other calls, or to tokenkit.NewClient
// to call the rest of the Clone Guard API. req is validated as
// SignInExchanger validates it; a session's Export (for cfg.Save) carries
// the token and the API key.
func (c *Client) SignInSource(req SignInRequest, cfg tokenkit.SourceConfig) (*tokenkit.Source, error) {
	const name = "SignInSource"
	ex, err := c.signInExchanger(name, req)
	if err != nil {
		return nil, err
	}
	return tokenkit.NewSource(ex.Exchange, c.tx.SourceConfig(name, cfg)), nil
}
