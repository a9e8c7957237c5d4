package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
)

// lifecycleSteps returns the steps of the lifecycle, in order.
func lifecycleSteps() []string {
	return []string{"sign in", "issue", "list", "use", "refresh", "revoke", "rejected"}
}

// outcome is how a step ended.
type outcome int

const (
	ok      outcome = iota
	na              // the vendor's API has no such step
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

// lifecycle runs every step for one vendor through the common interfaces of
// package tokenkit and returns one row per step. It knows no vendor: what
// differs between vendors is in the bundle.
func lifecycle(ctx context.Context, b *bundle) []row {
	var (
		rows    []row
		broken  string // the step that failed; later steps are skipped
		session tokenkit.Token
		issued  tokenkit.Token // the token used, refreshed and revoked
		issueID string
		m       managed
	)
	name := "tokenctl-demo"
	auth := tokenkit.NewSource(b.signIn.Exchange, tokenkit.SourceConfig{Logger: eventLogger, Vendor: b.vendor, Name: "demo sign-in"})

	reason := func(s string) string {
		if s == "rejected" && b.na["revoke"] != "" {
			return "nothing was revoked"
		}
		return b.na[s]
	}
	step := func(s string, fn func() (outcome, string, error)) {
		if r := reason(s); r != "" {
			rows = append(rows, row{vendor: b.vendor, step: s, outcome: na, detail: r})
			return
		}
		if broken != "" {
			rows = append(rows, row{vendor: b.vendor, step: s, outcome: skipped, detail: "skipped: " + broken + " failed"})
			return
		}
		start := time.Now()
		o, detail, err := fn()
		if err != nil {
			o, detail = failed, err.Error()
			broken = s
		}
		took := time.Since(start)
		if o == na {
			took = 0
		}
		rows = append(rows, row{vendor: b.vendor, step: s, outcome: o, detail: detail, took: took})
	}
	naStep := func() (outcome, string, error) {
		return na, "the vendor's API has no such call", nil
	}

	step("sign in", func() (outcome, string, error) {
		tok, err := auth.Token(ctx)
		if err != nil {
			return failed, "", err
		}
		session, issued = tok, tok
		if m, err = b.manage(auth, tok); err != nil {
			return failed, "", err
		}
		return ok, b.signInHow + ": " + describe(tok), nil
	})
	step("issue", func() (outcome, string, error) {
		if m.issuer == nil {
			return naStep()
		}
		tok, err := m.issuer.Issue(ctx, tokenkit.IssueRequest{Name: name})
		if err != nil {
			return failed, "", err
		}
		issued = tok
		issueID = tokenkit.IDOf(tok)
		return ok, fmt.Sprintf("%q: %s", name, describe(tok)), nil
	})
	step("list", func() (outcome, string, error) {
		if m.lister == nil {
			return naStep()
		}
		list, err := m.lister.List(ctx)
		if err != nil {
			return failed, "", err
		}
		for _, t := range list {
			// The issued token carries its id (tokenkit.IDOf) where the
			// vendor has one; otherwise it is found by the name it was given.
			if issueID != "" && t.ID == issueID || issueID == "" && t.Name == name {
				issueID = t.ID
				return ok, fmt.Sprintf("%d token(s); the issued one has id %s", len(list), shorten(t.ID)), nil
			}
		}
		return failed, "", fmt.Errorf("%d token(s), the issued one is not among them", len(list))
	})
	step("use", func() (outcome, string, error) {
		status, err := probe(ctx, m.probe, issued)
		if err != nil {
			return failed, "", err
		}
		if status/100 != 2 {
			return failed, "", fmt.Errorf("GET %s answered HTTP %d", pathOf(m.probe), status)
		}
		return ok, fmt.Sprintf("GET %s with the token through tokenkit.Transport: HTTP %d", pathOf(m.probe), status), nil
	})
	step("refresh", func() (outcome, string, error) {
		// A Source refreshes a token it is told was rejected: either the
		// issued token's own renewal, or the session's Source signing in
		// again (which prolongs or replaces the session).
		src, old := auth, session
		if m.renew != nil {
			ex, err := m.renew(issued)
			if err != nil {
				return failed, "", err
			}
			src, old = tokenkit.NewSource(ex.Exchange, tokenkit.SourceConfig{Initial: issued, Logger: eventLogger, Vendor: b.vendor, Name: "demo refresh"}), issued
		}
		src.Invalidate(old)
		fresh, err := src.Token(ctx)
		if err != nil {
			return failed, "", err
		}
		if fresh.Value() == old.Value() && fresh.Expiry().Equal(old.Expiry()) {
			return failed, "", errors.New("the refresh returned the same token")
		}
		status, err := probe(ctx, m.probe, fresh)
		if err != nil {
			return failed, "", err
		}
		if status/100 != 2 {
			return failed, "", fmt.Errorf("the refreshed token was refused: HTTP %d", status)
		}
		if m.renew != nil || m.issuer == nil { // the refreshed token is the one in use
			issued = fresh
		}
		return ok, fmt.Sprintf("%s: new %s, accepted", b.refreshHow, describe(fresh)), nil
	})
	step("revoke", func() (outcome, string, error) {
		if m.revoker == nil {
			return naStep()
		}
		if err := m.revoker.Revoke(ctx, issueID); err != nil {
			return failed, "", err
		}
		if issueID == "" {
			return ok, "revoked the current token", nil
		}
		return ok, "revoked id " + shorten(issueID), nil
	})
	step("rejected", func() (outcome, string, error) {
		if m.revoker == nil {
			return naStep()
		}
		status, err := probe(ctx, m.probe, issued)
		if err != nil {
			return failed, "", err
		}
		if status != http.StatusUnauthorized && status != http.StatusForbidden {
			return failed, "", fmt.Errorf("the revoked token was accepted: HTTP %d", status)
		}
		return ok, fmt.Sprintf("the revoked token gets HTTP %d", status), nil
	})
	return rows
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

func pathOf(rawURL string) string {
	if i := strings.Index(rawURL, "://"); i >= 0 {
		if j := strings.IndexByte(rawURL[i+3:], '/'); j >= 0 {
			return rawURL[i+3+j:]
		}
	}
	return rawURL
}
