package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/tokenkit/tokenkit"
)

// Exit codes, documented in the top-level help and the README.
const (
	exitOK      = 0
	exitError   = 1 // anything else
	exitUsage   = 2 // bad command line
	exitAuth    = 3 // authentication or authorization failure
	exitNetwork = 4 // network or server failure
	exitDeleted = 5 // canvus token watch ID: the watched token was deleted
)

const exitCodesHelp = `exit codes: (they follow the error's kind, see tokenkit.Kind)
  0    success
  1    any other failure (not found, conflict, bad request, invalid response)
  2    usage or configuration error (unknown command or flag, missing argument, a secret
       on the command line, a bad base URL, https to a plain-http server, a redirect)
  3    authentication or authorization failure (bad credential, locked account, 401, 403,
       revoked or invalid token)
  4    network or server failure (no answer, 5xx, rate limited, outcome unknown)
  5    the token watched by canvus token watch ID was deleted
  6    audit: a token breaks the policy
  130  interrupted (SIGINT, Ctrl-C); 143 terminated (SIGTERM)
`

// env is the process around a command: main passes the real one, tests their
// own.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// lookupEnv, when set, tells a variable set to "" from an unset one.
	lookupEnv func(string) (string, bool)
	// stderrTTY: standard error is a terminal (progress lines).
	stderrTTY bool
}

// lookup returns a variable and whether it is set (without lookupEnv: set
// means not empty).
func (e *env) lookup(name string) (string, bool) {
	if e.lookupEnv != nil {
		return e.lookupEnv(name)
	}
	v := e.getenv(name)
	return v, v != ""
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode maps an error to the documented exit codes, by its kind.
func exitCode(err error) int {
	var ue *usageError
	var sig signalCause
	var td *tokenDeleted
	var pb *policyBroken
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &sig):
		return 128 + sig.number()
	case errors.As(err, &td):
		return exitDeleted
	case errors.As(err, &pb):
		return exitPolicy
	case isAuthFailure(err):
		return exitAuth
	}
	switch tokenkit.KindOf(err) {
	case tokenkit.KindConfig, tokenkit.KindInvalidInput:
		return exitUsage
	case tokenkit.KindTransport, tokenkit.KindOutcomeUnknown, tokenkit.KindServer, tokenkit.KindRateLimited:
		return exitNetwork
	}
	return exitError
}

// tokenDeleted ends a watch of one token that was deleted: exit code 5.
type tokenDeleted struct{ msg string }

func (e *tokenDeleted) Error() string { return e.msg }

// signalCause is the cause of a context cancelled by a signal.
type signalCause struct{ sig os.Signal }

func (s signalCause) Error() string { return "stopped by " + s.sig.String() }

func (s signalCause) number() int {
	if n, ok := s.sig.(syscall.Signal); ok {
		return int(n)
	}
	return int(syscall.SIGINT)
}

// withSignalCause returns err, or the signal that stopped the command when
// err is the cancellation that signal caused.
func withSignalCause(ctx context.Context, err error) error {
	var sig signalCause
	if err == nil || !errors.As(context.Cause(ctx), &sig) || tokenkit.KindOf(err) != tokenkit.KindCanceled {
		return err
	}
	return fmt.Errorf("%w: %w", sig, err)
}

// authFailure marks a failure the CLI itself found to be an authentication
// failure (an invalid token reported by a check): exit code 3.
type authFailure struct{ msg string }

func (e *authFailure) Error() string { return e.msg }

// secretSpec names a command's secret and the environment variable it is
// read from.
type secretSpec struct {
	what string // "API token", "password", …
	env  string // "CSP_API_TOKEN"
}

// command is a node of the command tree: a group with subcommands, or a leaf
// whose setup declares its flags and returns what runs it.
type command struct {
	name     string
	synopsis string // after the command path: "[flags] ID"
	summary  string // one line, shown in the parent's list
	desc     string // shown by --help
	subs     []*command
	// secret, when set, adds --secret-file and names the environment
	// variable the secret comes from.
	secret *secretSpec
	// setup declares the leaf's flags on fs and returns the function that
	// runs it with the positional arguments.
	setup func(fs *flag.FlagSet, e *env, c *cmdCtx) func(ctx context.Context, args []string) error
}

