// Package httpx is the retrying transport every vendor package shares. It is
// built on hashicorp/go-retryablehttp and fixes what that library's defaults
// get wrong for token APIs:
//
//   - the retry decision belongs to the operation (Class): calls that create or
//     rotate state are retried only when the request provably never reached the
//     server (dial or TLS handshake failure) or the server said it did not act
//     (429);
//   - backoff has full jitter; Retry-After (delta-seconds and every HTTP-date
//     form) is honoured but capped, and a wait past the cap or past the
//     context's deadline ends the call with the server's answer instead;
//   - the last response is handed back for error decoding, never swallowed;
//   - the token is attached per attempt, inside the retry loop;
//   - every attempt has a timeout, every body read is bounded, and every log
//     line and error passes the redactor.
package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/config"
	"github.com/tokenkit/tokenkit/internal/redact"
)

// Class says whether an operation may be repeated.
type Class int

const (
	// Idempotent operations have no side effect, or the same effect however
	// often they run (GETs, the CSP and Oracle token exchanges). They are
	// retried after transport errors, 408, 429 and 5xx other than 501.
	Idempotent Class = iota
	// Mutating operations create or rotate state (Commvault create and
	// renew, Canvus create, Clone Guard generate). They are retried only
	// after a failure to connect or a TLS handshake failure, when the
	// request never reached the server, and after 429.
	Mutating
)

// String names the class in logs and test names.
func (c Class) String() string {
	if c == Mutating {
		return "mutating"
	}
	return "idempotent"
}

// Op describes one call of one vendor operation. Vendor packages create one
// per call and pass it to Call, which carries it in the request context to
// every attempt.
type Op struct {
	Name  string
	Class Class
	// Auth, if set, supplies the token attached to each attempt.
	Auth tokenkit.TokenSource
	// Stream marks a long-lived response (a subscription): the per-attempt
	// timeout then bounds only the wait for the response headers, never
	// the body, and the body has no size limit (the caller bounds each
	// frame it reads).
	Stream bool

	mu          sync.Mutex
	secrets     []string
	attempts    int
	nextWait    time.Duration // chosen by checkRetry for the next backoff
	hasNextWait bool
	answered    bool // the latest attempt received a response
	lastStatus  int  // its status
}

// refusedLast reports whether the latest attempt was answered 429: the
// server said it did not act, and the call was waiting to retry.
func (op *Op) refusedLast() bool {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.answered && op.lastStatus == http.StatusTooManyRequests
}

type opKey struct{}

func withOp(ctx context.Context, op *Op) context.Context { return context.WithValue(ctx, opKey{}, op) }

func opFrom(ctx context.Context) *Op {
	op, _ := ctx.Value(opKey{}).(*Op)
	return op
}

func (op *Op) addSecrets(s []string) {
	op.mu.Lock()
	op.secrets = append(op.secrets, s...)
	op.mu.Unlock()
}

// Secrets returns the secret values this call has sent so far, for scrubbing
// anything the server echoes back.
func (op *Op) Secrets() []string {
	op.mu.Lock()
	defer op.mu.Unlock()
	return append([]string(nil), op.secrets...)
}

// Attempts returns how many attempts the call made.
func (op *Op) Attempts() int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.attempts
}

// ErrorDecoder fills e (Code, Message, RequestID, Err) from a vendor's error
// body, which arrives with known secrets already masked. The caller has
// already set Vendor, Op, StatusCode, RetryAfter, RequestID and Body.
type ErrorDecoder func(body []byte, header http.Header, e *tokenkit.Error)

// Client sends the requests of one vendor client. It implements the
// HttpRequestDoer interface of oapi-codegen's generated clients.
type Client struct {
	vendor   string
	settings *config.Settings
	rc       *retryablehttp.Client
	streamRC *retryablehttp.Client // rc without the client-wide timeout
	// attemptTimeout bounds each non-stream attempt, body included; 0 when
	// the user's own http.Client.Timeout governs instead.
	attemptTimeout time.Duration
	decode         ErrorDecoder
	ua             string
	logger         *slog.Logger
	obs            tokenkit.Observer // WithObserver's, for retries
	resendObs      tokenkit.Observer // obs and the logger's, for resends
}

