package otel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/oracle"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
	tkotel "github.com/tokenkit/tokenkit/otel"
)

// clock is a settable clock shared by a fake and the client under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Fault is the fault type every fake shares.
type Fault = fakes.Fault

// fake is what the lifecycle needs of one vendor's fake.
type fake interface {
	URL() string
	Client() *http.Client
	SetClock(func() time.Time)
	FailNext(int, Fault)
}

// vendor builds a Source of one vendor against its fake; canaries are the
// secrets it used (the leak test looks for them).
type vendor struct {
	name    string
	expires bool // its tokens expire (cgscan sessions do not)
	// failing is how many requests a refresh makes when each is answered
	// 429 with one retry allowed: 2, or 4 for Canvus, whose refresh falls
	// back from the token login to the password login.
	failing int
	// setup builds the fake and a Source whose credential is the right one
	// with wrong appended ("" for the right one).
	setup func(t *testing.T, opts []tokenkit.Option, cfg tokenkit.SourceConfig, wrong string) (f fake, src *tokenkit.Source, canaries []string)
}

var vendors = []vendor{
	{"csp", true, 2, setupCSP},
	{"commvault", true, 2, setupCommvault},
	{"canvus", true, 2, setupCanvus}, // a 429 on the token form backs off: no password fallback
	{"oracle", true, 2, setupOracle},
	{"cgscan", false, 2, setupCgscan},
}

