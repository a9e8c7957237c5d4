package chaos

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

var (
	seedFlag    = flag.Uint64("chaos.seed", 0, "seed of the fault schedule (default: $CHAOS_SEED, else the clock)")
	workersFlag = flag.Int("chaos.workers", 8, "goroutines per vendor")
	opsFlag     = flag.Int("chaos.ops", 0, "operations per goroutine (default 100, 25 with -short)")
)

const (
	attemptTimeout = 200 * time.Millisecond // faultDelay is past it
	retryCap       = time.Second            // tokenkit.WithMaxRetryAfter
	opTimeout      = 15 * time.Second       // each operation's context
	deadlineSlack  = 2 * time.Second        // how late past its deadline a call may return
)

func chaosSeed(t *testing.T) uint64 {
	if *seedFlag != 0 {
		return *seedFlag
	}
	if v := os.Getenv("CHAOS_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED=%q: %v", v, err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// TestChaos runs every vendor's Sources, direct calls and Transports
// concurrently against the five fakes behind one seeded fault schedule; see
// the package documentation for what it asserts.
func TestChaos(t *testing.T) {
	seed := chaosSeed(t)
	t.Logf("chaos seed %d", seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("chaos seed %d; replay with:\n\tgo test -race -count=1 -run '^TestChaos$' ./internal/chaos/ -chaos.seed=%d", seed, seed)
		}
	})
	before := goroutines()
	workers, ops := *workersFlag, *opsFlag
	if ops <= 0 {
		ops = 100
		if testing.Short() {
			ops = 25
		}
	}
	start := time.Now()

	s := newSuite(t, seed)
	vendors := []*vendor{s.csp(), s.commvault(), s.canvus(), s.oracle(), s.cgscan()}
	var wg sync.WaitGroup
	for _, v := range vendors {
		wg.Go(func() { s.run(v, workers, ops) })
	}
	wg.Wait()
	ran := time.Since(start)

	// Close everything; a background refresh still under way fails.
	for _, v := range vendors {
		v.fs.Close()
	}
	s.transport.CloseIdleConnections()

	for _, v := range vendors {
		s.checkLedger(v)
		s.checkKinds(v)
		if v.check != nil {
			v.check()
		}
	}
	for _, g := range s.gauges {
		if m := g.max.Load(); m > 1 {
			s.problem("single-flight: %s had %d upstream token requests in flight at once (want at most 1)", g.name, m)
		}
	}
	s.checkSecrets()
	s.report(vendors, workers, ops, ran)
	s.flush()
	checkLeaks(t, before)
}

type suite struct {
	t         *testing.T
	seed      uint64
	logs      *lines
	logger    *slog.Logger
	secrets   *secrets
	transport *http.Transport

	mu       sync.Mutex
	problems []string
	errTexts strings.Builder
	nerrs    int
	ops      map[string]int     // "vendor op" -> calls made
	calls    map[string]*counts // "vendor op" -> outcomes of direct calls of mutating ops
	outcome  map[string]error   // "vendor op call" -> how a counted call ended
	gauges   []*gauge
	sends    *sends
	routes   map[string]func(method, path string, body []byte) string // by vendor
	unsent   map[string]int                                           // "vendor op" -> see tally
	failures []failure                                                // every error with a kind, for checkKinds
}

// counts are the outcomes of the calls of one operation as the SDK reported
// them.
type counts struct {
	ok      int // succeeded
	unknown int // an error matching tokenkit.ErrOutcomeUnknown
	invalid int // a 2xx answer that could not be used (tokenkit.ErrInvalidResponse)
	other   int // any other error: the server did not act
}

func newSuite(t *testing.T, seed uint64) *suite {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConnsPerHost = 64
	logs := &lines{}
	return &suite{
		t: t, seed: seed, logs: logs,
		logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		secrets:   newSecrets(),
		transport: tr,
		ops:       map[string]int{},
		calls:     map[string]*counts{},
		outcome:   map[string]error{},
		sends:     &sends{m: map[string][]string{}},
		routes:    map[string]func(string, string, []byte) string{},
		unsent:    map[string]int{},
	}
}

