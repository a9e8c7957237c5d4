// Package tokenkit is the common vocabulary of a Go SDK for the access-token
// APIs of five products: VMware/Tanzu CSP (package csp), Commvault,
// Oracle Content Management, Clone Guard and Canvus.
//
// Every vendor package returns tokens that implement Token and implements the
// capability interfaces its API supports (Exchanger, Issuer, Renewer,
// Checker, Revoker, Lister; see "Capabilities" below), so code that manages
// tokens across vendors is written once, with no type assertion and no
// vendor switch (see the package Example). Around them:
//
//   - Source caches a token, refreshes it ahead of expiry in the background,
//     and makes exactly one upstream call however many goroutines ask;
//   - Transport (and NewClient) authenticates every request with a token
//     from a Source and resends once after a 401;
//   - package xoauth2 adapts a Source to golang.org/x/oauth2 (apart, so that
//     this package does not import it);
//   - SharedSource shares one token between processes through a Store (a
//     file store in store/filestore, Redis in the nested module
//     store/redisstore): one exchange per lifetime however many replicas
//     run, and a rotating refresh credential is never sent twice;
//   - Exported is the one persisted form of every vendor's tokens (Export,
//     and each vendor's Import);
//   - Error is the one error type of every vendor; each has one Kind, and
//     the sentinels (ErrAuth, ErrInvalidCredential, ErrRateLimited, …) match
//     it by kind (see "Errors by kind" below);
//   - the Option functions (WithHTTPClient, WithLogger, WithRetryMax, …)
//     configure every vendor client the same way;
//   - Observer receives the lifecycle events of tokens (fetches, refreshes
//     ahead of expiry, invalidations, resends after a 401, retries), for
//     logs (LogObserver, WithLogger) and metrics and traces (the nested
//     module github.com/tokenkit/tokenkit/otel); a cached token emits none.
//
// The shortest working use, with the CSP package:
//
//	c, err := csp.New(csp.CloudVMware)
//	if err != nil { … }
//	src, err := c.APITokenSource(csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken)}, tokenkit.SourceConfig{})
//	if err != nil { … }
//	resp, err := tokenkit.NewClient(src, nil).Get("https://vmc.vmware.com/vmc/api/orgs")
//
// Secrets never print: tokens and Secret values redact themselves in String,
// GoString, Format and LogValue, and every log line and error passes one
// redactor.
//
// # One design, five vendors
//
// Every vendor package is the same design with the vendor's own nouns
// (internal/apicheck tests it):
//
//   - New(base, opts...) builds a *Client. base is the product's origin,
//     scheme://host[:port], and nothing else; the client adds its API path
//     (a base with a path is an error of kind KindConfig naming the origin
//     to give). Options name their vendor: another vendor's option is an
//     error too.
//   - Each credential flow F has two methods with one request type:
//     (*Client).FExchanger(req) returns a tokenkit.Exchanger, and
//     (*Client).FSource(req, cfg) a cached *Source. Both refuse an invalid
//     request at once, never at the first Token call.
//   - SourceConfig.Save persists every new token before any caller sees it;
//     a Save that fails keeps the token unused and unlost (ErrNotSaved), so a
//     rotated refresh credential is never lost.
//   - (*Client).NewAccessToken(HeldToken) wraps a token obtained elsewhere;
//     what the vendor's tokens cannot carry is refused, never dropped.
//   - (*Client).Tokens(auth) manages tokens (Issuer, Lister, Revoker, where
//     the vendor can); (*Client) itself is the Checker and the Renewer.
//   - WithPresentation(p...) says how a token travels (a Presentation:
//     header and prefix, checked by ValidatePresentations); each package
//     names the presentations its sources document as functions (Bearer
//     here, csp.CSPAuthToken, commvault.Authtoken, canvus.PrivateToken,
//     cgscan.LegacyBasic).
//   - Import rebuilds a token from its Exported form.
//   - Errors name the Go method the caller called (Error.Op).
//
// # Capabilities
//
// Which verb each vendor package implements, through which type, and why
// not where it cannot (a test checks this table against the packages'
// compile-time assertions):
//
//	| vendor | exchange | issue | renew | check | revoke | list |
//	|---|---|---|---|---|---|---|
//	| csp | yes: *Client.APITokenExchanger, *Client.ClientCredentialsExchanger | no: no documented call creates an API token | no: exchange the API token again (a Source does) | yes: *Client (local JWT verification: no introspection call exists) | no: no documented revoke call | no: no documented list call |
//	| commvault | yes: *Client.SessionExchanger, *Client.AccessTokenExchanger | yes: *Tokens | yes: *Client (one renewal; AccessTokenExchanger serialises them) | yes: *Client (WhoAmI) | yes: *Tokens | yes: *Tokens |
//	| oracle | yes: *Client.PasswordExchanger, *Client.RefreshTokenExchanger | yes: *Tokens (no name, lifetime or scopes) | yes: *Client | yes: *Client (/me) | no: the API has no revoke or logout call: a token lives until it expires | no: the API has no list call |
//	| cgscan | yes: *Client.SignInExchanger | yes: *Tokens (no name, lifetime or scopes) | no: no renew call: tokens do not expire; Issue replaces the token | yes: *Client (check_token) | yes: *Tokens (the current token only) | no: no list call: a user has one access token |
//	| canvus | yes: *Client.LoginExchanger | yes: *Tokens (no lifetime or scopes) | no: access tokens never expire; a login is renewed by logging in again (a Source does) | yes: *Client (an authenticated list of the token's own user) | yes: *Tokens | yes: *Tokens |
//
// Issue honours Lifetime and Scopes or fails with ErrInvalidInput naming the
// field. Check's answer is in its error: nil (the token works), Rejected
// (it does not) or any other error (the check could not tell). IDOf gives
// the id an issued token's Revoker takes. TokenInfo.Reported tells "never"
// from "unknown".
//
// # Errors by kind
//
// Every failure of every vendor is an *Error with one Kind (KindOf reads it
// from any error). Decide from the kind, never from status codes: a vendor
// that reports a failure inside HTTP 200 gives the same kind as its
// HTTP-status twin, and vendor sentinels sit under the root one they refine
// (commvault.ErrAccountLocked under ErrLocked, csp.ErrInvalidToken under
// ErrInvalidCredential, both under ErrAuth).
//
//	kind               sentinel              what to do                           produced by (examples)
//	canceled           ErrCanceled           nothing: you stopped it              your context cancelled or past its deadline (*)
//	transport          ErrTransport          retry later (Retryable)              no connection, attempt timeout, dropped answer of a call without side effects
//	outcome unknown    ErrOutcomeUnknown     look before retrying (list tokens)   lost answer of a create or renew; a redirect answering one
//	config             ErrConfig             fix the configuration                bad option or base URL, https to a plain-http server, bad certificate, a redirect
//	invalid input      ErrInvalidInput       fix the call's arguments             missing name, empty secret, a token that cannot be renewed
//	invalid response   ErrInvalidResponse    alert; retrying rarely helps         2xx that is not JSON or lacks the token; a token already expired on arrival
//	invalid credential ErrInvalidCredential  fix the credential; do not retry     wrong password, revoked API or refresh token (CSP 400 invalid_grant, Commvault errList)
//	locked             ErrLocked             wait or unlock; do not retry         Commvault isAccountLocked, an OCM account locked, a blocked Canvus user
//	unauthorized       ErrUnauthorized       re-authenticate (Transport does)     401 to a call presenting a token; Clone Guard second factor required
//	forbidden          ErrForbidden          get the permission                   403: another user's tokens
//	not found          ErrNotFound           treat as gone                        404 or 410; Commvault's in-200 "Access token not found"
//	conflict           ErrConflict           resolve the conflict                 409
//	rate limited       ErrRateLimited        retry after Error.RetryAfter         429 (past WithMaxRetryAfter, or past the deadline)
//	server             ErrServer             retry later                          5xx, 408
//	bad request        ErrBadRequest         fix the request                      any other 4xx
//
// (*) A call that creates or rotates state and was already in flight when
// its context ended is of kind outcome unknown instead (the server may have
// acted); it still matches the context's error.
//
// ErrAuth matches the four authentication kinds (invalid credential, locked,
// unauthorized, forbidden); ErrTransport matches transport and outcome
// unknown. Error.Retryable (and Kind.Retryable) is true only for transport,
// rate limited and server. A Source holds an authentication failure for
// SourceConfig.HoldCredentialFailure and backs off other failed fetches, so
// that a wrong password never reaches a vendor's lockout threshold.
package tokenkit
