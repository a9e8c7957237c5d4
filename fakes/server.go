package fakes

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// MaxBody bounds the request bodies a fake reads: a longer body is cut to
// MaxBody bytes and its Call says TooLarge (fake's choice).
const MaxBody = 1 << 20

// ErrDropped is the error the Responder returns, wrapped with the fake's
// name, for a request whose connection a Drop or DropAfterApply fault closed.
var ErrDropped = errors.New("connection dropped by injected fault")

// Config is what a fake tells its Server about itself: its name, how to
// name a request's operation, and how to answer. Serve is required; the
// other fields have defaults.
type Config struct {
	// Name is the fake's package name ("csptest", …). It prefixes the
	// errors of the Responder, ends the message of a Status fault
	// ("Too Many Requests (csptest injected fault)") and signs the default
	// HTML error page. Empty means "fake".
	Name string
	// Operation maps a request to its operation id, "" when it matches
	// none. It runs once as the request arrives, after the body was read
	// and before any fault; its answer is counted by Calls, recorded in
	// RecordedRequest.Operation and passed to Serve in Call.Op. Nil
	// counts every request under "".
	Operation func(r *http.Request) string
	// Serve answers a request that no fault stopped, and the request of
	// a DropAfterApply fault, whose answer goes to a recorder and is lost.
	// The request body has been read: r.Body replays Call.Body. Serve
	// decides what to answer when Call.TooLarge is set.
	Serve func(w http.ResponseWriter, r *http.Request, c Call)
	// Status writes the answer of a Status fault in the vendor's error
	// shape: HTTP status with a body that carries message. The
	// Retry-After header of the fault is already set on w.Header(). Nil
	// answers {"message": message} as JSON.
	Status func(w http.ResponseWriter, status int, message string)
	// Malformed is the body of a Malformed fault, answered with HTTP 200 as
	// application/json: the start of the vendor's success body, cut short.
	// Empty means `{"`.
	Malformed string
	// HTML returns the page of an HTML fault answered with status. Nil
	// answers a gateway-style page ("503 Service Unavailable") signed with
	// Name.
	HTML func(status int) string
	// Stream reports whether a request is answered with a stream that ends
	// only when the request does (a subscription). The Responder answers
	// such requests through a pipe as soon as their headers are written,
	// and a DropAfterApply fault drops them without serving them, since a
	// stream applies nothing. Nil streams nothing.
	Stream func(r *http.Request) bool
}

// Call is what the front of a Server learned about a request before it
// handed it to Config.Serve.
type Call struct {
	// Op is the operation id Config.Operation gave the request, "" if none.
	Op string
	// Body is the request body, at most MaxBody bytes. It must not be
	// modified: the recorded request shares it.
	Body []byte
	// TooLarge reports whether the body was longer than MaxBody, and Body
	// is cut short.
	TooLarge bool
}

// Server is the engine the five vendor fakes share, and you can build a
// fake of your own on it: the httptest server, the fault queue, the
// counters, the recorded requests and the clock. Each vendor fake embeds a
// *Server, so the methods below are the fakes' own: a test calls
// csptest.Server's FailNext, Requests or URL as documented here, and the
// vendor package documents only what is its own (its operations, its error
// bodies, what its clock drives).
//
// Its methods are safe for concurrent use. It holds its own mutex, which it
// never holds while calling the fake's hooks, so the fake may call Apply
// and Now while holding its own lock. Create one with New and start it with
// Start.
type Server struct {
	// Immutable after New.
	cfg       Config
	ts        *httptest.Server
	done      chan struct{}
	startOnce sync.Once
	closeOnce sync.Once
	dropped   error

	mu       sync.Mutex
	strict   testing.TB // nil: non-canonical paths are routed as canonical
	now      func() time.Time
	faults   []Fault
	opFaults map[string][]Fault // FailNextOp's queues, by operation
	calls    map[string]int
	applied  map[string]int
	total    int
	requests []record
}

