package redisstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/sharedtest"
	"github.com/tokenkit/tokenkit/store"
	"github.com/tokenkit/tokenkit/store/redisstore"
)

// The Redis server the tests use: .ci/run starts one and exports its
// address (and password); without them, TestMain starts redis-server itself
// when it is installed.
const (
	envAddr     = "TOKENKIT_REDIS_ADDR"
	envPassword = "TOKENKIT_REDIS_PASSWORD"
)

var unavailable string // why there is no Redis server, if there is none

func TestMain(m *testing.M) {
	sharedtest.Main(func() (tokenkit.Store, error) { return redisstore.New(client(), codec()), nil })
	stop := func() {}
	if os.Getenv(envAddr) == "" {
		var err error
		if stop, err = startRedis(); err != nil {
			unavailable = err.Error()
		}
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// startRedis starts redis-server on a free loopback port in a temporary
// directory, with a random password, and exports its address.
func startRedis() (func(), error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("redis-server is not installed and " + envAddr + " is not set")
	}
	dir, err := os.MkdirTemp("", "tokenkit-redis-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	var pw [16]byte
	_, _ = rand.Read(pw[:])
	password := hex.EncodeToString(pw[:])
	conf := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("bind 127.0.0.1\nport %d\ndir %s\nsave \"\"\nappendonly no\nrequirepass %s\n", port, dir, password)), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, conf)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, Password: password})
	defer rdb.Close()
	for i := 0; i < 100; i++ {
		if rdb.Ping(context.Background()).Err() == nil {
			os.Setenv(envAddr, addr)
			os.Setenv(envPassword, password)
			return stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return nil, errors.New("redis-server did not answer on " + addr)
}

func client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: os.Getenv(envAddr), Password: os.Getenv(envPassword)})
}

// newStore returns a Store on the test server under a prefix of its own, or
// skips loudly (fails under CI=true) when there is no server.
func newStore(t *testing.T) (*redisstore.Store, *redis.Client) {
	t.Helper()
	if unavailable != "" || os.Getenv(envAddr) == "" {
		msg := "NO REDIS SERVER: " + unavailable + "; install redis-server or set " + envAddr
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	rdb := client()
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", os.Getenv(envAddr), err)
	}
	// A prefix of this run only: the server may outlive one go test run.
	prefix := fmt.Sprintf("test-%d-%s", time.Now().UnixNano(), t.Name())
	return redisstore.New(rdb, codec(), redisstore.WithPrefix(prefix), redisstore.WithPollInterval(10*time.Millisecond)), rdb
}

// codec seals with a fixed test key: not a secret of anything.
func codec() store.Codec {
	k, err := store.NewKey("test-1", bytes.Repeat([]byte{0x3c}, 32))
	if err != nil {
		panic(err)
	}
	r, err := store.NewKeyring(k)
	if err != nil {
		panic(err)
	}
	return store.Codec{Keys: r}
}

const tokenValue = "redis-token-value-5555"

func rec(gen uint64) tokenkit.Record {
	e, _ := tokenkit.NewBearerToken(tokenValue, time.Now().Add(time.Hour)).Export()
	return tokenkit.Record{Token: e, Expiry: e.Expiry, Updated: time.Now(), Generation: gen}
}

