// Package redisstore is a tokenkit.Store on Redis, for processes on many
// hosts: replicas of a service, workers of a fleet. It is a nested module, so
// that only programs that use it download github.com/redis/go-redis/v9.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379", Password: pw})
//	ring, _ := store.NewKeyring(key) // a 32-byte key from your secret manager
//	st := redisstore.New(rdb, store.Codec{Keys: ring})
//	src, err := tokenkit.NewSharedSource(tokenkit.SharedConfig{Store: st, Key: "csp/my-org", ...})
//
// Each tokenkit key uses three Redis keys with one hash tag, so that they
// live in one slot of a cluster: tokenkit:{<key>}:rec, a hash of the record's
// version and its sealed bytes; tokenkit:{<key>}:lease, the lease, set with
// SET NX PX to a random value; tokenkit:{<key>}:fence, the fence counter,
// incremented (INCR) in the same script that takes the lease. Compare-and-swap,
// extend and release are Lua scripts, atomic on the server.
//
// Guarantees: compare-and-swap is atomic and linearizable on one Redis
// primary. The lease is exclusive until it expires: its holder extends it
// every third of its TTL and closes Lost when an extension fails or a TTL
// passes without one. Across a failover to a replica that had not received
// the last writes, a lease or a write can be lost (Redis replication is
// asynchronous); the protocol's compare-and-swap then makes a stale process
// fail its commit, not overwrite newer state. Claim deadlines are compared
// with the clients' clocks: keep them within a second or two.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/store"
)

// Store is a tokenkit.Store on a Redis client.
type Store struct {
	rdb    redis.UniversalClient
	codec  store.Codec
	prefix string
	poll   time.Duration
}

var _ tokenkit.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithPrefix replaces the "tokenkit" prefix of every Redis key.
func WithPrefix(p string) Option { return func(s *Store) { s.prefix = p } }

// WithPollInterval sets how often a waiting Lease tries again (default
// 50ms).
func WithPollInterval(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.poll = d
		}
	}
}

// New returns a Store on rdb. codec seals the records; a codec without keys
// refuses to write unless its Plaintext is set.
func New(rdb redis.UniversalClient, codec store.Codec, opts ...Option) *Store {
	s := &Store{rdb: rdb, codec: codec, prefix: "tokenkit", poll: 50 * time.Millisecond}
	for _, o := range opts {
		o(s)
	}
	return s
}

// String describes the store without the client's options (its password).
func (s *Store) String() string { return "redisstore.Store{prefix: " + s.prefix + "}" }

// GoString is String, for %#v.
func (s *Store) GoString() string { return s.String() }

// Format writes String for every verb: the client it holds knows the
// password.
func (s *Store) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

func (s *Store) keys(key string) (rec, lease, fence string) {
	// The hash tag keeps the three keys in one cluster slot; braces in the
	// key itself would end the tag early, so they are replaced.
	k := strings.NewReplacer("{", "(", "}", ")").Replace(key)
	base := s.prefix + ":{" + k + "}:"
	return base + "rec", base + "lease", base + "fence"
}

// fail wraps a Redis error. go-redis errors name the server's reply, never
// the password; the command's arguments (which hold sealed records and lease
// values) are not included.
func fail(what string, err error) error {
	return fmt.Errorf("redisstore: %s: %w", what, err)
}

// Get returns the record under key.
func (s *Store) Get(ctx context.Context, key string) (tokenkit.Record, tokenkit.RecordVersion, error) {
	rec, _, _ := s.keys(key)
	vals, err := s.rdb.HMGet(ctx, rec, "v", "d").Result()
	if err != nil {
		return tokenkit.Record{}, "", fail("get", err)
	}
	v, _ := vals[0].(string)
	d, _ := vals[1].(string)
	if v == "" {
		return tokenkit.Record{}, "", nil
	}
	r, err := s.codec.Decode(key, []byte(d))
	if err != nil {
		return tokenkit.Record{}, "", fmt.Errorf("redisstore: %w", err)
	}
	return r, tokenkit.RecordVersion(v), nil
}

var casScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'v')
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then
  redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
  return 1
end
return 0`)

// Put stores r if the stored version is prev.
func (s *Store) Put(ctx context.Context, key string, prev tokenkit.RecordVersion, r tokenkit.Record) (tokenkit.RecordVersion, error) {
	b, err := s.codec.Encode(key, r)
	if err != nil {
		return "", fmt.Errorf("redisstore: %w", err)
	}
	rec, _, _ := s.keys(key)
	v := store.NewVersion()
	n, err := casScript.Run(ctx, s.rdb, []string{rec}, string(prev), string(v), b).Int()
	if err != nil {
		return "", fail("compare-and-swap", err)
	}
	if n != 1 {
		return "", tokenkit.ErrVersionConflict
	}
	return v, nil
}

var (
	acquireScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0`)
	extendScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)
)

// Lease waits for the key's lease, which expires ttl after its holder stops
// extending it (at least 100ms).
func (s *Store) Lease(ctx context.Context, key string, ttl time.Duration) (tokenkit.Lease, error) {
	ttl = max(ttl, 100*time.Millisecond)
	_, lk, fk := s.keys(key)
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	val := hex.EncodeToString(b[:])
	for {
		fence, err := acquireScript.Run(ctx, s.rdb, []string{lk, fk}, val, ttl.Milliseconds()).Int64()
		if err != nil {
			return nil, fail("lease", err)
		}
		if fence > 0 {
			l := &lease{s: s, key: lk, val: val, ttl: ttl, fence: uint64(fence), lost: make(chan struct{}), stop: make(chan struct{})}
			l.wg.Add(1)
			go l.keepAlive(time.Now())
			return l, nil
		}
		t := time.NewTimer(s.poll)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fail("waiting for the lease", ctx.Err())
		}
	}
}

type lease struct {
	s     *Store
	key   string
	val   string
	ttl   time.Duration
	fence uint64

	lostOnce sync.Once
	lost     chan struct{}
	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup
}

func (l *lease) Fence() uint64         { return l.fence }
func (l *lease) Lost() <-chan struct{} { return l.lost }
func (l *lease) lose()                 { l.lostOnce.Do(func() { close(l.lost) }) }

// keepAlive extends the lease every third of its TTL. The lease is lost when
// an extension finds another value (or none), or when a TTL passes since the
// last extension that succeeded (the server may have let it expire).
func (l *lease) keepAlive(last time.Time) {
	defer l.wg.Done()
	tick := time.NewTicker(l.ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
		n, err := extendScript.Run(ctx, l.s.rdb, []string{l.key}, l.val, l.ttl.Milliseconds()).Int()
		cancel()
		switch {
		case err == nil && n == 1:
			last = time.Now()
		case err == nil: // the value is gone or another's: lost for sure
			l.lose()
			return
		case time.Since(last) >= l.ttl:
			l.lose()
			return
		}
	}
}

func (l *lease) Release(ctx context.Context) error {
	l.stopOnce.Do(func() { close(l.stop) })
	l.wg.Wait()
	select {
	case <-l.lost:
		return nil
	default:
	}
	defer l.lose()
	if err := releaseScript.Run(ctx, l.s.rdb, []string{l.key}, l.val).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fail("release", err)
	}
	return nil
}
