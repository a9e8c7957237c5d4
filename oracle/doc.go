// Package oracle is the client of the token API of Oracle Content Management
// (OCM, formerly Oracle Content and Experience), "REST API for
// Self-Management": it gets access tokens for a user with HTTP Basic
// credentials, with a refresh token or with an existing access token
// (POST /system/api/v1/security/token), and tells whom a token belongs to
// (GET /system/api/v1/me).
//
// The shortest working use, a long-running program calling OCM's REST APIs:
//
//	c, err := oracle.New("https://mycompany-oce.cec.ocp.oraclecloud.com")
//	if err != nil { … }
//	src := c.Source(oracle.SourceRequest{
//		Credentials:  &oracle.Credentials{Username: "ci-bot", Password: tokenkit.Secret(os.Getenv("OCM_PASSWORD"))},
//		RefreshToken: tokenkit.Secret(saved),                        // optional, from an earlier run
//		OnRefreshToken: func(rt tokenkit.Secret) { save(rt.Reveal()) }, // keep the newest one
//	})
//	httpClient := tokenkit.NewClient(src, nil) // every request carries "Authorization: Bearer …"
//
// The Source uses the refresh token while the instance accepts it, adopts
// each new refresh token the instance returns in the same step, and signs in
// with the credentials when the refresh token is refused.
//
// # Milliseconds
//
// OCM gives a token's lifetime as expiresInMillis, in milliseconds (Oracle's
// example, 1209600000, is 14 days), unlike the seconds of OAuth's
// expires_in; AccessToken.Lifetime and ExpiresAt hold it decoded.
//
// # What the API documents, and what it does not
//
// The wire format is in openapi/oracle.yaml, with a source for every fact.
// Oracle documents no revoke or logout endpoint for this API (the
// Self-Management API has one category, "view the authenticated user
// details"), so this package has no tokenkit.Revoker and no Lister: an OCM
// token lives until it expires. It implements tokenkit.Exchanger
// (PasswordExchanger, Refresher), tokenkit.Issuer (SessionIssuer, a new
// token under an authenticated session; a Lifetime or Scopes is refused, as
// the token call takes neither), tokenkit.Checker (Client: /me) and
// tokenkit.Renewer (Client: RenewAccessToken).
//
// Points the public material leaves open are handled rather than guessed:
//
//   - Whether refresh tokens rotate is not documented. The client assumes they
//     may (WithRefreshTokenRotation, default true): a refresh is then never
//     replayed after a lost answer, which would present a token the instance
//     already consumed; it is retried only when it never reached the
//     instance, or after 429. The password and access-token forms only issue
//     a token and are retried like GETs after transport errors, 408, 429 and
//     5xx. If the answer to a refresh is lost, the next refresh is refused
//     and the Source signs in again with the credentials.
//   - Whether the refresh-token form needs authentication as well is not
//     documented: SourceRequest.RefreshWithCredentials sends the credentials
//     with it, TokenRequest combines any form.
//   - Which status a refused credential gets is not documented (Oracle lists
//     400 and 403 for the call): 401 and 403 are treated as refused for every
//     form, and 400 too for the refresh-token form; such errors match
//     tokenkit.ErrInvalidCredential.
//   - Oracle's own toolkit renews a token by presenting it (no body) before
//     signing in again; SourceRequest.RenewWithAccessToken does the same.
//   - Oracle's own CLI (cec) sends the token call both with and without a
//     CSRF token: `cec refresh-oauth-token` first fetches one from
//     GET /system/api/v1/csrfToken and sends it as X-CSRF-TOKEN with
//     X-REQUESTED-WITH: XMLHttpRequest, while its sign-in sends only
//     Authorization (oracle/content-and-experience-toolkit: serverRest.js
//     _executePost, serverUtils.js getSystemCSRFToken and _loginToPODServer).
//     Nothing documents that the call requires one, so this package sends
//     none; oracletest accepts the headers without requiring them.
//   - The member names of groups, application roles and links in
//     GET /system/api/v1/me are not shown by the documentation; User keeps
//     unknown members in Extra.
//
// # Errors
//
// Every failure is a *tokenkit.Error naming the vendor and operation.
// Oracle's REST error body is reachable as an *ExceptionDetail with
// errors.As, nested o:errorDetails included (ExceptionDetail.All, Find, and
// errors.Is through Unwrap); the ErrorResponse shape other /system/api
// endpoints use is recognised too. The HTTP status is checked before any
// decoding: an error body never becomes an empty token.
//
// # Secrets
//
// Passwords, access tokens and refresh tokens never appear in errors, log
// lines or fmt output: AccessToken, Credentials and the request types redact
// themselves, and everything the instance echoes back is scrubbed.
//
// For tests, package oracletest is a stateful fake of this API.
package oracle
