// Package redact removes secrets from everything tokenkit writes to a log,
// an error or fmt output. It is the one redactor every vendor package uses.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mask replaces every secret value.
const Mask = "REDACTED"

// DefaultExcerpt is how many bytes of a response body an error keeps.
const DefaultExcerpt = 512

// maxScan is how much of a body Body reads to build an excerpt.
const maxScan = 64 << 10

// exact holds the normalised names (lower case, no '-', '_' or '.') that are
// always secret, in headers, query and form fields and JSON keys.
var exact = map[string]bool{
	"authorization":      true,
	"proxyauthorization": true,
	"authtoken":          true,
	"privatetoken":       true,
	"cspauthtoken":       true,
	"xapikey":            true,
	"apikey":             true,
	"cookie":             true,
	"setcookie":          true,
	"password":           true,
	"passcode":           true,
	"tokenvalue":         true,
	"clientsecret":       true,
	"secret":             true,
	"otpattempt":         true,
	"otpsessionstate":    true,
	"recoverycode":       true,
}

// suffixes mark names such as api_token, refreshToken, plain_token or
// newPassword as secret.
var suffixes = []string{"token", "password", "secret", "passcode"}

func normalise(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// IsSensitive reports whether a header, query parameter, form field or JSON
// key of this name carries a secret.
func IsSensitive(name string) bool {
	n := normalise(name)
	if v, ok := exact[n]; ok {
		return v
	}
	for _, s := range suffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// Header returns a copy of h with the values of sensitive headers masked.
func Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if IsSensitive(k) {
			out[k] = []string{Mask}
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// URL renders u with any user-info password and the values of sensitive
// query parameters masked.
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), Mask)
		}
	}
	if c.RawQuery != "" {
		c.RawQuery = Query(c.RawQuery)
	}
	return c.String()
}

// Query masks the sensitive values of a URL-encoded query or form body.
// An unparsable string is masked whole.
func Query(raw string) string {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return Mask
	}
	changed := false
	for k, vs := range q {
		if IsSensitive(k) {
			for i := range vs {
				vs[i] = Mask
			}
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return q.Encode()
}

var (
	jwtRE    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	schemeRE = regexp.MustCompile(`(?i)\b(Bearer|Basic|QSDK)\s+[A-Za-z0-9._~+/=-]{6,}`)
)

// Text masks what looks like a credential in free text (a JWT, a
// "Bearer …" value) and every known secret value.
func Text(s string, secrets []string) string {
	secrets = append([]string(nil), secrets...)
	sort.SliceStable(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	s = maskPairs(s)
	s = jwtRE.ReplaceAllString(s, Mask)
	s = schemeRE.ReplaceAllString(s, "$1 "+Mask)
	return s
}

// Body returns a bounded excerpt of a request or response body with every
// secret masked: sensitive JSON keys and form fields, known secret values and
// credential-looking text. max <= 0 means DefaultExcerpt.
func Body(b []byte, secrets []string, max int) string {
	if max <= 0 {
		max = DefaultExcerpt
	}
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) > maxScan {
		// Only the start of a huge body can reach the excerpt: redacting
		// a megabyte to keep 512 bytes of it would cost megabytes. A
		// value cut at this point is still masked (maskPairs masks a
		// sensitive value up to the end of the text).
		trimmed = trimmed[:maxScan]
	}
	var s string
	switch {
	case len(trimmed) == 0:
		return ""
	case trimmed[0] == '{' || trimmed[0] == '[':
		var v any
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&v); err == nil {
			if out, err := json.Marshal(maskJSON(v)); err == nil {
				s = string(out)
				break
			}
		}
		s = string(trimmed)
	case looksLikeForm(trimmed):
		s = Query(string(trimmed))
	default:
		s = string(trimmed)
	}
	return Truncate(Text(s, secrets), max)
}

func looksLikeForm(b []byte) bool {
	if !bytes.Contains(b, []byte("=")) || bytes.ContainsAny(b, " \n\t<>{}") {
		return false
	}
	_, err := url.ParseQuery(string(b))
	return err == nil
}

func maskJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if IsSensitive(k) {
				t[k] = maskAll(t[k])
				continue
			}
			t[k] = maskJSON(t[k])
		}
		return t
	case []any:
		for i := range t {
			t[i] = maskJSON(t[i])
		}
		return t
	default:
		return v
	}
}

