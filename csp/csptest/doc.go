// Package csptest is a stateful, in-process fake of the token API of the
// VMware / Tanzu Cloud Services Platform (CSP), for tests.
//
// The fake behaves like the product rather than like a stub. It implements
// the operations of openapi/csp.yaml on top of the generated strict server
// (csp/internal/api):
//
//   - POST /csp/gateway/am/api/auth/api-tokens/authorize exchanges an
//     organization API token for an RS256-signed JWT access token. It
//     validates the form body, accepts the deprecated refresh_token (body
//     field or query parameter: deprecated, not removed), enforces MFA
//     passcodes, scope subsets, revocation and expiry, and answers with
//     CSP's error shapes (HTTP 400 invalid_grant, echoing the submitted
//     token in the message, exactly as the real service does).
//   - POST /csp/gateway/am/api/auth/authorize and its documented twin
//     POST /csp/gateway/am/api/auth/token run the OAuth 2.0
//     client-credentials grant of a registered OAuth app: HTTP Basic, or
//     client_id and client_secret in the form (fake's choice, for
//     golang.org/x/oauth2's AuthStyleInParams); orgId is optional (missing
//     means the app's organization).
//   - POST /csp/gateway/am/api/auth/api-tokens/details describes an API
//     token, with timestamps in seconds or, optionally, milliseconds.
//   - GET /csp/gateway/am/api/auth/token-public-key publishes the signing key
//     as a PEM block or, with ?format=jwks, as a JSON Web Key set.
//
// Each Server has its own RSA-2048 key, its own state guarded by a mutex, an
// injectable clock, and a queue of faults (429 with Retry-After, 5xx, HTML
// error pages, truncated JSON, delays and dropped connections) that the next
// requests receive. The same state and faults are reachable over a real
// httptest server (URL, Client), as an http.Handler (Handler), and in-process
// as a github.com/jarcoal/httpmock responder (Responder).
//
// The shortest working use:
//
//	srv := csptest.New(t) // closed by t.Cleanup
//	token := srv.AddAPIToken(csptest.APIToken{Scopes: []string{"csp:org_member"}})
//	resp, err := srv.Client().PostForm(
//		srv.URL()+"/csp/gateway/am/api/auth/api-tokens/authorize",
//		url.Values{"api_token": {token}},
//	)
//	// resp is HTTP 200 with {"access_token": "<JWT>", "token_type": "bearer", ...};
//	// verify the JWT with srv.PublicKey().
//
// Checked against real clients: golang.org/x/oauth2/clientcredentials with
// every AuthStyle, as vmware/terraform-provider-vmc drives it on /auth/token
// (internal/interop); the form exchange of terraform-provider-vmc,
// tanzu-cli and terraform-provider-nsxt (refresh_token in the body); clients
// that send //csp/... (routed as /csp/..., see fakes.Canonical). Under
// `tokenctl fake` the iss claim names the served address (SetPublicURL).
//
// Everything the fake does on its own initiative where the public CSP
// documentation is silent is marked "fake's choice" in the source.
//
// # Calls, Applied and the clock
//
// The Server embeds fakes.Server, whose methods are documented there. URL is
// the base to give csp.New in place of https://console.cloud.vmware.com.
// Calls, CallCounts and FailNextOp take the operationIds of
// openapi/csp.yaml: "ExchangeAPIToken", "ExchangeClientCredentials",
// "ExchangeClientCredentialsToken", "GetAPITokenDetails" and
// "GetTokenPublicKey". Applied counts the access tokens each of the three
// exchanges issued, those whose answer a DropAfterApply fault lost
// included. The clock (SetClock) drives the iat and exp claims, API-token
// creation, last use and expiry.
//
// # Faults
//
//	srv.FailNext(2, fakes.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
//	srv.FailNext(1, fakes.Fault{Drop: true})
//	// the next two requests get 429, the third loses its connection, the fourth is served.
//
// In this fake, Status answers a CspErrorResponse JSON body whose errorCode
// is the status text in snake case ("too_many_requests"); Malformed answers
// 200 with the truncated JSON body {"access_token":; HTML answers Status
// (default 503) with a text/html error page, as a gateway in front of CSP
// does (vmware-labs/marketplace-cli#122); DropAfterApply issues a token,
// counted in Applied, and loses the answer. net/http's Transport resends a
// bodiless GET once when a reused connection is dropped, so a dropped
// GetTokenPublicKey may consume two queued faults.
package csptest
