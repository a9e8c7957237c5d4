package csp

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// ErrInvalidToken matches a token that fails Verify: too long, malformed, an
// algorithm other than RS256, an unknown key id, a bad signature, expired,
// not yet valid, or (when asked for) the wrong issuer or audience.
var ErrInvalidToken = tokenkit.Refine(tokenkit.ErrInvalidCredential, "csp: access token failed verification")

// Bounds on what Verify accepts from a token and from the host's key set.
// A token outside them fails with ErrInvalidToken; a key set outside them
// fails with tokenkit.ErrInvalidResponse, before any signature is checked.
const (
	// MaxTokenBytes is the longest access token Verify reads: 64 KiB. CSP's
	// access tokens are a few KiB; a longer string is refused before it is
	// decoded.
	MaxTokenBytes = 64 << 10
	// MaxKeys is the most keys the host's key set (JWKS) may hold. A host
	// rotates between two or three; a set of more is refused, so that no
	// answer can make a token without a kid cost more than MaxKeys
	// signature checks.
	MaxKeys = 32
	// MinRSAKeyBits is the shortest RSA modulus of a signing key accepted
	// (NIST SP 800-131A: 2048 bits). Shorter keys are forgeable in
	// practice.
	MinRSAKeyBits = 2048
	// MaxRSAKeyBits is the longest RSA modulus of a signing key accepted.
	// The cost of a signature check grows with the square of the modulus:
	// a 524,288-bit key took seconds per token.
	MaxRSAKeyBits = 8192
	// KeyRefetchInterval is the least time between two fetches of the key
	// set (on the client's clock, see tokenkit.WithClock). A token with a
	// kid the cached set lacks makes Verify fetch the set again only when
	// the last fetch is at least this old; otherwise it fails with "unknown
	// key id", so that made-up kids cannot hammer the host.
	KeyRefetchInterval = time.Minute
)

// keyFetchTimeout bounds a key fetch, which runs detached from the callers
// waiting for it.
const keyFetchTimeout = 2 * time.Minute

// PublicKey is the host's token-signing key (PublicKeyDto without format).
type PublicKey struct {
	// Alg is the signing algorithm the host names, such as RS256.
	Alg string
	// Issuer is the token issuer the host names.
	Issuer string
	// PEM is the key as the host sent it, PEM-encoded.
	PEM string
	// Key is the parsed RSA key.
	Key *rsa.PublicKey
}

// JSONWebKey is one RSA key of the host's JWKS.
type JSONWebKey struct {
	// Kid is the key id, which a token's header names.
	Kid string
	// Alg is the algorithm the key is for, such as RS256; empty if not
	// given.
	Alg string
	// Use is the key's use, "sig" for signing; empty if not given.
	Use string
	// Key is the parsed RSA key.
	Key *rsa.PublicKey
}

// PublicKey fetches the PEM-encoded token-signing key
// (GET /csp/gateway/am/api/auth/token-public-key). A key that is not RSA, or
// whose modulus is outside MinRSAKeyBits–MaxRSAKeyBits, is refused with
// tokenkit.ErrInvalidResponse.
func (c *Client) PublicKey(ctx context.Context) (*PublicKey, error) {
	const op = "PublicKey"
	dto, err := httpx.Call[api.PublicKeyDto](ctx, c.tx, &httpx.Op{Name: op, Class: httpx.Idempotent}, func(ctx context.Context) (*http.Response, error) {
		return c.api.GetTokenPublicKey(ctx, nil)
	})
	if err != nil {
		return nil, err
	}
	pk := &PublicKey{Alg: ptr.Deref(dto.Alg), Issuer: ptr.Deref(dto.Issuer), PEM: ptr.Deref(dto.Value)}
	key, err := parsePEM(pk.PEM)
	if err == nil {
		err = checkModulus(key.N)
	}
	if err != nil {
		return nil, keySetError(op, "unusable public key", err)
	}
	pk.Key = key
	return pk, nil
}

