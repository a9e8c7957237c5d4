// Command tokenctl is tokenkit from the shell: every token verb of the five
// vendors, a demo of their whole token lifecycle on the built-in fakes, and
// those fakes as a local server for test suites in any language.
//
//	go run ./cmd/tokenctl demo                       # no network, no credentials
//	tokenctl fake                                    # serve the fakes; prints one base URL per vendor
//	export CSP_API_TOKEN=…                           # secrets come from the environment,
//	tokenctl csp exchange                            # a file (--secret-file) or standard input
//	tokenctl commvault token list --url https://cc.example.com
//
// Secrets are never accepted as flags, where the process list shows them.
// Commands that produce a token print it alone on standard output, so that
// $(tokenctl csp exchange) works; -o json prints the full result with every
// other secret redacted. Exit codes follow the error's kind: 0 success, 1
// other failure, 2 usage or configuration error, 3 authentication or
// authorization failure, 4 network or server failure, 5 the token watched by
// canvus token watch ID was deleted, 6 audit found a token that breaks the
// policy, 130 interrupted
// (SIGINT), 143 terminated (SIGTERM).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tokenkit/tokenkit"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if s, ok := <-sigs; ok {
			cancel(signalCause{s})
		}
	}()
	code := runEnv(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.LookupEnv)
	signal.Stop(sigs)
	close(sigs)
	cancel(nil)
	os.Exit(code)
}

// rootCommand is the command tree.
func rootCommand() *command {
	return &command{
		name: "tokenctl",
		desc: `tokenctl runs the token verbs of five vendors from the shell, a demo of their whole
token lifecycle on built-in fakes, and those fakes as a local server.

Secrets (passwords, API tokens and keys, session and access tokens) are read from
environment variables, from a file (--secret-file) or from standard input, never
from flags. A command that produces a token prints it alone on standard output, so
that $(tokenctl csp exchange) works; -o json prints the full result, other secrets
redacted. Each vendor's base URL comes from --url or $<VENDOR>_URL. --verbose, anywhere
on the line, prints each HTTP attempt, retry, resend and token fetch on standard error.`,
		subs: []*command{
			demoCommand(),
			fakeCommand(),
			cspCommand(),
			commvaultCommand(),
			canvusCommand(),
			oracleCommand(),
			cgscanCommand(),
			auditCommand(),
			sweepCommand(),
			rotateCommand(),
			versionCommand(),
			completionCommand(),
		},
	}
}

// run is main without the process: it returns the exit code.
// An unset variable and an empty one are the same to it (see runEnv).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return runWith(ctx, &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}, args)
}

// runEnv is run with the environment's lookup, which tells an empty
// variable from an unset one.
func runEnv(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	getenv := func(k string) string { v, _ := lookup(k); return v }
	return runWith(ctx, &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, lookupEnv: lookup}, args)
}

func runWith(ctx context.Context, e *env, args []string) int {
	if f, ok := e.stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			e.stderrTTY = true
		}
	}
	e.stderr = &lockedWriter{w: e.stderr}
	if rest, verbose := takeVerbose(args); verbose {
		args, ctx = rest, withVerbose(ctx, e.stderr)
	}
	err := withSignalCause(ctx, rootCommand().exec(ctx, e, "tokenctl", args))
	code := exitCode(err)
	switch {
	case err == nil || err == errStepsFailed:
	case wantsJSON(args):
		reportErrorJSON(e, err, code)
	default:
		reportError(e, err)
	}
	return code
}

// reportError prints err on standard error, prefixed "tokenctl" once.
func reportError(e *env, err error) {
	msg := err.Error()
	if !strings.HasPrefix(msg, "tokenctl ") && !strings.HasPrefix(msg, "tokenctl:") {
		msg = "tokenctl: " + msg
	}
	fmt.Fprintln(e.stderr, safeLines(msg)) // messages quote servers
}

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print the tokenkit version",
		setup: func(fs *flag.FlagSet, e *env, cc *cmdCtx) func(context.Context, []string) error {
			return func(_ context.Context, args []string) error {
				if err := wantArgs(cc, args); err != nil {
					return err
				}
				_, err := fmt.Fprintln(e.stdout, "tokenctl", tokenkit.Version)
				return err
			}
		},
	}
}