// cmdCtx carries what every leaf shares: its path for messages and the
// flags the dispatcher adds.
type cmdCtx struct {
	path       string
	secret     *secretSpec
	secretFile string
	output     string
	formats    []string // what -o takes; default text and json
}

// outputs lists what -o takes.
func (cc *cmdCtx) outputs() []string {
	if len(cc.formats) > 0 {
		return cc.formats
	}
	return []string{"text", "json"}
}

// isSecretFlag reports a flag name a user might reach for to pass a secret.
// A command refuses such a flag unless it defines it: argv is visible to
// every user of the machine in the process list, and it lands in shell
// history.
func isSecretFlag(name string) bool {
	switch name {
	case "password", "passwd", "pass", "secret", "client-secret", "token", "api-token", "apitoken",
		"api-key", "apikey", "access-token", "refresh-token", "session", "passcode", "otp", "code",
		"recovery-code", "key":
		return true
	}
	return false
}

func (c *command) find(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// exec runs the command at path with args.
func (c *command) exec(ctx context.Context, e *env, path string, args []string) error {
	if len(c.subs) > 0 {
		if len(args) == 0 {
			return usagef("%s: missing command\n\n%s", path, c.help(path))
		}
		switch args[0] {
		case "-h", "-help", "--help", "help":
			_, err := io.WriteString(e.stdout, c.help(path))
			return err
		case "-version", "--version":
			if path == "tokenctl" {
				_, err := fmt.Fprintln(e.stdout, "tokenctl", tokenkit.Version)
				return err
			}
		}
		sub := c.find(args[0])
		if sub == nil {
			names := make([]string, 0, len(c.subs))
			for _, s := range c.subs {
				names = append(names, s.name)
			}
			msg := fmt.Sprintf("%s: unknown command %q", path, args[0])
			if dym := didYouMean(args[0], names); dym != "" {
				msg += ": " + dym
			}
			return usagef("%s\nRun '%s --help' for the list of commands.", msg, path)
		}
		return sub.exec(ctx, e, path+" "+sub.name, args[1:])
	}
	cc := &cmdCtx{path: path, secret: c.secret}
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := c.setup(fs, e, cc)
	if c.secret != nil {
		fs.StringVar(&cc.secretFile, "secret-file", "", "read the "+c.secret.what+" from this file (- for standard input) instead of $"+c.secret.env)
	}
	if err := refuseSecretFlags(cc, fs, args); err != nil {
		return err
	}
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		_, err := io.WriteString(e.stdout, c.leafHelp(path, fs))
		return err
	}
	if err != nil {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			name = strings.TrimLeft(name, "-")
			msg = "unknown flag --" + name
			if dym := didYouMean(name, flagNames(func(f func(string)) { fs.VisitAll(func(fl *flag.Flag) { f(fl.Name) }) })); dym != "" {
				msg += ": did you mean --" + strings.TrimPrefix(dym, "did you mean ")
			}
		}
		return usagef("%s: %s (see %s --help)", path, msg, path)
	}
	if cc.output != "" && !slices.Contains(cc.outputs(), cc.output) {
		return usagef("%s: -o must be %s, not %q", path, strings.Join(cc.outputs(), " or "), cc.output)
	}
	return run(ctx, pos)
}

// refuseSecretFlags refuses a flag that would carry a secret, before the
// flag package's own "flag provided but not defined" hides why.
func refuseSecretFlags(cc *cmdCtx, fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name := strings.TrimLeft(a, "-")
		name, _, _ = strings.Cut(name, "=")
		if fs.Lookup(name) != nil || !isSecretFlag(name) {
			continue
		}
		how := "set it in an environment variable"
		if cc.secret != nil {
			how = fmt.Sprintf("set $%s, pass --secret-file FILE, or pipe it on standard input", cc.secret.env)
		}
		return usagef("%s: refusing --%s: a secret on the command line is visible to every user of the machine (ps) and lands in shell history; %s", cc.path, name, how)
	}
	return nil
}

