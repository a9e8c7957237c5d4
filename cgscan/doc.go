// Package cgscan is the client of the authentication and access-token
// endpoints of the Clone Systems "Clone Guard" Security Scanning API v2 ("CG
// Scanning API V2"): it signs a user in with the customer's API key, a user
// name and a password (completing two-factor authentication with a one-time
// code or a recovery code), generates, revokes and checks the user's access
// token, and signs out.
//
// The shortest working use, a program that needs an access token:
//
//	c, err := cgscan.New("https://scanning.example.com", cgscan.WithAPIKey(tokenkit.Secret(os.Getenv("CG_API_KEY"))))
//	if err != nil { … }
//	res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: tokenkit.Secret(os.Getenv("CG_PASSWORD"))})
//	if err != nil { … }
//	session := res.Session
//	if res.SecondFactor != nil { // the user has 2FA on: not an error
//		session, err = c.VerifyOTP(ctx, res.SecondFactor, tokenkit.Secret(readCode()))
//	}
//	tok, err := c.GenerateAccessToken(ctx, session) // replaces the user's previous access token
//
// With an OTPFunc in SignInRequest.OTP, SignIn completes the second factor
// itself. For a long-running program, SignInSource caches the session
// (completing 2FA through the request's OTP), and
// tokenkit.NewClient(source, nil) presents it, with the API key, on every
// request to the rest of the Clone Guard API:
//
//	src, err := c.SignInSource(cgscan.SignInRequest{Username: "alice", Password: pw, OTP: totp}, tokenkit.SourceConfig{})
//	tokens, err := c.Tokens(src) // a tokenkit.Issuer and tokenkit.Revoker
//
// New takes the portal's origin (scheme://host[:port]); every operation's
// path is a whole path from it, so a portal that serves the API under a
// prefix is reached with WithPath.
//
// # What the API documents, and what it does not
//
// The wire format is in openapi/cgscan.yaml, with a source for every fact. The
// public documentation confirms only two calls: POST /auth/sign_in (x-api-key
// header; {username, password}; the 2FA answer otp_session_state and the
// second call with otp_attempt) and PUT /v2/user/generate_access_token
// ({token, username, message}). The menu of the API confirms that the other
// calls exist and their methods, but not their paths or bodies, and not how a
// user token is sent on later calls. This package uses its best guesses,
// following the API's own naming, and lets each be overridden without forking
// it:
//
//   - the paths of SignInWithRecoveryCode (/auth/sign_in_with_recovery_code),
//     CheckTwoFactor (/auth/check_2fa), SendSMSOTP (/auth/send_sms_otp),
//     SignOut (/auth/sign_out), RevokeAccessToken
//     (/v2/user/revoke_access_token) and CheckToken (/v2/user/check_token):
//     WithPath(op, path) moves any of them (Operation.Unverified lists them);
//   - the header of the user token: tokenkit.Bearer() ("Authorization:
//     Bearer <token>") by default, unverified for v2;
//     WithPresentation(LegacyBasic()) sends it as the legacy v1 API did
//     ("Authorization: Basic <token>", verbatim), and any other header and
//     prefix can be set (never the x-api-key header);
//   - the bodies of the recovery-code and MFA calls (tokenkit sends the
//     pending sign-in's otp_session_state, and the user name and password
//     when given), the HTTP status of the 2FA challenge (a 200 without token
//     is assumed), the answers of the unverified calls (read leniently), and
//     the error body, assumed to be {status, status_text, …} with message,
//     error or errors; any other body is kept as a bounded, redacted excerpt
//     in tokenkit.Error.Body.
//
// No token lifetime is documented: Session and AccessToken have a zero
// Expiry, so a tokenkit.Source keeps them until a 401 invalidates them.
//
// # Interfaces, errors and retries
//
// SignInExchanger returns a tokenkit.Exchanger (sign-in), Client.Tokens a
// *Tokens that is a tokenkit.Issuer (generate; a Lifetime or Scopes is
// refused, as the call takes none) and a tokenkit.Revoker (revoke the
// current access token, whose id an AccessToken's TokenID gives), and Client
// is a tokenkit.Checker (check_token). NewAccessToken wraps a token you
// already hold (tokenkit.HeldToken; a refresh token or another id is
// refused). There is no Renewer and no Lister: tokens do not expire and a
// user has one. Every failure is a *tokenkit.Error whose Op is the method
// called (SignIn, VerifyOTP, Issue, Check, …; Operation names the API's
// operation ids, which WithPath and the cgscantest fake use); the API's own
// body is an *ErrorResponse reached with errors.As, and a 401 on a sign-in
// call matches tokenkit.ErrInvalidCredential. A second factor is not an
// error for SignIn without OTP (SignInResult.SecondFactor); for the
// exchanger and source of a request without OTP it is an error matching
// ErrSecondFactorRequired that carries the challenge (*SecondFactorError).
//
// Calls that create or rotate state (sign-in in both steps, recovery-code
// sign-in, sending an SMS, generate and revoke) are never replayed after a
// lost response: they are retried only when the request never reached the
// server, or after 429. CheckTwoFactor, CheckToken and SignOut are retried
// like GETs. The user token is attached on every attempt by the shared
// transport; the API key and any WithPath override are static parts of the
// request. A 2xx answer whose body repeats a status of 400 or more is
// treated as that failure, for every call.
//
// # Secrets
//
// The API key, passwords, one-time codes, recovery codes, otp_session_state
// and tokens never appear in errors, log lines or fmt output: Session,
// AccessToken, SecondFactor and the request structs redact themselves, and
// everything the server echoes back is scrubbed.
//
// For tests, package cgscantest is a stateful fake of these endpoints.
package cgscan
