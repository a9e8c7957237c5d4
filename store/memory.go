package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/tokenkit/tokenkit"
)

// Memory is a tokenkit.Store in this process's memory: for tests, and for
// several SharedSources of one token within one process. Records are kept
// encoded by a plaintext Codec, so that what a caller holds never aliases
// what is stored. Leases expire after their TTL unless extended, which
// happens automatically while the holder holds them; ExpireLease ends one
// early, as a lost Redis lease would end.
type Memory struct {
	codec Codec

	mu     sync.Mutex
	data   map[string]memEntry
	leases map[string]*memLease
	fences map[string]uint64
	freed  chan struct{} // closed and replaced whenever a lease ends
}

type memEntry struct {
	ver tokenkit.RecordVersion
	b   []byte
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{codec: Codec{Plaintext: true}, data: map[string]memEntry{}, leases: map[string]*memLease{},
		fences: map[string]uint64{}, freed: make(chan struct{})}
}

var _ tokenkit.Store = (*Memory)(nil)

// Get returns the record under key.
func (m *Memory) Get(_ context.Context, key string) (tokenkit.Record, tokenkit.RecordVersion, error) {
	m.mu.Lock()
	e, ok := m.data[key]
	m.mu.Unlock()
	if !ok {
		return tokenkit.Record{}, "", nil
	}
	r, err := m.codec.Decode(key, e.b)
	return r, e.ver, err
}

// Put stores r if the stored version is prev.
func (m *Memory) Put(_ context.Context, key string, prev tokenkit.RecordVersion, r tokenkit.Record) (tokenkit.RecordVersion, error) {
	b, err := m.codec.Encode(key, r)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data[key].ver != prev {
		return "", tokenkit.ErrVersionConflict
	}
	v := NewVersion()
	m.data[key] = memEntry{ver: v, b: b}
	return v, nil
}

// NewVersion returns a random Version, for backends that version records
// with a nonce.
func NewVersion() tokenkit.RecordVersion {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return tokenkit.RecordVersion(hex.EncodeToString(b[:]))
}

// Lease waits for the key's lease.
func (m *Memory) Lease(ctx context.Context, key string, ttl time.Duration) (tokenkit.Lease, error) {
	for {
		m.mu.Lock()
		if l := m.leases[key]; l == nil || l.isLost() {
			m.fences[key]++
			nl := &memLease{m: m, key: key, fence: m.fences[key], lost: make(chan struct{})}
			m.leases[key] = nl
			m.mu.Unlock()
			return nl, nil
		}
		freed := m.freed
		m.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// ExpireLease ends the key's current lease as if it had expired: its Lost
// channel closes and the next Lease is granted with a higher fence.
func (m *Memory) ExpireLease(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l := m.leases[key]; l != nil {
		l.lose()
		delete(m.leases, key)
		m.signalLocked()
	}
}

func (m *Memory) signalLocked() {
	close(m.freed)
	m.freed = make(chan struct{})
}

type memLease struct {
	m     *Memory
	key   string
	fence uint64
	once  sync.Once
	lost  chan struct{}
}

func (l *memLease) Fence() uint64         { return l.fence }
func (l *memLease) Lost() <-chan struct{} { return l.lost }
func (l *memLease) lose()                 { l.once.Do(func() { close(l.lost) }) }
func (l *memLease) isLost() bool {
	select {
	case <-l.lost:
		return true
	default:
		return false
	}
}

func (l *memLease) Release(context.Context) error {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if l.m.leases[l.key] == l {
		delete(l.m.leases, l.key)
		l.m.signalLocked()
	}
	l.lose()
	return nil
}
