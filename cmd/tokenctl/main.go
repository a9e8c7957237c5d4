// Command tokenctl is tokenkit from the shell: every token verb of the five
// vendors, a demo of their whole token lifecycle on the built-in fakes, and
// those fakes as a local server for test suites in any language.
//
//	go run ./cmd/tokenctl demo                       # no network, no credentials
//	tokenctl fake                                    # serve the fakes; prints one base URL per vendor
//	export CSP_API_TOKEN=…                           # secrets come from the environment,
//	tokenctl csp exchange                            # a file (--secret-file) or standard input
//	tokenctl commvault token list --url https://cc.example.com/commandcenter/api
//
// Secrets are never accepted as flags, where the process list shows them.
// Commands that produce a token print it alone on standard output, so that
// $(tokenctl csp exchange) works; -o json prints the full result with every
// other secret redacted. Exit codes follow the error's kind: 0 success, 1
// other failure, 2 usage or configuration error, 3 authentication or
// authorization failure, 4 network or server failure, 130 interrupted
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
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
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
			versionCommand(),
		},
	}
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if rest, verbose := takeVerbose(args); verbose {
		args, ctx = rest, withVerbose(ctx, stderr)
	}
	err := withSignalCause(ctx, rootCommand().exec(ctx, e, "tokenctl", args))
	code := exitCode(err)
	if err != nil && err != errStepsFailed {
		msg := err.Error()
		if !strings.HasPrefix(msg, "tokenctl ") {
			msg = "tokenctl: " + msg
		}
		fmt.Fprintln(stderr, safeLines(msg)) // messages quote servers
	}
	return code
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
