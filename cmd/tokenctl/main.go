// Command tokenctl exposes tokenkit from the shell. This first version covers
// CSP and a demo that runs on the built-in fake, with no network and no
// credentials:
//
//	go run ./cmd/tokenctl demo
//
// Real calls read secrets from the environment or standard input, never from
// flags (which other users of the machine can read in the process list):
//
//	CSP_API_TOKEN=… tokenctl csp exchange --host https://console.cloud.vmware.com
//	tokenctl csp details --host … < api-token.txt
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `usage: tokenctl <command> [flags]

commands:
  demo                      exchange, verify, refresh and fail on the built-in CSP fake (no network)
  csp exchange  --host URL  exchange the API token in $CSP_API_TOKEN (or stdin) for an access token
  csp details   --host URL  show the owner, scopes and dates of the API token
  csp verify    --host URL  verify the access token in $CSP_ACCESS_TOKEN (or stdin)
  csp public-key --host URL print the host's token-signing key
  version                   print the tokenkit version
`

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "demo":
		err = demo(ctx, stdout)
	case "csp":
		err = cspCommand(ctx, args[1:], stdin, stdout, getenv)
	case "version":
		err = version(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "tokenctl: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "tokenctl:", err)
		if _, ok := err.(usageError); ok {
			return 2
		}
		return 1
	}
	return 0
}

type usageError string

func (e usageError) Error() string { return string(e) + "\n\n" + usage }
