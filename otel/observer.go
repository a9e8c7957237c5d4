package otel

import (
	"context"
	"sync"
	"time"
	"weak"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tokenkit/tokenkit"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/tokenkit/tokenkit/otel"

// The instrument names (see the package documentation for units and
// attributes).
const (
	MetricRefreshes         = "tokenkit.token.refreshes"
	MetricRefreshDuration   = "tokenkit.token.refresh.duration"
	MetricRefreshWaiters    = "tokenkit.token.refresh.waiters"
	MetricTTL               = "tokenkit.token.ttl"
	MetricInvalidations     = "tokenkit.token.invalidations"
	MetricResends           = "tokenkit.http.resends"
	MetricRetries           = "tokenkit.http.retries"
	MetricLeaseWaitDuration = "tokenkit.lease.wait.duration"
	MetricStoreEvents       = "tokenkit.store.events"
	// SpanRefresh is the name of the span around each fetch of a Source.
	SpanRefresh = "tokenkit.refresh"
)

// The attribute keys.
const (
	AttrVendor        = attribute.Key("tokenkit.vendor")
	AttrOperation     = attribute.Key("tokenkit.operation")
	AttrOutcome       = attribute.Key("tokenkit.outcome")
	AttrRefreshReason = attribute.Key("tokenkit.refresh.reason")
	AttrRetryReason   = attribute.Key("tokenkit.retry.reason")
	AttrEvent         = attribute.Key("tokenkit.event")
	AttrWaiters       = attribute.Key("tokenkit.refresh.waiters")
	AttrStatusCode    = attribute.Key("http.response.status_code")
	AttrResendCount   = attribute.Key("http.request.resend_count")
	AttrErrorType     = attribute.Key("error.type")
)

// Option configures NewObserver. It is opaque: build one with
// WithMeterProvider or WithTracerProvider; a zero Option changes nothing.
type Option struct{ apply func(*settings) }

type settings struct {
	mp metric.MeterProvider
	tp trace.TracerProvider
}

// WithMeterProvider records the metrics with mp instead of the global
// MeterProvider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return Option{func(s *settings) { s.mp = mp }}
}

// WithTracerProvider starts the spans with tp instead of the global
// TracerProvider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return Option{func(s *settings) { s.tp = tp }}
}

// Observer is a tokenkit.Observer that records OpenTelemetry metrics and
// spans. Install it with tokenkit.WithObserver on a vendor client (its
// Sources and calls report to it) or in SourceConfig.Observer and
// Transport.Observer. It is safe for concurrent use. It never records a
// token, a credential or an error message: only the labels of the event
// (vendor, operation, reason, the kind of a failure) and durations.
type Observer struct {
	tracer trace.Tracer

	refreshes     metric.Int64Counter
	duration      metric.Float64Histogram
	waiters       metric.Int64Counter
	invalidations metric.Int64Counter
	resends       metric.Int64Counter
	retries       metric.Int64Counter
	leaseWait     metric.Float64Histogram
	storeEvents   metric.Int64Counter
	reg           metric.Registration

	mu      sync.Mutex
	sources map[weak.Pointer[tokenkit.Source]]attribute.Set
}

