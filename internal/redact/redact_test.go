package redact_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tokenkit/tokenkit/internal/redact"
)

func TestIsSensitive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want bool
	}{
		{"api_token", true},
		{"refreshToken", true},
		{"refresh_token", true},
		{"accessToken", true},
		{"id_token", true},
		{"Private-Token", true},
		{"x-api-key", true},
		{"X-API-Key", true},
		{"api_key", true},
		{"csp-auth-token", true},
		{"Authtoken", true},
		{"Authorization", true},
		{"Proxy-Authorization", true},
		{"Cookie", true},
		{"Set-Cookie", true},
		{"plain_token", true},
		{"token", true},
		{"password", true},
		{"newPassword", true},
		{"client_secret", true},
		{"tokenValue", true},
		{"otp_attempt", true},
		{"expires_in", false},
		{"scope", false},
		{"message", false},
		{"tokenName", false}, // not a suffix match
		{"token_type", false},
		{"client_id", false},
		{"Content-Type", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := redact.IsSensitive(tt.name); got != tt.want {
				t.Fatalf("IsSensitive(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestHeader(t *testing.T) {
	t.Parallel()
	h := http.Header{
		"Authorization":  {"Bearer abc.def.ghi"},
		"Cookie":         {"s=1", "t=2"},
		"X-Api-Key":      {"key-123"},
		"Csp-Auth-Token": {"csp-456"},
		"Private-Token":  {"glpat-789"},
		"Content-Type":   {"application/json"},
		"Accept":         {"a", "b"},
	}
	orig := h.Clone()
	got := redact.Header(h)
	for _, k := range []string{"Authorization", "Cookie", "X-Api-Key", "Csp-Auth-Token", "Private-Token"} {
		if v := got[k]; len(v) != 1 || v[0] != redact.Mask {
			t.Errorf("%s = %q, want masked", k, v)
		}
	}
	if got.Get("Content-Type") != "application/json" || !slices.Equal(got["Accept"], []string{"a", "b"}) {
		t.Errorf("plain headers changed: %v", got)
	}
	got["Accept"][0] = "changed"
	for k, v := range orig {
		if !slices.Equal(h[k], v) {
			t.Errorf("input header %s modified: %q", k, h[k])
		}
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		hidden  []string
		visible []string
	}{
		{"userinfo password", "https://alice:pa55word@example.com/x", []string{"pa55word"}, []string{"alice:" + redact.Mask + "@example.com/x"}},
		{"sensitive query", "https://example.com/t?api_token=abc123&x=1&refresh_token=rrr999", []string{"abc123", "rrr999"}, []string{"x=1", "api_token=" + redact.Mask}},
		{"plain query kept", "https://example.com/t?b=2&a=1", nil, []string{"?b=2&a=1"}},
		{"username only", "https://alice@example.com/", nil, []string{"alice@"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := redact.URL(u)
			for _, s := range tt.hidden {
				if strings.Contains(got, s) {
					t.Errorf("URL(%q) = %q shows %q", tt.in, got, s)
				}
			}
			for _, s := range tt.visible {
				if !strings.Contains(got, s) {
					t.Errorf("URL(%q) = %q lacks %q", tt.in, got, s)
				}
			}
			if u.String() != tt.in {
				t.Errorf("input URL modified: %q", u)
			}
		})
	}
	if redact.URL(nil) != "" {
		t.Error("URL(nil) != \"\"")
	}
}

func TestQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"a=1&b=2", "a=1&b=2"},
		{"access_token=xyz&scope=read", "access_token=" + redact.Mask + "&scope=read"},
		{"password=p1&password=p2", "password=" + redact.Mask + "&password=" + redact.Mask},
		{"token=abc&bad=%zz", redact.Mask}, // unparsable: masked whole
		{"", ""},
	}
	for _, tt := range tests {
		if got := redact.Query(tt.in); got != tt.want {
			t.Errorf("Query(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	tests := []struct {
		name    string
		in      string
		secrets []string
		hidden  []string
		visible []string
	}{
		{"jwt", "token was " + jwt + " ok", nil, []string{jwt, "eyJzdWIi"}, []string{"token was ", " ok"}},
		{"bearer", "got Authorization: Bearer xyzabc123456", nil, []string{"xyzabc123456"}, []string{"Bearer " + redact.Mask}},
		{"basic", "basic dXNlcjpwYXNz", nil, []string{"dXNlcjpwYXNz"}, nil},
		{"known secret", "value s3cr3t-value echoed", []string{"s3cr3t-value"}, []string{"s3cr3t-value"}, []string{"value " + redact.Mask}},
		{"short secret ignored", "abc abc", []string{"abc"}, nil, []string{"abc abc"}},
		// A secret that contains another is masked whole, whatever the order
		// of the list (Op.Secrets appends per attempt; it is not sorted).
		{"nested secrets", "refresh=abcd1234-EFGH-5678", []string{"abcd1234", "abcd1234-EFGH-5678"}, []string{"EFGH-5678"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := redact.Text(tt.in, tt.secrets)
			for _, s := range tt.hidden {
				if strings.Contains(got, s) {
					t.Errorf("Text = %q shows %q", got, s)
				}
			}
			for _, s := range tt.visible {
				if !strings.Contains(got, s) {
					t.Errorf("Text = %q lacks %q", got, s)
				}
			}
		})
	}
}

func TestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		secrets []string
		max     int
		hidden  []string
		visible []string
	}{
		{
			name:    "json nested",
			body:    `{"data":{"access_token":"AAA111","expires_in":3600,"scope":"read"},"items":[{"refreshToken":"RRR222"},{"password":12345678}],"api_token":["LLL333"]}`,
			hidden:  []string{"AAA111", "RRR222", "12345678", "LLL333"},
			visible: []string{`"expires_in":3600`, `"scope":"read"`, `"access_token":"REDACTED"`},
		},
		{
			name:    "json array top level",
			body:    ` [{"token":"TTT444"}] `,
			hidden:  []string{"TTT444"},
			visible: []string{`[{"token":"REDACTED"}]`},
		},
		{
			name:    "json message echoes a known secret",
			body:    `{"message":"bad key KKK-555-kkk"}`,
			secrets: []string{"KKK-555-kkk"},
			hidden:  []string{"KKK-555-kkk"},
			visible: []string{"bad key REDACTED"},
		},
		{
			name:    "form",
			body:    "access_token=FFF333&scope=read+write",
			hidden:  []string{"FFF333"},
			visible: []string{"scope=read+write"},
		},
		{
			name:    "plain text",
			body:    "error: token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl was sent as Bearer xyzabc123456 here",
			hidden:  []string{"eyJzdWIiOiIxMjM0In0", "xyzabc123456"},
			visible: []string{"error: token", "Bearer REDACTED"},
		},
		{
			name:    "html",
			body:    "<html><body>Bad Gateway</body></html>",
			visible: []string{"<html><body>Bad Gateway</body></html>"},
		},
		{
			// Cut by a size limit, or just broken: the sensitive JSON
			// values must still be masked.
			name:    "truncated json",
			body:    `{"access_token":"TRUNC-TOKEN-666","refresh_token":"TRUNC-REFRESH-777","padding":"xxxx`,
			hidden:  []string{"TRUNC-TOKEN-666", "TRUNC-REFRESH-777"},
			visible: []string{`"padding"`},
		},
		{
			name:   "json after a prefix",
			body:   `)]}'` + "\n" + `{"token":"XSSI-TOKEN-888"}`,
			hidden: []string{"XSSI-TOKEN-888"},
		},
		{
			name:    "empty",
			body:    "  \n ",
			visible: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := redact.Body([]byte(tt.body), tt.secrets, tt.max)
			for _, s := range tt.hidden {
				if strings.Contains(got, s) {
					t.Errorf("Body = %q shows %q", got, s)
				}
			}
			for _, s := range tt.visible {
				if !strings.Contains(got, s) {
					t.Errorf("Body = %q lacks %q", got, s)
				}
			}
		})
	}
}

