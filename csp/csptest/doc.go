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
// Faults:
//
//	srv.FailNext(2, fakes.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
//	srv.FailNext(1, fakes.Fault{Drop: true})
//	// the next two requests get 429, the third loses its connection, the fourth is served.
//
// Checked against real clients: golang.org/x/oauth2/clientcredentials with
// every AuthStyle, as vmware/terraform-provider-vmc drives it on /auth/token
// (internal/interop); the form exchange of terraform-provider-vmc,
// tanzu-cli and terraform-provider-nsxt (refresh_token in the body); clients
// that send //csp/... (routed as /csp/..., see internal/fakekit). Under
// `tokenctl fake` the iss claim names the served address (SetPublicURL).
//
// Everything the fake does on its own initiative where the public CSP
// documentation is silent is marked "fake's choice" in the source.
package csptest
