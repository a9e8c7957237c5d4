package realclient

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// CVPySDK is the wire behaviour of Commvault's Python SDK, as read in
// Commvault/cvpysdk at 6094504640bdcd1807c4afc086488f8b09e4c000:
//
//   - Commcell() builds the web service URL "<host>/commandcenter/api/"
//     (a trailing slash) and first sends GET to it; it gives up unless the
//     answer is 200 (cvpysdk/commcell.py, cvpysdk/cvpysdk.py
//     _is_valid_service).
//   - Every request carries Accept: application/json and
//     Content-type: application/json (cvpysdk/commcell.py _headers).
//   - Login is POST "{base}Login" with {mode: 4, username, password:
//     base64, deviceId, clientType: 30}; success needs userName and token
//     in the answer (cvpysdk.py _login).
//   - Given an existing token instead, it checks it with POST
//     "{base}WhoAmI" and reads user.userName after checking that a
//     top-level errorCode is 0 or absent (cvpysdk.py who_am_i).
//   - The V4 access-token templates start with "/" (cvpysdk/services.py
//     '{0}/V4/AccessToken', '{0}/V4/AccessToken/?userId=%s',
//     '{0}/V4/AccessToken/Renew'), so the paths have a doubled slash, and
//     the list a trailing one (security/user.py).
//   - Create reads error.errorCode and tokenInfo; list a top-level
//     errorCode if present; renew a top-level errorCode and a flat body;
//     delete a top-level errorCode, which must be present (user.py).
//   - Logout is POST "{base}Logout" and returns the text of a 200.
//
// base is the API base URL without a trailing slash: the origin followed by
// the API path (commvaulttest's URL()+BasePath), as cvpysdk takes it;
// tokenkit's commvault.New takes the origin alone. The replay fails t on the first answer cvpysdk
// would refuse, and returns the name cvpysdk's who_am_i read.
func CVPySDK(t testing.TB, c *http.Client, base, username, password string) string {
	t.Helper()
	ws := strings.TrimSuffix(base, "/") + "/" // cvpysdk's web service URL
	host := ""
	if u, err := url.Parse(base); err == nil {
		host = u.Host
	}
	headers := map[string]string{"Host": host, "Accept": "application/json", "Content-type": "application/json"}

	if st, _, _ := send(t, c, http.MethodGet, ws, headers, nil); st != http.StatusOK {
		t.Fatalf("cvpysdk: GET %s answered %d; Commcell() needs 200", ws, st)
	}

	st, _, login := send(t, c, http.MethodPost, ws+"Login", headers, map[string]any{
		"mode": 4, "username": username, "password": base64.StdEncoding.EncodeToString([]byte(password)),
		"deviceId": "cvpysdk-host.example.com", "clientType": 30,
	})
	session, _ := login["token"].(string)
	if st != http.StatusOK || login["userName"] == nil || session == "" {
		t.Fatalf("cvpysdk: login answered %d without userName and token: %v", st, keys(login))
	}
	headers["Authtoken"] = session

	// The existing-token path: WhoAmI with the session.
	st, ct, who := send(t, c, http.MethodPost, ws+"WhoAmI", headers, nil)
	if st != http.StatusOK || !strings.Contains(ct, "application/json") || code(who["errorCode"]) != 0 {
		t.Fatalf("cvpysdk: WhoAmI answered %d %q errorCode %v", st, ct, who["errorCode"])
	}
	name, _ := nestedString(who, "user", "userName")
	if name == "" {
		t.Fatalf("cvpysdk: WhoAmI answer has no user.userName")
	}

	st, _, created := send(t, c, http.MethodPost, ws+"/V4/AccessToken", headers, map[string]any{"tokenName": "cvpysdk token", "tokenType": 2})
	errObj, _ := created["error"].(map[string]any)
	info, _ := created["tokenInfo"].(map[string]any)
	if st != http.StatusOK || errObj == nil || code(errObj["errorCode"]) != 0 || info == nil {
		t.Fatalf("cvpysdk: create answered %d error %v", st, errObj)
	}
	id := int64(code(info["accessTokenId"]))
	userID := int64(code(info["userId"]))
	access, _ := info["accessToken"].(string)
	refresh, _ := info["refreshToken"].(string)
	if id == 0 || access == "" || refresh == "" {
		t.Fatalf("cvpysdk: create answered no id, access or refresh token")
	}

	st, _, list := send(t, c, http.MethodGet, ws+"/V4/AccessToken/?userId="+strconv.FormatInt(userID, 10), headers, nil)
	if st != http.StatusOK || code(list["errorCode"]) != 0 {
		t.Fatalf("cvpysdk: list answered %d errorCode %v", st, list["errorCode"])
	}
	if toks, _ := list["tokens"].([]any); len(toks) != 1 {
		t.Fatalf("cvpysdk: list shows %d tokens, want 1", len(toks))
	}

	// A token given as "Bearer <access token>" is checked with WhoAmI too.
	bearer := map[string]string{"Accept": "application/json", "Content-type": "application/json", "Authtoken": "Bearer " + access}
	if st, _, who := send(t, c, http.MethodPost, ws+"WhoAmI", bearer, nil); st != http.StatusOK || code(who["errorCode"]) != 0 {
		t.Fatalf("cvpysdk: WhoAmI with an access token answered %d", st)
	}

	st, _, renewed := send(t, c, http.MethodPost, ws+"/V4/AccessToken/Renew", headers, map[string]any{"accessToken": access, "refreshToken": refresh})
	if st != http.StatusOK || code(renewed["errorCode"]) != 0 || renewed["accessToken"] == nil || renewed["refreshToken"] == nil {
		t.Fatalf("cvpysdk: renew answered %d errorCode %v", st, renewed["errorCode"])
	}
	st, _, deleted := send(t, c, http.MethodDelete, ws+"/V4/AccessToken/"+strconv.FormatInt(id, 10), headers, nil)
	if _, present := deleted["errorCode"]; st != http.StatusOK || !present || code(deleted["errorCode"]) != 0 {
		t.Fatalf("cvpysdk: delete answered %d errorCode %v (present %t); cvpysdk reads response.json()['errorCode']", st, deleted["errorCode"], present)
	}

	// The spent pair again (its token is gone): cvpysdk reports a failure,
	// whether it comes as a 4xx or inside HTTP 200.
	if st, _, again := send(t, c, http.MethodPost, ws+"/V4/AccessToken/Renew", headers, map[string]any{"accessToken": access, "refreshToken": refresh}); st == http.StatusOK && code(again["errorCode"]) == 0 {
		t.Fatalf("cvpysdk: a spent pair renewed")
	}

	if st, _, _ := send(t, c, http.MethodPost, ws+"Logout", headers, nil); st != http.StatusOK {
		t.Fatalf("cvpysdk: logout answered %d", st)
	}
	return name
}

// send sends one request as Python requests does (json= sets the body;
// headers as given, Host included) and returns the status, the
// Content-Type and the body decoded as a JSON object (nil if it is not one).
func send(t testing.TB, c *http.Client, method, u string, headers map[string]string, body any) (int, string, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if strings.EqualFold(k, "Host") {
			if v != "" {
				req.Host = v
			}
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, u, err)
	}
	ct := resp.Header.Get("Content-Type")
	var m map[string]any
	if mt, _, _ := mime.ParseMediaType(ct); mt == "application/json" {
		_ = json.Unmarshal(raw, &m)
	}
	return resp.StatusCode, ct, m
}

// code reads a JSON number (0 when absent or not a number).
func code(v any) float64 {
	f, _ := v.(float64)
	return f
}

func nestedString(m map[string]any, path ...string) (string, bool) {
	var cur any = m
	for _, p := range path {
		o, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		cur = o[p]
	}
	s, ok := cur.(string)
	return s, ok
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
