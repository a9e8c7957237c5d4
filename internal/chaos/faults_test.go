package chaos

import (
	"bytes"
	"context"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// callHeader carries the id of the operation that sent a request, from the
// client's context to the fault schedule and the ledger.
const callHeader = "X-Chaos-Call"

type callKey struct{}

func withCall(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, callKey{}, id)
}

func callOf(ctx context.Context) string {
	id, _ := ctx.Value(callKey{}).(string)
	return id
}

// kind is one fault of the schedule.
type kind int

const (
	kNone kind = iota
	k429
	k429RetryAfter     // Retry-After within the client's cap
	k429RetryAfterPast // Retry-After past the client's cap
	k5xx
	kHTML
	kDrop           // connection dropped before the server acted
	kDropAfterApply // the server acted, then the connection dropped
	kMalformed      // 200 with truncated JSON, without acting
	kDelay          // no answer before the per-attempt timeout
	kLost           // delayed, and the client gave up: never reached the fake
	numKinds
)

var kindNames = [...]string{"none", "429", "429+Retry-After", "429+Retry-After past cap", "5xx", "HTML", "drop",
	"drop after apply", "malformed", "delay (served)", "delay (client gave up)"}

func (k kind) String() string { return kindNames[k] }

// ambiguous reports whether a client cannot tell from the answer whether the
// server acted: these must never be followed by a resend of a mutating call.
func (k kind) ambiguous() bool {
	return k == kDrop || k == kDropAfterApply || k == kMalformed || k == kLost
}

// plan is the fault decided for one request.
type plan struct {
	kind       kind
	status     int
	retryAfter string
}

// faultWeights is the distribution of faults per request, in percent.
var faultWeights = [numKinds]int{
	kNone: 62, k429: 5, k429RetryAfter: 4, k429RetryAfterPast: 2, k5xx: 8, kHTML: 3,
	kDrop: 5, kDropAfterApply: 5, kMalformed: 4, kDelay: 2,
}

const faultDelay = 400 * time.Millisecond // past attemptTimeout

// decide returns the fault of the n-th request (from 0) of call id at vendor:
// a pure function of the seed and its arguments.
func decide(seed uint64, vendor, id string, n int) plan {
	h := fnv.New64a()
	_, _ = io.WriteString(h, vendor)
	_, _ = h.Write([]byte{0})
	_, _ = io.WriteString(h, id)
	_, _ = h.Write([]byte{0})
	_, _ = io.WriteString(h, strconv.Itoa(n))
	r := rand.New(rand.NewPCG(seed, h.Sum64()))
	x := r.IntN(100)
	k := kNone
	for i, w := range faultWeights {
		if x < w {
			k = kind(i)
			break
		}
		x -= w
	}
	p := plan{kind: k}
	switch k {
	case k429:
		p.status = http.StatusTooManyRequests
	case k429RetryAfter:
		p.status = http.StatusTooManyRequests
		switch r.IntN(3) {
		case 0:
			p.retryAfter = "0"
		case 1:
			p.retryAfter = "1"
		default:
			p.retryAfter = "date" // an HTTP-date about a second ahead, set when served
		}
	case k429RetryAfterPast:
		p.status = http.StatusTooManyRequests
		p.retryAfter = strconv.Itoa(30 + r.IntN(3600))
	case k5xx:
		p.status = []int{500, 502, 503, 504}[r.IntN(4)]
	case kHTML:
		p.status = []int{502, 503}[r.IntN(2)]
	}
	return p
}

// fault is the vendor-neutral form of a fake's Fault; every fake has the
// same fields.
type fault struct {
	Status         int
	RetryAfter     string
	Drop           bool
	DropAfterApply bool
	Malformed      bool
	HTML           bool
}

func (p plan) fault() fault {
	ra := p.retryAfter
	if ra == "date" {
		ra = time.Now().Add(1500 * time.Millisecond).UTC().Format(http.TimeFormat)
	}
	switch p.kind {
	case kDrop:
		return fault{Drop: true}
	case kDropAfterApply:
		return fault{DropAfterApply: true}
	case kMalformed:
		return fault{Malformed: true}
	case kHTML:
		return fault{HTML: true, Status: p.status}
	}
	return fault{Status: p.status, RetryAfter: ra}
}

