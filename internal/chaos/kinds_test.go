package chaos

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tokenkit/tokenkit"
)

// failure is one error a call of the suite returned, kept for the check of
// its kind against the faults its requests met.
type failure struct {
	vendor, op, call string
	err              error
	stopped          bool // the call's context had ended when it returned
}

// noteKind checks that err has a kind (never tokenkit.KindOther), matches
// the root sentinels of that kind and no other, and keeps it for
// checkKinds. The network's own errors that a tokenkit.Transport
// passes through unchanged are not the SDK's: an http.RoundTripper's job is
// the token, not the network, so they carry no kind.
func (s *suite) noteKind(ctx context.Context, v, op string, err error, m mode) {
	var be *baseError
	if m == viaTransport && errors.As(err, &be) && tokenkit.KindOf(err) == tokenkit.KindOther {
		return
	}
	k := tokenkit.KindOf(err)
	if k == tokenkit.KindOther {
		s.problem("%s %s (call %s): an error without a kind (tokenkit.KindOther): %T %v", v, op, callOf(ctx), err, err)
		return
	}
	// A caller's own context error, as Source.Token and a Transport return
	// it, is not wrapped in a *tokenkit.Error: KindOf reads it as
	// KindCanceled, but no sentinel can match it.
	var te *tokenkit.Error
	if errors.As(err, &te) {
		for _, r := range roots {
			if got, want := errors.Is(err, r.err), slices.Contains(r.kinds, k); got != want {
				s.problem("%s %s (call %s): an error of kind %q, but errors.Is(err, tokenkit.%s) = %t: %v", v, op, callOf(ctx), k, r.name, got, err)
			}
		}
	}
	s.mu.Lock()
	s.failures = append(s.failures, failure{vendor: v, op: op, call: callOf(ctx), err: err, stopped: ctx.Err() != nil})
	s.mu.Unlock()
}

// roots are the kind sentinels of the root package, with the kinds each
// stands for: an error of one kind matches exactly those that include it.
var roots = []struct {
	name  string
	err   error
	kinds []tokenkit.Kind
}{
	{"ErrCanceled", tokenkit.ErrCanceled, []tokenkit.Kind{tokenkit.KindCanceled}},
	{"ErrTransport", tokenkit.ErrTransport, []tokenkit.Kind{tokenkit.KindTransport, tokenkit.KindOutcomeUnknown}},
	{"ErrOutcomeUnknown", tokenkit.ErrOutcomeUnknown, []tokenkit.Kind{tokenkit.KindOutcomeUnknown}},
	{"ErrConfig", tokenkit.ErrConfig, []tokenkit.Kind{tokenkit.KindConfig}},
	{"ErrInvalidInput", tokenkit.ErrInvalidInput, []tokenkit.Kind{tokenkit.KindInvalidInput}},
	{"ErrInvalidResponse", tokenkit.ErrInvalidResponse, []tokenkit.Kind{tokenkit.KindInvalidResponse}},
	{"ErrAuth", tokenkit.ErrAuth, []tokenkit.Kind{tokenkit.KindInvalidCredential, tokenkit.KindLocked, tokenkit.KindUnauthorized, tokenkit.KindForbidden}},
	{"ErrInvalidCredential", tokenkit.ErrInvalidCredential, []tokenkit.Kind{tokenkit.KindInvalidCredential}},
	{"ErrLocked", tokenkit.ErrLocked, []tokenkit.Kind{tokenkit.KindLocked}},
	{"ErrUnauthorized", tokenkit.ErrUnauthorized, []tokenkit.Kind{tokenkit.KindUnauthorized}},
	{"ErrForbidden", tokenkit.ErrForbidden, []tokenkit.Kind{tokenkit.KindForbidden}},
	{"ErrNotFound", tokenkit.ErrNotFound, []tokenkit.Kind{tokenkit.KindNotFound}},
	{"ErrConflict", tokenkit.ErrConflict, []tokenkit.Kind{tokenkit.KindConflict}},
	{"ErrRateLimited", tokenkit.ErrRateLimited, []tokenkit.Kind{tokenkit.KindRateLimited}},
	{"ErrServer", tokenkit.ErrServer, []tokenkit.Kind{tokenkit.KindServer}},
	{"ErrBadRequest", tokenkit.ErrBadRequest, []tokenkit.Kind{tokenkit.KindBadRequest}},
}

