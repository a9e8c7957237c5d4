// Package csp is the client of the VMware / Tanzu Cloud Services Platform
// (CSP) identity API: it exchanges an organization API token or an OAuth
// app's client credentials for a JWT access token, looks up API-token
// details, fetches the token-signing key and verifies access tokens.
//
// The shortest working use, a long-running program calling a VMware API:
//
//	c, err := csp.New(csp.CloudVMware)
//	if err != nil { … }
//	src, err := c.APITokenSource(csp.APITokenRequest{APIToken: tokenkit.Secret(os.Getenv("CSP_API_TOKEN"))}, tokenkit.SourceConfig{})
//	if err != nil { … } // an empty API token is refused here, before any call
//	httpClient := tokenkit.NewClient(src, nil) // every request carries a fresh access token
//
// New takes the origin of a CSP deployment (CloudVMware, TanzuBroadcom, or
// a csptest fake's URL), never a path: the client adds the API paths
// itself.
//
// # The flows
//
// Each credential has one request type and the same three ways in: a
// direct call (ExchangeAPIToken, ExchangeClientCredentials), an Exchanger
// for code written against tokenkit.Exchanger (APITokenExchanger,
// ClientCredentialsExchanger), and a cached Source (APITokenSource,
// ClientCredentialsSource). The exchanger and the source check the request
// when they are built. A token obtained elsewhere is wrapped with
// NewAccessToken.
//
// # What the API documents, and what it does not
//
// The wire format is in openapi/csp.yaml, with a source for every fact.
// Points the public material leaves open are overridable here rather than
// guessed: the header a downstream API wants (WithPresentation:
// tokenkit.Bearer(), the default, for CSP, TMC and most services;
// CSPAuthToken() for VMC; both at once for NSX on VMC), the client-credentials
// path (WithClientCredentialsPath: /auth/authorize or /auth/token), and the
// unit of API-token timestamps (WithDetailsTimeUnit: seconds or
// milliseconds). Cloud CSP documents no revoke or logout endpoint for access
// or API tokens, and no call that lists or issues them, so this package has
// no Tokens, Issuer, Lister or Revoker; it implements tokenkit.Exchanger
// through APITokenExchanger and ClientCredentialsExchanger, and
// tokenkit.Checker through Client (local verification of the JWT: CSP
// documents no introspection of access tokens).
// 429 and Retry-After are not documented for CSP; tokenkit honours them if
// they come.
//
// # Errors and retries
//
// Every failure is a *tokenkit.Error whose Op is the method called
// (ExchangeAPIToken, APITokenDetails, Verify, Check, …); CSP's own body is
// reachable as an *ErrorResponse with errors.As, and a rejected API token or client
// (invalid_grant, invalid_client) matches tokenkit.ErrInvalidCredential. The
// exchanges have no side effect, so they are retried like GETs after transport
// errors, 408, 429 and 5xx, with jittered backoff and a capped Retry-After.
// The HTTP status is checked before any decoding: an error body never becomes
// an empty token.
//
// # Verifying tokens
//
// A service that receives CSP access tokens checks them with Client.Verify:
//
//	claims, err := c.Verify(ctx, token, csp.RequireIssuer(issuer), csp.RequireAudience("my-service"))
//
// Verify accepts RS256 only, refuses tokens longer than MaxTokenBytes, and
// checks the signature and exp, nbf and iat. It checks the issuer and the
// audience only when asked (RequireIssuer, RequireAudience), and never the
// org, perms, azp or revocation: look at the returned Claims for those. The
// host's keys are cached for an hour and fetched by one call at a time; a
// token with an unknown kid makes Verify fetch them again at most once per
// KeyRefetchInterval. A key set of more than MaxKeys keys or with an RSA
// modulus outside MinRSAKeyBits–MaxRSAKeyBits is refused as
// tokenkit.ErrInvalidResponse.
//
// # Secrets
//
// API tokens, client secrets, passcodes and access tokens never appear in
// errors, log lines or fmt output: AccessToken and the request structs redact
// themselves, and everything the server echoes back is scrubbed.
//
// For tests, package csptest is a stateful fake of this API.
package csp