// fake is what the suite needs of every vendor's fake.
type fake interface {
	Handler() http.Handler
	Applied(op string) int
	Calls(op string) int
	Close()
}

// entry is one request as the wrapper saw it.
type entry struct {
	op      string
	call    string
	n       int // index of the request within its call
	kind    kind
	applied int // change of Applied(op) while serving it (mutating ops only)
}

// faultServer is the wrapper in front of one fake: it decides each request's
// fault, queues it on the fake and serves the request, and keeps a ledger.
type faultServer struct {
	vendor   string
	seed     uint64
	fake     fake
	inner    http.Handler
	failNext func(fault)
	route    func(method, path string, body []byte) string
	mutating map[string]bool
	srv      *httptest.Server
	base     string // the vendor's base URL on srv

	// mu is held shared by requests without a fault, and alone while a
	// fault is queued and served (so that no other request takes it) and
	// while a mutating request is served (so that the change of Applied is
	// its own).
	mu sync.RWMutex

	// handlers counts the requests being served: httptest.Server.Close
	// does not wait for handlers whose connection was hijacked (a Drop).
	handlers sync.WaitGroup

	lmu     sync.Mutex
	perCall map[string]int
	ledger  []entry
	harvest func(h http.Header, body []byte)
}

func newFaultServer(vendor string, seed uint64, f fake, fakeURL string, failNext func(fault),
	route func(method, path string, body []byte) string, mutating []string, harvest func(http.Header, []byte)) *faultServer {
	s := &faultServer{
		vendor: vendor, seed: seed, fake: f, inner: f.Handler(), failNext: failNext, route: route,
		mutating: map[string]bool{}, perCall: map[string]int{}, harvest: harvest,
	}
	for _, op := range mutating {
		s.mutating[op] = true
	}
	s.srv = httptest.NewServer(s)
	u, err := url.Parse(fakeURL)
	if err != nil {
		panic(err)
	}
	s.base = s.srv.URL + strings.TrimSuffix(u.Path, "/")
	return s
}

func (s *faultServer) Close() {
	s.srv.Close()
	s.handlers.Wait()
	s.fake.Close()
}

func (s *faultServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := s.route(r.Method, r.URL.Path, body)
	id := r.Header.Get(callHeader)
	s.harvest(r.Header, body)

	s.lmu.Lock()
	n := s.perCall[id]
	s.perCall[id] = n + 1
	s.lmu.Unlock()
	p := decide(s.seed, s.vendor, id, n)
	if id == "" {
		p = plan{} // not the suite's request: never faulted
	}
	e := entry{op: op, call: id, n: n, kind: p.kind}
	if err != nil {
		e.kind = kLost
		s.record(e)
		return
	}
	if p.kind == kDelay {
		t := time.NewTimer(faultDelay)
		select {
		case <-r.Context().Done():
			t.Stop()
			e.kind = kLost
			s.record(e)
			return
		case <-t.C:
			p = plan{} // the client is still there: answer normally
		}
	}
	mut := s.mutating[op]
	if p.kind == kNone && !mut {
		s.mu.RLock()
		s.inner.ServeHTTP(w, r)
		s.mu.RUnlock()
		s.record(e)
		return
	}
	s.mu.Lock()
	a0 := 0
	if mut {
		a0 = s.fake.Applied(op)
	}
	defer func() {
		// Runs also when a fake aborts an answer with http.ErrAbortHandler,
		// which then goes on to the server.
		if mut {
			e.applied = s.fake.Applied(op) - a0
		}
		s.mu.Unlock()
		s.record(e)
	}()
	if p.kind != kNone {
		s.failNext(p.fault())
	}
	s.inner.ServeHTTP(w, r)
}

func (s *faultServer) record(e entry) {
	s.lmu.Lock()
	s.ledger = append(s.ledger, e)
	s.lmu.Unlock()
}

func (s *faultServer) entries() []entry {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	return append([]entry(nil), s.ledger...)
}
