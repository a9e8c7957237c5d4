package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tokenkit/tokenkit/internal/redact"
)

// --verbose prints what the SDK does on standard error: each HTTP attempt,
// each retry and its wait, each resend after a 401 and the lifecycle of
// every token a Source fetches (tokenkit.LogObserver). The records pass the
// SDK's redactor: no secret reaches them.

// takeVerbose removes --verbose (or -verbose) from args, wherever it stands
// before "--", and reports whether it was there.
func takeVerbose(args []string) ([]string, bool) {
	out := make([]string, 0, len(args))
	found := false
	for i, a := range args {
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		if a == "--verbose" || a == "-verbose" {
			found = true
			continue
		}
		out = append(out, a)
	}
	return out, found
}

type verboseKey struct{}

// withVerbose makes the clients' records of calls made with ctx go to w.
func withVerbose(ctx context.Context, w io.Writer) context.Context {
	h := slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
	return context.WithValue(ctx, verboseKey{}, slog.Handler(h))
}

// eventLogger is the logger of every client of the CLI: it writes to the
// handler the call's context carries (--verbose), and nowhere otherwise. The
// context reaches it because the SDK logs with the call's context, and a
// Source fetches with the values of the caller that started the fetch.
var eventLogger = slog.New(ctxHandler{})

// ctxHandler is a slog.Handler that passes records to the handler in their
// context.
type ctxHandler struct {
	attrs []slog.Attr
	group string
}

func target(ctx context.Context) slog.Handler {
	if ctx == nil {
		return nil
	}
	h, _ := ctx.Value(verboseKey{}).(slog.Handler)
	return h
}

func (c ctxHandler) Enabled(ctx context.Context, l slog.Level) bool {
	h := target(ctx)
	return h != nil && h.Enabled(ctx, l)
}

func (c ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	h := target(ctx)
	if h == nil {
		return nil
	}
	if c.group != "" {
		h = h.WithGroup(c.group)
	}
	if len(c.attrs) > 0 {
		h = h.WithAttrs(c.attrs)
	}
	return h.Handle(ctx, r)
}

func (c ctxHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ctxHandler{attrs: append(append([]slog.Attr(nil), c.attrs...), as...), group: c.group}
}

func (c ctxHandler) WithGroup(name string) slog.Handler {
	if c.group != "" {
		name = c.group + "." + name
	}
	return ctxHandler{attrs: c.attrs, group: name}
}

// logRequests wraps the fakes' handler: with --verbose, one line per request
// on standard error (method, the path with the query redacted, status,
// duration), for an operator watching a test suite talk to `tokenctl fake`.
// Without --verbose it returns h itself.
func logRequests(ctx context.Context, h http.Handler) http.Handler {
	lh := target(ctx)
	if lh == nil {
		return h
	}
	l := slog.New(lh)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 && !sw.hijacked {
			status = http.StatusOK
		}
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("url", redact.URL(r.URL)),
			slog.Duration("elapsed", time.Since(start))}
		if sw.hijacked {
			attrs = append(attrs, slog.Bool("dropped", true))
		} else {
			attrs = append(attrs, slog.Int("status", status))
		}
		l.LogAttrs(r.Context(), slog.LevelInfo, "tokenctl fake: request", attrs...)
	})
}

// statusWriter records the status a handler answers; Unwrap lets
// http.ResponseController reach Flush and Hijack (streams, dropped
// connections) on the writer underneath.
type statusWriter struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

func (s *statusWriter) Flush() { _ = http.NewResponseController(s.ResponseWriter).Flush() }

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	s.hijacked = true
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
