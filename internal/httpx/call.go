package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/redact"
)

// Send is one generated-client call, made with the context Call gives it.
type Send func(ctx context.Context) (*http.Response, error)

// Result is a 2xx answer, read whole (within WithMaxResponseBytes).
type Result struct {
	Status int
	Header http.Header
	Body   []byte
}

// Call runs one operation through c and decodes a 2xx JSON answer into T.
// The status is checked before any decoding: a non-2xx answer becomes an
// *tokenkit.Error built by the vendor's ErrorDecoder, and a 2xx body that is
// not valid JSON is an error wrapping tokenkit.ErrInvalidResponse, never a
// zero value.
func Call[T any](ctx context.Context, c *Client, op *Op, send Send) (*T, error) {
	res, err := Run(ctx, c, op, send)
	if err != nil {
		return nil, err
	}
	return Decode[T](c, op, res)
}

// Decode decodes a 2xx JSON body into T; a body that does not decode is an
// error wrapping tokenkit.ErrInvalidResponse. Vendors whose APIs report
// failures inside HTTP 200 run Run, inspect the body, then Decode.
func Decode[T any](c *Client, op *Op, res *Result) (*T, error) {
	var out T
	if err := json.Unmarshal(res.Body, &out); err != nil {
		return nil, c.InvalidResponse(op, res.Status, res.Body, fmt.Errorf("decoding the response: %w", scrubJSONError(err)))
	}
	return &out, nil
}

