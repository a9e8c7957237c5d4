package fakekit

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
)

// RandomBytes returns n random bytes (ids, tokens and secrets the fakes
// make up).
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string { return hex.EncodeToString(RandomBytes(n)) }

// RandomURLSafe returns n random bytes in unpadded URL-safe Base64.
func RandomURLSafe(n int) string { return base64.RawURLEncoding.EncodeToString(RandomBytes(n)) }
