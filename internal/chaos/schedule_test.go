package chaos

import (
	"encoding/base64"
	"net/http"
	"testing"
)

// TestDecideIsPure checks what replays rely on: a request's fault depends
// only on the seed, the vendor, the operation id and the request's index.
func TestDecideIsPure(t *testing.T) {
	var seen [numKinds]int
	differ := false
	for n := range 5000 {
		id := "csp-3-" + string(rune('a'+n%26))
		a, b := decide(7, "csp", id, n), decide(7, "csp", id, n)
		if a != b {
			t.Fatalf("decide(7, csp, %s, %d) = %+v, then %+v", id, n, a, b)
		}
		if decide(8, "csp", id, n) != a {
			differ = true
		}
		seen[a.kind]++
	}
	if !differ {
		t.Error("another seed gave the same schedule")
	}
	for k, w := range faultWeights {
		if w > 0 && seen[k] == 0 {
			t.Errorf("fault %s never drawn in 5000 requests", kind(k))
		}
	}
	if seen[kLost] != 0 {
		t.Errorf("%s is an outcome, not a fault to draw", kLost)
	}
}

func TestSecretsFind(t *testing.T) {
	s := newSecrets()
	s.add("password", "pw-abcdefghijklmnop")
	s.add("session", "QSDK 0123456789abcdef0123456789abcdef0123")
	s.harvest(http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("u:basic-secret-1234"))}},
		[]byte(`{"refreshToken":"rt-zyxwvutsrqponmlk","name":"not a secret"}`))
	s.add("short", "abc") // too short to search for

	text := "a pw-abcdefghijklmnop b 0123456789abcdef0123456789abcdef0123 c basic-secret-1234 d rt-zyxwvutsrqponmlk e abc not a secret"
	found := s.find(text)
	for _, want := range []string{"pw-abcdefghijklmnop", "0123456789abcdef0123456789abcdef0123", "basic-secret-1234", "rt-zyxwvutsrqponmlk"} {
		if _, ok := found[want]; !ok {
			t.Errorf("%q not found in %q", want, text)
		}
	}
	if _, ok := found["not a secret"]; ok {
		t.Error("a field that holds no secret was searched for")
	}
	if got := s.find("…89abcdef0123456789abcdef0123 (the end of a token)"); len(got) != 1 {
		t.Errorf("the end of a long secret was not found: %v", got)
	}
	if got := s.find("nothing here"); len(got) != 0 {
		t.Errorf("found %v in a text without secrets", got)
	}
}
