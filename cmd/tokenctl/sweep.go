package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
)

// sweepAction is what sweep does, or would do, with one flagged token.
type sweepAction struct {
	j      judged
	action string // revoke, skip
	why    string // for skip: the reason; for revoke: the verdict
	err    error  // --apply: the revocation failed
	done   bool   // --apply: revoked
}

// sweepActionJSON is one entry of sweep -o json / ndjson.
type sweepActionJSON struct {
	auditTokenJSON
	Action  string `json:"action"` // revoke, skip
	Why     string `json:"why"`
	Applied bool   `json:"applied"`
	Revoked bool   `json:"revoked"`
	Error   string `json:"error,omitempty"`
}

// plan lists, in the inventory's deterministic order, what sweep does with
// every token whose verdict it acts on: revoke it, or skip it and why.
func (inv *inventory) plan(limit int) []sweepAction {
	var out []sweepAction
	n := map[*source]int{}
	for _, j := range inv.tokens {
		if !j.revocable {
			continue
		}
		a := sweepAction{j: j, action: "revoke", why: j.verdict()}
		switch {
		case j.self:
			a.action, a.why = "skip", "the token tokenctl is authenticated with"
		case j.src.noRevoke != "":
			a.action, a.why = "skip", j.src.noRevoke
		case !j.src.selfKnown:
			a.action, a.why = "skip", "cannot tell which token tokenctl is authenticated with: set self_id or session in the profile"
		case limit > 0 && n[j.src] >= limit:
			a.action, a.why = "skip", "over --limit "+strconv.Itoa(limit)+" for "+j.src.name
		default:
			n[j.src]++
		}
		out = append(out, a)
	}
	return out
}

func sweepCommand() *command {
	return &command{
		name:    "sweep",
		summary: "revoke the tokens audit flags as expired, too old or idle (dry run unless --apply)",
		desc: `sweep takes the same inventory as audit and revokes the tokens that have expired, are
older than --max-age or idle longer than --max-idle. Without --apply it only prints the
plan (in a fixed order: profile order, oldest first, then id) and changes nothing. A
token that merely expires soon is kept: rotate it instead. The token tokenctl is
authenticated with is never revoked (see the profile's session and self_id), and at
most --limit tokens are revoked per vendor in one run. A summary of what was revoked
and what failed ends the output; the exit status is 0 when every planned revocation
succeeded (or none was planned), else that of the first failure.

` + profileHelp,
		setup: func(fs *flag.FlagSet, e *env, cc *cmdCtx) func(context.Context, []string) error {
			h := addHygieneFlags(fs, cc)
			apply := fs.Bool("apply", false, "revoke; without it sweep only prints the plan")
			limit := fs.Int("limit", 10, "revoke at most this many tokens per vendor in one run (0: no limit)")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(cc, args); err != nil {
					return err
				}
				if *limit < 0 {
					return usagef("%s: --limit must be 0 or more", cc.path)
				}
				inv, err := h.take(ctx, e, cc, fs)
				if err != nil {
					return err
				}
				inv.warn(e)
				plan := inv.plan(*limit)
				var first error
				if *apply {
					prog := newProgress(e, len(plan))
					for i := range plan {
						a := &plan[i]
						if a.action != "revoke" {
							continue
						}
						if err := ctx.Err(); err != nil {
							a.err = err
							first = cmpErr(first, err)
							continue
						}
						prog.show(i, "revoking "+a.j.src.name+" "+safe(a.j.tok.ID))
						if err := a.j.src.revoke(ctx, a.j.tok.ID); err != nil {
							a.err = err
							first = cmpErr(first, fmt.Errorf("%s: revoking %s: %w", a.j.src.name, a.j.tok.ID, err))
							continue
						}
						a.done = true
					}
					prog.done()
				}
				if err := printSweep(e, cc, inv, plan, *apply); err != nil {
					return err
				}
				if first != nil {
					return first
				}
				return inv.firstFailure()
			}
		},
	}
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func printSweep(e *env, cc *cmdCtx, inv *inventory, plan []sweepAction, applied bool) error {
	var planned, revoked, failed, skipped int
	for _, a := range plan {
		switch {
		case a.action == "skip":
			skipped++
		case a.done:
			revoked++
		case a.err != nil:
			failed++
		}
		if a.action == "revoke" {
			planned++
		}
	}
	summary := map[string]any{"applied": applied, "planned": planned, "revoked": revoked, "failed": failed, "skipped": skipped}
	rows := make([]sweepActionJSON, 0, len(plan))
	for _, a := range plan {
		r := sweepActionJSON{auditTokenJSON: a.j.json(), Action: a.action, Why: a.why, Applied: applied, Revoked: a.done}
		if a.err != nil {
			r.Error = a.err.Error()
		}
		rows = append(rows, r)
	}
	switch cc.output {
	case "json":
		return writeJSON(e.stdout, map[string]any{"now": jsonTime(inv.now), "policy": policyJSON(inv.pol), "sources": inv.sourcesJSON(),
			"plan": rows, "summary": summary})
	case "ndjson":
		for _, r := range rows {
			if err := writeJSONLine(e.stdout, r); err != nil {
				return err
			}
		}
		return writeJSONLine(e.stdout, map[string]any{"summary": summary})
	}
	tw := newTable(e.stdout, "SOURCE", "ID", "NAME", "CREATED", "VERDICT", "ACTION")
	for _, a := range plan {
		act := "would revoke"
		switch {
		case a.action == "skip":
			act = "skip: " + a.why
		case a.done:
			act = "revoked"
		case a.err != nil:
			act = "FAILED: " + a.err.Error()
		case applied:
			act = "not revoked"
		}
		tw.row(a.j.src.name, a.j.tok.ID, orDash(a.j.tok.Name), stamp(a.j.tok.CreatedAt), a.j.verdict(), act)
	}
	if err := tw.flush(); err != nil {
		return err
	}
	var err error
	if applied {
		_, err = fmt.Fprintf(e.stdout, "\nrevoked %d, failed %d, skipped %d\n", revoked, failed, skipped)
	} else {
		_, err = fmt.Fprintf(e.stdout, "\ndry run: would revoke %d, skip %d; nothing was changed (pass --apply to revoke)\n", planned, skipped)
	}
	return err
}
