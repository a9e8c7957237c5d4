// Package oracletest is a stateful, in-process fake of the token API of
// Oracle Content Management (OCM), for tests.
//
// The fake behaves like the product rather than like a stub. It implements
// the two operations of openapi/oracle.yaml on top of the generated strict
// server (oracle/internal/api):
//
//   - POST /system/api/v1/security/token issues an access token with a
//     lifetime in milliseconds (expiresInMillis; 1209600000, 14 days, by
//     default, on an injectable clock) for HTTP Basic credentials of a
//     registered user, for a live access token presented as Bearer, or for a
//     refresh token in the body {"refreshToken": …}. Refresh tokens rotate by
//     default (the answer carries a new one, the old one is refused from
//     then on) and a test can revoke them (RevokeRefreshToken). Failures use
//     Oracle's ExceptionDetail body with nested o:errorDetails: 400 "Illegal
//     Argument" for a bad refresh token or body, 401 for wrong credentials or
//     tokens, 403 for a locked user or another user's refresh token, 415 for
//     a body that is not JSON.
//   - GET /system/api/v1/me returns the UserInfo of the user a Bearer token
//     belongs to, with groups, application roles, realm GUID and custom
//     attributes on request. Its self link starts with the address the
//     request was sent to, or with SetPublicURL's when the fake is served
//     under a prefix (tokenctl fake).
//
// Beside them, outside the spec because the SDK does not call it, the fake
// serves GET /system/api/v1/csrfToken (200 {token, expiresAt}, REST API for
// Webhooks Management op-csrftoken-get; 401 without a valid credential),
// and the token call accepts the X-CSRF-TOKEN and X-REQUESTED-WITH headers
// without requiring them.
//
// Checked against real clients: Oracle's cec CLI (sign-in with Basic and
// nothing else; refresh-oauth-token with csrfToken first), replayed by
// internal/realclient; clients that send doubled or trailing slashes are
// routed as the canonical path (fakes.Canonical).
//
// Paths that match no operation get the other error shape of
// /system/api/v1, ErrorResponse (404, or 405 with Allow).
//
// Each Server has its own state guarded by a mutex, an injectable clock, and
// a queue of faults (429 with Retry-After, 5xx, HTML error pages, truncated
// JSON, delays, dropped connections, and lost responses after the state
// changed) that the next requests receive. Calls counts requests per
// operation; Applied counts the ones that changed state, so a test can prove
// that a client did not replay a refresh. The same state and faults are
// reachable over a real httptest server (URL, Client), as an http.Handler
// (Handler), and in-process as a github.com/jarcoal/httpmock responder
// (Responder).
//
// The shortest working use:
//
//	srv := oracletest.New(t) // closed by t.Cleanup
//	srv.AddUser(oracletest.User{Username: "ada", Password: "s3cret"})
//	req, _ := http.NewRequest("POST", srv.URL()+"/system/api/v1/security/token", nil)
//	req.SetBasicAuth("ada", "s3cret")
//	resp, err := srv.Client().Do(req)
//	// resp is HTTP 200 with {"accessToken": …, "expiresInMillis": 1209600000,
//	// "refreshToken": …, "tokenType": "Bearer"}.
//
// Everything the fake does on its own initiative where the public OCM
// documentation is silent is marked "fake's choice" in the source.
//
// # Calls, Applied and the clock
//
// The Server embeds fakes.Server, whose methods are documented there. URL is
// what oracle.New takes in place of https://<instance>. Calls, CallCounts
// and FailNextOp take the operationIds "GetAccessToken" and
// "GetCurrentUser", and OpCSRFToken. Applied counts, for "GetAccessToken",
// every access token issued (a rotation included), whether or not its
// answer reached the client (DropAfterApply); the other operations change
// nothing. The clock (SetClock) drives token expiry.
//
// # Faults
//
//	srv.FailNext(1, fakes.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
//	srv.FailNext(1, fakes.Fault{DropAfterApply: true})
//	// the next request gets 429; the one after it is served (a token is
//	// issued, Applied counts it) but its answer is lost.
//
// In this fake, Status answers an ExceptionDetail JSON body (o:errorCode
// CodeInjectedFault); Malformed answers 200 with the truncated JSON body
// {"accessToken":; HTML answers Status (default 503) with a text/html error
// page, as a load balancer in front of an instance does; DropAfterApply
// serves the request (a token is issued, a refresh token rotated: Applied
// counts it) and then loses the answer.
package oracletest