// Apply applies opts over the defaults and reports invalid ones.
func Apply(opts []tokenkit.Option) (*config.Settings, error) {
	s := config.Defaults()
	for i, o := range opts {
		if o == nil {
			s.Fail(fmt.Errorf("%w: option %d is nil", tokenkit.ErrConfig, i))
			continue
		}
		o(s)
	}
	return s, s.Err()
}

// New returns the transport of vendor with settings s; decode turns that
// vendor's error bodies into *tokenkit.Error fields.
func New(vendor string, s *config.Settings, decode ErrorDecoder) *Client {
	hc := s.HTTPClient
	if hc == nil {
		hc = cleanhttp.DefaultPooledClient()
		hc.Transport = boundedTransport(hc.Transport)
	}
	inner := *hc // never modify the user's client
	// A credential belongs to the origin it was configured for: vendor
	// calls never follow a redirect, whatever the user's client does. The
	// 3xx answer itself comes back, and Open reports it (ErrRedirected).
	// Following would resend the vendor's own credential headers
	// (Authtoken, Private-Token, x-api-key, csp-auth-token), which net/http
	// does not strip, and with 307/308 the body (passwords, refresh
	// tokens) to whatever host the Location names; and a mutating call
	// would count hops as attempts.
	inner.CheckRedirect = noRedirects
	base := inner.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c := &Client{vendor: vendor, settings: s, decode: decode, logger: s.Logger}
	c.obs, _ = s.Observer.(tokenkit.Observer)
	c.resendObs = tokenkit.Observers(c.obs, tokenkit.LogObserver(s.Logger))
	if inner.Timeout == 0 {
		// The attempt RoundTripper applies the per-attempt timeout itself,
		// after it has the token: a slow token fetch must not eat into the
		// attempt, nor turn "never sent" into "timed out" (which for a
		// mutating call would read as an unknown outcome).
		c.attemptTimeout = s.AttemptTimeout
	}
	inner.Transport = &attempt{c: c, base: base}

	ua := "tokenkit-go/" + tokenkit.Version + " (" + vendor + ")"
	if s.UserAgent != "" {
		ua = s.UserAgent + " " + ua
	}
	c.ua = ua

	c.rc = c.retrying(&inner)
	stream := inner
	stream.Timeout = 0 // the attempt RoundTripper bounds the headers instead
	c.streamRC = c.retrying(&stream)
	return c
}

func (c *Client) retrying(hc *http.Client) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       nil, // tokenkit logs through the redactor instead
		RetryWaitMin: c.settings.RetryWaitMin,
		RetryWaitMax: c.settings.RetryWaitMax,
		RetryMax:     c.settings.RetryMax,
		CheckRetry:   c.checkRetry,
		Backoff:      c.backoff,
		ErrorHandler: passLastResponse,
	}
}

// Vendor returns the vendor name errors carry.
func (c *Client) Vendor() string { return c.vendor }

// Settings returns the settings the client was built with.
func (c *Client) Settings() *config.Settings { return c.settings }

// Do sends req with retries. req's context must carry an Op (see Call).
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	op := opFrom(req.Context())
	if op == nil {
		return nil, fmt.Errorf("tokenkit: internal error: %s request without an operation", c.vendor)
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	op.addSecrets(redact.RequestSecrets(req.Header, req.URL, body))

	var rbody any
	if body != nil {
		rbody = body
	}
	rreq, err := retryablehttp.NewRequestWithContext(req.Context(), req.Method, req.URL.String(), rbody)
	if err != nil {
		return nil, err
	}
	for k, v := range req.Header {
		rreq.Header[k] = v
	}
	if body == nil && rreq.Header.Get("Content-Type") == "" {
		// oapi-codegen sets an empty Content-Type on bodiless requests.
		rreq.Header.Del("Content-Type")
	}
	rreq.Header.Set("User-Agent", c.ua)
	rc := c.rc
	if op.Stream {
		rc = c.streamRC
	}
	resp, err := rc.Do(rreq)
	if err != nil {
		return nil, err
	}
	if !op.Stream {
		resp.Body = &limitedBody{rc: resp.Body, left: c.settings.MaxResponseBytes}
	}
	return resp, nil
}