// parseInterspersed parses flags wherever they appear among the positional
// arguments, which the flag package alone stops at.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (c *command) help(path string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s <command> [flags]\n\n", path)
	if c.desc != "" {
		b.WriteString(c.desc + "\n\n")
	}
	b.WriteString("commands:\n")
	tw := newTable(&b)
	for _, s := range c.subs {
		tw.row("  "+s.name, s.summary)
	}
	_ = tw.flush()
	fmt.Fprintf(&b, "\nRun '%s <command> --help' for the flags of a command.\n\n%s", path, exitCodesHelp)
	return b.String()
}

func (c *command) leafHelp(path string, fs *flag.FlagSet) string {
	var b strings.Builder
	syn := c.synopsis
	if syn == "" {
		syn = "[flags]"
	}
	fmt.Fprintf(&b, "usage: %s %s\n\n%s\n", path, syn, c.summary)
	if c.desc != "" {
		b.WriteString("\n" + c.desc + "\n")
	}
	if c.secret != nil {
		fmt.Fprintf(&b, "\nThe %s is read from --secret-file, else $%s, else standard input (piped, one line).\nIt is never accepted as a flag: the command line is visible to every user of the machine.\n", c.secret.what, c.secret.env)
	}
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })
	if len(flags) > 0 {
		sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
		b.WriteString("\nflags:\n")
		tw := newTable(&b)
		for _, f := range flags {
			name := "--" + f.Name
			if len(f.Name) == 1 {
				name = "-" + f.Name
			}
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			tw.row("  "+name, f.Usage+def)
		}
		_ = tw.flush()
	}
	b.WriteString("\n" + exitCodesHelp)
	return b.String()
}

// readSecret returns the command's secret: from --secret-file (a path, or -
// for standard input), else from its environment variable, else from the
// first line of standard input when that is not a terminal.
func (e *env) readSecret(cc *cmdCtx) (tokenkit.Secret, error) {
	spec := cc.secret
	if cc.secretFile != "" {
		var r io.Reader = e.stdin
		if cc.secretFile != "-" {
			f, err := os.Open(cc.secretFile)
			if err != nil {
				return "", usagef("%s: --secret-file: %v", cc.path, err)
			}
			defer f.Close()
			r = f
		}
		b, err := io.ReadAll(io.LimitReader(r, 1<<16))
		if err != nil {
			return "", fmt.Errorf("%s: reading the %s: %w", cc.path, spec.what, err)
		}
		if v := strings.TrimSpace(string(b)); v != "" {
			return tokenkit.Secret(v), nil
		}
		return "", usagef("%s: --secret-file %s is empty", cc.path, cc.secretFile)
	}
	if v := strings.TrimSpace(e.getenv(spec.env)); v != "" {
		return tokenkit.Secret(v), nil
	}
	if v, err := e.stdinLine(); err != nil {
		return "", fmt.Errorf("%s: reading the %s from standard input: %w", cc.path, spec.what, err)
	} else if v != "" {
		return tokenkit.Secret(v), nil
	}
	return "", usagef("%s: no %s: set $%s, pass --secret-file FILE, or pipe it on standard input", cc.path, spec.what, spec.env)
}

// stdinLine reads one line of standard input, or nothing when standard input
// is a terminal: a secret typed there would be echoed.
func (e *env) stdinLine() (string, error) {
	if f, ok := e.stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return "", nil
		}
	}
	return readLine(e.stdin, 1<<16)
}

// readLine reads one line of r, byte by byte so that nothing after it is
// consumed, up to limit bytes.
func readLine(r io.Reader, limit int) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < limit {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				break
			}
			b.WriteByte(buf[0])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSpace(b.String()), nil
}

// optionalSecret reads an environment variable that holds an optional
// secret (a passcode, a one-time code).
func (e *env) optionalSecret(name string) tokenkit.Secret {
	return tokenkit.Secret(strings.TrimSpace(e.getenv(name)))
}

