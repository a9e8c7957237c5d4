package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func fakeCommand() *command {
	return &command{
		name:    "fake",
		summary: "serve the five fakes on loopback and print each vendor's base URL",
		desc: `fake serves the stateful fakes of the five vendors over plain HTTP on one
address, each under its own path, for test suites and bots in any language. Once
it listens it prints one line per vendor on standard output,

  csp http://127.0.0.1:PORT/csp
  commvault http://127.0.0.1:PORT/commvault/commandcenter/api
  canvus http://127.0.0.1:PORT
  oracle http://127.0.0.1:PORT/oracle
  cgscan http://127.0.0.1:PORT/cgscan

and serves until SIGINT or SIGTERM, then exits 0. Each URL is what the vendor's
client takes as its base URL (tokenctl <vendor> --url, or $<VENDOR>_URL).

Seed data comes from --config (JSON), the flags, or both:

  {"users": [{"name": "ada", "password": "pw", "admin": true},
             {"name": "eve", "password": "pw", "blocked": true},
             {"name": "otto", "password": "pw", "two_factor": true}],
   "api_tokens": ["a-csp-api-token"],
   "oauth_apps": [{"id": "app", "secret": "s", "org_id": "org-1", "scopes": ["openid"]}],
   "api_keys": ["a-clone-guard-api-key"],
   "lifetimes": {"csp_access_token": "30m", "commvault_access_token": "30m",
                 "oracle_access_token": "1h", "oracle_refresh_token": "24h",
                 "canvus_session": "2h"}}

Every user exists on Commvault, Canvus (as NAME@example.com unless NAME has an @),
Oracle and Clone Guard. A blocked user cannot sign in to Canvus (blocked) or Oracle
(locked). A two_factor user must give Clone Guard a one-time code: read the current
one from GET /_fake/cgscan/otp?user=NAME. API tokens and OAuth apps are CSP's (the
apps use /auth/token or /auth/authorize, orgId optional), API keys Clone Guard's.
Lifetimes are Go durations; what is not given keeps the fake's default. What is not
given gets the default: user demo (admin) with password demo-password, CSP API token
demo-api-token, CSP OAuth app demo-app with secret demo-app-secret, Clone Guard API
key demo-api-key. These are test data for the fakes, not secrets, so unlike the
vendor commands this one takes them as flags.

Paths with doubled or trailing slashes (what cvpysdk and many CSP clients send) are
served as the canonical path, without a redirect.

Control API, for loopback clients only, under /_fake/ (JSON in and out):

  GET    /_fake/                    this list
  GET    /_fake/clock               {"now": "..."}: the fakes' shared clock
  POST   /_fake/clock               {"advance": "90m"}: move it forward
  POST   /_fake/VENDOR/faults       {"operation": "RenewAccessToken", "count": 1,
                                     "status": 503, "retry_after": "2"} (also "html",
                                     "malformed", "drop", "drop_after_apply": true,
                                     "delay": "2s"); without operation the next
                                     requests get it whatever they are
  DELETE /_fake/VENDOR/faults       clear the vendor's queued faults
  GET    /_fake/VENDOR/calls        {"total", "calls": {op: n}, "applied": {op: n},
                                     "requests": [{operation, method, path, faulted}]}
  GET    /_fake/cgscan/otp?user=U   {"otp": "...", "recovery_codes": [...]}
  POST   /_fake/reset               every fake back to its seed, the clock to now

"applied" counts the requests that changed state (a lost answer included), so a test
can prove its client did not replay a renewal. Example:

  curl -s -X POST localhost:PORT/_fake/commvault/faults \
       -d '{"operation": "RenewAccessToken", "status": 503}'`,
		setup: func(fs *flag.FlagSet, e *env, cc *cmdCtx) func(context.Context, []string) error {
			addr := fs.String("addr", "127.0.0.1:0", "address to listen on (port 0 picks a free one)")
			config := fs.String("config", "", "read seed data from this JSON file")
			var users, tokens, keys, apps listFlag
			fs.Var(&users, "user", "add a user NAME:PASSWORD on every vendor with users (repeatable)")
			fs.Var(&tokens, "api-token", "add a CSP API token (repeatable)")
			fs.Var(&keys, "api-key", "add a Clone Guard API key (repeatable)")
			fs.Var(&apps, "oauth-app", "add a CSP OAuth app ID:SECRET (repeatable)")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(cc, args); err != nil {
					return err
				}
				var s seed
				if *config != "" {
					var err error
					if s, err = readSeedFile(*config); err != nil {
						return usagef("%s: --config: %v", cc.path, err)
					}
				}
				for _, u := range users {
					name, pw, ok := strings.Cut(u, ":")
					if !ok {
						return usagef("%s: --user wants NAME:PASSWORD", cc.path)
					}
					s.Users = append(s.Users, seedUser{Name: name, Password: pw})
				}
				for _, a := range apps {
					id, secret, ok := strings.Cut(a, ":")
					if !ok {
						return usagef("%s: --oauth-app wants ID:SECRET", cc.path)
					}
					s.OAuthApps = append(s.OAuthApps, seedApp{ID: id, Secret: secret})
				}
				s.APITokens = append(s.APITokens, tokens...)
				s.APIKeys = append(s.APIKeys, keys...)
				s = s.withDefaults()
				if err := s.validate(); err != nil {
					return usagef("%s: %v", cc.path, err)
				}
				return serveFakes(ctx, e, *addr, s)
			}
		},
	}
}

// serveFakes serves the fakes on addr until ctx ends.
func serveFakes(ctx context.Context, e *env, addr string, s seed) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("fake: %w", err)
	}
	host := publicAddr(ln.Addr())
	fakes := newFakeHost(s, "http://"+host)
	defer fakes.Close()
	for _, v := range vendorNames() {
		_, apiPath := fakes.cur.Load().handler(v)
		base := fmt.Sprintf("http://%s/%s%s", host, v, apiPath)
		if v == "canvus" {
			// canvus.New takes the origin and adds /api/v1 itself: the
			// host serves the Canvus fake there too.
			base = "http://" + host
		}
		fmt.Fprintf(e.stdout, "%s %s\n", v, base)
	}
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler:           logRequests(ctx, fakes),
	}
	names := make([]string, 0, len(s.Users))
	for _, u := range s.Users {
		names = append(names, u.Name)
	}
	fmt.Fprintf(e.stderr, "tokenctl fake: serving on %s (users: %s; %d CSP API token(s), %d CSP OAuth app(s), %d Clone Guard API key(s)); control API at http://%s/_fake/; SIGINT or SIGTERM stops it\n",
		host, strings.Join(names, ", "), len(s.APITokens), len(s.OAuthApps), len(s.APIKeys), host)
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		fmt.Fprintf(e.stderr, "tokenctl fake: warning: listening on %s, not only on loopback: the fakes have no real security, and the vendor clients accept plain HTTP only on loopback\n", ln.Addr())
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("fake: %w", err)
	case <-ctx.Done():
	}
	fakes.Close() // ends open Canvus subscriptions, so that Shutdown need not wait for them
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("fake: %w", err)
	}
	fmt.Fprintln(e.stderr, "tokenctl fake: stopped")
	return nil
}

// publicAddr is the listener's address as a client dials it: an unspecified
// host (0.0.0.0, ::) becomes the loopback address.
func publicAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	if ip.IsUnspecified() {
		if ip.To4() != nil {
			ip = net.IPv4(127, 0, 0, 1)
		} else {
			ip = net.IPv6loopback
		}
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}
