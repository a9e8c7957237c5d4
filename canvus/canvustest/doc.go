// Package canvustest is a stateful fake of the MultiTaction Canvus Server
// API that package canvus calls: sign-in and sign-out, personal access
// tokens and their subscription streams, and /server-info. Use it in tests
// instead of a real server:
//
//	fake := canvustest.New(t)
//	fake.AddUser(canvustest.User{Email: "alice@example.com", Password: "pw"})
//	c, _ := canvus.New(fake.URL()) // the fake's origin; the client adds /api/v1
//	login, err := c.Login(ctx, canvus.Credentials{Email: "alice@example.com", Password: "pw"})
//	toks, err := c.Tokens(tokenkit.StaticSource(login))
//	pat, err := toks.Create(ctx, "ci bot")
//
// # What it models
//
//   - Users with passwords, administrators and blocked users (AddUser,
//     SetBlocked). Sign-in with {email, password, remember} or {token}; the
//     strict field check of the real server (any other field, such as
//     username, gives {"msg":"Login request must have either email and
//     password or token"}) and its "Invalid username or password." answer.
//   - Login sessions that expire on the injectable clock (SetClock,
//     SetSessionTTL; 24 hours by default); signing in with a login
//     token prolongs it and, by default, replaces it by a new one
//     (SetRotateOnTokenLogin). An access token may also sign its owner in.
//   - Access tokens per user, created, renamed and deleted through the API
//     or seeded with AddAccessToken. Ids are long standard-base64 strings,
//     like the real ones; routing works on the escaped path, so an id with
//     '/', '+' and '=' round-trips. created_at is written without a zone, in
//     UTC unless SetTimeZone says otherwise.
//   - Permissions: a user manages only their own tokens ({"msg":"Permission
//     denied"}, 403); an administrator manages anyone's.
//   - ?subscribe (bare or =true) on the list and get endpoints: the initial
//     state, then one JSON object per change made by any other request
//     (deletions carry "state":"deleted"), with blank keep-alive lines every
//     15 seconds (SetKeepAlive, or KeepAlive to send one now). SetSparseUpdates
//     makes updates carry only what changed.
//   - Errors as {"msg": …}, or the older {"message": …} (SetLegacyErrors).
//     Where no source shows the real status or wording, the fake's choice is
//     marked in the code; the content type of requests is not checked, since
//     the vendor's own curl examples send JSON as form data.
//
// Status codes and bodies were audited against what clients read: every
// success is 200 with a JSON body, create and delete included ("Success is
// 200 even for create and delete", Canvus docs), and logout answers a JSON
// object ({"msg": …}), never an empty body; 401 for wrong credentials or a
// missing, unknown or expired token, 403 for a blocked user or another
// user's tokens, 404 for an unknown user or token id. Doubled or trailing slashes are routed as the
// canonical path (fakes.Canonical).
//
// # Calls, Applied and the clock
//
// The Server embeds fakes.Server, whose methods are documented there. URL
// serves the API under APIPath as a Canvus Server does: pass it to
// canvus.New, which adds the API path itself. Subscriptions work over
// httptest, through Handler (with a ResponseWriter that flushes) and
// through the Responder, which streams through a pipe until the request's
// context ends, the body is closed or the Server is closed; Close ends
// every subscription. Calls, CallCounts and FailNextOp take the operation
// ids OpGetServerInfo, OpLogin, OpLogout, OpListAccessTokens,
// OpCreateAccessToken, OpGetAccessToken, OpRenameAccessToken and
// OpDeleteAccessToken. Applied counts the requests that really changed
// state: sign-ins (OpLogin: a new session or a prolonged token), sign-outs,
// creations, renames that changed a description, and deletions. The clock
// (SetClock) drives session expiry and creation times; keep-alive lines
// follow real time (SetKeepAlive, KeepAlive).
//
// # Faults
//
// In this fake, Status answers a {"msg": …} body (or {"message": …} with
// SetLegacyErrors), without acting; Malformed answers 200 with the truncated
// JSON body {"id":; HTML answers Status (default 503) with a text/html error
// page, as a reverse proxy in front of the server does; DropAfterApply
// serves the request, state change included (and counted by Applied), then
// loses the answer, except that a subscription applies nothing and is only
// dropped.
package canvustest