// noRedirects is the CheckRedirect of every vendor client: the redirect
// answer is returned as it is, never followed.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// MaxResponseHeaderBytes bounds the response headers the default transport
// reads (net/http's own default is 10 MB): a hostile server cannot make a
// call allocate more than the documented bound with headers either. A
// client passed with tokenkit.WithHTTPClient keeps its own setting.
const MaxResponseHeaderBytes = 64 << 10

// boundedTransport applies MaxResponseHeaderBytes to the default pooled
// transport.
func boundedTransport(rt http.RoundTripper) http.RoundTripper {
	if t, ok := rt.(*http.Transport); ok {
		t.MaxResponseHeaderBytes = MaxResponseHeaderBytes
	}
	return rt
}

// passLastResponse hands the last response to the caller for error decoding
// when retries give up, instead of retryablehttp's default of dropping it.
func passLastResponse(resp *http.Response, err error, attempts int) (*http.Response, error) {
	if resp != nil {
		return resp, nil
	}
	if err == nil {
		err = errors.New("giving up")
	}
	return nil, err
}

// attempt is the RoundTripper under retryablehttp: it runs once per attempt,
// attaches a fresh token and logs through the redactor.
type attempt struct {
	c    *Client
	base http.RoundTripper
}

func (a *attempt) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	op := opFrom(ctx)
	n := 0
	rt := a.base
	if op != nil {
		op.mu.Lock()
		op.attempts++
		n = op.attempts
		op.mu.Unlock()
		if op.Auth != nil {
			// The token is fetched before the attempt's clock starts: a
			// slow token fetch must not turn "never sent" into "timed out".
			tok, err := op.Auth.Token(ctx)
			if err != nil {
				if req.Body != nil {
					_ = req.Body.Close()
				}
				return nil, &authError{err: err}
			}
			// tokenkit.Transport presents it, and on a 401 invalidates it
			// and resends once with a fresh one: the one implementation of
			// re-authentication, outside the retry budget.
			rt = &tokenkit.Transport{Source: &attemptSource{op: op, first: tok}, Base: a.base, AllowPlainHTTP: true,
				Observer: a.c.labeled(op)}
		}
	}
	req, finish := a.bound(ctx, op, req)
	start := time.Now()
	resp, err := finish(rt.RoundTrip(req))
	if op != nil {
		op.mu.Lock()
		// Sent means sent: an attempt that received any response, a
		// redirect included, reached a server.
		op.answered = resp != nil
		op.lastStatus = 0
		if resp != nil {
			op.lastStatus = resp.StatusCode
		}
		op.mu.Unlock()
	}
	if l := a.c.logger; l != nil && l.Enabled(ctx, slog.LevelDebug) {
		attrs := []slog.Attr{
			slog.String("vendor", a.c.vendor),
			slog.String("method", req.Method),
			slog.String("url", redact.URL(req.URL)),
			slog.Int("attempt", n),
			slog.Duration("elapsed", time.Since(start)),
		}
		if op != nil {
			attrs = append(attrs, slog.String("op", op.Name))
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", a.c.scrub(op, err.Error())))
		} else {
			attrs = append(attrs, slog.Int("status", resp.StatusCode))
		}
		l.LogAttrs(ctx, slog.LevelDebug, "tokenkit: http attempt", attrs...)
	}
	return resp, err
}

