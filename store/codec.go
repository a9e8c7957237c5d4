package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
)

// Errors of the record encoding. None of them quotes a key, a token or the
// stored bytes.
var (
	// ErrNoKey matches a write refused because the Codec has no key and
	// was not told to store tokens in clear (Codec.Plaintext).
	ErrNoKey = errors.New("tokenkit/store: no encryption key: refusing to write a token in clear (set Codec.Keys, or Codec.Plaintext to opt out)")
	// ErrUnknownKey matches a record sealed under a key id the Keyring does
	// not have.
	ErrUnknownKey = errors.New("tokenkit/store: record sealed under a key not in the keyring")
	// ErrCorrupt matches a stored record that cannot be decoded or whose
	// seal does not verify (a wrong key, tampering, or another key's record).
	ErrCorrupt = errors.New("tokenkit/store: stored record is corrupt or sealed under another key")
)

// Key is one AES-256 key with its id. The id is written beside each record
// it seals, so keys can rotate: seal with the newest, keep the old ones in
// the Keyring until every record has been rewritten. Printing a Key never
// shows its bytes.
type Key struct {
	id     string
	secret []byte
}

// NewKey returns a key; secret must be 32 bytes (AES-256), id non-empty and
// printable. NewKey copies secret.
func NewKey(id string, secret []byte) (Key, error) {
	if id == "" || strings.ContainsAny(id, "\x00\n\r\t ") {
		return Key{}, fmt.Errorf("%w: key id must be non-empty, without spaces", tokenkit.ErrInvalidInput)
	}
	if len(secret) != 32 {
		return Key{}, fmt.Errorf("%w: key %q must be 32 bytes, got %d", tokenkit.ErrInvalidInput, id, len(secret))
	}
	return Key{id: id, secret: append([]byte(nil), secret...)}, nil
}

// ID returns the key's id.
func (k Key) ID() string { return k.id }

// String names the key without its bytes.
func (k Key) String() string { return "store.Key{id: " + strconv.Quote(k.id) + ", secret: REDACTED}" }

// GoString is String, for %#v.
func (k Key) GoString() string { return k.String() }

