package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/store"
)

const tokenValue = "the-token-value-1234"

func key(t *testing.T, id string, b byte) store.Key {
	t.Helper()
	k, err := store.NewKey(id, bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func record(t *testing.T) tokenkit.Record {
	t.Helper()
	e, _ := tokenkit.NewBearerToken(tokenValue, time.Now().Add(time.Hour)).Export()
	return tokenkit.Record{Token: e, Expiry: e.Expiry, Updated: time.Now(), Generation: 3,
		Claim: &tokenkit.Claim{Generation: 3, Fence: 9, Holder: "h:1", Deadline: time.Now()}}
}

func TestCodecSealsAndRotates(t *testing.T) {
	t.Parallel()
	k1, k2 := key(t, "k1", 1), key(t, "k2", 2)
	old, _ := store.NewKeyring(k1)
	b, err := store.Codec{Keys: old}.Encode("csp/org", record(t))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(tokenValue)) || !bytes.Contains(b, []byte(`"kid":"k1"`)) {
		t.Fatalf("sealed record: %s", b)
	}
	rotated, _ := store.NewKeyring(k2, k1)
	r, err := store.Codec{Keys: rotated}.Decode("csp/org", b)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := tokenkit.ImportBearer(r.Token)
	if tok.Value() != tokenValue || r.Generation != 3 || r.Claim == nil || r.Claim.Fence != 9 {
		t.Fatalf("decoded %+v", r)
	}
	b2, _ := store.Codec{Keys: rotated}.Encode("csp/org", r)
	if !bytes.Contains(b2, []byte(`"kid":"k2"`)) {
		t.Fatal("a rotated keyring must seal with its current key")
	}

	newOnly, _ := store.NewKeyring(k2)
	if _, err := (store.Codec{Keys: newOnly}).Decode("csp/org", b); !errors.Is(err, store.ErrUnknownKey) {
		t.Fatalf("record of a retired key: %v", err)
	}
	if _, err := (store.Codec{Keys: old}).Decode("another/key", b); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("record moved to another key: %v", err)
	}
	wrong, _ := store.NewKeyring(key(t, "k1", 7))
	if _, err := (store.Codec{Keys: wrong}).Decode("csp/org", b); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("record under a wrong key of the same id: %v", err)
	}
	if _, err := (store.Codec{}).Decode("csp/org", b); !errors.Is(err, store.ErrUnknownKey) {
		t.Fatalf("sealed record without a keyring: %v", err)
	}
}

func TestCodecWithoutKeyRefusesUnlessOptedOut(t *testing.T) {
	t.Parallel()
	if _, err := (store.Codec{}).Encode("k", record(t)); !errors.Is(err, store.ErrNoKey) {
		t.Fatalf("err = %v, want ErrNoKey", err)
	}
	b, err := store.Codec{Plaintext: true}.Encode("k", record(t))
	if err != nil || !bytes.Contains(b, []byte(tokenValue)) {
		t.Fatalf("plaintext opt-out: %v", err)
	}
	if _, err := (store.Codec{}).Encode("k", tokenkit.Record{Generation: 1}); err != nil {
		t.Fatalf("a record without a token needs no key: %v", err)
	}
}

func TestKeysNeverPrint(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	k, _ := store.NewKey("k", secret)
	r, _ := store.NewKeyring(k)
	out := fmt.Sprintf("%v %+v %#v %s %v %+v %#v", k, k, k, k, r, r, r)
	if strings.Contains(out, string(secret)) || strings.Contains(out, fmt.Sprint(secret)) || strings.Contains(out, "0x30") {
		t.Fatalf("a key printed its bytes: %s", out)
	}
	if _, err := store.NewKey("k", []byte("short")); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("short key: %v", err)
	}
}