// kindsFor returns the kinds an error may have when the last request of its
// call met fault k, or nil when any kind will do.
func kindsFor(k kind) []tokenkit.Kind {
	switch k {
	case k429, k429RetryAfter, k429RetryAfterPast:
		return []tokenkit.Kind{tokenkit.KindRateLimited}
	case k5xx, kHTML:
		return []tokenkit.Kind{tokenkit.KindServer}
	case kMalformed:
		// A truncated 200 of a call that rotates state leaves the
		// rotation's outcome unknown (a Commvault renewal): see checkKinds.
		return []tokenkit.Kind{tokenkit.KindInvalidResponse}
	case kDrop, kDropAfterApply, kLost:
		// An idempotent call's lost answer is a transport failure; a
		// mutating call's is of unknown outcome.
		return []tokenkit.Kind{tokenkit.KindTransport, tokenkit.KindOutcomeUnknown}
	}
	return nil // kNone: the fake's own answer; kDelay: answered late, after the client may have given up
}

// checkKinds compares the kind of every error of v's calls with the fault
// the call's last request met. It runs once the fault server is closed, so
// that the ledger holds every request.
//
// An error is attributed to a request when it is the call's own (not a
// token source's failure reported with TokenOp set, which a Source's fetch
// may have made for another caller) and the fault server saw exactly as
// many requests of the error's operation for the call as the error counts
// attempts (a request that never reached the server, or a resend after a
// 401, makes the attribution uncertain, and the error is only required to
// have a kind). A call whose context had ended may always be
// tokenkit.KindCanceled, and one whose last attempt timed out may always
// be KindTransport or KindOutcomeUnknown.
func (s *suite) checkKinds(v *vendor) {
	type key struct{ call, op string }
	last := map[key]entry{}
	count := map[key]int{}
	for _, e := range v.fs.entries() {
		if e.call == "" {
			continue
		}
		k := key{e.call, e.op}
		count[k]++
		if l, ok := last[k]; !ok || e.n > l.n {
			last[k] = e
		}
	}
	s.mu.Lock()
	var fs []failure
	for _, f := range s.failures {
		if f.vendor == v.name {
			fs = append(fs, f)
		}
	}
	s.mu.Unlock()
	var bad []string
	byKind := map[tokenkit.Kind]int{}
	attributed := 0
	for _, f := range fs {
		got := tokenkit.KindOf(f.err)
		byKind[got]++
		if got == tokenkit.KindCanceled && !f.stopped {
			bad = append(bad, fmt.Sprintf("%s (call %s): kind %q although its context had not ended: %v", f.op, f.call, got, f.err))
			continue
		}
		var te *tokenkit.Error
		if !errors.As(f.err, &te) || te.TokenOp != "" {
			continue
		}
		k := key{f.call, te.Op}
		e, ok := last[k]
		if !ok || count[k] != te.Attempts {
			continue
		}
		attributed++
		want := kindsFor(e.kind)
		if e.kind == kMalformed && v.fs.mutating[te.Op] {
			want = append(want, tokenkit.KindOutcomeUnknown)
		}
		switch {
		case got == tokenkit.KindCanceled && f.stopped:
		case (got == tokenkit.KindTransport || got == tokenkit.KindOutcomeUnknown) && timedOut(f.err):
			// The client gave up waiting (a loaded machine): the fake's
			// answer, whatever its fault, never reached it.
		case want == nil && e.kind == kNone && (got == tokenkit.KindRateLimited || got == tokenkit.KindServer):
			bad = append(bad, fmt.Sprintf("%s (call %s): kind %q, but the fake answered its last request itself, without a fault: %v",
				f.op, f.call, got, f.err))
		case want != nil && !slices.Contains(want, got):
			bad = append(bad, fmt.Sprintf("%s (call %s): kind %q, but its last request (#%d of %s) met fault %q, which gives %v: %v",
				f.op, f.call, got, e.n, te.Op, e.kind, want, f.err))
		}
	}
	if len(bad) > 0 {
		s.problem("%s: %d of %d errors have a kind inconsistent with the fault they met, e.g.:\n\t%s",
			v.name, len(bad), len(fs), strings.Join(bad[:min(5, len(bad))], "\n\t"))
	}
	var parts []string
	for _, k := range slices.Sorted(func(yield func(tokenkit.Kind) bool) {
		for k := range byKind {
			if !yield(k) {
				return
			}
		}
	}) {
		parts = append(parts, fmt.Sprintf("%s %d", k, byKind[k]))
	}
	s.t.Logf("chaos: %s: %d errors by kind (%s); %d attributed to the fault of their last request", v.name, len(fs),
		strings.Join(parts, ", "), attributed)
}

// timedOut reports whether any error in err's chain is a timeout (a
// net.Error whose Timeout is true), such as the attempt timeout, wherever it
// is wrapped (an *url.Error around a *tokenkit.Error is not a timeout
// itself).
func timedOut(err error) bool {
	for err != nil {
		if t, ok := err.(interface{ Timeout() bool }); ok && t.Timeout() {
			return true
		}
		switch x := err.(type) {
		case interface{ Unwrap() error }:
			err = x.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				if timedOut(e) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
