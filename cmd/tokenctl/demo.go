package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/tokenkit/tokenkit"
)

func demoCommand() *command {
	return &command{
		name:    "demo",
		summary: "run every vendor's token lifecycle on the built-in fakes and print one table (no network, no credentials)",
		desc: `demo starts the five fakes in this process and, for each vendor, signs in or exchanges,
issues a token, lists tokens, checks that the token works (a vendor call it authenticates),
renews it, revokes it, and checks that the revoked token is rejected: each step through the
common interfaces of package tokenkit (Exchanger, Issuer, Lister, Checker, Renewer, Revoker),
written once for every vendor. A step the vendor cannot do is shown as n/a with the reason
from the capability matrix (the README's table). Secrets are never printed. The exit code is 1
if any step failed.`,
		setup: func(fs *flag.FlagSet, e *env, cc *cmdCtx) func(context.Context, []string) error {
			outputFlag(fs, cc)
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(cc, args); err != nil {
					return err
				}
				return demo(ctx, e.stdout, cc.json())
			}
		},
	}
}

// errStepsFailed is the demo's error when a step failed (the table says
// which).
var errStepsFailed = errors.New("demo: some steps failed")

// demo runs the lifecycle of every vendor on the built-in fakes and prints
// one table.
func demo(ctx context.Context, w io.Writer, asJSON bool) error {
	start := time.Now()
	s := seed{}.withDefaults()
	fakes := startFakes(s, nil)
	defer fakes.Close()
	cr := credentials{user: s.Users[0], apiToken: tokenkit.Secret(s.APITokens[0]), apiKey: tokenkit.Secret(s.APIKeys[0])}

	if !asJSON {
		fmt.Fprintf(w, "tokenkit %s: the token lifecycle of five vendors on the built-in fakes (no network, no credentials; secrets redacted)\n\n", tokenkit.Version)
	}
	var rows []row
	for _, v := range vendorNames() {
		b, err := newBundle(v, fakes.url(v), cr)
		if err != nil {
			rows = append(rows, row{vendor: v, step: lifecycleSteps()[0].name, outcome: failed, detail: err.Error()})
			continue
		}
		rows = append(rows, lifecycle(ctx, b)...)
	}
	if asJSON {
		return demoJSON(w, rows, time.Since(start))
	}
	failures := printRows(w, rows)
	fmt.Fprintf(w, "\n%d vendors, %d steps, %d n/a, %d failed, in %s\n", len(vendorNames()), len(rows), count(rows, na), failures, time.Since(start).Round(time.Millisecond))
	if failures > 0 {
		return errStepsFailed
	}
	return nil
}

// printRows prints the table and returns how many steps failed or were
// skipped.
func printRows(w io.Writer, rows []row) int {
	tw := newTable(w, "VENDOR", "STEP", "OUTCOME", "TIME")
	bad := 0
	for _, r := range rows {
		took := "-"
		if r.outcome != na && r.outcome != skipped {
			took = r.took.Round(100 * time.Microsecond).String()
		}
		var out string
		switch r.outcome {
		case ok:
			out = "ok: " + r.detail
		case na:
			out = "n/a: " + r.detail
		case failed:
			out = "FAILED: " + r.detail
			bad++
		case skipped:
			out = r.detail
			bad++
		}
		tw.row(r.vendor, r.step, out, took)
	}
	_ = tw.flush()
	return bad
}

func count(rows []row, o outcome) int {
	n := 0
	for _, r := range rows {
		if r.outcome == o {
			n++
		}
	}
	return n
}

// demoJSON prints the demo's rows as one JSON document.
func demoJSON(w io.Writer, rows []row, took time.Duration) error {
	type stepJSON struct {
		Vendor  string  `json:"vendor"`
		Step    string  `json:"step"`
		Outcome string  `json:"outcome"` // ok, n/a, failed, skipped
		Detail  string  `json:"detail"`
		TookMS  float64 `json:"took_ms"`
	}
	out := struct {
		Version string     `json:"version"`
		Steps   []stepJSON `json:"steps"`
		NA      int        `json:"n_a"`
		Failed  int        `json:"failed"`
		TookMS  float64    `json:"took_ms"`
	}{Version: tokenkit.Version, Steps: []stepJSON{}, TookMS: float64(took.Microseconds()) / 1000}
	for _, r := range rows {
		o := map[outcome]string{ok: "ok", na: "n/a", failed: "failed", skipped: "skipped"}[r.outcome]
		out.Steps = append(out.Steps, stepJSON{r.vendor, r.step, o, r.detail, float64(r.took.Microseconds()) / 1000})
		switch r.outcome {
		case na:
			out.NA++
		case failed, skipped:
			out.Failed++
		}
	}
	if err := writeJSON(w, out); err != nil {
		return err
	}
	if out.Failed > 0 {
		return errStepsFailed
	}
	return nil
}
