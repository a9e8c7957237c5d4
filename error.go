package tokenkit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is what kind of failure an error is: the one thing code that runs for
// months decides from (retry, re-authenticate, fix the configuration, alert).
// Every *Error has exactly one kind (see Error.Kind); KindOf reads it from any
// error. The table in the package documentation says which vendor situations
// produce each kind and what a caller should do.
type Kind uint8

// The kinds. KindOther is an error the SDK did not classify (for example one
// returned by a FetchFunc of your own).
const (
	KindOther             Kind = iota // not classified
	KindCanceled                      // the caller cancelled, or its context's deadline passed
	KindTransport                     // no answer, and nothing was applied (or the call is safe to repeat)
	KindOutcomeUnknown                // a call that creates or rotates state may have been applied
	KindConfig                        // the client's setup is wrong: base URL, TLS, a redirect, plain http
	KindInvalidInput                  // the call's arguments were refused before anything was sent
	KindInvalidResponse               // a success answer that cannot be used (no token, bad JSON, already expired)
	KindInvalidCredential             // the credential itself (password, API token, refresh token) is wrong or expired
	KindLocked                        // the account is locked
	KindUnauthorized                  // the token presented on a call was refused (HTTP 401)
	KindForbidden                     // authenticated, but not allowed (HTTP 403)
	KindNotFound                      // no such token or object (HTTP 404, or the same failure inside HTTP 200)
	KindConflict                      // the request conflicts with the current state (HTTP 409)
	KindRateLimited                   // slow down (HTTP 429)
	KindServer                        // the server failed (HTTP 5xx)
	KindBadRequest                    // any other refusal of the request (HTTP 4xx)
	numKinds
)

var kindNames = [numKinds]string{"other", "canceled", "transport", "outcome unknown", "config", "invalid input",
	"invalid response", "invalid credential", "locked", "unauthorized", "forbidden", "not found", "conflict",
	"rate limited", "server", "bad request"}

// String names the kind in lower case, as errors and logs show it.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Retryable reports whether the same call may succeed if tried again later
// unchanged: transport failures of calls that were not applied, rate limits
// and server errors. A cancelled call, an unknown outcome (look first), a
// configuration, input or credential failure are never retryable.
func (k Kind) Retryable() bool {
	return k == KindTransport || k == KindRateLimited || k == KindServer
}

// kinds is a set of kinds.
type kinds uint32

