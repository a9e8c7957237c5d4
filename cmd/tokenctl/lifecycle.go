package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/capmatrix"
)

// step is one step of the lifecycle and the verbs of package tokenkit it
// makes. Where internal/capmatrix says the vendor cannot do one of them,
// the step is n/a with capmatrix's reason.
type step struct {
	name  string
	verbs []capmatrix.Verb
}

// lifecycleSteps returns the steps of the lifecycle, in order.
func lifecycleSteps() []step {
	return []step{
		{"sign in", []capmatrix.Verb{capmatrix.Exchange}},
		{"issue", []capmatrix.Verb{capmatrix.Issue}},
		{"list", []capmatrix.Verb{capmatrix.List}},
		{"check", []capmatrix.Verb{capmatrix.Check}},
		{"renew", []capmatrix.Verb{capmatrix.Renew}},
		{"revoke", []capmatrix.Verb{capmatrix.Revoke}},
		// The revoked token, checked again: nothing to check where
		// nothing was revoked.
		{"rejected", []capmatrix.Verb{capmatrix.Revoke, capmatrix.Check}},
	}
}

// outcome is how a step ended.
type outcome int

const (
	ok      outcome = iota
	na              // the vendor cannot (capmatrix says why)
	failed          // the step failed
	skipped         // an earlier step failed
)

// row is one line of the demo's table.
type row struct {
	vendor, step string
	outcome      outcome
	detail       string
	took         time.Duration
}

// lifecycle runs every step for one vendor through the interfaces of
// package tokenkit and returns one row per step: sign in (Exchanger), issue
// (Issuer), list (Lister), check (Checker: a call the token authenticates),
// renew (Renewer, then Checker on the new token and the old one), revoke
// (Revoker, with the id tokenkit.IDOf gives) and rejected (Checker on the
// revoked token). It knows no vendor: what differs is in the bundle, and
// what a vendor cannot do comes from internal/capmatrix.
func lifecycle(ctx context.Context, b *bundle) []row {
	var (
		rows     []row
		broken   string         // the step that failed; later steps are skipped
		tok      tokenkit.Token // the token checked, renewed and revoked
		which    = "signed-in"  // what tok is, for the table
		listedID string         // tok's id as the Lister showed it
		vs       verbs
	)
	name := "tokenctl-demo"
	auth := tokenkit.NewSource(b.signIn.Exchange, tokenkit.SourceConfig{Logger: eventLogger, Vendor: b.vendor, Name: "demo sign-in"})

	run := func(s step, fn func() (string, error)) {
		for _, v := range s.verbs {
			if why := cannot(b.vendor, v); why != "" {
				rows = append(rows, row{vendor: b.vendor, step: s.name, outcome: na, detail: why})
				return
			}
		}
		if broken != "" {
			rows = append(rows, row{vendor: b.vendor, step: s.name, outcome: skipped, detail: "skipped: " + broken + " failed"})
			return
		}
		for _, v := range s.verbs {
			if v != capmatrix.Exchange && !vs.has(v) {
				broken = s.name
				rows = append(rows, row{vendor: b.vendor, step: s.name, outcome: failed, detail: missing(b.vendor, v).Error()})
				return
			}
		}
		start := time.Now()
		detail, err := fn()
		o := ok
		if err != nil {
			o, detail = failed, err.Error()
			broken = s.name
		}
		rows = append(rows, row{vendor: b.vendor, step: s.name, outcome: o, detail: detail, took: time.Since(start)})
	}
	steps := lifecycleSteps()

	run(steps[0], func() (string, error) { // sign in
		first, err := auth.Token(ctx)
		if err != nil {
			return "", err
		}
		tok = first
		if vs, err = b.manage(auth, first); err != nil {
			return "", err
		}
		return b.signInHow + ": " + describe(first), nil
	})
	run(steps[1], func() (string, error) { // issue
		issued, err := vs.issuer.Issue(ctx, tokenkit.IssueRequest{Name: name})
		if err != nil {
			return "", err
		}
		tok, which = issued, "issued"
		detail := fmt.Sprintf("%q: %s", name, describe(issued))
		if id := tokenkit.IDOf(issued); id != "" {
			detail += ", id " + shorten(id)
		}
		return detail, nil
	})
	run(steps[2], func() (string, error) { // list
		list, err := vs.lister.List(ctx)
		if err != nil {
			return "", err
		}
		if which != "issued" {
			return fmt.Sprintf("%d token(s)", len(list)), nil
		}
		id := tokenkit.IDOf(tok)
		for _, t := range list {
			// The issued token says its id (tokenkit.IDOf) where the
			// vendor has one; otherwise it is found by the name it was given.
			if id != "" && t.ID == id || id == "" && t.Name == name {
				listedID = t.ID
				return fmt.Sprintf("%d token(s); the issued one has id %s", len(list), shorten(t.ID)), nil
			}
		}
		return "", fmt.Errorf("%d token(s), the issued one is not among them", len(list))
	})
	run(steps[3], func() (string, error) { // check
		res, err := vs.checker.Check(ctx, tok)
		if err != nil {
			return "", fmt.Errorf("the %s token: %w", which, err)
		}
		return fmt.Sprintf("the %s token works%s", which, about(res)), nil
	})
	run(steps[4], func() (string, error) { // renew
		fresh, err := vs.renewer.Renew(ctx, tok)
		if err != nil {
			return "", err
		}
		if fresh.Value() == tok.Value() {
			return "", errors.New("the renewal returned the same token")
		}
		old := tok
		tok = fresh
		detail := "new " + describe(fresh)
		if vs.checker == nil {
			return detail, nil
		}
		res, err := vs.checker.Check(ctx, fresh)
		if err != nil {
			return "", fmt.Errorf("the renewed token: %w", err)
		}
		detail += ", works" + about(res)
		switch _, err := vs.checker.Check(ctx, old); {
		case err == nil:
			detail += "; the old one still works"
		case tokenkit.Rejected(err):
			detail += "; the old one is rejected"
		default:
			return "", fmt.Errorf("the old token: %w", err)
		}
		return detail, nil
	})
	run(steps[5], func() (string, error) { // revoke
		id := tokenkit.IDOf(tok)
		if id == "" {
			id = listedID
		}
		if id == "" {
			return "", fmt.Errorf("the %s token says no id (tokenkit.IDOf) and the list did not show it", which)
		}
		if err := vs.revoker.Revoke(ctx, id); err != nil {
			return "", err
		}
		return fmt.Sprintf("revoked the %s token, id %s", which, shorten(id)), nil
	})
	run(steps[6], func() (string, error) { // rejected
		_, err := vs.checker.Check(ctx, tok)
		switch {
		case err == nil:
			return "", errors.New("the revoked token still works")
		case !tokenkit.Rejected(err):
			return "", fmt.Errorf("could not tell whether the revoked token works: %w", err)
		}
		return "the revoked token is rejected" + rejection(err), nil
	})
	return rows
}

