package realclient

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

// CEC is the wire behaviour of Oracle's content toolkit CLI (cec) around
// tokens, as read in oracle/content-and-experience-toolkit at
// cd53cc87a13545fd4d486b30735a4e22f1e785d7:
//
//   - Signing in with the security-token API (server.useSecurityTokenAPI):
//     POST {server}/system/api/v1/security/token with only Authorization:
//     Basic base64(user:password), no body and no Content-Type; it needs
//     HTTP 200 and accessToken in the JSON (sites/test/server/serverUtils.js
//     _loginToPODServer).
//   - `cec refresh-oauth-token` posts to the same endpoint through
//     serverRest.js _executePost, which first sends GET
//     {server}/system/api/v1/csrfToken with X-Requested-With: XMLHttpRequest
//     and the same Authorization (serverUtils.js getSystemCSRFToken), then
//     the POST with X-REQUESTED-WITH: XMLHttpRequest, the Authorization
//     ("Bearer <saved token>" on a pw server that has one, Basic without),
//     and X-CSRF-TOKEN when the first call answered 200 with a token; no body.
//     It reads accessToken and expiresInMillis; without a new token it drops
//     the saved one and posts again with Basic (sites/bin/resource.js
//     refreshOAuthToken).
//
// server is the instance URL (the origin oracle.New takes). The replay fails t on
// the first answer cec would refuse and returns the access token it ends
// with.
func CEC(t testing.TB, c *http.Client, server, username, password string) string {
	t.Helper()
	server = strings.TrimSuffix(server, "/")
	tokenURL := server + "/system/api/v1/security/token"
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))

	st, _, login := send(t, c, http.MethodPost, tokenURL, map[string]string{"Authorization": basic}, nil)
	saved, _ := login["accessToken"].(string)
	if st != http.StatusOK || saved == "" {
		t.Fatalf("cec: sign-in answered %d without accessToken", st)
	}

	// refresh-oauth-token: csrfToken, then the token POST, with the saved
	// token.
	bearer := "Bearer " + saved
	st, _, csrf := send(t, c, http.MethodGet, server+"/system/api/v1/csrfToken",
		map[string]string{"X-Requested-With": "XMLHttpRequest", "Authorization": bearer}, nil)
	token, _ := csrf["token"].(string)
	expires, _ := csrf["expiresAt"].(string)
	if st != http.StatusOK || token == "" {
		t.Fatalf("cec: csrfToken answered %d without token", st)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", expires); err != nil {
		t.Fatalf("cec: csrfToken expiresAt %q is not ISO 8601 with milliseconds: %v", expires, err)
	}
	headers := map[string]string{"X-REQUESTED-WITH": "XMLHttpRequest", "Authorization": bearer, "X-CSRF-TOKEN": token}
	st, _, renewed := send(t, c, http.MethodPost, tokenURL, headers, nil)
	next, _ := renewed["accessToken"].(string)
	if st != http.StatusOK || next == "" || renewed["expiresInMillis"] == nil {
		t.Fatalf("cec: refresh-oauth-token answered %d without accessToken and expiresInMillis", st)
	}

	// The same POST with Basic, as cec sends it when the saved token no
	// longer works.
	headers["Authorization"] = basic
	if st, _, again := send(t, c, http.MethodPost, tokenURL, headers, nil); st != http.StatusOK || again["accessToken"] == nil {
		t.Fatalf("cec: refresh-oauth-token with Basic answered %d", st)
	}
	return next
}