// ForDecoding returns body with every known secret and credential-looking
// string masked, for a vendor's error decoder. A JSON body is first
// re-encoded canonically, so that a secret the server echoed with JSON
// escapes ("\u0041…") is unescaped, found and masked too; anything else is
// masked as text.
func ForDecoding(body []byte, secrets []string) []byte {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		var v any
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			if enc.Encode(v) == nil {
				return []byte(Text(out.String(), secrets))
			}
		}
	}
	return []byte(Text(string(body), secrets))
}

// maskAll masks every scalar under a sensitive key, keeping the shape of
// objects and arrays so that an excerpt still shows what the body held.
func maskAll(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = maskAll(x)
		}
		return t
	case []any:
		for i := range t {
			t[i] = maskAll(t[i])
		}
		return t
	case nil:
		return nil
	default:
		return Mask
	}
}

// Truncate cuts s to at most max bytes on a rune boundary and marks the cut.
func Truncate(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(truncated)"
}

// RequestSecrets lists the secret values a request carries in its headers,
// its query and, for form and JSON bodies, its body, so that they can be
// scrubbed from anything the server echoes back.
func RequestSecrets(h http.Header, u *url.URL, body []byte) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 4 {
			out = append(out, s)
		}
	}
	for k, vs := range h {
		if !IsSensitive(k) {
			continue
		}
		for _, v := range vs {
			add(v)
			scheme, rest, ok := strings.Cut(v, " ")
			if !ok {
				continue
			}
			add(rest)
			if strings.EqualFold(scheme, "Basic") {
				if dec, err := base64.StdEncoding.DecodeString(rest); err == nil {
					user, pass, _ := strings.Cut(string(dec), ":")
					add(pass)
					add(user)
				}
			}
		}
	}
	if u != nil {
		for k, vs := range u.Query() {
			if IsSensitive(k) {
				for _, v := range vs {
					add(v)
				}
			}
		}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 {
		if trimmed[0] == '{' || trimmed[0] == '[' {
			var v any
			if json.Unmarshal(trimmed, &v) == nil {
				collectJSON(v, false, add)
			}
		} else if q, err := url.ParseQuery(string(trimmed)); err == nil {
			for k, vs := range q {
				if IsSensitive(k) {
					for _, v := range vs {
						add(v)
					}
				}
			}
		}
	}
	out = Variants(out)
	// Longest first, so that a secret containing another is masked whole.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// Variants returns secrets with the other forms in which each may come
// back from a server: its Base64 encoding, its Base64 decoding when it is
// Base64 of text (Commvault sends the password Base64-encoded; a server that
// echoes the plain password must not get it through), and its percent
// encodings. JSON escapes are undone before masking elsewhere.
func Variants(secrets []string) []string {
	out := make([]string, 0, len(secrets)*3)
	seen := make(map[string]bool, len(secrets)*3)
	add := func(s string) {
		if len(s) >= 4 && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	forms := func(s string) {
		add(s)
		add(base64.StdEncoding.EncodeToString([]byte(s)))
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
	}
	for _, s := range secrets {
		forms(s)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if dec, err := enc.DecodeString(s); err == nil && printable(dec) {
				forms(string(dec))
				break
			}
		}
	}
	return out
}

// printable reports whether b is text a person could have typed: valid
// UTF-8 with no control characters, at least 4 bytes long.
func printable(b []byte) bool {
	if len(b) < 4 || !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func collectJSON(v any, sensitive bool, add func(string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			collectJSON(x, sensitive || IsSensitive(k), add)
		}
	case []any:
		for _, x := range t {
			collectJSON(x, sensitive, add)
		}
	case string:
		if sensitive {
			add(t)
		}
	}
}

// pairKeyRE finds `"key":` in text that may be broken JSON (a body cut by the
// size limit, JSON after a prefix). It consumes only the key, so that a value
// that swallowed a quote cannot hide the next key.
var pairKeyRE = regexp.MustCompile(`"([A-Za-z0-9_.\- ]{1,64})"\s*:\s*`)

// maskPairs masks the scalar values of sensitive JSON-style pairs in text,
// up to the closing quote or the end of the text.
func maskPairs(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range pairKeyRE.FindAllStringSubmatchIndex(s, -1) {
		if m[0] < last || !IsSensitive(s[m[2]:m[3]]) {
			continue
		}
		start, end := m[1], m[1]
		switch {
		case end < len(s) && s[end] == '"':
			end++
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			end = min(end+1, len(s))
		default:
			for end < len(s) && !strings.ContainsRune(",}] \t\r\n\"{[", rune(s[end])) {
				end++
			}
		}
		if end == start {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(`"` + Mask + `"`)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
