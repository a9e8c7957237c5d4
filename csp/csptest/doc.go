// Package csptest is a stateful, in-process fake of the token API of the
// VMware / Tanzu Cloud Services Platform (CSP), for tests.
//
// The fake behaves like the product rather than like a stub. It implements
// the four operations of openapi/csp.yaml on top of the generated strict
// server (csp/internal/api):
//
//   - POST /csp/gateway/am/api/auth/api-tokens/authorize exchanges an
//     organization API token for an RS256-signed JWT access token. It
//     validates the form body, rejects the deprecated query-parameter form,
//     enforces MFA passcodes, scope subsets, revocation and expiry, and
//     answers with CSP's error shapes (HTTP 400 invalid_grant, echoing the
//     submitted token in the message, exactly as the real service does).
//   - POST /csp/gateway/am/api/auth/authorize runs the OAuth 2.0
//     client-credentials grant of a registered OAuth app (HTTP Basic).
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
//	srv.FailNext(2, csptest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
//	srv.FailNext(1, csptest.Fault{Drop: true})
//	// the next two requests get 429, the third loses its connection, the fourth is served.
//
// Everything the fake does on its own initiative where the public CSP
// documentation is silent is marked "fake's choice" in the source.
package csptest