func (s *suite) problem(format string, args ...any) {
	s.mu.Lock()
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// flush reports the problems found, the first ones in full.
func (s *suite) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.problems {
		if i == 40 {
			s.t.Errorf("… and %d more problems", len(s.problems)-i)
			break
		}
		s.t.Error(p)
	}
}

// options are the shared options of every vendor client.
func (s *suite) options(g *gauge, extra ...tokenkit.Option) []tokenkit.Option {
	return append([]tokenkit.Option{
		tokenkit.WithHTTPClient(&http.Client{Transport: &tagRT{base: s.transport, gauge: g, sends: s.sends}}),
		tokenkit.WithLogger(s.logger),
		tokenkit.WithAttemptTimeout(attemptTimeout),
		tokenkit.WithRetryMax(3),
		tokenkit.WithRetryWait(5*time.Millisecond, 50*time.Millisecond),
		tokenkit.WithMaxRetryAfter(retryCap),
	}, extra...)
}

// newGauge measures the upstream requests of one Source.
func (s *suite) newGauge(name string) *gauge {
	g := &gauge{name: name}
	s.mu.Lock()
	s.gauges = append(s.gauges, g)
	s.mu.Unlock()
	return g
}

// sourceConfig is the SourceConfig of every vendor Source.
func (s *suite) sourceConfig(onToken func(tokenkit.Token)) tokenkit.SourceConfig {
	return tokenkit.SourceConfig{
		EarlyRetryBackoff: 200 * time.Millisecond,
		// Short failure backoffs keep the Sources fetching under the fault
		// schedule (the defaults would fail most calls fast for seconds).
		FailureBackoff:    10 * time.Millisecond,
		MaxFailureBackoff: 100 * time.Millisecond,
		FetchTimeout:      20 * time.Second,
		Logger:            s.logger,
		Save: func(_ context.Context, tok tokenkit.Token) error {
			if onToken != nil {
				onToken(tok)
			}
			return nil
		},
	}
}

// httpClient is a tokenkit.Transport over src.
func (s *suite) httpClient(src tokenkit.TokenSource) *http.Client {
	return tokenkit.NewClient(src, &tagRT{base: s.transport, markBase: true})
}

// get sends a GET through a tokenkit.Transport and checks how it ended.
func (s *suite) get(ctx context.Context, v, op string, hc *http.Client, u string) {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		s.problem("%s %s: %v", v, op, err)
		return
	}
	resp, err := hc.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	s.finish(ctx, v, op, start, err == nil, err, viaTransport)
}

type mode int

const (
	direct       mode = iota
	sourceToken       // Source.Token may return the caller's own context error
	viaTransport      // a Transport may return its base transport's errors as they are
)

// finish checks how one call ended: with a result or a *tokenkit.Error,
// before its deadline plus slack. It keeps the error's text for the secret
// scan.
func (s *suite) finish(ctx context.Context, v, op string, start time.Time, ok bool, err error, m mode) {
	id := callOf(ctx)
	if dl, has := ctx.Deadline(); has && time.Now().After(dl.Add(deadlineSlack)) {
		s.problem("%s %s (call %s) outlived its context: returned %v after it started, deadline %v",
			v, op, id, time.Since(start).Round(time.Millisecond), opTimeout)
	}
	s.mu.Lock()
	s.ops[v+" "+op]++
	if err != nil {
		s.nerrs++
		fmt.Fprintf(&s.errTexts, "%s\n%+v\n%#v\n", err.Error(), err, err)
	}
	s.mu.Unlock()
	if err == nil {
		if !ok {
			s.problem("%s %s (call %s) returned neither a result nor an error", v, op, id)
		}
		return
	}
	s.noteKind(ctx, v, op, err, m)
	var te *tokenkit.Error
	if errors.As(err, &te) {
		return
	}
	if (m == sourceToken || m == viaTransport) && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return
	}
	var be *baseError
	if m == viaTransport && errors.As(err, &be) {
		return
	}
	s.problem("%s %s (call %s) failed with %T, not a *tokenkit.Error: %v", v, op, id, err, err)
}