// bound applies the attempt's time limit to req and returns the function
// that settles the outcome of the round trip. A stream's limit covers only
// the wait for its headers; any other attempt's covers the body too. Either
// expiry is reported as a timeout (net.Error), never as a bare context error.
func (a *attempt) bound(ctx context.Context, op *Op, req *http.Request) (*http.Request, func(*http.Response, error) (*http.Response, error)) {
	switch {
	case op != nil && op.Stream:
		sctx, cancel := context.WithCancel(ctx)
		stop := time.AfterFunc(a.c.settings.AttemptTimeout, cancel).Stop
		return req.WithContext(sctx), func(resp *http.Response, err error) (*http.Response, error) {
			fired := !stop()
			if err != nil {
				cancel()
				if fired && ctx.Err() == nil {
					err = errStreamHeaderTimeout
				}
				return resp, err
			}
			resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
			return resp, nil
		}
	case a.c.attemptTimeout > 0:
		actx, cancel := context.WithTimeout(ctx, a.c.attemptTimeout)
		return req.WithContext(actx), func(resp *http.Response, err error) (*http.Response, error) {
			if err != nil {
				cancel()
				if actx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
					err = errAttemptTimeout
				}
				return resp, err
			}
			resp.Body = &attemptBody{ReadCloser: resp.Body, cancel: cancel, actx: actx, parent: ctx}
			return resp, nil
		}
	}
	return req, func(resp *http.Response, err error) (*http.Response, error) { return resp, err }
}

// attemptSource is the token source of one attempt's tokenkit.Transport:
// first the token already fetched for the attempt, then, after the
// Transport invalidated it on a 401, a fresh one from the operation's
// source. Every token it hands out is registered with the call's redactor
// in every form a server may echo.
type attemptSource struct {
	op    *Op
	first tokenkit.Token
	used  bool
}

func (s *attemptSource) Token(ctx context.Context) (tokenkit.Token, error) {
	tok := s.first
	if s.used {
		if _, ok := s.op.Auth.(tokenkit.Invalidator); !ok {
			return tok, nil // the source cannot refresh: no resend
		}
		fresh, err := s.op.Auth.Token(ctx)
		if err != nil {
			return nil, err
		}
		tok = fresh
	}
	s.used = true
	s.op.addSecrets(redact.Variants([]string{tok.Value()}))
	hdr := http.Header{}
	probe := &http.Request{Header: hdr, URL: &url.URL{}}
	tok.SetAuthHeader(probe)
	s.op.addSecrets(redact.RequestSecrets(hdr, nil, nil))
	return tok, nil
}

// Invalidate passes a refused token to the operation's source.
func (s *attemptSource) Invalidate(rejected tokenkit.Token) {
	if inv, ok := s.op.Auth.(tokenkit.Invalidator); ok {
		inv.Invalidate(rejected)
	}
}

// errStreamHeaderTimeout is a timeout (net.Error), so an idempotent stream
// whose headers do not come in time is retried like any timed-out attempt.
var errStreamHeaderTimeout error = headerTimeout{}

type headerTimeout struct{}

func (headerTimeout) Error() string   { return "timeout awaiting the response headers of a stream" }
func (headerTimeout) Timeout() bool   { return true }
func (headerTimeout) Temporary() bool { return true }

// errAttemptTimeout is a timeout (net.Error): an attempt, body included,
// that outlasts WithAttemptTimeout is retried like any timed-out attempt
// (for idempotent operations) and, once sent, leaves a mutating call's
// outcome unknown.
var errAttemptTimeout error = attemptTimeoutError{}

type attemptTimeoutError struct{}

func (attemptTimeoutError) Error() string   { return "the attempt timed out (WithAttemptTimeout)" }
func (attemptTimeoutError) Timeout() bool   { return true }
func (attemptTimeoutError) Temporary() bool { return true }

// attemptBody releases an attempt's context when its body is closed, and
// reports a read cut by the attempt timeout as that timeout.
type attemptBody struct {
	io.ReadCloser
	cancel context.CancelFunc
	actx   context.Context
	parent context.Context
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.actx.Err() == context.DeadlineExceeded && b.parent.Err() == nil {
		err = errAttemptTimeout
	}
	return n, err
}

