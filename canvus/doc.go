// Package canvus is the client of the MultiTaction Canvus Server REST API
// for sign-in and personal access tokens: it signs a user in and out, lists,
// gets, creates, renames and deletes access tokens, streams their changes
// (?subscribe), and checks that a server is reachable (/server-info).
//
// The shortest working use, a bot that signs in once and creates a
// never-expiring access token for later runs:
//
//	c, err := canvus.New("https://canvus.example.com") // the origin; the client adds /api/v1
//	if err != nil { … }
//	login, err := c.Login(ctx, canvus.Credentials{Email: "bot@example.com", Password: tokenkit.Secret(os.Getenv("CANVUS_PASSWORD"))})
//	if err != nil { … }
//	toks, err := c.Tokens(tokenkit.StaticSource(login)) // the login's user
//	if err != nil { … }
//	pat, err := toks.Create(ctx, "nightly bot")
//	// pat.Value() is shown only now; send it as Private-Token from then on:
//	hc := tokenkit.NewClient(tokenkit.StaticSource(pat), nil)
//
// A long-running program uses c.LoginSource(cr, tokenkit.SourceConfig{})
// instead of tokenkit.StaticSource(login): the session is prolonged before
// it expires (with the token form of Login), and a token the server refuses
// is replaced. A token you already hold is wrapped with c.NewAccessToken.
//
// # Tokens and interfaces
//
// A Session lives for the server's session lifetime; an AccessToken never
// expires. Both implement tokenkit.Token and are sent as "Private-Token"
// (PrivateToken(); WithPresentation chooses otherwise).
// Tokens implements tokenkit.Issuer (Create; a Lifetime or Scopes is refused,
// since Canvus tokens have neither), tokenkit.Revoker (Delete) and
// tokenkit.Lister (List: name and creation time are reported, last use is
// not); Client implements tokenkit.Checker (an authenticated list of the
// token's own user, as Canvus has no /users/me), and LoginExchanger returns
// a tokenkit.Exchanger. There is no tokenkit.Renewer: access tokens never
// expire, and a login is renewed by logging in again, which a LoginSource
// does.
//
// Canvus paths name the user ({id} in /users/{id}/access-tokens) and the
// API has no /users/me, so Client.Tokens finds the user once, on first use:
// a login token carries it, an access token from Create or Import too, and
// a held access token whose user is unknown is asked for with the token
// form of sign-in (see Client.Tokens). Tokens.ForUser names the user, as an
// administrator managing another user's tokens does.
// Token ids are long base64 strings that may contain '/', '+' and '=':
// they are percent-encoded in paths.
//
// # Subscriptions
//
// Tokens.Subscribe and Tokens.SubscribeToken return an iter.Seq2[Event,
// error] over the newline-delimited JSON stream: a Snapshot first, then
// Created, Updated and Deleted events. The sequence ends when the context
// ends or the loop breaks, leaving no goroutine behind. The client's
// per-attempt timeout bounds only the wait for the headers; each frame is
// bounded by WithMaxFrameBytes (8 MiB), keep-alive lines are skipped, and
// WithStreamIdleTimeout notices a dead connection. There is no resume: after
// an error, subscribe again and start from the new Snapshot.
//
// # What the public docs leave open
//
// The wire format is in openapi/canvus.yaml, with a source for every fact
// and x-unverified where the sources are silent or disagree. Each open point
// is overridable here rather than guessed:
//
//   - Time zone. An access token's created_at has no zone
//     ("2021-07-02T06:38:36.025"). tokenkit reads it as UTC, which the
//     vendor's own examples suggest; WithTimeZone changes that.
//   - Session lifetime. Login does not return an expiry; "24 hours" comes
//     from the older docs, and by how much remember extends it is not
//     documented. WithSessionLifetime sets it.
//   - Subscribe form. The docs write "?subscribe", every public client sends
//     "?subscribe=true" (the default); WithBareSubscribe sends the former.
//   - Error statuses. Only the bodies ({"msg": …}, older {"message": …})
//     are documented, not the statuses; a wrong password matches
//     tokenkit.ErrInvalidCredential by its message whatever the status, and
//     a 403 that says the user is blocked matches tokenkit.ErrLocked (a
//     blocked user is Canvus's locked account).
//   - Frame limit and keep-alive interval (8 MiB and 15 seconds by default,
//     both configurable).
//
// # Errors and retries
//
// Every failure is a *tokenkit.Error whose Op is the method you called
// ("Login", "Check", "Issue", "List", …); the server's body is reachable as
// an *ErrorResponse with errors.As. Reads (list, get, subscribe), renames,
// deletions and sign-outs are retried like GETs after transport errors,
// 408, 429 and 5xx. Login and Create change state, so they are retried only
// when the request never reached the server or the server answered 429: a
// lost answer is an error, never a second token. A Delete or Logout whose
// retry finds the work already done (404 or 401) succeeds. When the token
// source is a *tokenkit.Source, a 401 invalidates the refused token and the
// call is made once more with a fresh one.
//
// # Secrets
//
// Passwords, login tokens and access tokens never appear in errors, log
// lines or fmt output: Session, AccessToken and Credentials (whose secrets
// are tokenkit.Secret) redact themselves, and everything the server echoes
// back is scrubbed.
//
// For tests, package canvustest is a stateful fake of this API.
package canvus
