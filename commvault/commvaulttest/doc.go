// Package commvaulttest is a stateful, in-process fake of the Commvault
// Command Center REST API's login sessions and V4 access tokens, for tests.
//
// The fake behaves like the product rather than like a stub. It implements
// the eight operations of openapi/commvault.yaml on the generated strict
// server (commvault/internal/api), under /commandcenter/api and the legacy
// /webconsole/api:
//
//   - POST /Login checks the user name and the Base64-encoded password
//     (a plain password fails), answers a failure inside HTTP 200 with an
//     errList, counts failures and locks the account after N of them
//     (isAccountLocked, remainingLockTime), and creates a QSDK session that
//     expires after its inactivity timeout (each use extends it). SetSaaS
//     switches to the SaaS answer {"data":{"authToken"}}.
//   - POST /RenewLoginToken replaces a session given its deviceId;
//     POST /Logout ends it ("User logged out", or 401 Access denied).
//   - POST /V4/AccessToken creates a token under a session (an access token
//     is refused), with the documented type rules: refresh tokens only for
//     DEFAULT/ALL/CUSTOM/Hyperscale, apiEndpoints required for CUSTOM,
//     expiry windows for MS_SCIM and OneTouch, unique names, and the refusals
//     answered inside HTTP 200 with error.errorCode. tokenType is accepted as
//     an integer, a name or both (SetTokenTypeWire).
//   - GET, PUT and DELETE manage tokens; list and delete answer Commvault's
//     shapes (a nested error object; a top-level errorCode).
//   - POST /V4/AccessToken/Renew rotates the pair. Renewing with a pair that
//     was already renewed deletes the whole token chain, as Commvault does,
//     and counts in ChainInvalidations.
//
// Protected operations answer 401 {"errorMessage":"Access denied",
// "errorCode":5} for an unknown or expired session or token, presented as
// Authtoken or Authorization: Bearer.
//
// Each Server has an injectable clock (SetClock), call counts per operation
// (Calls), counts of the requests that really changed state (Applied), the
// recorded requests (Requests), and a queue of faults for the next requests
// (FailNext): statuses with Retry-After, HTML pages, truncated JSON, delays,
// dropped connections, and DropAfterApply, which applies a request and then
// drops the connection: a lost response. The same state is reachable over a
// real httptest server (URL, Client), as an http.Handler (Handler) and as a
// github.com/jarcoal/httpmock responder (Responder).
//
// The shortest working use:
//
//	fake := commvaulttest.New(t) // closed by t.Cleanup
//	fake.AddUser(commvaulttest.User{Name: "admin", Password: "secret"})
//	c, _ := commvault.New(fake.URL())
//	session, err := c.Login(ctx, commvault.Credentials{Username: "admin", Password: "secret"})
//
// Checked against Commvault's Python SDK (Commvault/cvpysdk, replayed by
// internal/realclient against this fake and against tokenctl fake): the
// GET {base}/ probe answers 200; Login accepts its mode and clientType and
// answers userName and token; POST /WhoAmI answers user.userName with the
// Content-Type application/json (cvpysdk falls back to XML otherwise); the
// V4 paths with a doubled slash and the list with a trailing one are routed
// as canonical; create answers error.errorCode and tokenInfo; list, renew
// and delete answer 200 with a top-level errorCode (always present on
// delete, which cvpysdk indexes); a refused renew is a 400, or with
// SetRenewFailuresInBand a 200 with a top-level errorCode; Logout answers
// 200 text. Commvault's MCP server's GET /v2/whoami answers 200 or 401.
//
// Everything the fake does where the public documentation is silent (error
// codes and wording, lockout policy, token formats) is marked "fake's choice"
// in the source.
//
// # Calls, Applied and the clock
//
// The Server embeds fakes.Server, whose methods are documented there. URL is
// the origin to pass to commvault.New, which adds the API path; raw HTTP
// requests go to URL()+BasePath (or URL()+LegacyBasePath). Calls,
// CallCounts and FailNextOp take the operation ids OpLogin,
// OpRenewLoginToken, OpLogout, OpListAccessTokens, OpCreateAccessToken,
// OpUpdateAccessToken, OpDeleteAccessToken, OpRenewAccessToken, OpWhoAmI
// and OpServiceProbe. Applied counts the requests that really changed
// state: sessions created, renewed or ended, tokens created, updated,
// deleted or renewed; refused, faulted and read-only requests do not count,
// and a renewal with a stale pair counts in ChainInvalidations instead. The
// clock (SetClock) drives session and token lifetimes and lockouts.
//
// # Faults
//
// In this fake, Status answers Commvault's {errorMessage, errorCode} body
// (errorCode is the status), without acting; Malformed answers 200 with
// truncated JSON; HTML answers Status (default 503) with a text/html page, as
// a proxy in front of Command Center does; DropAfterApply applies the
// request (its state change counts in Applied) and loses the answer.
package commvaulttest