// tally counts the outcome of a direct call of a mutating operation.
//
// A call that reports an unknown outcome although its last attempt never
// left the client is a problem: the SDK must say "failed" when nothing was
// sent (httpx once waited for the token inside the attempt timeout and
// lost that distinction; see TestSlowTokenFetchIsNotAnAttemptTimeout). It
// is counted apart, as unsent, so that the Applied equation still holds.
func (s *suite) tally(ctx context.Context, v, op string, err error) {
	id := callOf(ctx)
	var te *tokenkit.Error
	if err != nil && ownIs(err, op, tokenkit.ErrOutcomeUnknown) && errors.As(err, &te) && s.sentOp(v, op, id) < te.Attempts {
		s.mu.Lock()
		s.unsent[v+" "+op]++
		s.mu.Unlock()
		s.problem("%s %s call %s: reported an unknown outcome, but its last attempt never left the client", v, op, id)
		err = errUnsent
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls[v+" "+op]
	if c == nil {
		c = &counts{}
		s.calls[v+" "+op] = c
	}
	c.add(op, err)
	s.outcome[v+" "+op+" "+id] = err
}

var errUnsent = errors.New("chaos: an unknown outcome whose last attempt was never sent")

// sentOp returns how many requests of op left the client for call id.
func (s *suite) sentOp(v, op, id string) int {
	route := s.routes[v]
	n := 0
	for _, r := range s.sends.of(id) {
		method, path, _ := strings.Cut(r, " ")
		if route(method, path, nil) == op {
			n++
		}
	}
	return n
}

func (c *counts) add(op string, err error) {
	var te *tokenkit.Error
	switch {
	case err == nil:
		c.ok++
	case ownIs(err, op, tokenkit.ErrOutcomeUnknown):
		c.unknown++
	case ownIs(err, op, tokenkit.ErrInvalidResponse) && errors.As(err, &te) && te.StatusCode/100 == 2:
		c.invalid++
	default:
		c.other++
	}
}

func (s *suite) counted(v, op string) counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.calls[v+" "+op]; c != nil {
		return *c
	}
	return counts{}
}

// vendor is one vendor's part of the run.
type vendor struct {
	name string
	fs   *faultServer
	// op runs one operation of worker w, chosen with rng.
	op func(ctx context.Context, w int, rng *rand.Rand)
	// counted are the state-creating operations whose every call the suite
	// makes itself, with the outcomes the SDK reported.
	counted map[string]func() counts
	// direct are the mutating operations the suite calls only directly, one
	// SDK call per operation id: none of their requests may follow one of
	// the same call that the server applied or answered ambiguously.
	direct []string
	// check runs the vendor's own end-of-run assertions.
	check func()
}

func (s *suite) run(v *vendor, workers, ops int) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			h := fnv.New64a()
			fmt.Fprintf(h, "%s/%d", v.name, w)
			rng := rand.New(rand.NewPCG(s.seed, h.Sum64()))
			for i := range ops {
				id := fmt.Sprintf("%s-%d-%d", v.name, w, i)
				ctx, cancel := context.WithTimeout(withCall(context.Background(), id), opTimeout)
				func() {
					defer func() {
						if r := recover(); r != nil {
							s.problem("%s: call %s panicked: %v\n%s", v.name, id, r, debug.Stack())
						}
					}()
					v.op(ctx, w, rng)
				}()
				cancel()
			}
		})
	}
	wg.Wait()
}

