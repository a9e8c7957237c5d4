// Package cgscantest is a stateful, in-process fake of the authentication and
// access-token endpoints of the Clone Guard Security Scanning API v2, for
// tests.
//
// The fake behaves like the product rather than like a stub. It implements
// the eight operations of openapi/cgscan.yaml on top of the generated strict
// server (cgscan/internal/api):
//
//   - POST /auth/sign_in signs a user in with {username, password}; for a
//     user with two-factor authentication it answers with an
//     otp_session_state instead of a token, and a second call with
//     {otp_attempt, otp_session_state} completes the sign-in. One-time codes
//     work once (read the current one with OTP); a pending sign-in expires
//     after OTPSessionTTL on the injectable clock and after MaxOTPFailures
//     wrong codes.
//   - POST /auth/sign_in_with_recovery_code accepts a recovery code, each
//     once, with the pending sign-in's otp_session_state or the user name
//     and password.
//   - POST /auth/check_2fa and POST /auth/send_sms_otp report the second
//     factor of a pending sign-in and "send" a new code by SMS (SMSSent).
//   - PUT /v2/user/generate_access_token generates an access token that
//     replaces the user's previous one; PUT /v2/user/revoke_access_token
//     revokes it; GET /v2/user/check_token answers 200 for a valid session
//     or access token and 401 otherwise; DELETE /auth/sign_out ends the
//     presented token.
//
// Every call needs a known x-api-key (401 otherwise). User tokens are read
// from "Authorization: Bearer <token>" unless SetPresentation says otherwise,
// and SetPath moves any operation to another path, mirroring
// cgscan.WithPresentation and cgscan.WithPath. Only the sign-in and generate
// paths are documented publicly; everything the fake does where the
// documentation is silent (the other paths, bodies, messages, lifetimes) is
// marked "fake's choice" or "unverified" in the source.
//
// Each Server has its own state guarded by a mutex, call counts (Calls),
// counts of applied state changes (Applied, to prove that a lost response
// was not replayed), recorded requests, and a queue of faults (429 with
// Retry-After, 5xx, HTML pages, truncated JSON, delays, connections dropped
// before or after the state change) that the next requests receive. The same
// state and faults are reachable over a real httptest server (URL, Client),
// as an http.Handler (Handler), and as a github.com/jarcoal/httpmock
// responder (Responder).
//
// Status codes and bodies were audited against what clients read: every
// success is 200 with a JSON body (sign-out included); 401 for a wrong API
// key, password, code or token; 422 for a body missing fields. Under
// tokenctl fake a test reads a 2FA user's current code from
// GET /_fake/cgscan/otp?user=NAME. Doubled or trailing slashes are routed as
// the canonical path (fakes.Canonical).
//
// The shortest working use:
//
//	srv := cgscantest.New(t) // closed by t.Cleanup
//	srv.AddUser(cgscantest.User{Username: "alice", Password: "secret123", TwoFactor: true})
//	c, _ := cgscan.New(srv.URL(), cgscan.WithAPIKey(tokenkit.Secret(srv.APIKey())))
//	res, _ := c.SignIn(ctx, cgscan.SignInRequest{Username: "alice", Password: "secret123"})
//	session, _ := c.VerifyOTP(ctx, res.SecondFactor, tokenkit.Secret(srv.OTP("alice")))
//
// # Calls, Applied and the clock
//
// The Server embeds fakes.Server, whose methods are documented there. URL is
// the portal URL to give cgscan.New. Calls, CallCounts and FailNextOp take
// the operationIds of openapi/cgscan.yaml: "SignIn" (both steps of 2FA
// count), "SignInWithRecoveryCode", "CheckTwoFactor", "SendSMSOTP",
// "GenerateAccessToken", "RevokeAccessToken", "CheckToken" and "SignOut".
// Applied counts the requests that really changed state: sessions created
// (SignIn, SignInWithRecoveryCode), SMS sent (SendSMSOTP), tokens
// generated, revoked or signed out; a retry that replays a state change
// shows there, a faulted request that was not served does not. The clock
// (SetClock) expires pending sign-ins (OTPSessionTTL).
//
// # Faults
//
// In this fake, Status answers the API's {status, status_text, message}
// JSON body; Malformed answers 200 with the truncated JSON body {"token":;
// HTML answers Status (default 503) with a text/html error page, as a proxy
// in front of the portal would; DropAfterApply serves the request (its state
// change happens, and counts in Applied) and loses the answer.
package cgscantest
