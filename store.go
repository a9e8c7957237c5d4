package tokenkit

import (
	"context"
	"errors"
	"time"
)

// Store is where processes that share one token keep it: the storage
// contract of the shared-refresh protocol (see SharedSource). It is small on
// purpose, so that any store with compare-and-swap and an expiring lock can
// implement it. tokenkit ships a file store (store/filestore, processes on one
// host) and a Redis store (the nested module store/redisstore); an
// implementation must give these guarantees:
//
//   - Get returns the last record Put under key and an opaque RecordVersion of it,
//     or the zero Record and the empty RecordVersion when there is none. A Get that
//     follows a successful Put, in any process, sees that Put or a later one.
//   - Put writes r under key only if the stored version is still prev (the
//     empty RecordVersion: only if nothing is stored), atomically, and returns the
//     new version; otherwise it writes nothing and returns an error matching
//     ErrVersionConflict. Two Puts with the same prev never both succeed.
//   - Lease waits until it holds the key's lease (or ctx ends) and returns it
//     with a fence number greater than that of every earlier lease of the
//     key. While held, no other Lease of the key is granted, until the lease
//     expires: a backend whose leases can expire (Redis) extends it while the
//     holder lives and closes Lost as soon as it can no longer promise
//     exclusivity; one whose leases end only with the holder (a file lock)
//     never closes Lost while the process lives.
//
// The protocol never relies on the lease alone for correctness: every write
// is a compare-and-swap, and a commit succeeds only if the record is still
// the one the committing process claimed. The lease keeps processes from
// doing the same work twice; the version keeps a process whose lease
// expired from writing over newer state.
//
// Other backends fit the same contract:
//
//   - etcd: Put is a transaction comparing the key's mod_revision with prev
//     (the RecordVersion); Lease is an etcd lease with a keep-alive (Lost when the
//     keep-alive channel closes) and the fence its revision from a
//     create-if-absent of a lock key, as the concurrency package does. Gives
//     linearizable reads and writes across hosts.
//   - a Kubernetes Secret: Put is an update carrying the resourceVersion read
//     by Get (a 409 Conflict is ErrVersionConflict); Lease is a
//     coordination.k8s.io Lease object, its fence a counter in the object
//     updated by the same optimistic concurrency. Gives the API server's
//     consistency; lease expiry relies on clocks within the lease's margin.
//   - Vault KV v2: Put writes with options.cas set to the version read (0
//     for "absent"); Lease is a cas write of a lock entry with a deadline
//     and the fence the KV version number of that entry. Gives
//     compare-and-swap; lease expiry relies on the clients' clocks.
//
// Records carry secrets; a Store that writes them outside the process should
// encrypt them (the shipped ones do, with AES-GCM, see package store).
type Store interface {
	// Get returns the record under key and its version; the zero Record
	// and "" when there is none.
	Get(ctx context.Context, key string) (Record, RecordVersion, error)
	// Put stores r under key if the stored version is prev and returns the
	// new version; an error matching ErrVersionConflict otherwise.
	Put(ctx context.Context, key string, prev RecordVersion, r Record) (RecordVersion, error)
	// Lease waits for the key's lease; ttl is how long it outlives a holder
	// that stops extending it.
	Lease(ctx context.Context, key string, ttl time.Duration) (Lease, error)
}

// RecordVersion identifies one write of a record; it is opaque, compared only for
// equality by the store. The empty RecordVersion means "no record".
type RecordVersion string

// Lease is the exclusive, expiring right to refresh one key. See Store.
type Lease interface {
	// Fence returns the lease's fence number: greater than that of every
	// earlier lease of the same key.
	Fence() uint64
	// Lost is closed when the lease may no longer be exclusive (it expired
	// or the store lost it). A holder stops starting new work then.
	Lost() <-chan struct{}
	// Release gives the lease up; releasing twice, or a lost lease, is not
	// an error.
	Release(ctx context.Context) error
}

// Record is what a Store keeps under one key: the shared token and the
// bookkeeping of the protocol.
type Record struct {
	// Token is the persisted token; nil when there is none yet.
	Token *Exported
	// Expiry is when the token expires (zero: never, or unknown).
	Expiry time.Time
	// Updated is when the token was committed; with Expiry it gives the
	// lifetime the refresh window is computed from.
	Updated time.Time
	// Generation counts commits: each new token is Generation+1.
	Generation uint64
	// Claim, when set, says that a process is spending (or has spent) the
	// refresh credential of generation Claim.Generation.
	Claim *Claim
}

// Claim is written by compare-and-swap before a rotating refresh credential
// is sent upstream: from then on that credential may be spent, and no other
// process may send it again.
type Claim struct {
	// Generation is the generation whose credential is being spent.
	Generation uint64
	// Fence is the fence number of the claimer's lease.
	Fence uint64
	// Holder identifies the claiming process, for diagnostics (host and
	// process id; never a secret).
	Holder string
	// Deadline is when the claimer gives up waiting for its exchange. A
	// claim past its deadline with no commit means the credential may have
	// been spent and its successor lost.
	Deadline time.Time
}

var (
	// ErrVersionConflict matches a Store.Put whose prev version is no
	// longer the stored one: another process wrote first.
	ErrVersionConflict = errors.New("tokenkit: store: version conflict")
	// ErrCredentialSpent matches a shared refresh that found the rotating
	// refresh credential claimed by a process that never committed its
	// successor (it crashed, or its lease expired, after sending it): the
	// credential may be spent, so it is not sent again. With a Bootstrap
	// function configured the SharedSource recovers through it; without
	// one, the error stays until a new token is stored.
	ErrCredentialSpent = errors.New("tokenkit: refresh credential may already be spent by another process; not replaying it")
)
