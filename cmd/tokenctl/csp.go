package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp"
)

func version(w io.Writer) error {
	_, err := fmt.Fprintln(w, "tokenctl", tokenkit.Version)
	return err
}

// secretFrom reads a secret from the environment variable, or else the first
// line of stdin.
func secretFrom(getenv func(string) string, env string, stdin io.Reader) (tokenkit.Secret, error) {
	if v := strings.TrimSpace(getenv(env)); v != "" {
		return tokenkit.Secret(v), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	if v := strings.TrimSpace(line); v != "" {
		return tokenkit.Secret(v), nil
	}
	return "", usageError("no secret: set $" + env + " or pass it on standard input")
}

func cspCommand(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return usageError("csp: missing subcommand")
	}
	fs := flag.NewFlagSet("csp "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	host := fs.String("host", csp.CloudVMware, "CSP host URL")
	scopes := fs.String("scope", "", "space-separated scopes to ask for (exchange)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError("csp " + args[0] + ": " + err.Error())
	}
	c, err := csp.New(*host)
	if err != nil {
		return err
	}
	switch args[0] {
	case "exchange":
		key, err := secretFrom(getenv, "CSP_API_TOKEN", stdin)
		if err != nil {
			return err
		}
		tok, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: key, Passcode: tokenkit.Secret(getenv("CSP_PASSCODE")), Scopes: strings.Fields(*scopes)})
		if err != nil {
			return err
		}
		// The access token is the point of this command: it goes to stdout
		// alone, so that it can be piped; everything else is redacted.
		_, err = fmt.Fprintln(stdout, tok.Value())
		return err
	case "details":
		key, err := secretFrom(getenv, "CSP_API_TOKEN", stdin)
		if err != nil {
			return err
		}
		d, err := c.APITokenDetails(ctx, key)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token:       %s (%s)\nuser:        %s (%s)\norg:         %s\nscopes:      %s\ndeactivated: %t\ncreated:     %s\nlast used:   %s\nexpires:     %s\n",
			d.TokenName, d.TokenID, d.Username, d.UserID, d.OrgID, strings.Join(d.Scopes, " "), d.Deactivated,
			when(d.CreatedAt), when(d.LastUsedAt), when(d.ExpiresAt))
		return nil
	case "verify":
		at, err := secretFrom(getenv, "CSP_ACCESS_TOKEN", stdin)
		if err != nil {
			return err
		}
		cl, err := c.Verify(ctx, at.Reveal())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "valid: user %q org %q perms %v, expires %s\n", cl.Username, cl.OrgID, cl.Perms, when(cl.ExpiresAt))
		return nil
	case "public-key":
		pk, err := c.PublicKey(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "alg: %s\nissuer: %s\n%s\n", pk.Alg, pk.Issuer, strings.TrimSpace(pk.PEM))
		return nil
	}
	return usageError("csp: unknown subcommand " + args[0])
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