// pick returns an index drawn with the given weights.
func pick(rng *rand.Rand, weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := rng.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// lostInTransit counts the calls of op that the SDK reported as of unknown
// outcome although the server did not act on their last request: the
// request left the client but never reached the server, or the server
// answered without acting and the answer was lost to the attempt timeout on
// its way back (a loaded machine). The SDK cannot tell either from a server
// that is slow to answer, so "unknown" is the right report.
func (s *suite) lostInTransit(v *vendor, op string, entries []entry) int {
	last := map[string]entry{} // call id -> the last request of op the server saw
	reached := map[string]int{}
	for _, e := range entries {
		if e.op == op && e.call != "" {
			reached[e.call]++
			if p, ok := last[e.call]; !ok || e.n > p.n {
				last[e.call] = e
			}
		}
	}
	prefix := v.name + " " + op + " "
	s.mu.Lock()
	var unknown []string
	for k, err := range s.outcome {
		if id, ok := strings.CutPrefix(k, prefix); ok && err != nil && ownIs(err, op, tokenkit.ErrOutcomeUnknown) {
			unknown = append(unknown, id)
		}
	}
	s.mu.Unlock()
	n := 0
	for _, id := range unknown {
		e, seen := last[id]
		switch {
		case s.sentOp(v.name, op, id) > reached[id]:
			n++ // the last request never arrived
		case seen && e.applied == 0 && !e.kind.ambiguous():
			n++ // answered without acting; the answer was lost
		}
	}
	return n
}

// checkLedger compares what the fake applied with what the SDK reported, and
// looks for requests of a call sent after the server acted.
func (s *suite) checkLedger(v *vendor) {
	entries := v.fs.entries()
	ops := slices.Sorted(func(yield func(string) bool) {
		for op := range v.counted {
			if !yield(op) {
				return
			}
		}
	})
	for _, op := range ops {
		// What the server did: the requests it applied, and those it
		// answered ambiguously (the client cannot tell whether it acted)
		// without acting.
		var seen, amb [numKinds]int
		attributed := 0
		for _, e := range entries {
			if e.op != op {
				continue
			}
			seen[e.kind]++
			attributed += e.applied
			if e.kind.ambiguous() && e.applied == 0 {
				amb[e.kind]++
			}
		}
		applied := v.fs.fake.Applied(op)
		if attributed != applied {
			s.problem("%s %s: the fake applied %d requests, the wrapper saw %d of them applied", v.name, op, applied, attributed)
		}
		transit := s.lostInTransit(v, op, entries)
		open := amb[kDrop] + amb[kDropAfterApply] + amb[kMalformed] + amb[kLost] + transit
		c := v.counted[op]()
		if lhs, rhs := applied+open, c.ok+c.unknown+c.invalid; lhs != rhs {
			s.problem("%s %s: replayed after the server acted? Applied %d + answers that left the outcome open without acting %d "+
				"(dropped before acting %d, dropped after refusing %d, truncated %d, client gave up %d, lost in transit %d) = %d, "+
				"but the SDK reported %d calls as succeeded + %d as of unknown outcome + %d as invalid 2xx answers = %d (and %d as failed); "+
				"faults seen by the op's requests: %s",
				v.name, op, applied, open, amb[kDrop], amb[kDropAfterApply], amb[kMalformed], amb[kLost], transit, lhs,
				c.ok, c.unknown, c.invalid, rhs, c.other, kindSummary(seen))
			s.explain(v, op, entries)
		}
	}

	// Per call: no request of a mutating operation after one that the
	// server applied or answered ambiguously.
	type key struct{ call, op string }
	seq := map[key][]entry{}
	for _, e := range entries {
		if slices.Contains(v.direct, e.op) && e.call != "" {
			seq[key{e.call, e.op}] = append(seq[key{e.call, e.op}], e)
		}
	}
	replays := map[string][]string{} // op -> the calls that replayed
	for _, k := range slices.SortedFunc(maps.Keys(seq), func(a, b key) int { return strings.Compare(a.call, b.call) }) {
		es := seq[k]
		slices.SortFunc(es, func(a, b entry) int { return a.n - b.n })
	next:
		for i := 1; i < len(es); i++ {
			for j := range i {
				if p := es[j]; p.applied > 0 || p.kind.ambiguous() {
					what := p.kind.String()
					if p.applied > 0 {
						what = "applied (" + what + ")"
					}
					replays[k.op] = append(replays[k.op], fmt.Sprintf("call %s sent request #%d after request #%d was %s", k.call, es[i].n, p.n, what))
					break next
				}
			}
		}
	}
	for _, op := range slices.Sorted(maps.Keys(replays)) {
		r := replays[op]
		s.problem("%s %s: %d calls sent a request again after the server applied or ambiguously answered an earlier one, e.g. %s",
			v.name, op, len(r), strings.Join(r[:min(3, len(r))], "; "))
	}
}

// explain lists the calls of op whose requests, as the server saw them,
// disagree with how the SDK said the call ended.
func (s *suite) explain(v *vendor, op string, entries []entry) {
	byCall := map[string][]entry{}
	for _, e := range entries {
		if e.op == op {
			byCall[e.call] = append(byCall[e.call], e)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := map[string]bool{}
	for id := range byCall {
		ids[id] = true
	}
	prefix := v.name + " " + op + " "
	for k := range s.outcome {
		if id, ok := strings.CutPrefix(k, prefix); ok {
			ids[id] = true
		}
	}
	shown := 0
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		es := byCall[id]
		server := 0
		var kinds []string
		for _, e := range es {
			server += e.applied
			if e.kind.ambiguous() && e.applied == 0 {
				server++
			}
			kinds = append(kinds, fmt.Sprintf("#%d %s applied=%d", e.n, e.kind, e.applied))
		}
		err, known := s.outcome[prefix+id]
		if !known {
			continue
		}
		var c counts
		c.add(op, err)
		if client := c.ok + c.unknown + c.invalid; client != server {
			s.problems = append(s.problems, fmt.Sprintf("  %s %s call %s: requests [%s]; the SDK returned: %v", v.name, op, id, strings.Join(kinds, "; "), err))
			if shown++; shown == 3 {
				return
			}
		}
	}
}

func kindSummary(n [numKinds]int) string {
	var parts []string
	for k, c := range n {
		if c > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", kind(k), c))
		}
	}
	return strings.Join(parts, ", ")
}

// checkSecrets looks for every secret in every log line and error.
func (s *suite) checkSecrets() {
	logs, _ := s.logs.snapshot()
	s.mu.Lock()
	errs := s.errTexts.String()
	s.mu.Unlock()
	for where, text := range map[string]string{"log line": logs, "error": errs} {
		for v, what := range s.secrets.find(text) {
			line := text
			if i := strings.Index(text, v); i >= 0 {
				from := strings.LastIndexByte(text[:i], '\n') + 1
				to := strings.IndexByte(text[i:], '\n')
				if to < 0 {
					to = len(text) - i
				}
				line = text[from : i+to]
			}
			if len(line) > 400 {
				line = line[:400] + "…"
			}
			s.problem("secret leaked: a %s in a %s: %s", what, where, strings.ReplaceAll(line, v, "<"+what+">"))
		}
	}
}

func (s *suite) report(vendors []*vendor, workers, ops int, ran time.Duration) {
	s.mu.Lock()
	opCount := maps.Clone(s.ops)
	unsent := maps.Clone(s.unsent)
	nerrs := s.nerrs
	s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "chaos: seed %d, %d vendors × %d goroutines × %d operations in %v\n", s.seed, len(vendors), workers, ops, ran.Round(time.Millisecond))
	total := 0
	for _, v := range vendors {
		var n [numKinds]int
		es := v.fs.entries()
		for _, e := range es {
			n[e.kind]++
		}
		var opn []string
		for k, c := range opCount {
			if name, ok := strings.CutPrefix(k, v.name+" "); ok {
				opn = append(opn, fmt.Sprintf("%s %d", name, c))
				total += c
			}
		}
		slices.Sort(opn)
		fmt.Fprintf(&b, "  %s: %d requests (%s)\n    calls: %s\n", v.name, len(es), kindSummary(n), strings.Join(opn, ", "))
		for op, f := range v.counted {
			c := f()
			fmt.Fprintf(&b, "    %s: Applied %d; SDK: ok %d, unknown %d, invalid %d, failed %d (of which unknown but unsent %d)\n",
				op, v.fs.fake.Applied(op), c.ok, c.unknown, c.invalid, c.other, unsent[v.name+" "+op])
		}
	}
	_, nlogs := s.logs.snapshot()
	fmt.Fprintf(&b, "  %d calls, %d errors, %d log lines, %d secrets searched for", total, nerrs, nlogs, s.secrets.len())
	s.t.Log(b.String())
}