// Format writes String for every verb.
func (k Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue logs the id only.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// Keyring seals with its current key and opens records sealed under any of
// its keys.
type Keyring struct {
	current Key
	aeads   map[string]cipher.AEAD
}

// NewKeyring returns a keyring that seals with current and also opens
// records sealed under old keys.
func NewKeyring(current Key, old ...Key) (*Keyring, error) {
	r := &Keyring{current: current, aeads: map[string]cipher.AEAD{}}
	for _, k := range append([]Key{current}, old...) {
		if k.id == "" || len(k.secret) != 32 {
			return nil, fmt.Errorf("%w: keyring: a key was not made by NewKey", tokenkit.ErrInvalidInput)
		}
		if _, dup := r.aeads[k.id]; dup {
			return nil, fmt.Errorf("%w: keyring: key id %q given twice", tokenkit.ErrInvalidInput, k.id)
		}
		b, err := aes.NewCipher(k.secret)
		if err != nil {
			return nil, fmt.Errorf("%w: keyring: key %q", tokenkit.ErrInvalidInput, k.id)
		}
		g, err := cipher.NewGCM(b)
		if err != nil {
			return nil, fmt.Errorf("%w: keyring: key %q", tokenkit.ErrInvalidInput, k.id)
		}
		r.aeads[k.id] = g
	}
	return r, nil
}

// String names the keys without their bytes.
func (r *Keyring) String() string {
	if r == nil {
		return "store.Keyring(nil)"
	}
	ids := make([]string, 0, len(r.aeads))
	for id := range r.aeads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return "store.Keyring{current: " + strconv.Quote(r.current.id) + ", keys: " + strings.Join(ids, ",") + "}"
}

// GoString is String, for %#v.
func (r *Keyring) GoString() string { return r.String() }

// Format writes String for every verb.
func (r *Keyring) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// Codec turns a tokenkit.Record into the bytes a backend stores and back.
// The token is sealed with AES-256-GCM under the Keyring's current key, bound
// to the store key and the generation (a sealed token cannot be moved to
// another key or generation unnoticed); the protocol's bookkeeping
// (generation, expiry, claim) is stored beside it in clear. A Codec without
// Keys refuses to write unless Plaintext is set.
type Codec struct {
	// Keys seals and opens tokens.
	Keys *Keyring
	// Plaintext, with no Keys, stores tokens unencrypted: only for a store
	// that is itself encrypted and access-controlled.
	Plaintext bool
}

const formatName = "tokenkit-record"

type recordJSON struct {
	Format     string          `json:"format"`
	V          int             `json:"v"`
	Generation uint64          `json:"generation"`
	Expiry     *time.Time      `json:"expiry,omitempty"`
	Updated    *time.Time      `json:"updated,omitempty"`
	Claim      *claimJSON      `json:"claim,omitempty"`
	KeyID      string          `json:"kid,omitempty"`
	Sealed     []byte          `json:"sealed,omitempty"`
	Token      json.RawMessage `json:"token,omitempty"`
}

type claimJSON struct {
	Generation uint64    `json:"generation"`
	Fence      uint64    `json:"fence"`
	Holder     string    `json:"holder"`
	Deadline   time.Time `json:"deadline"`
}

func aad(key string, gen uint64) []byte {
	return []byte(formatName + "/1\x00" + key + "\x00" + strconv.FormatUint(gen, 10))
}

// Encode returns the stored form of r under key.
func (c Codec) Encode(key string, r tokenkit.Record) ([]byte, error) {
	j := recordJSON{Format: formatName, V: 1, Generation: r.Generation}
	if !r.Expiry.IsZero() {
		j.Expiry = &r.Expiry
	}
	if !r.Updated.IsZero() {
		j.Updated = &r.Updated
	}
	if r.Claim != nil {
		j.Claim = &claimJSON{r.Claim.Generation, r.Claim.Fence, r.Claim.Holder, r.Claim.Deadline}
	}
	if r.Token != nil {
		plain, err := r.Token.Encode()
		if err != nil {
			return nil, err
		}
		switch {
		case c.Keys != nil:
			g := c.Keys.aeads[c.Keys.current.id]
			nonce := make([]byte, g.NonceSize(), g.NonceSize()+len(plain)+g.Overhead())
			_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+)
			j.KeyID = c.Keys.current.id
			j.Sealed = g.Seal(nonce, nonce, plain, aad(key, r.Generation))
		case c.Plaintext:
			j.Token = plain
		default:
			return nil, ErrNoKey
		}
	}
	return json.Marshal(j)
}

// Decode reads what Encode wrote.
func (c Codec) Decode(key string, b []byte) (tokenkit.Record, error) {
	var j recordJSON
	if err := json.Unmarshal(b, &j); err != nil || j.Format != formatName {
		return tokenkit.Record{}, fmt.Errorf("%w: not a record", ErrCorrupt)
	}
	if j.V != 1 {
		return tokenkit.Record{}, fmt.Errorf("%w: record version %d is not supported", ErrCorrupt, j.V)
	}
	r := tokenkit.Record{Generation: j.Generation}
	if j.Expiry != nil {
		r.Expiry = *j.Expiry
	}
	if j.Updated != nil {
		r.Updated = *j.Updated
	}
	if j.Claim != nil {
		r.Claim = &tokenkit.Claim{Generation: j.Claim.Generation, Fence: j.Claim.Fence, Holder: j.Claim.Holder, Deadline: j.Claim.Deadline}
	}
	var plain []byte
	switch {
	case j.Sealed != nil:
		if c.Keys == nil {
			return tokenkit.Record{}, fmt.Errorf("%w: the record is sealed under key %q and the codec has no keyring", ErrUnknownKey, j.KeyID)
		}
		g, ok := c.Keys.aeads[j.KeyID]
		if !ok {
			return tokenkit.Record{}, fmt.Errorf("%w: key id %q", ErrUnknownKey, j.KeyID)
		}
		if len(j.Sealed) < g.NonceSize() {
			return tokenkit.Record{}, ErrCorrupt
		}
		p, err := g.Open(nil, j.Sealed[:g.NonceSize()], j.Sealed[g.NonceSize():], aad(key, j.Generation))
		if err != nil {
			return tokenkit.Record{}, fmt.Errorf("%w: seal does not verify under key %q", ErrCorrupt, j.KeyID)
		}
		plain = p
	case j.Token != nil:
		plain = j.Token
	}
	if plain != nil {
		e, err := tokenkit.DecodeExported(plain)
		if err != nil {
			return tokenkit.Record{}, err
		}
		r.Token = e
	}
	return r, nil
}