func TestBodyTruncation(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("é", 100) // 2 bytes a rune
	for _, max := range []int{1, 2, 3, 9, 10, 11, 199} {
		got := redact.Body([]byte(body), nil, max)
		prefix, ok := strings.CutSuffix(got, "…(truncated)")
		if !ok || !utf8.ValidString(got) || len(prefix) > max || len(prefix) < max-1 || !strings.HasPrefix(body, prefix) {
			t.Errorf("Body(max %d) = %q", max, got)
		}
	}
	if got := redact.Body([]byte(body), nil, 0); len(got) > redact.DefaultExcerpt+len("…(truncated)") {
		t.Errorf("Body(max 0) is %d bytes", len(got))
	}
	if got := redact.Body([]byte(body), nil, 200); got != body {
		t.Errorf("Body(max 200) = %q, want the body whole", got)
	}
	if got := redact.Truncate("abc", 3); got != "abc" {
		t.Errorf("Truncate = %q", got)
	}
}

func TestRequestSecrets(t *testing.T) {
	t.Parallel()
	basic := base64.StdEncoding.EncodeToString([]byte("client-id-1:client-secret-1"))
	tests := []struct {
		name    string
		header  http.Header
		url     string
		body    string
		want    []string
		notWant []string
	}{
		{
			name:    "basic auth",
			header:  http.Header{"Authorization": {"Basic " + basic}, "Accept": {"application/json"}},
			want:    []string{"client-id-1", "client-secret-1", basic, "Basic " + basic},
			notWant: []string{"application/json"},
		},
		{
			name:   "bearer and vendor headers",
			header: http.Header{"Authorization": {"Bearer bbb-111"}, "Csp-Auth-Token": {"ccc-222"}, "X-Api-Key": {"kkk-333"}},
			want:   []string{"bbb-111", "ccc-222", "kkk-333"},
		},
		{
			name:    "query",
			url:     "https://example.com/t?access_token=qqq-444&page=2000",
			want:    []string{"qqq-444"},
			notWant: []string{"2000"},
		},
		{
			name:    "form body",
			body:    "grant_type=refresh_token&refresh_token=rrr-555&client_secret=sss-666&client_id=my-client",
			want:    []string{"rrr-555", "sss-666"},
			notWant: []string{"refresh_token", "my-client"},
		},
		{
			name:    "json body",
			body:    `{"username":"bob-the-user","password":"hunter22","nested":{"api_token":"aaa-777"},"list":[{"plain_token":"ppp-888"}],"refreshToken":"x"}`,
			want:    []string{"hunter22", "aaa-777", "ppp-888"},
			notWant: []string{"bob-the-user", "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var u *url.URL
			if tt.url != "" {
				var err error
				if u, err = url.Parse(tt.url); err != nil {
					t.Fatal(err)
				}
			}
			got := redact.RequestSecrets(tt.header, u, []byte(tt.body))
			for _, s := range tt.want {
				if !slices.Contains(got, s) {
					t.Errorf("RequestSecrets = %q lacks %q", got, s)
				}
			}
			for _, s := range tt.notWant {
				if slices.Contains(got, s) {
					t.Errorf("RequestSecrets = %q holds %q", got, s)
				}
			}
			for i := 1; i < len(got); i++ {
				if len(got[i]) > len(got[i-1]) {
					t.Errorf("RequestSecrets = %q not sorted longest first", got)
				}
			}
		})
	}
}

