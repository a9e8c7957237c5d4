// Package commvault is the client of the Commvault Command Center REST API's
// login sessions and V4 access tokens: it logs in (POST /Login, with the
// password Base64-encoded for you), renews and ends sessions, and creates,
// lists, updates, deletes and renews access tokens, with the rotation safety
// Commvault's refresh tokens need.
//
// The shortest working use, a long-running program calling Commvault's
// REST API with an access token that stays fresh:
//
//	c, err := commvault.New("https://commandcenter.example.com") // the origin: the client adds /commandcenter/api
//	if err != nil { … }
//	src, err := c.AccessTokenSource(commvault.AccessTokenRequest{
//		Credentials: &commvault.Credentials{Username: "svc-backup", Password: tokenkit.Secret(os.Getenv("CV_PASSWORD"))},
//	}, tokenkit.SourceConfig{
//		Save: func(ctx context.Context, t tokenkit.Token) error { return store(ctx, t) }, // persist every new pair before it is used
//	})
//	if err != nil { … }
//	httpClient := tokenkit.NewClient(src, nil) // every request carries "Authtoken: <access token>"
//
// New takes the product's origin; the API path is "/commandcenter/api"
// unless WithAPIPath selects the older "/webconsole/api". A URL that already
// has the API path (what earlier versions of this package took) is refused
// with an error naming the origin to give.
//
// # Sessions and access tokens
//
// Login returns a *Session ("QSDK …", sent as Authtoken). Creating, updating
// and deleting access tokens needs a session: Commvault does not let an access
// token manage access tokens. Every such call takes its session as a
// tokenkit.TokenSource: a *Session (which is its own source) or a
// SessionSource, which logs in again when the session expires or is answered
// with 401. Client.Tokens adapts the calls to tokenkit.Issuer,
// tokenkit.Lister and tokenkit.Revoker; SessionExchanger and
// AccessTokenExchanger are the tokenkit.Exchangers of the two flows, and
// SessionSource and AccessTokenSource their cached sources; Client is a
// tokenkit.Checker (WhoAmI) and a tokenkit.Renewer (one renewal of a pair).
// NewAccessToken and NewSession wrap tokens obtained elsewhere.
// WhoAmI checks any session or access token you were given and names its
// user (POST /WhoAmI, the check Commvault's Python SDK makes).
//
// Errors name the method you called (tokenkit.Error.Op): "Issue" from
// Tokens.Issue, "Check" from Check, "CreateAccessToken" from
// CreateAccessToken; the calls an exchanger or source makes on its own are
// named after the methods that make the same call ("Login",
// "RenewAccessToken", "CreateAccessToken", "RenewLogin").
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
// an AccessTokenExchanger keeps the chain's newest pair itself, serialises
// renewals of it into one call, and refuses to renew a pair whose last
// renewal had an unknown outcome; AccessTokenSource builds on it and on
// tokenkit.Source, renews ahead of expiry, hands every new pair to
// SourceConfig.Save before anyone uses it (a failed Save holds the pair,
// unlost and unused, and saves it again instead of renewing), and falls back
// to creating a new token under a login session when the pair cannot be
// renewed.
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
//     Authorization: Bearer, the OpenAPI pages Authtoken. Default
//     Authtoken(); WithPresentation(tokenkit.Bearer()) switches, and
//     WithPresentation(Authtoken(), tokenkit.Bearer()) sends both.
//   - The header of the renew call: the docs page Bearer, the OpenAPI page
//     Authtoken, Commvault's MCP server none. Default Authtoken();
//     WithRenewPresentation(tokenkit.Bearer()), or WithRenewPresentation()
//     for none.
//   - The API root: "/commandcenter/api" (every curl example of the API
//     reference); from 2024E "/webconsole/api" redirects there, and older
//     servers and clients still use it: WithAPIPath(LegacyAPIPath).
//   - The wire form of tokenType: the OpenAPI page lists names, Commvault's
//     Python SDK sends integers. Default integers; WithTokenTypeNames. Answers
//     are decoded in either form.
//   - Undocumented request fields seen only in vendor code (allowedIPs,
//     enableIPAllowListFeature, userId) are sent only when set.
//   - The SaaS login answer {"data":{"authToken"}} is accepted; its token is
//     presented as Authorization: Bearer ("added to the bearer token"),
//     which is unverified against a SaaS tenant.
//   - No token lifetime is assumed: expiries come from the answers'
//     timestamps, which are epoch seconds.
//   - Delete has no vendor reference page; its path, method and answer come
//     from Commvault's Python SDK.
//
// For tests, package commvaulttest is a stateful fake of this API.
package commvault
