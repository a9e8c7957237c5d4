package csp_test

// Attack reproductions for csp.Verify (issue 11, finding 4): a caller who
// controls the tokens handed to Verify, or a host that serves a hostile key
// set, must not make Verify hammer the key endpoint or burn CPU.

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/csp/csptest"
)

var b64 = base64.RawURLEncoding

// testKey is one RSA-2048 signing key shared by the tests of this file.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// fakeClock is a settable clock for tokenkit.WithClock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// jwk is one entry of a served key set.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func rsaJWK(kid string, k *rsa.PublicKey) jwk {
	return jwk{Kty: "RSA", Kid: kid, Alg: "RS256", Use: "sig", N: b64.EncodeToString(k.N.Bytes()), E: b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

// oddModulusJWK is a JWK whose modulus is an odd number of exactly bits bits:
// no real RSA key, but a key set only has to look like one.
func oddModulusJWK(kid string, bits int) jwk {
	n := make([]byte, (bits+7)/8)
	for i := range n {
		n[i] = 0xA5
	}
	n[0] = 1 << ((bits - 1) % 8) // the top bit is bit bits-1
	n[len(n)-1] |= 1
	return jwk{Kty: "RSA", Kid: kid, Alg: "RS256", Use: "sig", N: b64.EncodeToString(n), E: "AQAB"}
}

// keyHost is a loopback stand-in for a CSP host's token-public-key endpoint:
// it serves the key set the test sets, counts fetches and, while gated, holds
// every fetch until the gate opens.
type keyHost struct {
	srv *httptest.Server

	mu      sync.Mutex
	jwks    []jwk
	pem     string // the PEM answer without ?format=jwks
	fetches int
	gate    chan struct{}
}

func newKeyHost(t *testing.T, keys ...jwk) *keyHost {
	t.Helper()
	h := &keyHost{jwks: keys}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/csp/gateway/am/api/auth/token-public-key" {
			http.NotFound(w, r)
			return
		}
		h.mu.Lock()
		h.fetches++
		gate, keys, pemValue := h.gate, h.jwks, h.pem
		h.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("format") == "jwks" {
			_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"alg": "RS256", "issuer": "https://csp.test", "value": pemValue})
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *keyHost) Fetches() int { h.mu.Lock(); defer h.mu.Unlock(); return h.fetches }

func (h *keyHost) SetKeys(keys ...jwk) { h.mu.Lock(); h.jwks = keys; h.mu.Unlock() }