func (b *attemptBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// cancelOnClose releases a stream's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// authError marks a failure to get the token for an attempt: never retried
// by the transport (the Source already decides about its own retries).
type authError struct{ err error }

func (e *authError) Error() string { return "getting a token: " + e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	op := opFrom(ctx)
	class := Idempotent
	if op != nil {
		class = op.Class
	}
	if err != nil {
		var ae *authError
		if errors.As(err, &ae) || !retryableTransportError(err) {
			return false, err
		}
		if class == Mutating && !op.neverSent(err) {
			return false, err
		}
		if c.willRetry(op) {
			// The wait is drawn later, by backoff, which cannot reach the
			// operation without a response: the event says 0.
			c.logRetry(ctx, op, 0, err, 0)
		}
		return true, nil
	}
	status := resp.StatusCode
	retry := status == http.StatusTooManyRequests ||
		(class == Idempotent && (status == http.StatusRequestTimeout || (status >= 500 && status != http.StatusNotImplemented)))
	if !retry {
		return false, nil
	}
	wait, hasRA := RetryAfter(resp.Header, time.Now())
	if hasRA && wait > c.settings.MaxRetryAfter {
		return false, nil // hand the answer back: the caller sees RetryAfter
	}
	if !hasRA && op != nil {
		wait = Jitter(c.settings.RetryWaitMin, c.settings.RetryWaitMax, op.Attempts()-1)
	}
	if dl, has := ctx.Deadline(); has && time.Now().Add(wait).After(dl) {
		// Waiting would outlast the caller: hand back the server's answer
		// now rather than a bare deadline error later.
		return false, nil
	}
	if op != nil {
		op.mu.Lock()
		op.nextWait, op.hasNextWait = wait, true
		op.mu.Unlock()
	}
	if c.willRetry(op) {
		c.logRetry(ctx, op, status, nil, wait)
	}
	return true, nil
}

// willRetry is false on the last attempt, after which retryablehttp gives up.
func (c *Client) willRetry(op *Op) bool { return op == nil || op.Attempts() <= c.settings.RetryMax }

// logRetry logs and observes a retry after status or err, in wait.
func (c *Client) logRetry(ctx context.Context, op *Op, status int, err error, wait time.Duration) {
	kind := tokenkit.KindTransport
	switch {
	case status == http.StatusTooManyRequests:
		kind = tokenkit.KindRateLimited
	case status != 0:
		kind = tokenkit.KindServer
	}
	if c.obs != nil {
		e := tokenkit.Event{Type: tokenkit.EventRetry, Vendor: c.vendor, Kind: kind, Status: status, Wait: wait}
		if op != nil {
			e.Op, e.Attempt = op.Name, op.Attempts()
		}
		c.obs.Observe(ctx, e)
	}
	l := c.logger
	if l == nil || !l.Enabled(ctx, slog.LevelWarn) {
		return
	}
	attrs := []slog.Attr{slog.String("vendor", c.vendor), slog.String("reason", kind.String()), slog.Duration("wait", wait)}
	if op != nil {
		attrs = append(attrs, slog.String("op", op.Name), slog.Int("attempt", op.Attempts()))
	}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", c.scrub(op, err.Error())))
	}
	l.LogAttrs(ctx, slog.LevelWarn, "tokenkit: retrying", attrs...)
}

// labeled returns the Observer of the Transport of one attempt of op: its
// events name the client's vendor and op. Nil when nothing observes.
func (c *Client) labeled(op *Op) tokenkit.Observer {
	if c.resendObs == nil {
		return nil
	}
	return &labeledObserver{o: c.resendObs, vendor: c.vendor, op: op.Name}
}

// labeledObserver fills in the vendor and op of events that lack them.
type labeledObserver struct {
	o          tokenkit.Observer
	vendor, op string
}

func (l *labeledObserver) Observe(ctx context.Context, e tokenkit.Event) context.Context {
	if e.Vendor == "" {
		e.Vendor = l.vendor
	}
	if e.Op == "" {
		e.Op = l.op
	}
	return l.o.Observe(ctx, e)
}

func (c *Client) scrub(op *Op, s string) string {
	var secrets []string
	if op != nil {
		secrets = op.Secrets()
	}
	return redact.Text(s, secrets)
}

