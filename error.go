package tokenkit

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sentinels that match an *Error through errors.Is. The HTTP ones match by
// status code, so errors.Is(err, ErrUnauthorized) works the same for every
// vendor.
var (
	ErrBadRequest   = errors.New("tokenkit: bad request")              // HTTP 400
	ErrUnauthorized = errors.New("tokenkit: unauthorized")             // HTTP 401
	ErrForbidden    = errors.New("tokenkit: forbidden")                // HTTP 403
	ErrNotFound     = errors.New("tokenkit: not found")                // HTTP 404
	ErrConflict     = errors.New("tokenkit: conflict")                 // HTTP 409
	ErrRateLimited  = errors.New("tokenkit: rate limited")             // HTTP 429
	ErrServer       = errors.New("tokenkit: server error")             // HTTP 5xx
	ErrTransport    = errors.New("tokenkit: request did not complete") // no HTTP response

	// ErrAuth matches every authentication or authorization failure, of any
	// vendor: HTTP 401 and 403, ErrInvalidCredential, and the vendors' own
	// sentinels of that kind (a locked account, a second factor still
	// required, a token that fails verification). Code that only needs to
	// know "the credentials did not work" tests this one.
	ErrAuth = errors.New("tokenkit: authentication failed")

	// ErrInvalidCredential matches a vendor's answer that the credential
	// itself (API token, refresh token, password) is invalid or expired,
	// whatever status the vendor uses for it (CSP answers 400 invalid_grant).
	ErrInvalidCredential = errors.New("tokenkit: credential rejected")
	// ErrInvalidResponse matches a success status whose body could not be
	// decoded or lacks the token: it never becomes an empty token.
	ErrInvalidResponse = errors.New("tokenkit: invalid response")
	// ErrInvalidInput matches a call rejected before anything was sent.
	ErrInvalidInput = errors.New("tokenkit: invalid input")
	// ErrOutcomeUnknown matches a call that creates or rotates state
	// (issue, renew, generate) whose answer was lost after the request may
	// have reached the server: it may have been applied. tokenkit never
	// resends such a call; find out what happened (list the tokens) before
	// trying again. It also matches ErrTransport.
	ErrOutcomeUnknown = errors.New("tokenkit: outcome unknown: the request may have been applied")
	// ErrRedirected matches a vendor call answered with a redirect (3xx).
	// Vendor calls never follow redirects: a credential belongs to the
	// origin it was configured for, and a redirect from a token endpoint
	// usually means a wrong base URL (http for https, a missing path
	// prefix). The error names the host the redirect points to. For a call
	// that creates or rotates state it also matches ErrOutcomeUnknown: the
	// server may have acted before it redirected.
	ErrRedirected = errors.New("tokenkit: redirect not followed")
	// ErrInsecureTransport matches a request that Transport refused to
	// authenticate because it would carry a credential over plain http to
	// a host that is not loopback. It also matches ErrInvalidInput:
	// nothing was sent.
	ErrInsecureTransport = errors.New("tokenkit: refusing to send a credential over plain http")
)

// Error is the one error type of every vendor: what failed, how the server
// answered, and a bounded, redacted excerpt of the body. It never holds a
// secret. The vendor's own error body, decoded, is reachable with errors.As
// through Unwrap (for example *csp.ErrorResponse).
type Error struct {
	Vendor     string        // "csp", "commvault", …
	Op         string        // the operation, e.g. "ExchangeAPIToken"
	StatusCode int           // HTTP status; 0 when no response arrived
	Code       string        // the vendor's error code, if any
	Message    string        // the vendor's message, redacted
	RequestID  string        // the vendor's request or trace id, if any
	RetryAfter time.Duration // the server's Retry-After, if given
	Attempts   int           // attempts made, retries included
	Body       string        // bounded, redacted excerpt of the response body
	Err        error         // the cause: the vendor's error struct or a transport error
}

// Error renders a one-line message that names the vendor and operation.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Vendor)
	if e.Op != "" {
		b.WriteString(": ")
		b.WriteString(e.Op)
	}
	if e.StatusCode != 0 {
		b.WriteString(": HTTP ")
		b.WriteString(strconv.Itoa(e.StatusCode))
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Err != nil && (e.Message == "" || e.StatusCode == 0) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the HTTP sentinels by status code.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == 400
	case ErrUnauthorized:
		return e.StatusCode == 401
	case ErrForbidden:
		return e.StatusCode == 403
	case ErrNotFound:
		return e.StatusCode == 404
	case ErrConflict:
		return e.StatusCode == 409
	case ErrRateLimited:
		return e.StatusCode == 429
	case ErrServer:
		return e.StatusCode >= 500
	case ErrTransport:
		return e.StatusCode == 0 && !errors.Is(e.Err, ErrInvalidInput)
	case ErrAuth:
		return e.StatusCode == 401 || e.StatusCode == 403 || errors.Is(e.Err, ErrInvalidCredential)
	}
	return false
}

// Temporary reports whether trying the same call later may succeed: rate
// limits, server errors and requests that did not complete.
func (e *Error) Temporary() bool {
	return e.StatusCode == 429 || e.StatusCode >= 500 || e.StatusCode == 408 || errors.Is(e, ErrTransport)
}