// JWKS fetches the token-signing keys as a JSON Web Key Set
// (GET …/token-public-key?format=jwks). Keys other than RSA are skipped. A
// set of more than MaxKeys keys, or an RSA key whose modulus is outside
// MinRSAKeyBits–MaxRSAKeyBits, is refused with tokenkit.ErrInvalidResponse.
func (c *Client) JWKS(ctx context.Context) ([]JSONWebKey, error) {
	const op = "JWKS"
	format := api.GetTokenPublicKeyParamsFormatJwks
	dto, err := httpx.Call[api.PublicKeyDto](ctx, c.tx, &httpx.Op{Name: op, Class: httpx.Idempotent}, func(ctx context.Context) (*http.Response, error) {
		return c.api.GetTokenPublicKey(ctx, &api.GetTokenPublicKeyParams{Format: &format})
	})
	if err != nil {
		return nil, err
	}
	dtoKeys := ptr.Deref(dto.Keys)
	if len(dtoKeys) > MaxKeys {
		return nil, keySetError(op, "refused key set", fmt.Errorf("it has %d keys, more than %d (csp.MaxKeys)", len(dtoKeys), MaxKeys))
	}
	var keys []JSONWebKey
	for _, k := range dtoKeys {
		if ptr.Deref(k.Kty) != "RSA" {
			continue
		}
		key, err := rsaFromJWK(ptr.Deref(k.N), ptr.Deref(k.E))
		if err != nil {
			return nil, keySetError(op, "unusable JWK", err)
		}
		keys = append(keys, JSONWebKey{Kid: ptr.Deref(k.Kid), Alg: ptr.Deref(k.Alg), Use: ptr.Deref(k.Use), Key: key})
	}
	return keys, nil
}

// keySetError reports a key set that breaks the rules as an invalid
// response.
func keySetError(op, msg string, err error) error {
	return &tokenkit.Error{Vendor: vendor, Op: op, StatusCode: http.StatusOK, Message: msg + ": " + err.Error(), Err: fmt.Errorf("%w: %v", tokenkit.ErrInvalidResponse, err)}
}

func parsePEM(s string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if pub, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		if k, ok := pub.(*rsa.PublicKey); ok {
			return k, nil
		}
		return nil, errors.New("not an RSA key")
	}
	return x509.ParsePKCS1PublicKey(block.Bytes)
}

// rsaFromJWK decodes a JWK's modulus and exponent. The modulus is measured
// before it is decoded, so that an oversized one costs nothing.
func rsaFromJWK(n, e string) (*rsa.PublicKey, error) {
	if len(n) > base64.RawURLEncoding.EncodedLen(MaxRSAKeyBits/8) {
		return nil, fmt.Errorf("RSA modulus of %d bytes, more than %d bits (csp.MaxRSAKeyBits)", base64.RawURLEncoding.DecodedLen(len(n)), MaxRSAKeyBits)
	}
	nb, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil || len(nb) == 0 {
		return nil, errors.New("bad modulus")
	}
	eb, err := base64.RawURLEncoding.DecodeString(e)
	if err != nil || len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("bad exponent")
	}
	exp := 0
	for _, b := range eb {
		exp = exp<<8 | int(b)
	}
	if exp < 3 {
		return nil, errors.New("bad exponent")
	}
	mod := new(big.Int).SetBytes(nb)
	if err := checkModulus(mod); err != nil {
		return nil, err
	}
	return &rsa.PublicKey{N: mod, E: exp}, nil
}

// checkModulus enforces MinRSAKeyBits–MaxRSAKeyBits and an odd modulus.
func checkModulus(n *big.Int) error {
	if bits := n.BitLen(); bits < MinRSAKeyBits || bits > MaxRSAKeyBits {
		return fmt.Errorf("RSA modulus of %d bits, outside %d–%d (csp.MinRSAKeyBits–csp.MaxRSAKeyBits)", bits, MinRSAKeyBits, MaxRSAKeyBits)
	}
	if n.Bit(0) == 0 {
		return errors.New("RSA modulus is even")
	}
	return nil
}

