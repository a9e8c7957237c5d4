package main

import (
	"fmt"
	"strings"

	"github.com/tokenkit/tokenkit/internal/capmatrix"
)

// What each vendor can do, and why it cannot where it cannot, comes from
// internal/capmatrix, the table the README and the root package show:
// tokenctl has no reasons of its own.

// cannot returns internal/capmatrix's reason why vendor cannot do v, and ""
// when it can: the one source of what each vendor can do.
func cannot(vendor string, v capmatrix.Verb) string {
	c, ok := capmatrix.Lookup(vendor, v)
	switch {
	case !ok:
		return fmt.Sprintf("the capability matrix has no vendor %q", vendor)
	case c.Can():
		return ""
	}
	return c.Why
}

// has reports whether vs holds the interface of verb v (the exchanger is
// the bundle's, not a verb under a session).
func (vs verbs) has(v capmatrix.Verb) bool {
	switch v {
	case capmatrix.Issue:
		return vs.issuer != nil
	case capmatrix.List:
		return vs.lister != nil
	case capmatrix.Check:
		return vs.checker != nil
	case capmatrix.Renew:
		return vs.renewer != nil
	case capmatrix.Revoke:
		return vs.revoker != nil
	}
	return false
}

// missing is the failure of a step whose verb capmatrix says the vendor
// can do but the bundle has no interface for: the two disagree.
func missing(vendor string, v capmatrix.Verb) error {
	return fmt.Errorf("the capability matrix says %s can %s, but tokenctl has no implementation of it (see %sVerbs)", vendor, v, vendor)
}

// capabilityHelp renders, one line per vendor, whether it can do every verb
// of vs, or the first it cannot and capmatrix's reason: help text from the
// one source of what each vendor can do.
func capabilityHelp(vs ...capmatrix.Verb) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.String()
	}
	var b strings.Builder
	for _, vendor := range vendorNames() {
		line := "can " + strings.Join(names, ", ")
		if n := len(names); n > 1 {
			line = "can " + strings.Join(names[:n-1], ", ") + " and " + names[n-1]
		}
		for _, v := range vs {
			if why := cannot(vendor, v); why != "" {
				line = "cannot " + v.String() + ": " + why
				break
			}
		}
		fmt.Fprintf(&b, "  %-10s %s\n", vendor, line)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