// backoff waits what Retry-After says when the server said it (checkRetry has
// already refused waits past the cap), else a full-jitter exponential delay.
func (c *Client) backoff(min, max time.Duration, attemptNum int, resp *http.Response) time.Duration {
	if resp != nil && resp.Request != nil {
		// checkRetry already chose the wait (and checked it against the
		// deadline): use that one.
		if op := opFrom(resp.Request.Context()); op != nil {
			op.mu.Lock()
			wait, ok := op.nextWait, op.hasNextWait
			op.hasNextWait = false
			op.mu.Unlock()
			if ok {
				return wait
			}
		}
	}
	if resp != nil {
		if wait, ok := RetryAfter(resp.Header, time.Now()); ok {
			return wait
		}
	}
	return Jitter(min, max, attemptNum)
}

// Jitter returns a delay drawn uniformly from [0, min(max, min·2^n)].
func Jitter(min, max time.Duration, n int) time.Duration {
	ceil := max
	if n < 32 {
		if d := min << uint(n); d > 0 && d < max {
			ceil = d
		}
	}
	if ceil <= 0 {
		return 0
	}
	if ceil == math.MaxInt64 {
		return rand.N(ceil)
	}
	return rand.N(ceil + 1)
}

// RetryAfter parses a Retry-After header: delta-seconds or any HTTP-date form
// (RFC 1123, RFC 850, asctime). A date in the past gives 0.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if secs < 0 {
			return 0, false
		}
		if secs > int64((1<<63-1)/time.Second) {
			secs = int64((1<<63 - 1) / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}

// misconfigured reports errors that say the client's setup is wrong rather
// than the network: https pointed at a plain-http server, a certificate that
// does not verify, an unsupported scheme. The request never reached an
// application.
func misconfigured(err error) bool {
	var (
		certErr     *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
	)
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) || errors.As(err, &invalidErr) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"server gave HTTP response to HTTPS client", "unsupported protocol scheme", "certificate"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// retryableTransportError is false for errors that repeat identically: bad
// certificates, unsupported schemes, plain http answering https, redirect
// loops, invalid headers.
func retryableTransportError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) || misconfigured(err) {
		return false
	}
	msg := err.Error()
	for _, s := range []string{"stopped after", "invalid header", "headers exceeded"} {
		if strings.Contains(msg, s) {
			return false
		}
	}
	return true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// neverSent reports whether the latest attempt, which failed with err,
// provably never reached a server: it received no response at all, and err
// says the connection could not be made or the TLS handshake failed.
func (op *Op) neverSent(err error) bool {
	if op == nil {
		return neverSent(err)
	}
	op.mu.Lock()
	answered := op.answered
	op.mu.Unlock()
	return !answered && neverSent(err)
}

// neverSent reports whether err proves the request never reached the server:
// the connection could not be made, or the TLS handshake failed.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "TLS handshake") || strings.Contains(msg, "connection refused")
}

// limitedBody fails a read past the size limit instead of growing without
// bound.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

// ErrBodyTooLarge is returned by a read past WithMaxResponseBytes.
var ErrBodyTooLarge = errors.New("response body exceeds the size limit")

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Is there more? Probe one byte.
		var one [1]byte
		n, err := l.rc.Read(one[:])
		if n > 0 {
			return 0, ErrBodyTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }

// ReadBody reads a bounded body; the error wraps ErrBodyTooLarge past the
// limit.
func ReadBody(r io.Reader) ([]byte, error) {
	return readBody(r, -1)
}

// readBody reads r; sizeHint (a Content-Length, or -1) presizes the buffer
// so that a large body is not copied at every doubling.
func readBody(r io.Reader, sizeHint int64) ([]byte, error) {
	var buf bytes.Buffer
	if sizeHint > 0 {
		buf.Grow(int(min(sizeHint, 1<<20)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// redactedURLError rebuilds a *url.Error with the URL redacted.
func redactedURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		shown := redact.Mask
		if perr == nil {
			shown = redact.URL(u)
		}
		return &url.Error{Op: ue.Op, URL: shown, Err: ue.Err}
	}
	return err
}
