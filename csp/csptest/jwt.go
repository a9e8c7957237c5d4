package csptest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"

	"github.com/tokenkit/tokenkit/csp/internal/api"
	"github.com/tokenkit/tokenkit/internal/ptr"
)

var b64 = base64.RawURLEncoding

// accessClaims are the claims of a CSP access token, as read by
// vmware-labs/marketplace-cli: internal/csp/claims.go and vmware-tanzu/tanzu-cli:
// pkg/auth/csp/token.go.
type accessClaims struct {
	Iss         string   `json:"iss"`
	Sub         string   `json:"sub"`
	Username    string   `json:"username,omitempty"`
	Domain      string   `json:"domain,omitempty"`
	Context     string   `json:"context"`
	ContextName string   `json:"context_name"`
	Perms       []string `json:"perms"`
	Azp         string   `json:"azp"`
	Iat         int64    `json:"iat"`
	Exp         int64    `json:"exp"`
	Jti         string   `json:"jti"`
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid"`
}

// signJWT returns the compact RS256 JWS of claims, signed with the server key.
func (s *Server) signJWT(claims accessClaims) string {
	h, err := json.Marshal(jwtHeader{Alg: "RS256", Typ: "JWT", Kid: s.kid})
	if err != nil {
		panic(err)
	}
	p, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		panic("csptest: sign JWT: " + err.Error())
	}
	return input + "." + b64.EncodeToString(sig)
}

// publicKeyPEM returns the key as a PEM "PUBLIC KEY" (PKIX) block.
func (s *Server) publicKeyPEM() string {
	der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// jwk returns the key as an RFC 7517 JSON Web Key.
func (s *Server) jwk() api.JsonWebKeyDto {
	n, e := jwkNE(&s.key.PublicKey)
	return api.JsonWebKeyDto{
		Kty: ptr.To("RSA"),
		Kid: ptr.To(s.kid),
		Alg: ptr.To("RS256"),
		Use: ptr.To("sig"),
		N:   ptr.To(n),
		E:   ptr.To(e),
	}
}

// jwkNE returns the base64url (unpadded, big-endian, minimal) modulus and
// exponent of k (RFC 7518 section 6.3.1).
func jwkNE(k *rsa.PublicKey) (n, e string) {
	return b64.EncodeToString(k.N.Bytes()), b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())
}

// jwkThumbprint returns the RFC 7638 SHA-256 thumbprint of k, base64url.
func jwkThumbprint(k *rsa.PublicKey) string {
	n, e := jwkNE(k)
	// RFC 7638: required members only, lexicographic order, no whitespace.
	sum := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
	return b64.EncodeToString(sum[:])
}