// New returns a Server for a fake described by cfg, on a plain-HTTP
// httptest.Server that is not started yet, so that the fake can store the
// Server before any request can reach its handlers. It panics if cfg.Serve
// is nil.
func New(cfg Config) *Server {
	if cfg.Serve == nil {
		panic("fakes: Config.Serve is nil")
	}
	if cfg.Name == "" {
		cfg.Name = "fake"
	}
	s := &Server{
		cfg:      cfg,
		done:     make(chan struct{}),
		dropped:  fmt.Errorf("%s: %w", cfg.Name, ErrDropped),
		now:      time.Now,
		calls:    make(map[string]int),
		opFaults: make(map[string][]Fault),
		applied:  make(map[string]int),
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Start starts the httptest server; a fake calls it once its own state
// holds the Server, before it hands itself out. Later calls do nothing.
func (s *Server) Start() { s.startOnce.Do(s.ts.Start) }

// URL returns the origin of the fake's httptest server, such as
// http://127.0.0.1:53412, without a trailing slash: the base URL to give
// the vendor client's New in place of the product's (each fake's package
// doc says which).
func (s *Server) URL() string { return s.ts.URL }

// Client returns the http.Client of the fake's httptest server, which is
// configured to reach it.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Handler returns the whole fake, faults, counting and recording included,
// as an http.Handler sharing its state with the httptest server and the
// Responder. A Drop or DropAfterApply fault hijacks and closes the
// connection; where the ResponseWriter cannot be hijacked (an
// httptest.ResponseRecorder, HTTP/2), it and a Delay cut short by the
// request's context or by Close panic with http.ErrAbortHandler, which
// net/http servers turn into an aborted response.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Close releases the requests held by a Delay fault (their connections are
// dropped), ends the streams that watch Done, and shuts the httptest server
// down. Close may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	s.ts.Close()
}

// Done returns a channel that is closed when Close is called. A fake's
// long-running answers (streams) end when it is closed.
func (s *Server) Done() <-chan struct{} { return s.done }

// FailNext queues f for the next n requests, whatever their operation.
// Calls stack: faults apply in the order they were queued. A faulted request
// counts in Calls and TotalCalls and is recorded with Faulted set; it changes
// no state unless the fault is a DropAfterApply or only a Delay. The vendor
// error body a Status fault answers with, and the truncated body of a
// Malformed one, are in each fake's package doc, under Faults.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// FailNextOp queues f for the next n requests of the operation op only (an
// operation id as Calls takes it). A request of op takes a fault from this
// queue before the one FailNext fills; requests of other operations are not
// affected.
func (s *Server) FailNextOp(op string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.opFaults[op] = append(s.opFaults[op], f)
	}
}

// ClearFaults drops every queued fault, of FailNext and of FailNextOp.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	clear(s.opFaults)
}

// CallCounts returns Calls for every operation that received a request,
// "" for the unrouted ones.
func (s *Server) CallCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// AppliedCounts returns Applied for every operation Apply counted.
func (s *Server) AppliedCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.applied)
}

// Calls returns how many requests the fake received for the operation id
// op (the operationId of the vendor's OpenAPI spec, listed in each fake's
// package doc), faulted ones included. Calls("") counts the requests that
// matched no operation.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// TotalCalls returns how many requests the fake received in all, faulted
// and unrouted ones included.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Apply counts one request of op that changed the fake's state. It is for
// the author of a fake, not for tests: the fake's handlers call it where the
// change happens, so that a request whose answer a DropAfterApply fault lost
// counts too.
func (s *Server) Apply(op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied[op]++
}

// Applied returns how many requests of the operation op really changed the
// fake's state (tokens issued, rotated or revoked, sessions created or
// ended: each fake's package doc says what counts), those whose answer a
// DropAfterApply fault lost included; refused and faulted requests do not
// count. Compare it with Calls to prove that a client did not replay a
// state-changing request.
func (s *Server) Applied(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied[op]
}

// SetClock replaces the fake's clock, which Now reads and which drives
// every expiry, lifetime and timestamp of the fake (each fake's package doc
// says which). A nil now restores time.Now.
func (s *Server) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Now returns the time of the fake's clock (time.Now unless SetClock
// replaced it). The clock is called without the Server's lock held.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	now := s.now
	s.mu.Unlock()
	return now()
}
