// Package chaos holds tokenkit's cross-vendor fault suite; it has no
// non-test code. Run it with
//
//	go test -race -count=1 ./internal/chaos/
//
// It puts the five fakes (csptest, commvaulttest, canvustest, oracletest,
// cgscantest) behind one seeded random fault schedule — 429 with and without
// Retry-After (small, and past the client's cap), 500/502/503/504, HTML
// error pages, truncated JSON, connections dropped before and after the
// server acted, and answers delayed past the per-attempt timeout — and runs
// many goroutines per vendor through the vendors' Sources, their direct
// calls and tokenkit.Transport. It then checks that:
//
//   - every call ends with a result or a *tokenkit.Error (errors.As), without
//     a panic, and returns before its context's deadline plus a little slack;
//   - no state-creating call was replayed after the server acted: for every
//     mutating operation the suite calls directly, the fake's Applied plus the
//     answers that left the outcome open without acting (dropped, delayed
//     past the timeout, truncated, or given after the client's attempt had
//     timed out) equals the calls the SDK reported as
//     succeeded, as of unknown outcome, or as an invalid 2xx answer, and a
//     call is never reported as of unknown outcome when its last attempt
//     never left the client;
//     no request of one call follows a request of that call that the server
//     applied or answered ambiguously; Commvault saw no chain invalidation;
//   - every error has a kind (tokenkit.KindOf is never KindOther), matches
//     the root sentinels of its kind and no other, has the kind the fault
//     of its call's last request gives (429 → KindRateLimited, 5xx or an
//     HTML error page → KindServer, truncated JSON → KindInvalidResponse, a
//     dropped connection → KindTransport or, for a mutating call,
//     KindOutcomeUnknown; a fake's own answer is never rate limited nor a
//     server error; a timed-out attempt may always be KindTransport or
//     KindOutcomeUnknown), and is KindCanceled only when the call's context
//     had ended;
//   - every Source makes at most one upstream call at a time (single-flight);
//   - no goroutine is left behind once everything is closed;
//   - no secret the suite created or saw on the wire appears in a log line
//     (a debug-level slog handler on every client and source) or an error.
//
// # The schedule, and how to replay it
//
// The seed comes from -chaos.seed, else the CHAOS_SEED environment variable,
// else the clock; a failing run prints it with the command that replays it.
// Each fake's FailNext queue is global to that fake, so faults are not queued
// ahead of time: a wrapping handler in front of each fake decides the fault
// of every request as it arrives. The decision is a pure function of the
// seed, the vendor, the calling operation's id (every operation tags its
// context; a client RoundTripper sends it as a header) and the number of
// requests that operation has made so far. So a replay gives the same
// operation the same faults whatever the goroutines' interleaving, and every
// worker draws the same sequence of operations. The wrapper then holds that
// fake's lock while it queues the fault with FailNext(1, …) and serves the
// request, so no other request can take it; requests without a fault share
// the lock (they take nothing from the queue), and requests of mutating
// operations take it alone so that the change of Applied they cause is
// attributed to them. Delay faults are served by the wrapper itself, outside
// the lock, so that a 400 ms stall does not serialise the fake.
//
// Limits: what a replay cannot reproduce is timing. Which caller triggers a
// Source's shared fetch (whose requests carry that caller's id), whether a
// background refresh runs, and how requests interleave at a fake still
// depend on the scheduler, so a failure that needs a particular
// interleaving may need a few runs of the same seed. -chaos.workers=1 runs
// one goroutine per vendor, which makes runs nearly deterministic.
package chaos