// Run runs one operation and returns its 2xx answer; any other answer is an
// *tokenkit.Error built by the vendor's ErrorDecoder.
func Run(ctx context.Context, c *Client, op *Op, send Send) (*Result, error) {
	resp, err := Open(ctx, c, op, send)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := readBody(resp.Body, resp.ContentLength)
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return nil, c.InvalidResponse(op, resp.StatusCode, body, fmt.Errorf("reading the response: %w", err))
	case err != nil:
		// The answer started but did not complete (a timeout or a dropped
		// connection mid-body): a transport failure, and for a mutating
		// call an unknown outcome.
		return nil, c.transportError(ctx, op, fmt.Errorf("reading the response (HTTP %d): %w", resp.StatusCode, err))
	}
	res := &Result{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if c.inBand != nil {
		if err := c.inBand(op, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// SetInBand sets the check a vendor whose API reports failures inside 2xx
// answers runs on every such answer (Run and Call apply it, Open does not):
// it returns the error the body reports, built with BodyError, or nil. A
// vendor calls it once, in its New, so that every operation goes through the
// same Run or Call with no wrapper of its own.
func (c *Client) SetInBand(check func(op *Op, res *Result) error) { c.inBand = check }

// Open runs one operation and returns a 2xx response with its body still
// open, for streams: the caller reads and closes it, and bounds what it reads
// (with Op.Stream set, the body has neither the per-attempt timeout nor the
// size limit). Any other answer is read, closed and returned as an
// *tokenkit.Error.
func Open(ctx context.Context, c *Client, op *Op, send Send) (*http.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, c.transportError(ctx, op, err)
	}
	resp, err := send(withOp(ctx, op))
	if err != nil {
		return nil, c.transportError(ctx, op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		body, _ := ReadBody(io.LimitReader(resp.Body, c.settings.MaxResponseBytes))
		if resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.StatusCode != http.StatusNotModified {
			return nil, c.redirectError(op, resp, body)
		}
		return nil, c.StatusError(op, resp, body)
	}
	return resp, nil
}

// StatusError builds the error for a non-2xx answer.
func (c *Client) StatusError(op *Op, resp *http.Response, body []byte) *tokenkit.Error {
	return c.BodyError(op, resp.StatusCode, resp.Header, body)
}

// BodyError builds the error of an answer whose body reports a failure:
// any non-2xx answer, and the failures some vendors report inside HTTP 200
// (Commvault's errList). The vendor's ErrorDecoder fills in the code and
// message.
func (c *Client) BodyError(op *Op, status int, header http.Header, body []byte) *tokenkit.Error {
	secrets := op.Secrets()
	e := &tokenkit.Error{
		Vendor:     c.vendor,
		Op:         op.Name,
		StatusCode: status,
		Attempts:   op.Attempts(),
		Body:       redact.Body(body, secrets, redact.DefaultExcerpt),
		RequestID:  requestID(header),
	}
	if wait, ok := RetryAfter(header, time.Now()); ok {
		e.RetryAfter = wait
	}
	if c.decode != nil && len(body) > 0 {
		// The vendor decoder sees the body with every known secret and
		// credential-looking string already masked (JSON escapes undone
		// first), so nothing it copies into the error or into the vendor's
		// error struct can leak.
		c.decode(redact.ForDecoding(body, secrets), header, e)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	// Defence in depth: whatever the decoder produced is masked again.
	e.Message = redact.Truncate(redact.Text(e.Message, secrets), redact.DefaultExcerpt)
	e.Code = redact.Text(e.Code, secrets)
	return e
}

// redirectError builds the error for a redirect answer, which vendor calls
// never follow: it names the host the Location points to, never its path or
// query (which may carry anything). For a mutating call the server may have
// acted before it redirected (303 See Other says exactly that), so the error
// also matches ErrOutcomeUnknown.
func (c *Client) redirectError(op *Op, resp *http.Response, body []byte) *tokenkit.Error {
	e := c.StatusError(op, resp, body)
	where := "no Location"
	if loc, err := resp.Location(); err == nil && loc.Host != "" {
		where = loc.Scheme + "://" + loc.Host
	} else if resp.Header.Get("Location") != "" {
		where = "an unreadable Location"
	}
	e.Message = "redirected to " + redact.Text(where, op.Secrets()) + "; vendor calls never follow redirects (check the base URL)"
	e.Err = tokenkit.ErrRedirected
	if op.Class == Mutating {
		e.Err = fmt.Errorf("%w: %w", tokenkit.ErrOutcomeUnknown, tokenkit.ErrRedirected)
	}
	return e
}

// InvalidResponse builds the error for an answer that cannot be used.
func (c *Client) InvalidResponse(op *Op, status int, body []byte, cause error) *tokenkit.Error {
	why := redact.Text(cause.Error(), op.Secrets())
	return &tokenkit.Error{
		Vendor:     c.vendor,
		Op:         op.Name,
		StatusCode: status,
		Attempts:   op.Attempts(),
		Message:    "invalid response: " + why,
		Body:       redact.Body(body, op.Secrets(), redact.DefaultExcerpt),
		Err:        fmt.Errorf("%w: %s", tokenkit.ErrInvalidResponse, why),
	}
}

// InvalidInput builds the error for a call refused before sending.
func (c *Client) InvalidInput(opName, format string, args ...any) *tokenkit.Error {
	return &tokenkit.Error{
		Vendor:  c.vendor,
		Op:      opName,
		Message: fmt.Sprintf(format, args...),
		Err:     tokenkit.ErrInvalidInput,
	}
}

func (c *Client) transportError(ctx context.Context, op *Op, err error) *tokenkit.Error {
	var ae *authError
	if errors.As(err, &ae) {
		return c.sourceError(op, ae.err)
	}
	err = redactedURLError(err)
	var cause error = &scrubbed{err: err, text: redact.Text(err.Error(), op.Secrets())}
	// The caller's own context decides whether the caller stopped: its
	// deadline is a context.DeadlineExceeded, which is also a net.Error
	// timeout, like the attempt timeout it must not be taken for.
	stopped := ctx.Err()
	callerStopped := stopped != nil || !isTimeout(err) && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
	// A mutating request that may have reached the server and been
	// applied: sent (not refused at dial or handshake) and not answered
	// with 429, the one answer after which we wait to retry.
	maybeApplied := op.Class == Mutating && op.Attempts() > 0 && !op.neverSent(err) && !op.refusedLast()
	switch {
	case callerStopped && maybeApplied:
		// The caller gave up while the request was in flight: whether the
		// server acted is as unknown as after a dropped connection. The
		// caller still sees its context's error (errors.Is), but the kind
		// is OutcomeUnknown: look before sending it again.
		if stopped == nil {
			stopped = context.Canceled
			if errors.Is(err, context.DeadlineExceeded) {
				stopped = context.DeadlineExceeded
			}
		}
		cause = fmt.Errorf("%w: the caller stopped waiting (%w)", tokenkit.ErrOutcomeUnknown, stopped)
	case callerStopped && stopped != nil && !errors.Is(err, stopped):
		// The transport saw the end of the caller's context as another
		// failure (a connection it closed): the caller still sees why.
		cause = fmt.Errorf("%w: %w: %w", tokenkit.ErrCanceled, stopped, cause)
	case callerStopped:
		// The caller's own cancellation or deadline: never "transient".
		cause = fmt.Errorf("%w: %w", tokenkit.ErrCanceled, cause)
	case misconfigured(err):
		// https to a plain-http server, a certificate that does not
		// verify, an unsupported scheme: no application saw the request.
		cause = fmt.Errorf("%w: %w", tokenkit.ErrConfig, cause)
	case maybeApplied:
		// The request may have reached the server and been applied: the
		// caller must not assume it failed, nor blindly send it again.
		cause = fmt.Errorf("%w: %w", tokenkit.ErrOutcomeUnknown, cause)
	default:
		cause = fmt.Errorf("%w: %w", tokenkit.ErrTransport, cause)
	}
	return &tokenkit.Error{
		Vendor:   c.vendor,
		Op:       op.Name,
		Attempts: op.Attempts(),
		Err:      cause,
	}
}

// sourceError is the error of a call that failed getting its token: the
// token source's own error, with its kind, status and vendor code, and the
// caller's operation recorded (never a status-0 transport wrapper around a
// wrong password).
func (c *Client) sourceError(op *Op, err error) *tokenkit.Error {
	var te *tokenkit.Error
	if errors.As(err, &te) {
		out := *te
		if out.TokenOp == "" {
			out.TokenOp = out.Op
		}
		out.Op = op.Name
		out.Attempts = op.Attempts()
		if te.Kind() == tokenkit.KindOutcomeUnknown {
			// The token request's outcome is unknown, but this call was
			// never sent: for its caller that is a transport failure.
			out.Err = fmt.Errorf("%w: %s", tokenkit.ErrTransport, redact.Text(te.Error(), op.Secrets()))
			out.StatusCode, out.Code, out.Message = 0, "", ""
		}
		return &out
	}
	return &tokenkit.Error{Vendor: c.vendor, Op: op.Name, TokenOp: "Token",
		Err: &scrubbed{err: err, text: redact.Text(err.Error(), op.Secrets())}}
}

// scrubbed keeps the cause reachable for errors.Is (context.Canceled,
// net errors) while its text is redacted.
type scrubbed struct {
	err  error
	text string
}

func (s *scrubbed) Error() string { return s.text }
func (s *scrubbed) Unwrap() error { return s.err }

// scrubJSONError drops the offending value from a JSON type error, which may
// be a secret.
func scrubJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("json: field %q has type %s, want %s", te.Field, te.Value, te.Type)
	}
	return err
}

// requestID finds the request or trace id in the common headers.
func requestID(h http.Header) string {
	for _, k := range []string{"X-Request-Id", "X-Correlation-Id", "X-Trace-Id", "Request-Id", "X-Amzn-Requestid", "Opc-Request-Id"} {
		if v := strings.TrimSpace(h.Get(k)); v != "" {
			return redact.Truncate(v, 128)
		}
	}
	return ""
}