func kindsOf(ks ...Kind) kinds {
	var s kinds
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

func (s kinds) has(k Kind) bool { return s&(1<<k) != 0 }

// sentinel is an error that stands for a set of kinds. A sentinel is "under"
// another when its kinds are a subset of the other's: errors.Is(ErrLocked,
// ErrAuth) holds, and so does errors.Is(commvault.ErrAccountLocked, ErrAuth).
type sentinel struct {
	text  string
	kinds kinds
	root  bool // one of this package's; an *Error matches it by its kind
}

func (s *sentinel) Error() string { return s.text }

// Is places s under every root sentinel whose kinds include all of s's.
func (s *sentinel) Is(target error) bool {
	t, ok := target.(*sentinel)
	return ok && t.root && s.kinds != 0 && s.kinds&^t.kinds == 0
}

func root(text string, ks ...Kind) error {
	return &sentinel{text: text, kinds: kindsOf(ks...), root: true}
}

// Refine returns a new sentinel error for a vendor's own, narrower case of
// parent, which must be one of this package's sentinels (ErrLocked,
// ErrInvalidCredential, ErrAuth, …): errors.Is(refined, parent) holds, and so
// does errors.Is(refined, p) for every sentinel p that parent is under. The
// text is the refined error's whole message. A vendor's *Error matches the
// refined sentinel through the vendor's own error type in its chain, never by
// kind alone. With any other parent, Refine returns a plain error.
func Refine(parent error, text string) error {
	p, ok := parent.(*sentinel)
	if !ok || !p.root {
		return errors.New(text)
	}
	return &sentinel{text: text, kinds: p.kinds}
}

// Sentinels that match an *Error through errors.Is, by the error's kind (see
// Kind). They form one hierarchy: ErrAuth is above every authentication
// failure, ErrTransport above ErrOutcomeUnknown; errors.Is between two
// sentinels tells whether one is under the other.
var (
	ErrCanceled     = root("tokenkit: canceled", KindCanceled)
	ErrTransport    = root("tokenkit: request did not complete", KindTransport, KindOutcomeUnknown) // no usable HTTP answer
	ErrBadRequest   = root("tokenkit: bad request", KindBadRequest)                                 // HTTP 4xx not matched by another kind
	ErrUnauthorized = root("tokenkit: unauthorized", KindUnauthorized)                              // HTTP 401
	ErrForbidden    = root("tokenkit: forbidden", KindForbidden)                                    // HTTP 403
	ErrNotFound     = root("tokenkit: not found", KindNotFound)                                     // HTTP 404 or 410, or the same in HTTP 200
	ErrConflict     = root("tokenkit: conflict", KindConflict)                                      // HTTP 409
	ErrRateLimited  = root("tokenkit: rate limited", KindRateLimited)                               // HTTP 429
	ErrServer       = root("tokenkit: server error", KindServer)                                    // HTTP 5xx and 408

	// ErrAuth matches every authentication or authorization failure, of any
	// vendor: a refused token (401), a forbidden call (403), a rejected
	// credential, a locked account, and the vendors' own sentinels under
	// these (a second factor still required, a token that fails
	// verification). Code that only needs to know "the credentials did not
	// work" tests this one.
	ErrAuth = root("tokenkit: authentication failed", KindInvalidCredential, KindLocked, KindUnauthorized, KindForbidden)

	// ErrInvalidCredential matches a vendor's answer that the credential
	// itself (API token, refresh token, password) is invalid or expired,
	// whatever status the vendor uses for it (CSP answers 400 invalid_grant,
	// Commvault 200 with an errList). Trying again with the same credential
	// cannot help and may lock the account.
	ErrInvalidCredential = root("tokenkit: credential rejected", KindInvalidCredential)
	// ErrLocked matches a vendor's answer that the account is locked.
	ErrLocked = root("tokenkit: account locked", KindLocked)
	// ErrInvalidResponse matches a success status whose body could not be
	// decoded or lacks the token, or a token that arrives already expired:
	// it never becomes an empty or dead token.
	ErrInvalidResponse = root("tokenkit: invalid response", KindInvalidResponse)
	// ErrInvalidInput matches a call rejected before anything was sent
	// because of its arguments.
	ErrInvalidInput = root("tokenkit: invalid input", KindInvalidInput)
	// ErrConfig matches a failure of the client's setup rather than of one
	// call: an invalid option or base URL, https pointed at a plain-http
	// server, a certificate that does not verify, a redirect (which vendor
	// calls never follow), a credential refused over plain http. Fix the
	// configuration; retrying cannot help.
	ErrConfig = root("tokenkit: configuration error", KindConfig)
	// ErrOutcomeUnknown matches a call that creates or rotates state
	// (issue, renew, generate) whose answer was lost after the request may
	// have reached the server: it may have been applied. tokenkit never
	// resends such a call; find out what happened (list the tokens) before
	// trying again. It is under ErrTransport.
	ErrOutcomeUnknown = root("tokenkit: outcome unknown: the request may have been applied", KindOutcomeUnknown)

	// ErrRedirected is in the chain of a vendor call answered with a
	// redirect (3xx), which vendor calls never follow: a credential belongs
	// to the origin it was configured for, and a redirect from a token
	// endpoint usually means a wrong base URL (http for https, a missing
	// path prefix). The error names the host the redirect points to. Its
	// kind is KindConfig, or KindOutcomeUnknown for a call that creates or
	// rotates state (the server may have acted before it redirected).
	ErrRedirected = errors.New("tokenkit: redirect not followed")
	// ErrInsecureTransport is in the chain of a request that Transport
	// refused to authenticate because it would carry a credential over plain
	// http to a host that is not loopback. Its kind is KindConfig: nothing
	// was sent.
	ErrInsecureTransport = errors.New("tokenkit: refusing to send a credential over plain http")
)

// bySpecificity lists the kind sentinels in the order an error's chain is
// searched for its kind: the first that matches wins.
var bySpecificity = [...]struct {
	err  error
	kind Kind
}{
	{ErrOutcomeUnknown, KindOutcomeUnknown},
	{ErrCanceled, KindCanceled},
	{ErrConfig, KindConfig},
	{ErrRedirected, KindConfig},
	{ErrInsecureTransport, KindConfig},
	{ErrInvalidInput, KindInvalidInput},
	{ErrInvalidResponse, KindInvalidResponse},
	{ErrLocked, KindLocked},
	{ErrInvalidCredential, KindInvalidCredential},
	{ErrUnauthorized, KindUnauthorized},
	{ErrForbidden, KindForbidden},
	{ErrNotFound, KindNotFound},
	{ErrConflict, KindConflict},
	{ErrRateLimited, KindRateLimited},
	{ErrServer, KindServer},
	{ErrBadRequest, KindBadRequest},
	{ErrTransport, KindTransport},
}

// KindOf returns the kind of err: that of the first *Error in its chain, or
// KindCanceled for a bare context error, or KindOther.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return KindCanceled
	}
	return KindOther
}

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
	TokenOp    string        // when the call failed getting its token: the token source's operation (e.g. "Login")
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
	if e.TokenOp != "" {
		b.WriteString(": getting a token")
		if e.TokenOp != e.Op && e.TokenOp != "Token" {
			b.WriteString(": ")
			b.WriteString(e.TokenOp)
		}
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

// Kind returns the error's one kind: from its cause when the cause names one
// (a vendor's answer that a credential was rejected, a lost answer of a
// mutating call, the caller's cancellation), else from the HTTP status.
func (e *Error) Kind() Kind {
	if e.Err != nil {
		for _, s := range bySpecificity {
			if errors.Is(e.Err, s.err) {
				return s.kind
			}
		}
		if errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded) {
			return KindCanceled
		}
	}
	switch st := e.StatusCode; {
	case st == 0:
		return KindOther
	case st >= 200 && st < 300:
		return KindInvalidResponse // a failure reported inside a success answer, not classified further
	case st >= 300 && st < 400:
		return KindConfig
	case st == 401:
		return KindUnauthorized
	case st == 403:
		return KindForbidden
	case st == 404, st == 410:
		return KindNotFound
	case st == 409:
		return KindConflict
	case st == 429:
		return KindRateLimited
	case st >= 500, st == 408: // 408: the server gave up waiting for the request
		return KindServer
	}
	return KindBadRequest
}

// Retryable reports whether the same call may succeed if tried again later
// unchanged (see Kind.Retryable). It replaces Temporary, which is gone: it
// said yes to a cancelled call and to a wrong password reported without a
// status.
func (e *Error) Retryable() bool { return e.Kind().Retryable() }

// Is matches the sentinels of this package by the error's kind; a vendor's
// own sentinels match through the vendor's error type in the chain.
func (e *Error) Is(target error) bool {
	t, ok := target.(*sentinel)
	return ok && t.root && t.kinds.has(e.Kind())
}