// rejection renders how a check refused a token: the vendor's operation
// and its HTTP status, or the kind of the error.
func rejection(err error) string {
	var te *tokenkit.Error
	switch {
	case errors.As(err, &te) && te.StatusCode != 0:
		return fmt.Sprintf(" (%s: HTTP %d)", te.Op, te.StatusCode)
	case errors.As(err, &te) && te.Op != "":
		return fmt.Sprintf(" (%s: %s)", te.Op, tokenkit.KindOf(err))
	}
	return " (" + tokenkit.KindOf(err).String() + ")"
}

// about renders what a check told about a token that works.
func about(res *tokenkit.CheckResult) string {
	if res == nil {
		return ""
	}
	var parts []string
	if res.Subject != "" {
		parts = append(parts, "subject "+res.Subject)
	}
	if !res.ExpiresAt.IsZero() {
		parts = append(parts, "expires in "+roughly(time.Until(res.ExpiresAt)))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// describe shows a token without its secret: its type and lifetime.
func describe(tok tokenkit.Token) string {
	life := "no expiry"
	if exp := tok.Expiry(); !exp.IsZero() {
		life = "expires in " + roughly(time.Until(exp))
	}
	return fmt.Sprintf("%s REDACTED, %s", strings.TrimPrefix(fmt.Sprintf("%T", tok), "*"), life)
}

// roughly renders d in whole minutes: 30m, 24h, 336h, 1h30m.
func roughly(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

// shorten keeps long ids (Canvus's are 80 characters) readable.
func shorten(id string) string {
	if len(id) > 16 {
		return id[:12] + "…"
	}
	return id
}