// baseURL returns --url, else $<VENDOR>_URL, else def, checked: a URL
// without a scheme, an empty --url or an empty variable (which would
// otherwise fall back to the production default) are usage errors.
func (e *env) baseURL(cc *cmdCtx, flagValue string, flagSet bool, envName, def string) (string, error) {
	if flagSet || flagValue != "" {
		return flagValue, checkBaseURL(cc, "--url", flagValue)
	}
	if v, ok := e.lookup(envName); ok {
		if strings.TrimSpace(v) == "" {
			hint := "set it to the base URL or pass --url"
			if def != "" {
				hint = "unset it to use " + def + ", set it to the base URL, or pass --url"
			}
			return "", usagef("%s: $%s is set but empty: %s", cc.path, envName, hint)
		}
		return v, checkBaseURL(cc, "$"+envName, v)
	}
	if def != "" {
		return def, nil
	}
	return "", usagef("%s: no base URL: pass --url or set $%s", cc.path, envName)
}

// outputFlag adds -o to a leaf.
func outputFlag(fs *flag.FlagSet, cc *cmdCtx) {
	fs.StringVar(&cc.output, "o", "text", "output format: text or json")
}

func (cc *cmdCtx) json() bool { return cc.output == "json" }

// writeJSON writes v indented. Fields of type tokenkit.Secret marshal as
// "REDACTED": only a field of type string carries a secret, on purpose.
// Characters a terminal acts on are escaped (see jsonSafe).
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(jsonSafe(b), '\n'))
	return err
}

// writeJSONLine is writeJSON on one line, for a stream of documents.
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(jsonSafe(b), '\n'))
	return err
}

// wantArgs checks the positional arguments against names; a name in
// brackets ("[ID]") is optional.
func wantArgs(cc *cmdCtx, args []string, names ...string) error {
	required := 0
	for _, n := range names {
		if !strings.HasPrefix(n, "[") {
			required++
		}
	}
	if len(args) < required {
		return usagef("%s: missing %s", cc.path, strings.Join(names[len(args):required], " "))
	}
	if len(args) > len(names) {
		// The argument is not repeated: it may be a secret put in the
		// wrong place.
		return usagef("%s: %d unexpected argument(s); secrets are never arguments (see --help)", cc.path, len(args)-len(names))
	}
	return nil
}

// stamp renders a time for tables and text output.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// jsonTime is a time that marshals as RFC 3339 in UTC, or null when zero.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(time.Time(t).UTC().Format(time.RFC3339))
}

func (t *jsonTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = jsonTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339, s)
	*t = jsonTime(v)
	return err
}

// tokenInfoJSON is tokenkit.TokenInfo for -o json.
type tokenInfoJSON struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	CreatedAt  jsonTime `json:"created_at"`
	ExpiresAt  jsonTime `json:"expires_at"`
	LastUsedAt jsonTime `json:"last_used_at"`
	Scopes     []string `json:"scopes,omitempty"`
}

// printTokenList prints what any tokenkit.Lister returns: a table, or JSON.
func printTokenList(w io.Writer, cc *cmdCtx, list []tokenkit.TokenInfo) error {
	if cc.json() {
		out := make([]tokenInfoJSON, 0, len(list))
		for _, t := range list {
			out = append(out, infoJSON(t))
		}
		return writeJSON(w, out)
	}
	tw := newTable(w, "ID", "NAME", "CREATED", "EXPIRES", "LAST USED", "SCOPES")
	for _, t := range list {
		tw.row(t.ID, orDash(t.Name), stamp(t.CreatedAt), stamp(t.ExpiresAt), stamp(t.LastUsedAt), orDash(strings.Join(t.Scopes, ",")))
	}
	return tw.flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printBare prints the one secret a command exists to produce, alone on its
// line, so that $(tokenctl …) captures it. A value with control characters
// could not be sent in an HTTP header anyway: it is escaped like any other
// server text rather than played to the terminal.
func printBare(w io.Writer, value string) error {
	_, err := fmt.Fprintln(w, safe(value))
	return err
}

// clientOptions are the options every vendor client of the CLI gets.
func clientOptions() []tokenkit.Option {
	return []tokenkit.Option{tokenkit.WithUserAgent("tokenctl/" + tokenkit.Version), tokenkit.WithLogger(eventLogger)}
}

// clientOptions are the options of the leaf's vendor clients: the CLI's.
// --verbose, anywhere on the command line, reaches them through the call's
// context (see verbose.go).
func (cc *cmdCtx) clientOptions(e *env) []tokenkit.Option {
	return clientOptions()
}