func setupCSP(t *testing.T, opts []tokenkit.Option, cfg tokenkit.SourceConfig, wrong string) (fake, *tokenkit.Source, []string) {
	f := csptest.New(t)
	key := f.AddAPIToken(csptest.APIToken{Scopes: []string{"openid"}})
	c, err := csp.New(f.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	src, err := c.APITokenSource(csp.APITokenRequest{APIToken: tokenkit.Secret(key + wrong)}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f, src, []string{key, key + wrong}
}

func setupCommvault(t *testing.T, opts []tokenkit.Option, cfg tokenkit.SourceConfig, wrong string) (fake, *tokenkit.Source, []string) {
	f := commvaulttest.New(t)
	const pw = "canary-commvault-pw-7731"
	f.AddUser(commvaulttest.User{Name: "admin", Password: pw, Email: "admin@example.com"})
	c, err := commvault.New(f.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	src, err := c.SessionSource(commvault.Credentials{Username: "admin", Password: tokenkit.Secret(pw + wrong)}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f, src, []string{pw, pw + wrong}
}

func setupCanvus(t *testing.T, opts []tokenkit.Option, cfg tokenkit.SourceConfig, wrong string) (fake, *tokenkit.Source, []string) {
	f := canvustest.New(t)
	const pw = "canary-canvus-pw-5519"
	f.AddUser(canvustest.User{Email: "bot@example.com", Password: pw})
	c, err := canvus.New(f.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	src, err := c.LoginSource(canvus.Credentials{Email: "bot@example.com", Password: tokenkit.Secret(pw + wrong)}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f, src, []string{pw, pw + wrong}
}

func setupOracle(t *testing.T, opts []tokenkit.Option, cfg tokenkit.SourceConfig, wrong string) (fake, *tokenkit.Source, []string) {
	f := oracletest.New(t)
	const pw = "canary-oracle-pw-2203"
	f.AddUser(oracletest.User{Username: "ci-bot", Password: pw})
	c, err := oracle.New(f.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	src, err := c.RefreshTokenSource(oracle.RefreshTokenRequest{Credentials: &oracle.Credentials{Username: "ci-bot", Password: tokenkit.Secret(pw + wrong)}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f, src, []string{pw, pw + wrong}
}

func setupCgscan(t *testing.T, opts []tokenkit.Option, cfg tokenkit.SourceConfig, wrong string) (fake, *tokenkit.Source, []string) {
	f := cgscantest.New(t)
	const pw = "canary-cgscan-pw-9046"
	f.AddUser(cgscantest.User{Username: "gina", Password: pw})
	c, err := cgscan.New(f.URL(), append([]tokenkit.Option{cgscan.WithAPIKey(tokenkit.Secret(f.APIKey()))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	src, err := c.SignInSource(cgscan.SignInRequest{Username: "gina", Password: tokenkit.Secret(pw + wrong)}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f, src, []string{pw, pw + wrong, f.APIKey()}
}

// tracingTransport starts an HTTP client span for each request from the
// request's context, as otelhttp does: the token endpoint's HTTP span.
type tracingTransport struct {
	base   http.RoundTripper
	tracer trace.Tracer
}

func (t *tracingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, span := t.tracer.Start(req.Context(), "HTTP "+req.Method, trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	return t.base.RoundTrip(req.WithContext(ctx))
}

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// run is the outcome of one scripted lifecycle.
type run struct {
	reader   *sdkmetric.ManualReader
	spans    *tracetest.SpanRecorder
	logs     *syncBuffer
	clock    *clock
	src      *tokenkit.Source
	canaries []string
	tokens   []string
	opts     []tokenkit.Option   // the client options, telemetry included
	done     chan tokenkit.Event // every EventFetchDone of the clients built with opts
}

// lifecycle runs the script on one vendor's fake: an exchange, an early
// refresh, an early refresh retried after a 429, a failed early refresh (429
// twice with one retry allowed), and a 401 that makes the Transport
// invalidate the token and resend with a fresh one. A vendor whose tokens do
// not expire fetches again after Reset instead of refreshing early.
func lifecycle(t *testing.T, v vendor) *run {
	t.Helper()
	r := &run{
		reader: sdkmetric.NewManualReader(),
		spans:  tracetest.NewSpanRecorder(),
		logs:   &syncBuffer{},
		clock:  &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)},
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()); _ = tp.Shutdown(context.Background()) })
	obs, err := tkotel.NewObserver(tkotel.WithMeterProvider(mp), tkotel.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = obs.Shutdown() })
	done := make(chan tokenkit.Event, 16)
	notify := tokenkit.ObserverFunc(func(ctx context.Context, e tokenkit.Event) context.Context {
		if e.Type == tokenkit.EventFetchDone {
			done <- e
		}
		return ctx
	})
	logger := slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	// The fake is built first by setup; its client is wrapped afterwards
	// through a late-bound transport.
	late := &lateTransport{}
	hc := &http.Client{Transport: &tracingTransport{base: late, tracer: tp.Tracer("http")}}
	var mu sync.Mutex
	cfg := tokenkit.SourceConfig{Save: func(_ context.Context, tok tokenkit.Token) error {
		mu.Lock()
		r.tokens = append(r.tokens, tok.Value())
		if at, ok := tok.(*oracle.AccessToken); ok {
			r.tokens = append(r.tokens, at.RefreshToken.Reveal())
		}
		mu.Unlock()
		return nil
	}}
	opts := []tokenkit.Option{
		tokenkit.WithHTTPClient(hc), tokenkit.WithClock(r.clock.Now), tokenkit.WithRetryMax(1),
		tokenkit.WithRetryWait(time.Millisecond, 2*time.Millisecond),
		tokenkit.WithObserver(tokenkit.Observers(obs, notify)), tokenkit.WithLogger(logger),
	}
	f, src, canaries := v.setup(t, opts, cfg, "")
	r.opts, r.done = opts, done
	late.base = f.Client().Transport
	if late.base == nil {
		late.base = http.DefaultTransport
	}
	f.SetClock(r.clock.Now)
	r.src, r.canaries = src, canaries
	ctx := context.Background()

	wait := func(step string) tokenkit.Event {
		t.Helper()
		select {
		case e := <-done:
			return e
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no fetch finished", step)
			return tokenkit.Event{}
		}
	}
	token := func(step string) tokenkit.Token {
		t.Helper()
		tok, err := src.Token(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return tok
	}
	// next makes the next Token call fetch: early, inside the refresh
	// window, or after Reset for tokens that do not expire.
	next := func() {
		if !v.expires {
			src.Reset()
			return
		}
		rem, ok := src.Remaining()
		if !ok {
			t.Fatal("no expiry to refresh ahead of")
		}
		r.clock.Advance(rem - tokenkit.DefaultRefreshWindow(rem)/2)
	}

	// 1. Exchange.
	token("exchange")
	if e := wait("exchange"); e.Err != nil {
		t.Fatalf("exchange: %v", e.Err)
	}
	r.checkTTL(t, v)
	// 2. Early refresh.
	next()
	token("early refresh")
	if e := wait("early refresh"); e.Err != nil {
		t.Fatalf("early refresh: %v", e.Err)
	}
	r.checkTTL(t, v)
	// 3. A refresh answered 429 once, retried.
	next()
	f.FailNext(1, Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
	token("rate-limited refresh")
	if e := wait("rate-limited refresh"); e.Err != nil {
		t.Fatalf("rate-limited refresh: %v", e.Err)
	}
	// 4. A failed refresh: 429, retried once, 429 again.
	next()
	f.FailNext(v.failing, Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
	_, err = src.Token(ctx)
	if e := wait("failed refresh"); e.Err == nil || !errors.Is(e.Err, tokenkit.ErrRateLimited) {
		t.Fatalf("failed refresh: %v", e.Err)
	}
	if v.expires != (err == nil) {
		t.Fatalf("failed refresh: Token error %v", err)
	}
	r.checkTTL(t, v) // the same token, less time left
	if !v.expires {
		src.Reset() // end the failure backoff
	}
	// 5. A 401: the Transport invalidates the token and resends with a new
	// one, inside the span of the outer HTTP request (as otelhttp around
	// tokenkit.Transport makes it).
	if !v.expires {
		token("before the 401")
		wait("before the 401")
	}
	f.FailNext(1, Fault{Status: http.StatusUnauthorized})
	client := &http.Client{Transport: &tokenkit.Transport{Source: src, Base: f.Client().Transport,
		Observer: tokenkit.Observers(obs, tokenkit.LogObserver(logger))}}
	pctx, probe := tp.Tracer("app").Start(ctx, "GET probe", trace.WithSpanKind(trace.SpanKindClient))
	req, _ := http.NewRequestWithContext(pctx, http.MethodGet, f.URL()+"/probe", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	probe.End()
	if e := wait("resend"); e.Err != nil || e.Reason != tokenkit.FetchMissing {
		t.Fatalf("fetch after the 401: %+v", e)
	}
	return r
}

// lateTransport sends through base, set once the fake exists.
type lateTransport struct{ base http.RoundTripper }

func (l *lateTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return l.base.RoundTrip(r)
}

func (r *run) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

func find(rm metricdata.ResourceMetrics, name string) *metricdata.Metrics {
	for _, sm := range rm.ScopeMetrics {
		for i := range sm.Metrics {
			if sm.Metrics[i].Name == name {
				return &sm.Metrics[i]
			}
		}
	}
	return nil
}

// sums returns the points of a counter keyed by their attributes, rendered
// "k=v,k=v" without the vendor and operation.
func sums(t *testing.T, rm metricdata.ResourceMetrics, name string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	m := find(rm, name)
	if m == nil {
		return out
	}
	s, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is %T, want a Sum[int64]", name, m.Data)
	}
	for _, p := range s.DataPoints {
		out[key(p.Attributes)] += p.Value
	}
	return out
}

func key(set attribute.Set) string {
	var parts []string
	for _, kv := range set.ToSlice() {
		if kv.Key == tkotel.AttrVendor || kv.Key == tkotel.AttrOperation {
			continue
		}
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	return strings.Join(parts, ",")
}

func (r *run) checkTTL(t *testing.T, v vendor) {
	t.Helper()
	rm := r.collect(t)
	m := find(rm, tkotel.MetricTTL)
	var points []metricdata.DataPoint[float64]
	if m != nil {
		points = m.Data.(metricdata.Gauge[float64]).DataPoints
	}
	if !v.expires {
		if len(points) != 0 {
			t.Errorf("TTL gauge for tokens that do not expire: %+v", points)
		}
		return
	}
	if len(points) != 1 {
		t.Fatalf("TTL points = %+v, want 1", points)
	}
	want := r.src.Cached().Expiry().Sub(r.clock.Now()).Seconds()
	if got := points[0].Value; math.Abs(got-want) > 1 {
		t.Errorf("TTL gauge = %.1fs, want %.1fs ±1s", got, want)
	}
	if vn, _ := points[0].Attributes.Value(tkotel.AttrVendor); vn.AsString() != v.name {
		t.Errorf("TTL gauge vendor = %q", vn.AsString())
	}
}

func TestLifecycleOnEveryFake(t *testing.T) {
	for _, v := range vendors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			r := lifecycle(t, v)
			rm := r.collect(t)

			reason := "early"
			if !v.expires {
				reason = "missing"
			}
			wantRefreshes := map[string]int64{
				"tokenkit.outcome=ok,tokenkit.refresh.reason=missing":             2,
				"tokenkit.outcome=ok,tokenkit.refresh.reason=" + reason:           2,
				"tokenkit.outcome=rate limited,tokenkit.refresh.reason=" + reason: 1,
			}
			wantWaiters := int64(2)
			if !v.expires {
				wantRefreshes = map[string]int64{
					"tokenkit.outcome=ok,tokenkit.refresh.reason=missing":           5,
					"tokenkit.outcome=rate limited,tokenkit.refresh.reason=missing": 1,
				}
				wantWaiters = 6
			}
			eq(t, tkotel.MetricRefreshes, sums(t, rm, tkotel.MetricRefreshes), wantRefreshes)
			eq(t, tkotel.MetricRefreshWaiters, sums(t, rm, tkotel.MetricRefreshWaiters), map[string]int64{"": wantWaiters})
			eq(t, tkotel.MetricRetries, sums(t, rm, tkotel.MetricRetries),
				map[string]int64{"http.response.status_code=429,tokenkit.retry.reason=rate limited": 1 + int64(v.failing)/2})
			eq(t, tkotel.MetricResends, sums(t, rm, tkotel.MetricResends), map[string]int64{"": 1})
			eq(t, tkotel.MetricInvalidations, sums(t, rm, tkotel.MetricInvalidations), map[string]int64{"": 1})

			var fetches int64
			for _, n := range wantRefreshes {
				fetches += n
			}
			h := find(rm, tkotel.MetricRefreshDuration)
			if h == nil {
				t.Fatal("no refresh duration histogram")
			}
			var count uint64
			for _, p := range h.Data.(metricdata.Histogram[float64]).DataPoints {
				count += p.Count
				if vn, _ := p.Attributes.Value(tkotel.AttrVendor); vn.AsString() != v.name {
					t.Errorf("duration point of vendor %q", vn.AsString())
				}
			}
			if h.Unit != "s" || count != uint64(fetches) {
				t.Errorf("refresh duration: unit %q, %d recorded; want s and %d", h.Unit, count, fetches)
			}

			// Spans: one tokenkit.refresh per fetch, the failed one in
			// error; every HTTP span of the vendor client is a child of
			// one; the outer request of the 401 says it was resent.
			refresh := map[trace.SpanID]sdktrace.ReadOnlySpan{}
			var failed int
			for _, s := range r.spans.Ended() {
				if s.Name() == tkotel.SpanRefresh {
					refresh[s.SpanContext().SpanID()] = s
					if s.Status().Code == codes.Error {
						failed++
					}
				}
			}
			if len(refresh) != int(fetches) || failed != 1 {
				t.Errorf("%d refresh spans, %d failed; want %d and 1", len(refresh), failed, fetches)
			}
			var httpSpans int
			for _, s := range r.spans.Ended() {
				switch {
				case strings.HasPrefix(s.Name(), "HTTP "):
					httpSpans++
					if _, ok := refresh[s.Parent().SpanID()]; !ok {
						t.Errorf("HTTP span %s is not a child of a %s span", s.Name(), tkotel.SpanRefresh)
					}
				case s.Name() == "GET probe":
					if !hasAttr(s.Attributes(), tkotel.AttrResendCount, "1") {
						t.Errorf("resent request's span lacks %s=1: %v", tkotel.AttrResendCount, s.Attributes())
					}
				}
			}
			if httpSpans < int(fetches)+1+v.failing/2 { // the retries add one request each
				t.Errorf("%d HTTP spans for %d fetches and 2 retries", httpSpans, fetches)
			}
		})
	}
}

func hasAttr(kvs []attribute.KeyValue, k attribute.Key, v string) bool {
	for _, kv := range kvs {
		if kv.Key == k && kv.Value.String() == v {
			return true
		}
	}
	return false
}

func eq(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}

// TestNoSecretInTelemetry feeds canary secrets (passwords, API tokens, API
// keys) and the tokens they buy through every lifecycle and searches every
// metric attribute, span name, attribute, event and status, and log record.
func TestNoSecretInTelemetry(t *testing.T) {
	for _, v := range vendors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			r := lifecycle(t, v)
			// A wrong credential too: the failure's records and spans
			// carry its kind, and the error text passes the redactor
			// (CSP echoes the submitted API token in its answer).
			_, bad, canaries := v.setup(t, r.opts, tokenkit.SourceConfig{}, "-canary-wrong-4417")
			if _, err := bad.Token(context.Background()); !errors.Is(err, tokenkit.ErrAuth) {
				t.Fatalf("wrong credential: %v", err)
			}
			<-r.done // the fetch's records are written after its callers are released
			r.canaries = append(r.canaries, canaries...)
			var seen strings.Builder
			rm := r.collect(t)
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					fmt.Fprintf(&seen, "%s %s %s\n", m.Name, m.Description, m.Unit)
					fmt.Fprintf(&seen, "%+v\n", m.Data)
					for _, set := range attrSets(m.Data) {
						for _, kv := range set.ToSlice() {
							fmt.Fprintf(&seen, "%s=%s\n", kv.Key, kv.Value.String())
						}
					}
				}
			}
			for _, s := range r.spans.Ended() {
				fmt.Fprintf(&seen, "%s %s %v\n", s.Name(), s.Status().Description, s.Attributes())
				for _, e := range s.Events() {
					fmt.Fprintf(&seen, "%s %v\n", e.Name, e.Attributes)
				}
			}
			seen.WriteString(r.logs.String())
			if !strings.Contains(r.logs.String(), "tokenkit: fetched a token") ||
				!strings.Contains(r.logs.String(), `"outcome":"invalid credential"`) ||
				!strings.Contains(r.logs.String(), "tokenkit: token refused; resending with a fresh one") {
				t.Errorf("the log misses lifecycle records:\n%s", r.logs.String())
			}
			secrets := append(append([]string(nil), r.canaries...), r.tokens...)
			if len(r.tokens) < 4 {
				t.Fatalf("only %d tokens seen", len(r.tokens))
			}
			for i, s := range secrets {
				if s != "" && strings.Contains(seen.String(), s) {
					t.Errorf("secret #%d (of %d canaries, then the tokens) found in the telemetry", i, len(r.canaries))
				}
			}
		})
	}
}

func attrSets(data metricdata.Aggregation) []attribute.Set {
	var out []attribute.Set
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	}
	return out
}