// NewObserver returns an Observer whose instruments come from the global
// MeterProvider and TracerProvider unless options name others. Call
// Shutdown when done with it, to stop the TTL gauge's callback.
func NewObserver(opts ...Option) (*Observer, error) {
	var s settings
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&s)
		}
	}
	if s.mp == nil {
		s.mp = otel.GetMeterProvider()
	}
	if s.tp == nil {
		s.tp = otel.GetTracerProvider()
	}
	m := s.mp.Meter(ScopeName, metric.WithInstrumentationVersion(tokenkit.Version))
	o := &Observer{
		tracer:  s.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(tokenkit.Version)),
		sources: make(map[weak.Pointer[tokenkit.Source]]attribute.Set),
	}
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	o.refreshes = counter(MetricRefreshes, "{refresh}", "Token fetches by Sources, by outcome and reason.")
	o.waiters = counter(MetricRefreshWaiters, "{call}", "Token calls that waited for a fetch instead of being served from the cache.")
	o.invalidations = counter(MetricInvalidations, "{token}", "Cached tokens dropped after a server refused them.")
	o.resends = counter(MetricResends, "{request}", "Requests resent with a fresh token after a 401.")
	o.retries = counter(MetricRetries, "{retry}", "Attempts of vendor calls retried, by reason.")
	o.storeEvents = counter(MetricStoreEvents, "{event}", "Events of tokens shared through a store: adopted, lease acquired or lost, ambiguous rotation.")
	var err error
	o.duration, err = m.Float64Histogram(MetricRefreshDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of token fetches by Sources."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
	errs = append(errs, err)
	o.leaseWait, err = m.Float64Histogram(MetricLeaseWaitDuration, metric.WithUnit("s"),
		metric.WithDescription("Time spent waiting for the lease of a shared fetch."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
	errs = append(errs, err)
	ttl, err := m.Float64ObservableGauge(MetricTTL, metric.WithUnit("s"),
		metric.WithDescription("Seconds until the token a Source currently serves expires (negative: expired)."))
	errs = append(errs, err)
	if err == nil {
		o.reg, err = m.RegisterCallback(func(_ context.Context, ob metric.Observer) error {
			o.observeTTL(ob, ttl)
			return nil
		}, ttl)
		errs = append(errs, err)
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return o, nil
}

// Shutdown unregisters the TTL gauge's callback.
func (o *Observer) Shutdown() error {
	if o.reg == nil {
		return nil
	}
	return o.reg.Unregister()
}

// observeTTL reports, per vendor and operation, the least remaining lifetime
// of the tokens the known Sources serve. A Source that was collected is
// forgotten.
func (o *Observer) observeTTL(ob metric.Observer, ttl metric.Float64ObservableGauge) {
	type reading struct {
		set attribute.Set
		d   time.Duration
	}
	o.mu.Lock()
	least := make(map[attribute.Distinct]reading, len(o.sources))
	for p, set := range o.sources {
		src := p.Value()
		if src == nil {
			delete(o.sources, p)
			continue
		}
		d, ok := src.Remaining()
		if !ok {
			continue
		}
		k := set.Equivalent()
		if r, seen := least[k]; !seen || d < r.d {
			least[k] = reading{set, d}
		}
	}
	o.mu.Unlock()
	for _, r := range least {
		ob.ObserveFloat64(ttl, r.d.Seconds(), metric.WithAttributeSet(r.set))
	}
}

func (o *Observer) track(src *tokenkit.Source, vendor, op string) {
	if src == nil {
		return
	}
	p := weak.Make(src)
	o.mu.Lock()
	if _, ok := o.sources[p]; !ok {
		o.sources[p] = attribute.NewSet(AttrVendor.String(vendor), AttrOperation.String(op))
	}
	o.mu.Unlock()
}

type spanKey struct{}

// Observe records e; for EventFetchStart it returns ctx with the
// tokenkit.refresh span, which EventFetchDone ends.
func (o *Observer) Observe(ctx context.Context, e tokenkit.Event) context.Context {
	labels := []attribute.KeyValue{AttrVendor.String(e.Vendor), AttrOperation.String(e.Op)}
	switch e.Type {
	case tokenkit.EventFetchStart:
		o.track(e.Source, e.Vendor, e.Op)
		ctx, span := o.tracer.Start(ctx, SpanRefresh, trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(append(labels, AttrRefreshReason.String(e.Reason.String()))...))
		return context.WithValue(ctx, spanKey{}, span)
	case tokenkit.EventFetchDone:
		o.track(e.Source, e.Vendor, e.Op)
		outcome := e.Outcome()
		attrs := metric.WithAttributes(append(labels, AttrOutcome.String(outcome),
			AttrRefreshReason.String(e.Reason.String()))...)
		o.refreshes.Add(ctx, 1, attrs)
		o.duration.Record(ctx, e.Duration.Seconds(), attrs)
		if e.Waiters > 0 {
			o.waiters.Add(ctx, int64(e.Waiters), metric.WithAttributes(labels...))
		}
		if span, ok := ctx.Value(spanKey{}).(trace.Span); ok {
			span.SetAttributes(AttrOutcome.String(outcome), AttrWaiters.Int(e.Waiters))
			if e.Err != nil {
				// The kind, never the message: a FetchFunc of the
				// user's own may put anything in an error.
				span.SetAttributes(AttrErrorType.String(outcome))
				span.SetStatus(codes.Error, outcome)
			}
			span.End()
		}
	case tokenkit.EventInvalidated:
		o.invalidations.Add(ctx, 1, metric.WithAttributes(labels...))
	case tokenkit.EventResend:
		o.resends.Add(ctx, 1, metric.WithAttributes(labels...))
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.SetAttributes(AttrResendCount.Int(1))
			span.AddEvent("tokenkit.resend", trace.WithAttributes(AttrStatusCode.Int(e.Status)))
		}
	case tokenkit.EventRetry:
		attrs := append(labels, AttrRetryReason.String(e.Kind.String()))
		if e.Status != 0 {
			attrs = append(attrs, AttrStatusCode.Int(e.Status))
		}
		o.retries.Add(ctx, 1, metric.WithAttributes(attrs...))
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.AddEvent("tokenkit.retry", trace.WithAttributes(append(attrs,
				attribute.Int("tokenkit.retry.attempt", e.Attempt),
				attribute.Float64("tokenkit.retry.wait", e.Wait.Seconds()))...))
		}
	case tokenkit.EventLeaseWait:
		o.leaseWait.Record(ctx, e.Wait.Seconds(), metric.WithAttributes(labels...))
	case tokenkit.EventAdopted, tokenkit.EventLeaseAcquired, tokenkit.EventLeaseLost, tokenkit.EventAmbiguousRotation:
		if e.Type == tokenkit.EventAdopted {
			o.track(e.Source, e.Vendor, e.Op)
		}
		o.storeEvents.Add(ctx, 1, metric.WithAttributes(append(labels, AttrEvent.String(e.Type.String()))...))
	}
	return ctx
}