// FuzzRedactBody: a secret sent as the JSON string value of "token" never
// survives Body, whatever surrounds it; Body never panics.
func FuzzRedactBody(f *testing.F) {
	f.Add("", "tok-abcdef-123456", "}")
	f.Add(`{"a":1,"b":`, "0123456789", "}}")
	f.Add(`[`, "eyJhbGciOi.secret", "}]")
	f.Add(`{"token":{"x":1},"y":`, "REPLACED-VALUE", `},"z":"token"}`)
	f.Add("", "TRUNC-TOKEN-666", `,"padding":"xx`) // a body cut by the size limit
	f.Add("a=b&c=", "form-sec-123", "}")
	f.Fuzz(func(t *testing.T, prefix, secret, suffix string) {
		// Body never panics, whatever the input.
		_ = redact.Body([]byte(prefix+secret+suffix), []string{secret}, 0)
		_ = redact.Body([]byte(prefix+secret+suffix), nil, 7)

		q, err := json.Marshal(secret)
		if err != nil || len(secret) < 8 || !utf8.ValidString(secret) || string(q) != `"`+secret+`"` {
			return // the secret must appear as is, a JSON string needing no escapes
		}
		mid := `{"token":` + string(q)
		body := prefix + mid + suffix
		at := len(prefix) + len(`{"token":"`)
		if strings.Index(body, secret) != at || strings.LastIndex(body, secret) != at {
			return // the secret appears elsewhere too
		}
		// Redacting the same body with another value of the same length
		// shows what the surroundings produce by themselves.
		other := strings.Repeat("\x01", len(secret))
		ref := redact.Body([]byte(prefix+`{"token":"`+other+`"`+suffix), nil, 1<<20)
		if strings.Contains(ref, secret) {
			return
		}
		if got := redact.Body([]byte(body), nil, 1<<20); strings.Contains(got, secret) {
			t.Fatalf("Body(%q) = %q shows the token", body, got)
		}
	})
}

