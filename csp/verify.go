package csp

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

// ErrInvalidToken matches a token that fails Verify: bad signature, unknown
// key, unsupported algorithm, expired, or not yet valid.
var ErrInvalidToken = fmt.Errorf("csp: access token failed verification (%w)", tokenkit.ErrAuth)

// PublicKey is the host's token-signing key (PublicKeyDto without format).
type PublicKey struct {
	Alg    string
	Issuer string
	PEM    string
	Key    *rsa.PublicKey
}

// JSONWebKey is one RSA key of the host's JWKS.
type JSONWebKey struct {
	Kid, Alg, Use string
	Key           *rsa.PublicKey
}

// PublicKey fetches the PEM-encoded token-signing key
// (GET /csp/gateway/am/api/auth/token-public-key).
func (c *Client) PublicKey(ctx context.Context) (*PublicKey, error) {
	const op = "GetTokenPublicKey"
	dto, err := call[api.PublicKeyDto](ctx, c, op, httpx.Idempotent, func(ctx context.Context) (*http.Response, error) {
		return c.api.GetTokenPublicKey(ctx, nil)
	})
	if err != nil {
		return nil, err
	}
	pk := &PublicKey{Alg: ptr.Deref(dto.Alg), Issuer: ptr.Deref(dto.Issuer), PEM: ptr.Deref(dto.Value)}
	key, err := parsePEM(pk.PEM)
	if err != nil {
		return nil, &tokenkit.Error{Vendor: vendor, Op: op, StatusCode: http.StatusOK, Message: "unusable public key", Err: fmt.Errorf("%w: %v", tokenkit.ErrInvalidResponse, err)}
	}
	pk.Key = key
	return pk, nil
}

// JWKS fetches the token-signing keys as a JSON Web Key Set
// (GET …/token-public-key?format=jwks). Keys other than RSA are skipped.
func (c *Client) JWKS(ctx context.Context) ([]JSONWebKey, error) {
	const op = "GetTokenPublicKey"
	format := api.GetTokenPublicKeyParamsFormatJwks
	dto, err := call[api.PublicKeyDto](ctx, c, op, httpx.Idempotent, func(ctx context.Context) (*http.Response, error) {
		return c.api.GetTokenPublicKey(ctx, &api.GetTokenPublicKeyParams{Format: &format})
	})
	if err != nil {
		return nil, err
	}
	var keys []JSONWebKey
	for _, k := range ptr.Deref(dto.Keys) {
		if ptr.Deref(k.Kty) != "RSA" {
			continue
		}
		key, err := rsaFromJWK(ptr.Deref(k.N), ptr.Deref(k.E))
		if err != nil {
			return nil, &tokenkit.Error{Vendor: vendor, Op: op, StatusCode: http.StatusOK, Message: "unusable JWK", Err: fmt.Errorf("%w: %v", tokenkit.ErrInvalidResponse, err)}
		}
		keys = append(keys, JSONWebKey{Kid: ptr.Deref(k.Kid), Alg: ptr.Deref(k.Alg), Use: ptr.Deref(k.Use), Key: key})
	}
	return keys, nil
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

func rsaFromJWK(n, e string) (*rsa.PublicKey, error) {
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
	return &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: exp}, nil
}

type keySet struct {
	byKid map[string]*rsa.PublicKey
	all   []*rsa.PublicKey
}

// signingKeys returns the cached keys, fetching them when absent, older than
// an hour, or when refresh is set (an unknown kid: the host rotated keys).
func (c *Client) signingKeys(ctx context.Context, refresh bool) (*keySet, error) {
	c.keysMu.Lock()
	ks, age := c.keys, c.keysAge
	c.keysMu.Unlock()
	if ks != nil && !refresh && c.tx.Now().Sub(age) < c.opts.keysCacheTime {
		return ks, nil
	}
	ks = &keySet{byKid: map[string]*rsa.PublicKey{}}
	jwks, err := c.JWKS(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range jwks {
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
	c.keysMu.Lock()
	c.keys, c.keysAge = ks, c.tx.Now()
	c.keysMu.Unlock()
	return ks, nil
}

// Verify checks an access token's signature against the host's published
// keys (fetched once and cached for an hour, refetched for an unknown key id)
// and its exp, nbf and iat against the clock, allowing the clock skew set with
// WithClockSkew. It returns the verified claims; a failure matches
// ErrInvalidToken.
func (c *Client) Verify(ctx context.Context, accessToken string) (*Claims, error) {
	const op = "VerifyAccessToken"
	bad := func(format string, args ...any) error {
		return &tokenkit.Error{Vendor: vendor, Op: op, Message: fmt.Sprintf(format, args...), Err: ErrInvalidToken}
	}
	p, err := splitJWT(accessToken)
	if err != nil {
		return nil, bad("not a JWT")
	}
	var h crypto.Hash
	switch p.header.Alg {
	case "RS256":
		h = crypto.SHA256
	case "RS384":
		h = crypto.SHA384
	case "RS512":
		h = crypto.SHA512
	default:
		return nil, bad("unsupported algorithm %q", p.header.Alg)
	}
	ks, err := c.signingKeys(ctx, false)
	if err != nil {
		return nil, err
	}
	if p.header.Kid != "" && ks.byKid[p.header.Kid] == nil && len(ks.byKid) > 0 {
		if ks, err = c.signingKeys(ctx, true); err != nil {
			return nil, err
		}
	}
	if !verifySig(ks, p, h) {
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
	}
	return cl, nil
}

func verifySig(ks *keySet, p *jwtParts, h crypto.Hash) bool {
	var digest []byte
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256([]byte(p.signed))
		digest = d[:]
	case crypto.SHA384:
		d := sha512.Sum384([]byte(p.signed))
		digest = d[:]
	default:
		d := sha512.Sum512([]byte(p.signed))
		digest = d[:]
	}
	candidates := ks.all
	if k := ks.byKid[p.header.Kid]; k != nil {
		candidates = []*rsa.PublicKey{k}
	}
	for _, k := range candidates {
		if rsa.VerifyPKCS1v15(k, h, digest, p.signature) == nil {
			return true
		}
	}
	return false
}
