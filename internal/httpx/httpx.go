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
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/tokenkit/tokenkit"
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
