package httpx

// This file: the per-attempt RoundTripper: the token, the attempt clock, the 401 resend.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/redact"
)

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
