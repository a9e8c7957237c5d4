package fakekit

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
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

// RandomUUID returns a random RFC 9562 version 4 UUID.
func RandomUUID() string {
	b := RandomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
