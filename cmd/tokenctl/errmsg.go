package main

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/oracle"
)

// Errors that tell the user what to do: every message names the command and
// the flag or variable at fault, quotes no SDK field names, and where the
// cause is likely a mistake in the setup (a base URL without a scheme, a
// 404 on a call that names nothing) it says how to fix it.

// hinted is an error with advice for the user, on its own line.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() + "\nhint: " + h.hint }
func (h *hinted) Unwrap() error { return h.err }

// withHint adds advice to err, keeping its kind and exit code.
func withHint(err error, format string, args ...any) error {
	return &hinted{err: err, hint: fmt.Sprintf(format, args...)}
}

// vendorDetails renders the nested details a vendor's error body carries
// (Oracle's o:errorDetails) as indented lines, or "".
func vendorDetails(err error) string {
	var d *oracle.ExceptionDetail
	if !errors.As(err, &d) {
		return ""
	}
	var b strings.Builder
	for x := range d.All() {
		if x == d {
			continue
		}
		b.WriteString("\n  detail:")
		if x.ErrorCode != "" {
			b.WriteString(" " + x.ErrorCode + ":")
		}
		msg := x.Detail
		if msg == "" {
			msg = x.Title
		}
		b.WriteString(" " + strings.Join(strings.Fields(msg), " "))
		if x.ErrorPath != "" {
			b.WriteString(" (at " + x.ErrorPath + ")")
		}
	}
	return b.String()
}

// explainCallError adds what the user can do to the error of a vendor call
// made by a leaf with the given positional arguments.
func explainCallError(err error, envURL, urlExample string, args []string) error {
	var te *tokenkit.Error
	if !errors.As(err, &te) {
		return err
	}
	if d := vendorDetails(err); d != "" {
		err = &detailed{err: err, details: d}
	}
	if te.StatusCode == 404 && tokenkit.KindOf(err) == tokenkit.KindNotFound {
		where := "check --url (or $" + envURL + ")"
		if urlExample != "" {
			where += ": the base URL is the product's origin, like " + urlExample
		}
		if len(args) == 0 {
			return withHint(err, "HTTP 404 on a call that names no token usually means a wrong base URL; %s", where)
		}
		return withHint(err, "no such token, or a wrong base URL; %s", where)
	}
	return err
}

// detailed is an error followed by its vendor's nested details.
type detailed struct {
	err     error
	details string
}

func (d *detailed) Error() string { return d.err.Error() + d.details }
func (d *detailed) Unwrap() error { return d.err }

// checkBaseURL refuses a base URL the vendor clients would reject with a
// parser's message, and says how to write it. from is "--url" or
// "$CSP_URL".
func checkBaseURL(cc *cmdCtx, from, raw string) error {
	if strings.TrimSpace(raw) == "" {
		return usagef("%s: %s is empty: give the base URL (https://…)", cc.path, from)
	}
	if !strings.Contains(raw, "://") {
		return usagef("%s: %s %s has no scheme: add a scheme: https://%s (http:// only for a server on loopback)", cc.path, from, raw, raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return usagef("%s: %s %s is not a URL: %v", cc.path, from, raw, errors.Unwrap(err))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return usagef("%s: %s %s: the scheme must be https (or http for a server on loopback), not %s", cc.path, from, raw, u.Scheme)
	}
	if u.Host == "" {
		return usagef("%s: %s %s has no host", cc.path, from, raw)
	}
	return nil
}

// parseWhen reads an RFC 3339 time, or a duration from now: Go's (90m, 36h)
// or a number of days (10d).
func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := parseDuration(s); err == nil {
		return time.Now().Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2027-01-31T00:00:00Z) nor a duration from now (90m, 36h, 10d)", s)
	}
	return t, nil
}

// parseDuration is time.ParseDuration that also takes whole days ("10d").
func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err == nil && fmt.Sprint(days) == n && days >= 0 && days < 100000 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	return time.ParseDuration(s)
}

// durationFlag is a flag.Value of a duration that takes days too.
type durationFlag time.Duration

func (d *durationFlag) String() string {
	if *d == 0 {
		return "0"
	}
	return time.Duration(*d).String()
}

func (d *durationFlag) Set(s string) error {
	v, err := parseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (90m, 36h, 10d)", s)
	}
	*d = durationFlag(v)
	return nil
}

// didYouMean returns " (did you mean X?)" for the candidate closest to
// name, when one is close enough to be a typo, else "".
func didYouMean(name string, candidates []string) string {
	best, bestD := "", 0
	for _, c := range candidates {
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		limit := 2
		if utf8.RuneCountInString(c) <= 4 {
			limit = 1
		}
		close := d <= limit || (len(name) >= 3 && strings.HasPrefix(c, name))
		if close && (best == "" || d < bestD) {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return "did you mean " + best + "?"
}

// editDistance is the Levenshtein distance between a and b, with an
// adjacent transposition counted as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// flagNames lists the flags of a leaf, for suggestions.
func flagNames(visit func(func(name string))) []string {
	var names []string
	visit(func(n string) { names = append(names, n) })
	sort.Strings(names)
	return names
}