// Gate makes key fetches wait until the returned function is called.
func (h *keyHost) Gate() (open func()) {
	ch := make(chan struct{})
	h.mu.Lock()
	h.gate = ch
	h.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

func (h *keyHost) client(t *testing.T, opts ...tokenkit.Option) *csp.Client {
	t.Helper()
	c, err := csp.New(h.srv.URL, append([]tokenkit.Option{tokenkit.WithRetryMax(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// claimsAt are valid claims for a token issued at now.
func claimsAt(now time.Time) map[string]any {
	return map[string]any{"sub": "u-1", "iat": now.Unix(), "exp": now.Add(30 * time.Minute).Unix(), "iss": "https://csp.test/csp/gateway/am/api"}
}

// signJWT signs header and claims with key using alg (RS256, RS384, RS512 or
// HS256, the last keyed with hmacKey).
func signJWT(t *testing.T, alg string, key *rsa.PrivateKey, hmacKey []byte, header, claims map[string]any) string {
	t.Helper()
	h := map[string]any{"alg": alg, "typ": "JWT"}
	for k, v := range header {
		h[k] = v
	}
	hj, _ := json.Marshal(h)
	cj, _ := json.Marshal(claims)
	input := b64.EncodeToString(hj) + "." + b64.EncodeToString(cj)
	var sig []byte
	var err error
	switch alg {
	case "RS256":
		d := sha256.Sum256([]byte(input))
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	case "RS384":
		d := sha512.Sum384([]byte(input))
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA384, d[:])
	case "RS512":
		d := sha512.Sum512([]byte(input))
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA512, d[:])
	case "HS256":
		m := hmac.New(sha256.New, hmacKey)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	default: // "none" and friends: no signature
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64.EncodeToString(sig)
}

// (1) Tokens with made-up kids must not each trigger a key fetch: at most one
// fetch, plus one per minute of the client's clock.
func TestVerifyUnknownKidsDoNotHammerKeyEndpoint(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	fake := csptest.New(t)
	fake.SetClock(clock.Now)
	c, err := csp.New(fake.URL(), tokenkit.WithHTTPClient(fake.Client()), tokenkit.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(fake.AddAPIToken(csptest.APIToken{}))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Verify(ctx, tokenkit.Secret(tok.Value())); err != nil {
		t.Fatal(err)
	}
	// An attacker's tokens: well-formed, RS256, each with a new kid.
	forge := func(i int) string {
		return signJWT(t, "RS256", testKey(), nil, map[string]any{"kid": fmt.Sprintf("attacker-%d", i)}, claimsAt(clock.Now()))
	}
	var errs []error
	for i := range 100 {
		_, err := c.Verify(ctx, tokenkit.Secret(forge(i)))
		errs = append(errs, err)
	}
	if n := fake.Calls("GetTokenPublicKey"); n != 1 {
		t.Fatalf("key fetches after 100 unknown kids in the same minute = %d, want 1", n)
	}
	for i, err := range errs {
		if !errors.Is(err, csp.ErrInvalidToken) || !strings.Contains(err.Error(), "unknown key id") {
			t.Fatalf("token %d with an unknown kid: %v", i, err)
		}
	}
	clock.Advance(time.Minute)
	for i := range 100 {
		_, _ = c.Verify(ctx, tokenkit.Secret(forge(100+i)))
	}
	if n := fake.Calls("GetTokenPublicKey"); n != 2 {
		t.Fatalf("key fetches after a minute and 100 more unknown kids = %d, want 2", n)
	}
	// The genuine token still verifies from the cache, without a fetch.
	if _, err := c.Verify(ctx, tokenkit.Secret(tok.Value())); err != nil {
		t.Fatal(err)
	}
	if n := fake.Calls("GetTokenPublicKey"); n != 2 {
		t.Fatalf("key fetches = %d, want 2", n)
	}
}

// A real key rotation is picked up, once the refetch interval allows.
func TestVerifyPicksUpRotatedKeyAfterInterval(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	oldKey, newKey := testKey(), mustKey(t, 2048)
	h := newKeyHost(t, rsaJWK("old", &oldKey.PublicKey))
	c := h.client(t, tokenkit.WithClock(clock.Now))
	ctx := context.Background()
	if _, err := c.Verify(ctx, tokenkit.Secret(signJWT(t, "RS256", oldKey, nil, map[string]any{"kid": "old"}, claimsAt(clock.Now())))); err != nil {
		t.Fatal(err)
	}
	h.SetKeys(rsaJWK("old", &oldKey.PublicKey), rsaJWK("new", &newKey.PublicKey))
	clock.Advance(30 * time.Second)
	rotated := signJWT(t, "RS256", newKey, nil, map[string]any{"kid": "new"}, claimsAt(clock.Now()))
	if _, err := c.Verify(ctx, tokenkit.Secret(rotated)); !errors.Is(err, csp.ErrInvalidToken) || !strings.Contains(err.Error(), "unknown key id") {
		t.Fatalf("new kid within a minute of the last fetch: %v", err)
	}
	clock.Advance(30 * time.Second)
	if _, err := c.Verify(ctx, tokenkit.Secret(rotated)); err != nil {
		t.Fatalf("new kid a minute after the last fetch: %v", err)
	}
	if n := h.Fetches(); n != 2 {
		t.Fatalf("key fetches = %d, want 2", n)
	}
}

func mustKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// (2) Concurrent Verify calls on a cold cache share one key fetch.
func TestVerifyColdCacheConcurrentCallsShareOneFetch(t *testing.T) {
	t.Parallel()
	key := testKey()
	h := newKeyHost(t, rsaJWK("k1", &key.PublicKey))
	open := h.Gate()
	defer open()
	c := h.client(t)
	tok := signJWT(t, "RS256", key, nil, map[string]any{"kid": "k1"}, claimsAt(time.Now()))

	const callers = 50
	errs := make(chan error, callers)
	for range callers {
		go func() {
			_, err := c.Verify(context.Background(), tokenkit.Secret(tok))
			errs <- err
		}()
	}
	// Hold the first fetch until every caller waits for it, or until a
	// second fetch shows they do not share it.
	for deadline := time.Now().Add(20 * time.Second); csp.KeyFetchWaiters(c) < callers && h.Fetches() < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("callers waiting: %d, fetches: %d", csp.KeyFetchWaiters(c), h.Fetches())
		}
		time.Sleep(time.Millisecond)
	}
	open()
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := h.Fetches(); n != 1 {
		t.Fatalf("key fetches for %d concurrent callers on a cold cache = %d, want 1", callers, n)
	}
}

// A caller who gives up waiting does not abort the fetch the others wait for.
func TestVerifyCanceledCallerDoesNotAbortSharedFetch(t *testing.T) {
	t.Parallel()
	key := testKey()
	h := newKeyHost(t, rsaJWK("k1", &key.PublicKey))
	open := h.Gate()
	defer open()
	c := h.client(t)
	tok := signJWT(t, "RS256", key, nil, map[string]any{"kid": "k1"}, claimsAt(time.Now()))

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := c.Verify(ctx, tokenkit.Secret(tok)); first <- err }()
	for h.Fetches() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() { _, err := c.Verify(context.Background(), tokenkit.Secret(tok)); second <- err }()
	for deadline := time.Now().Add(20 * time.Second); csp.KeyFetchWaiters(c) < 2 && h.Fetches() < 2; {
		if time.Now().After(deadline) {
			t.Fatal("second caller never waited")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller: %v", err)
	}
	open()
	if err := <-second; err != nil {
		t.Fatalf("the other caller: %v", err)
	}
	if n := h.Fetches(); n != 1 {
		t.Fatalf("key fetches = %d, want 1", n)
	}
}

// (3) RSA moduli outside 2048–8192 bits are refused when the key set is
// read, before any RSA operation.
func TestVerifyRejectsKeySizesOutOfRange(t *testing.T) {
	t.Parallel()
	small := mustKey(t, 1024)
	for _, tc := range []struct {
		name string
		key  jwk
		ok   bool
	}{
		{"524288-bit", oddModulusJWK("k", 524288), false},
		{"8193-bit", oddModulusJWK("k", 8193), false},
		{"8192-bit", oddModulusJWK("k", 8192), true},
		{"4096-bit", oddModulusJWK("k", 4096), true},
		{"2048-bit", oddModulusJWK("k", 2048), true},
		{"2047-bit", oddModulusJWK("k", 2047), false},
		{"1024-bit real key", rsaJWK("k", &small.PublicKey), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newKeyHost(t, tc.key)
			c := h.client(t)
			keys, err := c.JWKS(context.Background())
			if tc.ok {
				if err != nil || len(keys) != 1 {
					t.Fatalf("JWKS: %d keys, %v", len(keys), err)
				}
				return
			}
			if !errors.Is(err, tokenkit.ErrInvalidResponse) || !strings.Contains(err.Error(), "bits") {
				t.Fatalf("JWKS: %v, want ErrInvalidResponse naming the size", err)
			}
			// Verify fails on the key set, not on the signature: no RSA
			// operation ran with the key.
			tok := signJWT(t, "RS256", small, nil, map[string]any{"kid": "k"}, claimsAt(time.Now()))
			if _, err := c.Verify(context.Background(), tokenkit.Secret(tok)); !errors.Is(err, tokenkit.ErrInvalidResponse) || errors.Is(err, csp.ErrInvalidToken) {
				t.Fatalf("Verify: %v, want ErrInvalidResponse", err)
			}
		})
	}

	t.Run("2048-bit real key verifies", func(t *testing.T) {
		t.Parallel()
		key := testKey()
		h := newKeyHost(t, rsaJWK("k", &key.PublicKey))
		if _, err := h.client(t).Verify(context.Background(), tokenkit.Secret(signJWT(t, "RS256", key, nil, map[string]any{"kid": "k"}, claimsAt(time.Now())))); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("1024-bit PEM key", func(t *testing.T) {
		t.Parallel()
		h := newKeyHost(t) // no JWKS keys: the PEM answer is used
		der, err := x509.MarshalPKIXPublicKey(&small.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		h.mu.Lock()
		h.pem = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		h.mu.Unlock()
		c := h.client(t)
		if _, err := c.PublicKey(context.Background()); !errors.Is(err, tokenkit.ErrInvalidResponse) {
			t.Fatalf("PublicKey: %v, want ErrInvalidResponse", err)
		}
		tok := signJWT(t, "RS256", small, nil, nil, claimsAt(time.Now()))
		if _, err := c.Verify(context.Background(), tokenkit.Secret(tok)); !errors.Is(err, tokenkit.ErrInvalidResponse) {
			t.Fatalf("Verify: %v, want ErrInvalidResponse", err)
		}
	})
}

// (4) A key set with more than MaxKeys keys is refused.
func TestVerifyRejectsTooManyKeys(t *testing.T) {
	t.Parallel()
	key := testKey()
	set := func(n int) []jwk {
		keys := []jwk{rsaJWK("k0", &key.PublicKey)}
		for i := 1; i < n; i++ {
			keys = append(keys, oddModulusJWK(fmt.Sprintf("k%d", i), 2048))
		}
		return keys
	}
	tok := signJWT(t, "RS256", key, nil, map[string]any{"kid": "k0"}, claimsAt(time.Now()))

	h := newKeyHost(t, set(csp.MaxKeys)...)
	if _, err := h.client(t).Verify(context.Background(), tokenkit.Secret(tok)); err != nil {
		t.Fatalf("%d keys: %v", csp.MaxKeys, err)
	}
	h = newKeyHost(t, set(csp.MaxKeys+1)...)
	c := h.client(t)
	if _, err := c.JWKS(context.Background()); !errors.Is(err, tokenkit.ErrInvalidResponse) {
		t.Fatalf("JWKS of %d keys: %v, want ErrInvalidResponse", csp.MaxKeys+1, err)
	}
	if _, err := c.Verify(context.Background(), tokenkit.Secret(tok)); !errors.Is(err, tokenkit.ErrInvalidResponse) || !strings.Contains(err.Error(), "keys") {
		t.Fatalf("Verify against %d keys: %v, want ErrInvalidResponse", csp.MaxKeys+1, err)
	}
}

// (6) Only RS256 is accepted: no "none", no HMAC keyed with the public key,
// no other algorithm even when correctly signed; and no key is fetched for a
// token refused on its header.
func TestVerifyAcceptsOnlyRS256(t *testing.T) {
	t.Parallel()
	key := testKey()
	h := newKeyHost(t, rsaJWK("k", &key.PublicKey))
	c := h.client(t)
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	claims := claimsAt(time.Now())
	for _, alg := range []string{"none", "None", "", "HS256", "RS384", "RS512", "PS256", "ES256", "rs256"} {
		tok := signJWT(t, alg, key, pubDER, map[string]any{"kid": "k"}, claims)
		if _, err := c.Verify(context.Background(), tokenkit.Secret(tok)); !errors.Is(err, csp.ErrInvalidToken) || !strings.Contains(err.Error(), "algorithm") {
			t.Errorf("alg %q: %v, want ErrInvalidToken naming the algorithm", alg, err)
		}
	}
	if n := h.Fetches(); n != 0 {
		t.Errorf("key fetches for refused algorithms = %d, want 0", n)
	}
	if _, err := c.Verify(context.Background(), tokenkit.Secret(signJWT(t, "RS256", key, nil, map[string]any{"kid": "k"}, claims))); err != nil {
		t.Fatalf("RS256: %v", err)
	}
}

// A token longer than MaxTokenBytes is refused before it is decoded, even
// when it is correctly signed.
func TestVerifyRejectsHugeToken(t *testing.T) {
	t.Parallel()
	key := testKey()
	h := newKeyHost(t, rsaJWK("k", &key.PublicKey))
	c := h.client(t)
	claims := claimsAt(time.Now())
	claims["pad"] = strings.Repeat("x", csp.MaxTokenBytes)
	tok := signJWT(t, "RS256", key, nil, map[string]any{"kid": "k"}, claims)
	if _, err := c.Verify(context.Background(), tokenkit.Secret(tok)); !errors.Is(err, csp.ErrInvalidToken) || !strings.Contains(err.Error(), "bytes") {
		t.Fatalf("token of %d bytes: %v", len(tok), err)
	}
	if n := h.Fetches(); n != 0 {
		t.Errorf("key fetches = %d, want 0", n)
	}
}

// (5) RequireIssuer and RequireAudience accept the right token and refuse
// the wrong one; without them Verify checks neither.
func TestVerifyIssuerAndAudience(t *testing.T) {
	t.Parallel()
	key := testKey()
	h := newKeyHost(t, rsaJWK("k", &key.PublicKey))
	c := h.client(t)
	const iss = "https://csp.test/csp/gateway/am/api"
	token := func(iss string, aud any) string {
		cl := claimsAt(time.Now())
		cl["iss"] = iss
		if aud != nil {
			cl["aud"] = aud
		}
		return signJWT(t, "RS256", key, nil, map[string]any{"kid": "k"}, cl)
	}
	for _, tc := range []struct {
		name   string
		tok    string
		checks []csp.VerifyOption
		want   error // nil: accepted
	}{
		{"no checks, any issuer", token("https://evil.test", nil), nil, nil},
		{"issuer matches", token(iss, nil), []csp.VerifyOption{csp.RequireIssuer(iss)}, nil},
		{"issuer differs", token("https://evil.test", nil), []csp.VerifyOption{csp.RequireIssuer(iss)}, csp.ErrInvalidToken},
		{"issuer is a prefix", token(iss+"/x", nil), []csp.VerifyOption{csp.RequireIssuer(iss)}, csp.ErrInvalidToken},
		{"issuer missing", token("", nil), []csp.VerifyOption{csp.RequireIssuer(iss)}, csp.ErrInvalidToken},
		{"audience string matches", token(iss, "svc-a"), []csp.VerifyOption{csp.RequireAudience("svc-a")}, nil},
		{"audience list matches", token(iss, []string{"svc-b", "svc-a"}), []csp.VerifyOption{csp.RequireAudience("svc-a")}, nil},
		{"one of the audiences matches", token(iss, "svc-c"), []csp.VerifyOption{csp.RequireAudience("svc-a"), csp.RequireAudience("svc-c")}, nil},
		{"audience differs", token(iss, []string{"svc-b"}), []csp.VerifyOption{csp.RequireAudience("svc-a")}, csp.ErrInvalidToken},
		{"audience missing", token(iss, nil), []csp.VerifyOption{csp.RequireAudience("svc-a")}, csp.ErrInvalidToken},
		{"both match", token(iss, "svc-a"), []csp.VerifyOption{csp.RequireIssuer(iss), csp.RequireAudience("svc-a")}, nil},
		{"audience matches, issuer does not", token("https://evil.test", "svc-a"), []csp.VerifyOption{csp.RequireIssuer(iss), csp.RequireAudience("svc-a")}, csp.ErrInvalidToken},
		{"empty issuer option", token(iss, nil), []csp.VerifyOption{csp.RequireIssuer("")}, tokenkit.ErrInvalidInput},
		{"empty audience option", token(iss, "svc-a"), []csp.VerifyOption{csp.RequireAudience()}, tokenkit.ErrInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := c.Verify(context.Background(), tokenkit.Secret(tc.tok), tc.checks...)
			switch {
			case tc.want == nil && (err != nil || cl == nil):
				t.Fatalf("refused: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
