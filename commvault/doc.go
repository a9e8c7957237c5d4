// Package commvault is the client of the Commvault Command Center REST API's
// login sessions and V4 access tokens: it logs in (POST /Login, with the
// password Base64-encoded for you), renews and ends sessions, and creates,
// lists, updates, deletes and renews access tokens, with the rotation safety
// Commvault's refresh tokens need.
//
// The shortest working use, a long-running program calling Commvault's
// REST API with an access token that stays fresh:
//
//	c, err := commvault.New("https://commandcenter.example.com/commandcenter/api")
//	if err != nil { … }
//	src, err := c.AccessTokenSource(commvault.SourceConfig{
//		Credentials: &commvault.Credentials{Username: "svc-backup", Password: tokenkit.Secret(os.Getenv("CV_PASSWORD"))},
//		OnRotate:    func(t *commvault.AccessToken) { save(t) }, // persist every new pair before it is used
//	})
//	if err != nil { … }
//	httpClient := tokenkit.NewClient(src, nil) // every request carries "Authtoken: <access token>"
//
// # Sessions and access tokens
//
// Login returns a *Session ("QSDK …", sent as Authtoken). Creating, updating
// and deleting access tokens needs a session: Commvault does not let an access
// token manage access tokens. Every such call takes its session as a
// tokenkit.TokenSource: a *Session (which is its own source) or a
// SessionSource, which logs in again when the session expires or is answered
// with 401. Manager adapts the calls to tokenkit.Issuer, tokenkit.Lister and
// tokenkit.Revoker; LoginExchanger and Rotator are tokenkit.Exchangers;
// Client is a tokenkit.Checker (WhoAmI) and a tokenkit.Renewer (one renewal
// of a pair; a Rotator serialises renewals of a shared pair).
// WhoAmI checks any session or access token you were given and names its
// user (POST /WhoAmI, the check Commvault's Python SDK makes).
//
// Login sends the documented body only. Commvault's Python SDK also sends
// mode 4 and clientType 30, and its Terraform provider mode 5; what these
// undocumented values mean is not published, the documented body logs in,
// so this package does not send them (openapi/commvault.yaml, LoginRequest).
//
// # Rotation safety
//
// Renewing an access token rotates the pair: the old refresh token is spent,
// and using a spent pair makes Commvault delete the whole create-and-renew
// chain. So: RenewAccessToken is never resent after its request may have
// reached the server (a lost answer is an error matching ErrOutcomeUnknown);
// a Rotator serialises renewals of one pair into one call, replaces the pair
// atomically, calls OnRotate with the new pair before anyone uses it, and
// refuses to renew a pair whose last renewal had an unknown outcome;
// AccessTokenSource builds on it and on tokenkit.Source, renews ahead of
// expiry, and falls back to creating a new token under a login session when
// the pair cannot be renewed.
//
// # Errors
//
// Commvault reports many failures inside HTTP 200: a failed login (errList),
// a refused create or update (error.errorCode != 0), a refused delete or list
// (a top-level errorCode != 0). All of them, like every non-2xx answer, are a
// *tokenkit.Error carrying Commvault's code and message, with an
// *ErrorResponse reachable through errors.As; never a zero value. A wrong
// password matches tokenkit.ErrInvalidCredential, a locked account
// ErrAccountLocked (not ErrInvalidCredential), a refused renewal
// tokenkit.ErrInvalidCredential, a renewal or creation whose answer was lost
// ErrOutcomeUnknown.
//
// # What the public documentation leaves open
//
// The wire format is in openapi/commvault.yaml, with a source for every fact.
// Where the documentation is silent or disagrees, this package picks the
// better-supported choice and lets you override it:
//
//   - The header an access token is presented in: the docs say
//     Authorization: Bearer, the OpenAPI pages Authtoken. Default Authtoken;
//     WithPresentation(PresentBearer) switches.
//   - The header of the renew call: the docs page Bearer, the OpenAPI page
//     Authtoken, Commvault's MCP server none. Default Authtoken;
//     WithRenewPresentation.
//   - The wire form of tokenType: the OpenAPI page lists names, Commvault's
//     Python SDK sends integers. Default integers; WithTokenTypeNames. Answers
//     are decoded in either form.
//   - Undocumented request fields seen only in vendor code (allowedIPs,
//     enableIPAllowListFeature, userId) are sent only when set.
//   - The SaaS login answer {"data":{"authToken"}} is accepted; its token is
//     presented as Authorization: Bearer ("added to the bearer token"),
//     which is unverified against a SaaS tenant (Session.Presentation).
//   - No token lifetime is assumed: expiries come from the answers'
//     timestamps, which are epoch seconds.
//   - Delete has no vendor reference page; its path, method and answer come
//     from Commvault's Python SDK.
//
// For tests, package commvaulttest is a stateful fake of this API.
package commvault