func TestNestedSecretsUnderSensitiveKeys(t *testing.T) {
	t.Parallel()
	body := []byte(`{"password":{"value":"p4ssw0rd-inner","n":[1,"x"]},"ok":"visible"}`)
	out := redact.Body(body, nil, 0)
	if strings.Contains(out, "p4ssw0rd-inner") || !strings.Contains(out, "visible") {
		t.Fatalf("Body = %s", out)
	}
	got := redact.RequestSecrets(nil, nil, body)
	if !slices.Contains(got, "p4ssw0rd-inner") {
		t.Fatalf("RequestSecrets = %v", got)
	}
}

func TestVariantsCoverEncodedForms(t *testing.T) {
	t.Parallel()
	const plain = "Summer2024!x"
	b64 := base64.StdEncoding.EncodeToString([]byte(plain))
	// A call that sent only the Base64 form learns the plain one too, and
	// the other way round, and the percent-encoded forms.
	for _, sent := range []string{plain, b64} {
		got := redact.Variants([]string{sent})
		for _, want := range []string{plain, b64, url.QueryEscape(plain)} {
			if !slices.Contains(got, want) {
				t.Errorf("Variants(%q) = %q, missing %q", sent, got, want)
			}
		}
	}
	// A random token is not decoded into binary junk.
	for _, v := range redact.Variants([]string{"AAECAwQFBgcICQ"}) {
		if strings.ContainsRune(v, 0) {
			t.Errorf("Variants decoded a binary form: %q", v)
		}
	}
}

func TestForDecodingUnescapesJSON(t *testing.T) {
	t.Parallel()
	const secret = "FOO-secret-123"
	body := []byte(`{"msg":"bad token \u0046OO-secret-123 and <b>","n":12345678901234567890}`)
	got := string(redact.ForDecoding(body, []string{secret}))
	if strings.Contains(got, secret) || !strings.Contains(got, "<b>") || !strings.Contains(got, "12345678901234567890") {
		t.Fatalf("ForDecoding = %s", got)
	}
	if got := string(redact.ForDecoding([]byte("plain "+secret), []string{secret})); strings.Contains(got, secret) {
		t.Fatalf("text: %s", got)
	}
}
