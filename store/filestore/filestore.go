// Package filestore is a tokenkit.Store in a directory, for processes on one
// host: several replicas on one machine, or a cron job that runs every minute
// and should exchange once per token lifetime.
//
//	ring, _ := store.NewKeyring(key) // a 32-byte key from your secret manager
//	st, err := filestore.New(filepath.Join(cacheDir, "tokenkit"), store.Codec{Keys: ring})
//
// Each key has three files, named after the key: <name>.json holds the
// record (written to a temporary file, fsynced and renamed over the old one,
// so a reader sees the old record or the new one, never half of one);
// <name>.lock is the lease, an advisory lock (github.com/gofrs/flock) on a
// file that is never unlinked, so no two processes can lock two different
// files of one name; <name>.wlock serialises compare-and-swap writes. Every
// file is created 0600 in a directory created 0700.
//
// Guarantees: compare-and-swap and the lease hold between all processes of
// the host that use the same directory on a local file system (advisory
// locks on NFS are not to be trusted). A lease ends only when its holder
// releases it or exits, so it is never lost while its holder lives, and a
// claim left by a holder that died is settled at once (see
// tokenkit.LeaseEndsWithHolder). Fence numbers are kept in <name>.fence.
package filestore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/store"
)

// Store is a tokenkit.Store in one directory.
type Store struct {
	dir   string
	codec store.Codec
	poll  time.Duration
}

var _ tokenkit.Store = (*Store)(nil)

// New returns a Store in dir, creating it (0700) if needed. codec seals the
// records; a codec without keys refuses to write unless its Plaintext is
// set.
func New(dir string, codec store.Codec) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: filestore: empty directory", tokenkit.ErrInvalidInput)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	return &Store{dir: dir, codec: codec, poll: 10 * time.Millisecond}, nil
}

// name maps a key to a file name: its printable part and a hash, so that
// distinct keys never share files.
func (s *Store) name(key string) string {
	var b strings.Builder
	for _, r := range key {
		if b.Len() >= 48 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	h := sha256.Sum256([]byte(key))
	return filepath.Join(s.dir, b.String()+"-"+hex.EncodeToString(h[:6]))
}

// Get returns the record under key.
func (s *Store) Get(_ context.Context, key string) (tokenkit.Record, tokenkit.RecordVersion, error) {
	ver, body, err := readRecord(s.name(key) + ".json")
	if err != nil || ver == "" {
		return tokenkit.Record{}, "", err
	}
	r, err := s.codec.Decode(key, body)
	if err != nil {
		return tokenkit.Record{}, "", fmt.Errorf("filestore: %w", err)
	}
	return r, ver, nil
}

// readRecord returns the version line and the body of a record file; "" for
// a missing file.
func readRecord(path string) (tokenkit.RecordVersion, []byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("filestore: reading the record: %w", err)
	}
	v, body, ok := bytes.Cut(b, []byte{'\n'})
	if !ok || len(v) == 0 {
		return "", nil, fmt.Errorf("filestore: %w: no version line", store.ErrCorrupt)
	}
	return tokenkit.RecordVersion(v), body, nil
}

// Put stores r if the stored version is prev.
func (s *Store) Put(ctx context.Context, key string, prev tokenkit.RecordVersion, r tokenkit.Record) (tokenkit.RecordVersion, error) {
	body, err := s.codec.Encode(key, r)
	if err != nil {
		return "", fmt.Errorf("filestore: %w", err)
	}
	base := s.name(key)
	l, err := s.lock(ctx, base+".wlock")
	if err != nil {
		return "", err
	}
	defer l.close()
	cur, _, err := readRecord(base + ".json")
	if err != nil && !errors.Is(err, store.ErrCorrupt) {
		return "", err
	}
	if cur != prev {
		return "", tokenkit.ErrVersionConflict
	}
	v := store.NewVersion()
	if err := writeAtomic(base+".json", append([]byte(string(v)+"\n"), body...)); err != nil {
		return "", err
	}
	return v, nil
}

// writeAtomic writes data to a temporary file beside path, fsyncs it,
// renames it over path and fsyncs the directory.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return fmt.Errorf("filestore: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("filestore: writing: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("filestore: fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("filestore: rename: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

type held struct{ f *flock.Flock }

func (h held) close() {
	_ = h.f.Unlock()
	_ = h.f.Close()
}

// lock takes the advisory lock of path, waiting until ctx ends. The lock
// file is never unlinked by tokenkit; if something else deletes or replaces
// it while we wait, the lock we got is on a file nobody else will lock, so
// it is dropped and taken again on the file the name now points to.
func (s *Store) lock(ctx context.Context, path string) (held, error) {
	for {
		before, err := statOrCreate(path)
		if err != nil {
			return held{}, err
		}
		f := flock.New(path, flock.SetPermissions(0o600))
		ok, err := f.TryLockContext(ctx, s.poll)
		if err != nil || !ok {
			_ = f.Close()
			if err == nil {
				err = ctx.Err()
			}
			return held{}, fmt.Errorf("filestore: locking: %w", err)
		}
		after, err := os.Stat(path)
		if err == nil && os.SameFile(before, after) {
			return held{f}, nil
		}
		// The name was unlinked or now names another file.
		_ = f.Unlock()
		_ = f.Close()
	}
}

func statOrCreate(path string) (os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	return fi, nil
}

// Lease waits for the key's lease. ttl is not used: the lease ends when it
// is released or its holder exits.
func (s *Store) Lease(ctx context.Context, key string, _ time.Duration) (tokenkit.Lease, error) {
	base := s.name(key)
	h, err := s.lock(ctx, base+".lock")
	if err != nil {
		return nil, err
	}
	fence, err := nextFence(base + ".fence")
	if err != nil {
		h.close()
		return nil, err
	}
	return &lease{h: h, fence: fence, lost: make(chan struct{})}, nil
}

// nextFence increments the fence counter; only the lease holder calls it.
func nextFence(path string) (uint64, error) {
	var n uint64
	if b, err := os.ReadFile(path); err == nil {
		n, _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	} else if !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("filestore: reading the fence: %w", err)
	}
	n++
	if err := writeAtomic(path, []byte(strconv.FormatUint(n, 10)+"\n")); err != nil {
		return 0, err
	}
	return n, nil
}

type lease struct {
	h     held
	fence uint64
	lost  chan struct{} // never closed: the lease ends with its holder
	once  sync.Once
}

func (l *lease) Fence() uint64         { return l.fence }
func (l *lease) Lost() <-chan struct{} { return l.lost }
func (l *lease) EndsWithHolder() bool  { return true }

func (l *lease) Release(context.Context) error {
	l.once.Do(l.h.close)
	return nil
}
