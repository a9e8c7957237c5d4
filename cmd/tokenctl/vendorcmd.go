package main

import (
	"context"
	"flag"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
)

// vendorCmd builds the leaf commands of one vendor, whose client type is C:
// every leaf gets --url, --timeout and -o, and its run function gets a
// client for the base URL.
type vendorCmd[C any] struct {
	envURL string // $<VENDOR>_URL
	defURL string // the default base URL, if the vendor has one
	// example is what a base URL looks like, for hints.
	example string
	// client declares the flags the client needs (Clone Guard's
	// --api-key-file) and returns its constructor.
	client func(fs *flag.FlagSet) func(e *env, cc *cmdCtx, base string) (C, error)
}

// leafSpec describes a leaf command.
type leafSpec struct {
	name    string
	args    []string // positional arguments; "[ID]" is optional
	summary string
	desc    string
	secret  *secretSpec
	// stream marks a command that runs until interrupted: no default
	// --timeout.
	stream bool
}

type leafRun[C any] func(ctx context.Context, c C, args []string) error

func (v vendorCmd[C]) leaf(spec leafSpec, setup func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[C]) *command {
	synopsis := "[flags]"
	if len(spec.args) > 0 {
		synopsis += " " + strings.Join(spec.args, " ")
	}
	return &command{name: spec.name, synopsis: synopsis, summary: spec.summary, desc: spec.desc, secret: spec.secret,
		setup: func(fs *flag.FlagSet, e *env, cc *cmdCtx) func(context.Context, []string) error {
			var url string
			help := "base URL of the API (default $" + v.envURL
			if v.defURL != "" {
				help += ", else " + v.defURL
			}
			fs.StringVar(&url, "url", "", help+")")
			def := time.Minute
			if spec.stream {
				def = 0
			}
			timeout := fs.Duration("timeout", def, "give up after this long (0: never)")
			outputFlag(fs, cc)
			mk := v.client(fs)
			run := setup(fs, e, cc)
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(cc, args, spec.args...); err != nil {
					return err
				}
				urlSet := false
				fs.Visit(func(f *flag.Flag) { urlSet = urlSet || f.Name == "url" })
				base, err := e.baseURL(cc, url, urlSet, v.envURL, v.defURL)
				if err != nil {
					return err
				}
				c, err := mk(e, cc, base)
				if err != nil {
					return err
				}
				if *timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, *timeout)
					defer cancel()
				}
				if err := run(ctx, c, args); err != nil {
					return explainCallError(err, v.envURL, v.example, args)
				}
				return nil
			}
		}}
}

// group is a command with subcommands.
func group(name, summary, desc string, subs ...*command) *command {
	return &command{name: name, summary: summary, desc: desc, subs: subs}
}

// noFlags is the client setup of a vendor whose client needs no flags.
func noFlags[C any](mk func(base string, opts []tokenkit.Option) (C, error)) func(fs *flag.FlagSet) func(e *env, cc *cmdCtx, base string) (C, error) {
	return func(*flag.FlagSet) func(e *env, cc *cmdCtx, base string) (C, error) {
		return func(e *env, cc *cmdCtx, base string) (C, error) { return mk(base, cc.clientOptions(e)) }
	}
}