// keySet is the host's signing keys as Verify uses them.
type keySet struct {
	byKid map[string]*rsa.PublicKey
	all   []*rsa.PublicKey
}

// has reports whether the set can be searched for kid: a token without a
// kid, or a set without kids (a PEM key), is checked against every key.
func (ks *keySet) has(kid string) bool {
	return kid == "" || len(ks.byKid) == 0 || ks.byKid[kid] != nil
}

// keyCache holds the host's key set and runs at most one fetch of it at a
// time.
type keyCache struct {
	mu        sync.Mutex
	set       *keySet   // nil until a fetch succeeded
	fetchedAt time.Time // when set was fetched
	lastFetch time.Time // when the last fetch started, whatever came of it
	flight    *keyFlight
	waiters   int // callers waiting for flight (read by tests)
}

type keyFlight struct {
	done chan struct{}
	set  *keySet
	err  error
}

// signingKeys returns the key set to check a token with key id kid. It
// fetches the set when none is held; when the held set is older than the
// cache time or lacks kid, it fetches again only if the last fetch started
// at least KeyRefetchInterval ago, and otherwise returns the held set.
// Concurrent callers share one fetch, which runs on a context that no
// caller's cancellation aborts; a caller whose ctx ends stops waiting. A
// failed fetch is reported as a failure of op, the caller's operation.
func (c *Client) signingKeys(ctx context.Context, op, kid string) (*keySet, error) {
	kc := &c.keys
	now := c.tx.Now()
	kc.mu.Lock()
	f := kc.flight
	if f == nil {
		if set := kc.set; set != nil {
			fresh := now.Sub(kc.fetchedAt) < c.opts.keysCacheTime
			if (fresh && set.has(kid)) || now.Sub(kc.lastFetch) < KeyRefetchInterval {
				kc.mu.Unlock()
				return set, nil
			}
		}
		f = &keyFlight{done: make(chan struct{})}
		kc.flight, kc.lastFetch = f, now
		// The fetch keeps the caller's values (trace ids) but not its
		// cancellation: other callers may come to wait for it.
		go c.runKeyFetch(context.WithoutCancel(ctx), f)
	}
	kc.waiters++
	kc.mu.Unlock()
	defer func() {
		kc.mu.Lock()
		kc.waiters--
		kc.mu.Unlock()
	}()
	select {
	case <-f.done:
		if f.err != nil {
			return nil, keyFetchError(op, f.err)
		}
		return f.set, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// keyFetchError reports the failed key fetch err (shared by every caller
// waiting for it, and named after the JWKS or PublicKey call it made) as a
// failure of op, the operation the caller called: a copy, so that callers
// do not share one *tokenkit.Error.
func keyFetchError(op string, err error) error {
	te, ok := err.(*tokenkit.Error)
	if !ok {
		return err
	}
	cp := *te
	cp.Op = op
	cp.Message = "fetching the host's signing keys (" + te.Op + ")" + prefixed(te.Message)
	return &cp
}

// prefixed returns ": " + msg, or "" for an empty msg.
func prefixed(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

// runKeyFetch fetches the key set for flight f and publishes the result. A
// failed fetch keeps the set already held.
func (c *Client) runKeyFetch(ctx context.Context, f *keyFlight) {
	ctx, cancel := context.WithTimeout(ctx, keyFetchTimeout)
	set, err := c.fetchKeys(ctx)
	cancel()
	kc := &c.keys
	kc.mu.Lock()
	if err == nil {
		kc.set, kc.fetchedAt = set, c.tx.Now()
	}
	f.set, f.err = set, err
	kc.flight = nil
	kc.mu.Unlock()
	close(f.done)
}

// fetchKeys reads the JWKS, keeping the keys meant for RS256 signatures, and
// falls back to the PEM key when the JWKS has none.
func (c *Client) fetchKeys(ctx context.Context) (*keySet, error) {
	jwks, err := c.JWKS(ctx)
	if err != nil {
		return nil, err
	}
	ks := &keySet{byKid: map[string]*rsa.PublicKey{}}
	for _, k := range jwks {
		if (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue // an encryption key, or one for another algorithm
		}
		ks.all = append(ks.all, k.Key)
		if k.Kid != "" {
			ks.byKid[k.Kid] = k.Key
		}
	}
	if len(ks.all) == 0 {
		pk, err := c.PublicKey(ctx)
		if err != nil {
			return nil, err
		}
		ks.all = append(ks.all, pk.Key)
	}
	return ks, nil
}

// VerifyOption adds a check to one Verify call. It is opaque: build one
// with RequireIssuer or RequireAudience; a zero VerifyOption adds nothing.
type VerifyOption struct{ apply func(*verifyChecks) }

type verifyChecks struct {
	issuer    string
	audiences []string
	invalid   string // why an option was misused
}

// RequireIssuer makes Verify refuse a token whose iss claim is not exactly
// iss. vmware-tanzu/tanzu-cli takes CSP's issuer to be the host's URL
// followed by /csp/gateway/am/api, and PublicKey reports the issuer the host
// names; OIDC discovery names a different, parent issuer, so compare with a
// token you trust before you pin one. An empty iss makes Verify fail with
// tokenkit.ErrInvalidInput.
func RequireIssuer(iss string) VerifyOption {
	return VerifyOption{func(v *verifyChecks) {
		if iss == "" {
			v.invalid = "RequireIssuer with an empty issuer"
			return
		}
		v.issuer = iss
	}}
}

// RequireAudience makes Verify refuse a token whose aud claim names none of
// auds; a token without aud is refused. Calls add up: the token must name at
// least one of all the audiences given. Without an audience, or with an
// empty one, Verify fails with tokenkit.ErrInvalidInput.
func RequireAudience(auds ...string) VerifyOption {
	auds = slices.Clone(auds)
	return VerifyOption{func(v *verifyChecks) {
		if len(auds) == 0 || slices.Contains(auds, "") {
			v.invalid = "RequireAudience without an audience, or with an empty one"
			return
		}
		v.audiences = append(v.audiences, auds...)
	}}
}

// Verify checks an access token the way a service that receives CSP tokens
// must before trusting them, and returns its claims. It checks:
//
//   - the token is at most MaxTokenBytes long and a well-formed JWT;
//   - its alg is RS256 (never "none", HMAC or any other algorithm);
//   - its RS256 signature, against the host's published signing keys (the
//     key named by kid; every key when the token has no kid);
//   - exp (required), nbf and iat against the client's clock
//     (tokenkit.WithClock), allowing the skew set with WithClockSkew;
//   - with RequireIssuer, the iss claim; with RequireAudience, the aud
//     claim.
//
// It does not check, and the caller must when it matters: the issuer and
// audience unless asked to; the org (Claims.OrgID), perms, azp, sub or
// username; whether the token was revoked or its user deactivated (CSP
// documents no introspection of access tokens, so a signed, unexpired token
// stays valid until exp); replay (jti).
//
// The keys are fetched once and cached for an hour. Concurrent calls share
// one fetch. A kid the cached set lacks makes Verify fetch the set again at
// most once per KeyRefetchInterval; otherwise the token fails with "unknown
// key id". A key set of more than MaxKeys keys, or an RSA modulus outside
// MinRSAKeyBits–MaxRSAKeyBits, fails with tokenkit.ErrInvalidResponse. A
// failure of the token matches ErrInvalidToken (and tokenkit.ErrAuth).
func (c *Client) Verify(ctx context.Context, accessToken tokenkit.Secret, checks ...VerifyOption) (*Claims, error) {
	return c.verify(ctx, "Verify", accessToken, checks)
}

// verify is Verify for the operation op (Verify, Check, or an exchange
// WithVerification), which names its errors.
func (c *Client) verify(ctx context.Context, op string, accessToken tokenkit.Secret, checks []VerifyOption) (*Claims, error) {
	bad := func(format string, args ...any) error {
		return &tokenkit.Error{Vendor: vendor, Op: op, Message: fmt.Sprintf(format, args...), Err: ErrInvalidToken}
	}
	var want verifyChecks
	for _, o := range checks {
		if o.apply != nil {
			o.apply(&want)
		}
	}
	if want.invalid != "" {
		return nil, &tokenkit.Error{Vendor: vendor, Op: op, Message: want.invalid, Err: tokenkit.ErrInvalidInput}
	}
	if len(accessToken) > MaxTokenBytes {
		return nil, bad("token of %d bytes, longer than %d (csp.MaxTokenBytes)", len(accessToken), MaxTokenBytes)
	}
	p, err := splitJWT(accessToken.Reveal())
	if err != nil {
		return nil, bad("not a JWT")
	}
	if p.header.Alg != "RS256" {
		return nil, bad("unsupported algorithm %q: only RS256 is accepted", clip(p.header.Alg))
	}
	kid := p.header.Kid
	ks, err := c.signingKeys(ctx, op, kid)
	if err != nil {
		return nil, err
	}
	candidates := ks.all
	if kid != "" && len(ks.byKid) > 0 {
		k := ks.byKid[kid]
		if k == nil {
			return nil, bad("unknown key id %q: the host's key set does not have it (fetched again for an unknown kid at most once per %s)", clip(kid), KeyRefetchInterval)
		}
		candidates = []*rsa.PublicKey{k}
	}
	if !verifySig(candidates, p) {
		return nil, bad("signature does not verify")
	}
	now, skew, cl := c.tx.Now(), c.opts.skew, p.claims
	switch {
	case cl.ExpiresAt.IsZero():
		return nil, bad("token has no exp")
	case !now.Before(cl.ExpiresAt.Add(skew)):
		return nil, bad("token expired at %s", cl.ExpiresAt.Format(time.RFC3339))
	case !cl.NotBefore.IsZero() && now.Add(skew).Before(cl.NotBefore):
		return nil, bad("token not valid before %s", cl.NotBefore.Format(time.RFC3339))
	case !cl.IssuedAt.IsZero() && now.Add(skew).Before(cl.IssuedAt):
		return nil, bad("token issued in the future (%s)", cl.IssuedAt.Format(time.RFC3339))
	case want.issuer != "" && cl.Issuer != want.issuer:
		return nil, bad("issuer %q is not the required %q", clip(cl.Issuer), clip(want.issuer))
	case len(want.audiences) > 0 && !slices.ContainsFunc(cl.Audience, func(a string) bool { return slices.Contains(want.audiences, a) }):
		return nil, bad("audience %q names none of the required %q", clipAll(cl.Audience), clipAll(want.audiences))
	}
	return cl, nil
}

// clip shortens a value from a token for an error message.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}

// clipAll clips every value and keeps at most a few of them.
func clipAll(list []string) []string {
	const limit = 4
	out := make([]string, 0, min(len(list), limit+1))
	for i, s := range list {
		if i == limit {
			out = append(out, fmt.Sprintf("(%d more)", len(list)-limit))
			break
		}
		out = append(out, clip(s))
	}
	return out
}

// verifySig checks p's RS256 signature against each candidate key.
func verifySig(candidates []*rsa.PublicKey, p *jwtParts) bool {
	digest := sha256.Sum256([]byte(p.signed))
	for _, k := range candidates {
		if len(p.signature) == k.Size() && rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], p.signature) == nil {
			return true
		}
	}
	return false
}