func TestCompareAndSwap(t *testing.T) {
	t.Parallel()
	st, rdb := newStore(t)
	ctx := context.Background()
	if r, v, err := st.Get(ctx, "csp/org"); err != nil || v != "" || r.Token != nil {
		t.Fatalf("empty store: %v %q", err, v)
	}
	v1, err := st.Put(ctx, "csp/org", "", rec(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, "csp/org", "", rec(1)); !errors.Is(err, tokenkit.ErrVersionConflict) {
		t.Fatalf("second create: %v", err)
	}
	v2, err := st.Put(ctx, "csp/org", v1, rec(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, "csp/org", v1, rec(3)); !errors.Is(err, tokenkit.ErrVersionConflict) {
		t.Fatalf("stale put: %v", err)
	}
	r, v, err := st.Get(ctx, "csp/org")
	if err != nil || v != v2 || r.Generation != 2 {
		t.Fatalf("get: %v, generation %d", err, r.Generation)
	}
	keys, _ := rdb.Keys(ctx, "test-*-"+t.Name()+":*").Result()
	for _, k := range keys {
		if typ, _ := rdb.Type(ctx, k).Result(); typ == "hash" {
			d, _ := rdb.HGet(ctx, k, "d").Result()
			if strings.Contains(d, tokenValue) {
				t.Fatalf("%s holds the token in clear", k)
			}
		}
	}
}

func TestRefusesToWriteInClearWithoutOptOut(t *testing.T) {
	t.Parallel()
	_, rdb := newStore(t)
	st := redisstore.New(rdb, store.Codec{}, redisstore.WithPrefix(fmt.Sprint("test-", time.Now().UnixNano())))
	if _, err := st.Put(context.Background(), "k", "", rec(1)); !errors.Is(err, store.ErrNoKey) {
		t.Fatalf("err = %v, want ErrNoKey", err)
	}
}

func TestLeaseIsExclusiveFencedAndLost(t *testing.T) {
	t.Parallel()
	st, rdb := newStore(t)
	ctx := context.Background()
	a, err := st.Lease(ctx, "k", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// Held past its TTL: the keep-alive extends it.
	short, cancel := context.WithTimeout(ctx, 600*time.Millisecond)
	defer cancel()
	if _, err := st.Lease(short, "k", time.Second); err == nil {
		t.Fatal("a second lease was granted while the first is held")
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := st.Lease(ctx, "k", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if b.Fence() <= a.Fence() {
		t.Fatalf("fence %d after %d", b.Fence(), a.Fence())
	}
	// The lease key disappears (expiry, failover, an operator): Lost closes
	// and another process gets a higher fence.
	keys, _ := rdb.Keys(ctx, "test-*-"+t.Name()+":*lease").Result()
	if len(keys) != 1 {
		t.Fatalf("lease keys: %v", keys)
	}
	rdb.Del(ctx, keys[0])
	select {
	case <-b.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("Lost was not closed after the lease key vanished")
	}
	c, err := st.Lease(ctx, "k", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c.Fence() <= b.Fence() {
		t.Fatalf("fence %d after %d", c.Fence(), b.Fence())
	}
	_ = b.Release(ctx) // a lost lease releases nothing: c keeps it
	if n, _ := rdb.Exists(ctx, keys[0]).Result(); n != 1 {
		t.Fatal("releasing a lost lease deleted its successor's")
	}
	_ = c.Release(ctx)
}

// The password, the encryption key and the tokens stay out of errors and
// printed values.
func TestNoSecretInErrorsOrOutput(t *testing.T) {
	t.Parallel()
	_, rdb := newStore(t)
	prefix := fmt.Sprintf("test-%d-%s", time.Now().UnixNano(), t.Name())
	st := redisstore.New(rdb, codec(), redisstore.WithPrefix(prefix))
	ctx := context.Background()
	pw := os.Getenv(envPassword)
	var out []string
	out = append(out, fmt.Sprintf("%v %+v %#v %s", st, st, st, st))
	bad := redisstore.New(redis.NewClient(&redis.Options{Addr: os.Getenv(envAddr), Password: "wrong-" + pw}), codec())
	_, _, err := bad.Get(ctx, "k")
	if err == nil {
		t.Fatal("a wrong password worked")
	}
	out = append(out, err.Error(), fmt.Sprintf("%v %+v", err, err))
	other, _ := store.NewKey("other", bytes.Repeat([]byte{0x11}, 32))
	ring, _ := store.NewKeyring(other)
	if _, err := st.Put(ctx, "k", "", rec(1)); err != nil {
		t.Fatal(err)
	}
	wrong := redisstore.New(rdb, store.Codec{Keys: ring}, redisstore.WithPrefix(prefix))
	_, _, err = wrong.Get(ctx, "k")
	if !errors.Is(err, store.ErrUnknownKey) {
		t.Fatalf("wrong key: %v", err)
	}
	out = append(out, err.Error(), fmt.Sprintf("%v %+v %#v", codec(), codec().Keys, other))
	r, _, _ := st.Get(ctx, "k")
	out = append(out, fmt.Sprintf("%v %+v %#v", r, r, r.Token))
	joined := strings.Join(out, "\n")
	for _, secret := range []string{pw, tokenValue, string(bytes.Repeat([]byte{0x3c}, 32)), string(bytes.Repeat([]byte{0x11}, 32))} {
		if secret != "" && strings.Contains(joined, secret) {
			t.Fatalf("a secret leaked into:\n%s", joined)
		}
	}
}

func storeEnv() []string {
	return []string{envAddr + "=" + os.Getenv(envAddr), envPassword + "=" + os.Getenv(envPassword)}
}

// 8 processes share one CSP or Oracle token through Redis: one exchange per
// lifetime instead of eight.
func TestProcessesShareOneExchangePerLifetime(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	newStore(t)
	for _, vendor := range []string{"csp", "oracle"} {
		t.Run(vendor, func(t *testing.T) {
			shared := sharedtest.Run(t, sharedtest.Scenario{Vendor: vendor, Lifetime: time.Second, Lifetimes: 5, Store: true, StoreEnv: storeEnv()})
			alone := sharedtest.Run(t, sharedtest.Scenario{Vendor: vendor, Lifetime: time.Second, Lifetimes: 5})
			t.Logf("%s, 8 processes, 5 lifetimes: %d exchanges with the Redis store, %d without", vendor, shared.Exchanges, alone.Exchanges)
			sharedtest.CheckShared(t, shared, alone, 5)
		})
	}
}

func TestCommvaultProcessesRenewOnePair(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	newStore(t)
	r := sharedtest.Run(t, sharedtest.Scenario{Vendor: "commvault", Lifetime: 2 * time.Second, Lifetimes: 5, Store: true, StoreEnv: storeEnv()})
	sharedtest.CheckCommvault(t, r)
}

func TestCommvaultHolderKilledBeforeSending(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	newStore(t)
	r := sharedtest.Run(t, sharedtest.Scenario{Vendor: "commvault", Lifetime: 2 * time.Second, Lifetimes: 4, Store: true,
		StoreEnv: storeEnv(), KillAt: tokenkit.StepLeased, LeaseTTL: time.Second})
	sharedtest.CheckKilledBeforeSending(t, r)
}

func TestCommvaultHolderKilledAfterTheRenewWasApplied(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	newStore(t)
	r := sharedtest.Run(t, sharedtest.Scenario{Vendor: "commvault", Lifetime: 2 * time.Second, Lifetimes: 4, Store: true,
		StoreEnv: storeEnv(), KillAt: tokenkit.StepExchanged, LeaseTTL: time.Second})
	sharedtest.CheckKilledAfterApply(t, r)
}

// BenchmarkColdRead is what a process pays once per token lifetime when
// another process already refreshed: read the record from Redis on
// loopback, open its seal and import the token.
//
//	go test -run '^$' -bench ColdRead -benchmem ./store/redisstore
func BenchmarkColdRead(b *testing.B) {
	if os.Getenv(envAddr) == "" {
		b.Skip("NO REDIS SERVER: " + unavailable)
	}
	rdb := client()
	defer rdb.Close()
	st := redisstore.New(rdb, codec(), redisstore.WithPrefix("bench"))
	ctx := context.Background()
	_, v, err := st.Get(ctx, "csp/org")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Put(ctx, "csp/org", v, rec(1)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, _, err := st.Get(ctx, "csp/org")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tokenkit.ImportBearer(r.Token); err != nil {
			b.Fatal(err)
		}
	}
}

// The fence test on Redis: a holder whose lease vanishes in the middle of
// its exchange (expired, failed over) cannot commit over the state written
// by the holder that took over.
func TestLeaseLostMidExchangeNeverCommitsStale(t *testing.T) {
	t.Parallel()
	st, rdb := newStore(t)
	ctx := context.Background()
	key := fmt.Sprint("k-", time.Now().UnixNano()) // a key of this run only
	e, _ := tokenkit.NewBearerToken("expired-token", time.Now().Add(-time.Minute)).Export()
	if _, err := st.Put(ctx, key, "", tokenkit.Record{Token: e, Expiry: e.Expiry, Generation: 1}); err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	var aSteps []tokenkit.SharedStep
	a, err := tokenkit.NewSharedSource(tokenkit.SharedConfig{
		Store: st, Key: key, Import: tokenkit.ImportBearer, Rotating: true, LeaseTTL: 300 * time.Millisecond,
		ExchangeTimeout: 300 * time.Millisecond,
		Refresh: func(context.Context, tokenkit.Token) (tokenkit.Token, error) {
			close(entered)
			<-release // the answer comes only after b took over
			return tokenkit.NewBearerToken("a-token", time.Now().Add(time.Hour)), nil
		},
		Observe: func(ev tokenkit.SharedEvent) { aSteps = append(aSteps, ev.Step) },
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tokenkit.NewSharedSource(tokenkit.SharedConfig{
		Store: st, Key: key, Import: tokenkit.ImportBearer, Rotating: true, LeaseTTL: time.Second, PollInterval: 20 * time.Millisecond,
		Refresh: func(context.Context, tokenkit.Token) (tokenkit.Token, error) {
			t.Error("b replayed the credential a had claimed")
			return nil, errors.New("replayed")
		},
		Bootstrap: func(context.Context) (tokenkit.Token, error) {
			return tokenkit.NewBearerToken("b-token", time.Now().Add(time.Hour)), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := a.Token(ctx); done <- err }()
	<-entered
	keys, _ := rdb.Keys(ctx, "test-*-"+t.Name()+":{"+key+"}:lease").Result()
	if len(keys) != 1 {
		t.Fatalf("lease keys: %v", keys)
	}
	rdb.Del(ctx, keys[0]) // a's lease is gone while it exchanges
	tb, err := b.Token(ctx)
	if err != nil || tb.Value() != "b-token" {
		t.Fatalf("b: %v, %v", tb, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rec, _, _ := st.Get(ctx, key)
	got, _ := tokenkit.ImportBearer(rec.Token)
	if got.Value() != "b-token" || rec.Generation != 2 {
		t.Fatalf("the store holds %q at generation %d; want b's token at 2 (a's steps %v)", got.Value(), rec.Generation, aSteps)
	}
	if aSteps[len(aSteps)-1] != tokenkit.StepStale {
		t.Fatalf("a's last step = %v, want stale", aSteps[len(aSteps)-1])
	}
}
