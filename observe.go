package tokenkit

import (
	"context"
	"log/slog"
	"time"
)

// Observer receives the lifecycle events of tokens: fetches, invalidations,
// resends after a 401, retries, and the events of shared state. It is the
// one hook that metrics, traces and logs are built on; the nested module
// github.com/tokenkit/tokenkit/otel turns it into OpenTelemetry instruments
// and spans, and a *slog.Logger given to WithLogger or SourceConfig.Logger
// receives the same events as log records.
//
// Observe runs on the goroutine of the event and must not block; it must
// not call the Source that emitted the event. It returns the context to go
// on with: for EventFetchStart, the context the fetch runs with (a tracer
// puts its span there, so the token endpoint's HTTP span becomes its child),
// and the matching EventFetchDone is observed with that same context. For
// every other event the returned context is ignored; return ctx.
//
// A valid cached token is served without any event, so an Observer costs
// nothing on the hot path. A gauge of the remaining lifetime of the served
// token reads Source.Remaining when it is collected instead.
type Observer interface {
	// Observe receives e; see above for what its returned context means.
	Observe(ctx context.Context, e Event) context.Context
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(ctx context.Context, e Event) context.Context

// Observe calls f.
func (f ObserverFunc) Observe(ctx context.Context, e Event) context.Context { return f(ctx, e) }

// EventType says what happened.
type EventType uint8

// The event types. Source emits the fetch events and EventInvalidated,
// Transport EventResend, the vendor clients' shared transport EventRetry.
// The shared-state events (adopted, lease, ambiguous rotation) are emitted
// by SharedSource, to the observers of its SharedConfig.Source.
const (
	// EventFetchStart: a Source starts one upstream fetch. Reason says why
	// (FetchEarly, FetchExpired, FetchMissing).
	EventFetchStart EventType = iota + 1
	// EventFetchDone: the fetch ended. Err is nil on success, and Expiry
	// is then the new token's expiry (zero: it does not expire); on
	// failure Kind is the error's kind. Duration is how long the fetch
	// took, Waiters how many Token calls waited for it.
	EventFetchDone
	// EventInvalidated: a token refused by a server was dropped from a
	// Source (Invalidate), so the next Token call fetches.
	EventInvalidated
	// EventResend: a request was answered 401 and is sent once more with a
	// fresh token. Status is 401.
	EventResend
	// EventRetry: an attempt failed and the call will be tried again after
	// Wait. Attempt is the number of the attempt that failed (1 for the
	// first), Kind the reason (KindRateLimited, KindServer, KindTransport)
	// and Status the HTTP status, if any.
	EventRetry
	// EventAdopted: a Source took a token another process fetched from a
	// shared store instead of fetching one itself. Expiry is the token's.
	EventAdopted
	// EventLeaseWait: a Source waited for the lease another process holds
	// on a shared fetch. Wait is how long it waited.
	EventLeaseWait
	// EventLeaseAcquired: a Source took the lease of a shared fetch.
	EventLeaseAcquired
	// EventLeaseLost: a Source lost its lease before it could commit the
	// fetched token (it expired, or another process took it over).
	EventLeaseLost
	// EventAmbiguousRotation: a fetch that rotates a credential ended with
	// an unknown outcome (KindOutcomeUnknown): the old credential may be
	// spent, and the new one was not received.
	EventAmbiguousRotation
	numEventTypes
)

var eventNames = [numEventTypes]string{"", "fetch.start", "fetch.done", "invalidated", "resend", "retry",
	"adopted", "lease.wait", "lease.acquired", "lease.lost", "rotation.ambiguous"}

// String names the type in lower case with dots, as logs and metric
// attributes show it ("fetch.done").
func (t EventType) String() string {
	if t > 0 && t < numEventTypes {
		return eventNames[t]
	}
	return "unknown"
}

// FetchReason says why a Source fetched.
type FetchReason uint8

// The reasons of a fetch.
const (
	// FetchMissing: no token was cached (the first fetch, or after
	// Invalidate or Reset).
	FetchMissing FetchReason = iota + 1
	// FetchExpired: the cached token had expired (or was within
	// ExpiryDelta of it); callers wait for the new one.
	FetchExpired
	// FetchEarly: the cached token entered its refresh window and is
	// replaced in the background while callers keep using it.
	FetchEarly
)

// String returns "missing", "expired" or "early".
func (r FetchReason) String() string {
	switch r {
	case FetchMissing:
		return "missing"
	case FetchExpired:
		return "expired"
	case FetchEarly:
		return "early"
	}
	return ""
}

// Event is one lifecycle event. It never holds a secret nor anything derived
// from one: no token, no credential, no hash of either. Fields that do not
// apply to the event's Type are zero.
type Event struct {
	// Type says what happened.
	Type EventType
	// Vendor is the vendor ("csp", "commvault", …) of the Source or call;
	// empty for a Source built without one (SourceConfig.Vendor).
	Vendor string
	// Op is the operation: the Source's name (SourceConfig.Name; for the
	// vendors' Sources the method that built them, such as
	// "APITokenSource"), or the vendor call being retried or resent (such
	// as "ExchangeAPIToken").
	Op string
	// Source is the Source the event is about, if any: an exporter reads
	// Source.Remaining from it for a gauge of the served token's lifetime.
	Source *Source
	// Reason is why a fetch ran (fetch events).
	Reason FetchReason
	// Err is the failure of a fetch (EventFetchDone), nil on success.
	// tokenkit's own errors hold no secret; an error of a FetchFunc of your
	// own is what that function made it.
	Err error
	// Kind is Err's kind for a failed fetch, the reason of a retry, or
	// KindOutcomeUnknown for an ambiguous rotation.
	Kind Kind
	// Status is the HTTP status that caused a retry or resend, if any.
	Status int
	// Attempt is the number of the attempt that failed (EventRetry).
	Attempt int
	// Waiters is how many Token calls waited for a fetch (EventFetchDone);
	// 0 for a background refresh nobody waited for.
	Waiters int
	// Duration is how long a fetch took (EventFetchDone).
	Duration time.Duration
	// Wait is the pause before a retry (EventRetry; 0 after a transport
	// failure, whose jittered pause is drawn later); for a failed fetch,
	// how long until the Source fetches again (EarlyRetryBackoff after a
	// background refresh, else the failure backoff or credential hold); or
	// the time spent waiting for a lease (EventLeaseWait).
	Wait time.Duration
	// Expiry is the expiry of the token fetched or adopted; zero when it
	// does not expire. Only the time: never the token.
	Expiry time.Time
}

// Outcome returns "ok" for an event without an error, and otherwise the
// kind of the error ("rate limited", "invalid credential", …): the outcome
// label of metrics.
func (e *Event) Outcome() string {
	if e.Err == nil {
		return "ok"
	}
	return e.Kind.String()
}

// Observers returns an Observer that passes each event to every non-nil one
// of obs in turn, threading the context; nil when none is left.
func Observers(obs ...Observer) Observer {
	var list multiObserver
	for _, o := range obs {
		switch o := o.(type) {
		case nil:
		case multiObserver:
			list = append(list, o...)
		default:
			list = append(list, o)
		}
	}
	switch len(list) {
	case 0:
		return nil
	case 1:
		return list[0]
	}
	return list
}

type multiObserver []Observer

func (m multiObserver) Observe(ctx context.Context, e Event) context.Context {
	for _, o := range m {
		if c := o.Observe(ctx, e); c != nil {
			ctx = c
		}
	}
	return ctx
}

// LogObserver returns an Observer that writes each event to l as one record:
// a failed fetch, a retry, a lost lease and an ambiguous rotation at warn; a
// new token, an invalidation, a resend and an adopted token at info; the
// start of a fetch and lease waits at debug. The records carry the event's
// fields, never a token. A nil l gives a nil Observer.
func LogObserver(l *slog.Logger) Observer {
	if l == nil {
		return nil
	}
	return logObserver{l}
}

type logObserver struct{ l *slog.Logger }

func (o logObserver) Observe(ctx context.Context, e Event) context.Context {
	level, msg := slog.LevelInfo, ""
	switch e.Type {
	case EventFetchStart:
		level, msg = slog.LevelDebug, "tokenkit: fetching a token"
	case EventFetchDone:
		msg = "tokenkit: fetched a token"
		if e.Err != nil {
			level, msg = slog.LevelWarn, "tokenkit: token fetch failed"
			if e.Reason == FetchEarly {
				msg = "tokenkit: background token refresh failed; keeping the current token"
			}
		}
	case EventInvalidated:
		msg = "tokenkit: token invalidated"
	case EventResend:
		msg = "tokenkit: token refused; resending with a fresh one"
	case EventRetry:
		level, msg = slog.LevelWarn, "tokenkit: retrying"
	case EventAdopted:
		msg = "tokenkit: adopted a token from the store"
	case EventLeaseWait:
		level, msg = slog.LevelDebug, "tokenkit: waited for the lease"
	case EventLeaseAcquired:
		level, msg = slog.LevelDebug, "tokenkit: acquired the lease"
	case EventLeaseLost:
		level, msg = slog.LevelWarn, "tokenkit: lost the lease"
	case EventAmbiguousRotation:
		level, msg = slog.LevelWarn, "tokenkit: credential rotation outcome unknown"
	default:
		msg = "tokenkit: event"
	}
	if !o.l.Enabled(ctx, level) {
		return ctx
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs, slog.String("event", e.Type.String()))
	if e.Vendor != "" {
		attrs = append(attrs, slog.String("vendor", e.Vendor))
	}
	if e.Op != "" {
		attrs = append(attrs, slog.String("op", e.Op))
	}
	if e.Reason != 0 {
		attrs = append(attrs, slog.String("reason", e.Reason.String()))
	}
	if e.Type == EventFetchDone {
		attrs = append(attrs, slog.String("outcome", e.Outcome()), slog.Duration("duration", e.Duration),
			slog.Int("waiters", e.Waiters))
	} else if e.Kind != KindOther {
		attrs = append(attrs, slog.String("kind", e.Kind.String()))
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("error", e.Err.Error()))
	}
	if e.Status != 0 {
		attrs = append(attrs, slog.Int("status", e.Status))
	}
	if e.Attempt != 0 {
		attrs = append(attrs, slog.Int("attempt", e.Attempt))
	}
	if e.Wait != 0 || e.Type == EventRetry {
		attrs = append(attrs, slog.Duration("wait", e.Wait))
	}
	if !e.Expiry.IsZero() {
		attrs = append(attrs, slog.Time("expiry", e.Expiry))
	}
	o.l.LogAttrs(ctx, level, msg, attrs...)
	return ctx
}
