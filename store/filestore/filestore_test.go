package filestore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/sharedtest"
	"github.com/tokenkit/tokenkit/store"
	"github.com/tokenkit/tokenkit/store/filestore"
)

const envDir = "TOKENKIT_FILESTORE_TEST_DIR"

func TestMain(m *testing.M) {
	sharedtest.Main(func() (tokenkit.Store, error) { return filestore.New(os.Getenv(envDir), codec()) })
	os.Exit(m.Run())
}

// codec seals with a fixed test key: not a secret of anything.
func codec() store.Codec {
	k, err := store.NewKey("test-1", bytes.Repeat([]byte{0x5a}, 32))
	if err != nil {
		panic(err)
	}
	r, err := store.NewKeyring(k)
	if err != nil {
		panic(err)
	}
	return store.Codec{Keys: r}
}

const tokenValue = "file-token-value-9876"

func rec(gen uint64) tokenkit.Record {
	e, _ := tokenkit.NewBearerToken(tokenValue, time.Now().Add(time.Hour)).Export()
	return tokenkit.Record{Token: e, Expiry: e.Expiry, Updated: time.Now(), Generation: gen}
}

func TestCompareAndSwap(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tokens")
	st, err := filestore.New(dir, codec())
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the store's directory: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}
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
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		fi, _ := os.Stat(f)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(f), fi.Mode().Perm())
		}
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(tokenValue)) {
			t.Errorf("%s holds the token in clear", filepath.Base(f))
		}
	}
}

func TestRefusesToWriteInClearWithoutOptOut(t *testing.T) {
	t.Parallel()
	st, _ := filestore.New(t.TempDir(), store.Codec{})
	if _, err := st.Put(context.Background(), "k", "", rec(1)); !errors.Is(err, store.ErrNoKey) {
		t.Fatalf("err = %v, want ErrNoKey", err)
	}
}

func TestLeaseIsExclusiveAndFenced(t *testing.T) {
	t.Parallel()
	st, _ := filestore.New(t.TempDir(), codec())
	ctx := context.Background()
	a, err := st.Lease(ctx, "k", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := st.Lease(short, "k", time.Second); err == nil {
		t.Fatal("a second lease was granted while the first is held")
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := st.Lease(ctx, "k", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release(ctx)
	if b.Fence() <= a.Fence() {
		t.Fatalf("fence %d after %d", b.Fence(), a.Fence())
	}
	if e, ok := b.(tokenkit.LeaseEndsWithHolder); !ok || !e.EndsWithHolder() {
		t.Fatal("a file lease ends with its holder")
	}
}

// A lock file deleted and recreated while a process waits must not let two
// processes hold the lease at once. (gofrs/flock reopens the file on each
// try, so this mostly exercises that; the identity check after locking closes
// the remaining window between an open and its lock, which a test cannot
// hit on purpose.)
func TestLeaseExclusiveAcrossADeletedLockFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, _ := filestore.New(dir, codec())
	ctx := context.Background()
	a, err := st.Lease(ctx, "k", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan tokenkit.Lease, 1)
	go func() {
		b, err := st.Lease(ctx, "k", time.Second)
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	time.Sleep(50 * time.Millisecond) // let b open the old lock file and wait on it
	locks, _ := filepath.Glob(filepath.Join(dir, "*.lock"))
	if len(locks) != 1 {
		t.Fatalf("lock files: %v", locks)
	}
	if err := os.Remove(locks[0]); err != nil {
		t.Fatal(err)
	}
	// c locks the new file of the same name; a and c now both "hold" it
	// unless b notices that its file was unlinked.
	c, err := st.Lease(ctx, "k", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Release(ctx) // b wakes up holding the deleted file's lock
	select {
	case b := <-got:
		t.Fatalf("lease granted on an unlinked lock file while another holds the new one (fence %d)", b.Fence())
	case <-time.After(200 * time.Millisecond):
	}
	_ = c.Release(ctx)
	b := <-got
	_ = b.Release(ctx)
}

func storeEnv(t *testing.T) []string { return []string{envDir + "=" + t.TempDir()} }

const lifetime = time.Second

// 8 processes share one CSP or Oracle token through the file store: one
// exchange per lifetime instead of eight.
func TestProcessesShareOneExchangePerLifetime(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	for _, vendor := range []string{"csp", "oracle"} {
		t.Run(vendor, func(t *testing.T) {
			shared := sharedtest.Run(t, sharedtest.Scenario{Vendor: vendor, Lifetime: lifetime, Lifetimes: 5, Store: true, StoreEnv: storeEnv(t)})
			alone := sharedtest.Run(t, sharedtest.Scenario{Vendor: vendor, Lifetime: lifetime, Lifetimes: 5})
			t.Logf("%s, 8 processes, 5 lifetimes: %d exchanges with the file store, %d without", vendor, shared.Exchanges, alone.Exchanges)
			sharedtest.CheckShared(t, shared, alone, 5)
		})
	}
}

func TestCommvaultProcessesRenewOnePair(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	r := sharedtest.Run(t, sharedtest.Scenario{Vendor: "commvault", Lifetime: 2 * time.Second, Lifetimes: 5, Store: true, StoreEnv: storeEnv(t)})
	sharedtest.CheckCommvault(t, r)
}

func TestCommvaultHolderKilledBeforeSending(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	r := sharedtest.Run(t, sharedtest.Scenario{Vendor: "commvault", Lifetime: 2 * time.Second, Lifetimes: 3, Store: true,
		StoreEnv: storeEnv(t), KillAt: tokenkit.StepLeased})
	sharedtest.CheckKilledBeforeSending(t, r)
}

func TestCommvaultHolderKilledAfterTheRenewWasApplied(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	r := sharedtest.Run(t, sharedtest.Scenario{Vendor: "commvault", Lifetime: 2 * time.Second, Lifetimes: 3, Store: true,
		StoreEnv: storeEnv(t), KillAt: tokenkit.StepExchanged})
	sharedtest.CheckKilledAfterApply(t, r)
}

// BenchmarkColdRead is what a process pays once per token lifetime when
// another process already refreshed: read the record, open its seal and
// import the token.
//
//	go test -run '^$' -bench ColdRead -benchmem ./store/filestore
func BenchmarkColdRead(b *testing.B) {
	st, err := filestore.New(b.TempDir(), codec())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := st.Put(ctx, "csp/org", "", rec(1)); err != nil {
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
