// Package oracle is the client of the token API of Oracle Content Management
// (OCM, formerly Oracle Content and Experience), "REST API for
// Self-Management": it gets access tokens for a user with HTTP Basic
// credentials, with a refresh token or with an existing access token
// (POST /system/api/v1/security/token), and tells whom a token belongs to
// (GET /system/api/v1/me).
//
// The shortest working use, a long-running program calling OCM's REST APIs:
//
//	c, err := oracle.New("https://mycompany-oce.cec.ocp.oraclecloud.com") // the origin: no path
//	if err != nil { … }
//	src, err := c.PasswordSource(oracle.Credentials{Username: "ci-bot", Password: tokenkit.Secret(os.Getenv("OCM_PASSWORD"))},
//		tokenkit.SourceConfig{})
//	if err != nil { … }
//	httpClient := tokenkit.NewClient(src, nil) // every request carries "Authorization: Bearer …"
//
// Every flow has an Exchanger and a Source, built the same way:
// PasswordExchanger and PasswordSource sign in with Credentials each time a
// token is needed; RefreshTokenExchanger and RefreshTokenSource live on a
// refresh token (RefreshTokenRequest), adopt each new refresh token the
// instance returns in the same step, and sign in with the request's
// Credentials when the refresh token is refused. Each token they return
// carries the refresh token to continue with, and its Export includes it:
// persist tokens with SourceConfig.Save and a rotated refresh token is
// never lost, not even when Save fails.
//
//	src, err := c.RefreshTokenSource(oracle.RefreshTokenRequest{
//		RefreshToken: saved.RefreshToken, // or Initial below, from an earlier run
//		Credentials:  &oracle.Credentials{Username: "ci-bot", Password: pw},
//	}, tokenkit.SourceConfig{
//		Initial: saved, // an *AccessToken read back with ImportAccessToken
//		Save: func(ctx context.Context, tok tokenkit.Token) error {
//			e, err := tokenkit.Export(tok) // refresh token included
//			if err != nil { return err }
//			b, err := e.Encode()
//			if err != nil { return err }
//			return writeFile(b)
//		},
//	})
//
// # Presentation
//
// An AccessToken presents itself as "Authorization: <tokenType> <token>",
// with the tokenType the instance returned (Bearer when it returned none).
// WithPresentation overrides that for every token of a client, those of
// NewAccessToken (a token you hold) and a Source's Initial token included.
// Export records it (attribute presentations), so Import restores it.
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
// (PasswordExchanger, RefreshTokenExchanger), tokenkit.Issuer (Tokens, a
// new token under an authenticated session; a Lifetime or Scopes is
// refused, as the token call takes neither), tokenkit.Checker (Client: /me)
// and tokenkit.Renewer (Client: RenewAccessToken).
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
//     and the RefreshTokenSource signs in again with the credentials.
//   - Whether the refresh-token form needs authentication as well is not
//     documented: RefreshTokenRequest.RefreshWithCredentials sends the
//     credentials with it, TokenRequest combines any form.
//   - Which status a refused credential gets is not documented (Oracle lists
//     400 and 403 for the call): 401 and 403 are treated as refused for every
//     form, and 400 too for the refresh-token form; such errors match
//     tokenkit.ErrInvalidCredential.
//   - Oracle's own toolkit renews a token by presenting it (no body) before
//     signing in again; RefreshTokenRequest.RenewWithAccessToken does the
//     same.
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
// Every failure is a *tokenkit.Error naming the vendor and, in Op, the
// method called ("ExchangePassword", "ExchangeRefreshToken", "Check",
// "Issue", …; an exchanger's error names the exchange it made). Invalid
// input is refused before anything is sent, with an error matching
// tokenkit.ErrInvalidInput that names the field.
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
