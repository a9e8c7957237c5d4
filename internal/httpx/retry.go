package httpx

// This file: the retry policy: which answers and errors are retried, and how long to wait.

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/redact"
)

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
