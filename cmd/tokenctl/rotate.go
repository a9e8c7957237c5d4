package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/internal/capmatrix"
)

// rotated is what rotate stores: the new token, and what identifies it.
type rotated struct {
	Vendor       string   `json:"vendor"`
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token,omitempty"`
	ExpiresAt    jsonTime `json:"expires_at"`
}

// rotator is what rotate needs of a vendor: issue, check, revoke.
type rotator struct {
	issue  func(ctx context.Context, name string) (tokenkit.Token, error)
	check  tokenkit.Checker
	revoke func(ctx context.Context, id string) error
	list   func(ctx context.Context) ([]auditToken, error)
	// uniqueNames: two tokens cannot share a name (Commvault), so the new
	// one is issued under a temporary name and renamed once the old one is
	// gone.
	uniqueNames bool
	rename      func(ctx context.Context, id, name string) error
}

// newRotator builds the rotator of a profile entry, or says why the vendor
// cannot rotate.
func newRotator(e *env, cc *cmdCtx, v profileVendor) (*rotator, error) {
	for _, verb := range []capmatrix.Verb{capmatrix.Issue, capmatrix.Check, capmatrix.Revoke} {
		if why := cannot(v.Vendor, verb); why != "" {
			return nil, usagef("%s: %s: %s cannot %s tokens: %s", cc.path, v.Name, v.Vendor, verb, why)
		}
	}
	if v.Vendor == "cgscan" {
		return nil, usagef("%s: %s: Clone Guard keeps one access token per user and generate replaces it: there is no two-phase rotation (use tokenctl cgscan generate)", cc.path, v.Name)
	}
	src, err := newSource(e, cc, v)
	if err != nil {
		return nil, err
	}
	cred, err := e.readCredential(cc, v)
	if err != nil {
		return nil, err
	}
	r := &rotator{revoke: src.revoke, list: src.list}
	switch v.Vendor {
	case "commvault":
		c, err := newCommvault(v.URL, cc.clientOptions(e))
		if err != nil {
			return nil, err
		}
		s, err := commvaultSession(c, cred)
		if err != nil {
			return nil, usagef("%s: %s: %v", cc.path, v.Name, err)
		}
		session := tokenkit.StaticSource(s)
		m, err := c.Tokens(session)
		if err != nil {
			return nil, err
		}
		var is tokenkit.Issuer = m
		r.issue = func(ctx context.Context, name string) (tokenkit.Token, error) {
			return is.Issue(ctx, tokenkit.IssueRequest{Name: name})
		}
		r.uniqueNames = true
		r.rename = func(ctx context.Context, id, name string) error {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				return err
			}
			_, err = c.UpdateAccessToken(ctx, session, n, commvault.UpdateRequest{Name: name})
			return err
		}
		r.check = c
	case "canvus":
		c, err := canvus.New(v.URL, cc.clientOptions(e)...)
		if err != nil {
			return nil, err
		}
		t, err := canvusProfileTokens(cc, c, v, cred)
		if err != nil {
			return nil, err
		}
		r.issue = func(ctx context.Context, name string) (tokenkit.Token, error) {
			return t.Issue(ctx, tokenkit.IssueRequest{Name: name})
		}
		r.check = c // the issued token knows its user
	default:
		return nil, usagef("%s: %s: tokenctl cannot rotate %s tokens yet", cc.path, v.Name, v.Vendor)
	}
	return r, nil
}

func rotateCommand() *command {
	return &command{
		name:     "rotate",
		synopsis: "[flags] OLD-ID",
		summary:  "replace a long-lived token: issue a new one, store it, verify it, then revoke the old one",
		desc: `rotate replaces the token OLD-ID of one profile entry (--source; see tokenctl audit --help
for the profile) in two phases:

  1. issue a new token (named --name, default the old one's name; Commvault, whose
     names are unique, gets NAME.rotating-TIME until step 5);
  2. store it: --save FILE (mode 0600, written atomically) or --store-command CMD
     (run with sh -c, the token as JSON on standard input, e.g. to put it into a
     secret manager); the secret is never printed;
  3. verify it with the vendor's check call (Commvault: WhoAmI; Canvus: listing
     tokens with the new token);
  4. revoke the old one;
  5. on Commvault, rename the new one to the old one's name.

When storing or verifying fails, rotate rolls back: it revokes the new token, keeps the
old one, restores the --save file's previous content, and exits non-zero. Rotation needs
a vendor that issues, checks and revokes tokens:

` + capabilityHelp(capmatrix.Issue, capmatrix.Check, capmatrix.Revoke) + `

Commvault needs a login session as the credential. Clone Guard keeps one token per user
and replaces it on generate: it has no two-phase rotation.`,
		setup: func(fs *flag.FlagSet, e *env, cc *cmdCtx) func(context.Context, []string) error {
			profilePath := fs.String("profile", "", "the profile file (default $TOKENCTL_PROFILE)")
			sourceName := fs.String("source", "", "the profile entry (default: the only one that can rotate)")
			name := fs.String("name", "", "the new token's name (default: the old one's)")
			save := fs.String("save", "", "store the new token in this file (mode 0600)")
			storeCmd := fs.String("store-command", "", "store the new token by running this command (sh -c) with it on standard input, as JSON")
			timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long (0: never)")
			outputFlag(fs, cc)
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(cc, args, "OLD-ID"); err != nil {
					return err
				}
				oldID := args[0]
				if (*save == "") == (*storeCmd == "") {
					return usagef("%s: give one place to store the new token: --save FILE or --store-command CMD", cc.path)
				}
				path := cmp.Or(*profilePath, e.getenv("TOKENCTL_PROFILE"))
				if path == "" {
					return usagef("%s: no profile: pass --profile FILE or set $TOKENCTL_PROFILE", cc.path)
				}
				p, err := readProfile(cc, path)
				if err != nil {
					return err
				}
				var entry *profileVendor
				for i, v := range p.Vendors {
					if v.Name == *sourceName || (*sourceName == "" && (v.Vendor == "commvault" || v.Vendor == "canvus")) {
						if entry != nil && *sourceName == "" {
							return usagef("%s: the profile has several entries that can rotate: pass --source NAME", cc.path)
						}
						entry = &p.Vendors[i]
					}
				}
				if entry == nil {
					return usagef("%s: no profile entry %q", cc.path, *sourceName)
				}
				r, err := newRotator(e, cc, *entry)
				if err != nil {
					return err
				}
				var keep *keeper
				var previous []byte
				if *save != "" {
					if keep, err = prepareKeep(cc, "--save", *save); err != nil {
						return err
					}
					if previous, err = os.ReadFile(keep.path); err != nil {
						return err
					}
				}
				if *timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, *timeout)
					defer cancel()
				}
				// The old token must exist: rotating a mistyped id would
				// leave two tokens.
				list, err := r.list(ctx)
				if err != nil {
					keep.discard()
					return err
				}
				var old *auditToken
				for i := range list {
					if list[i].ID == oldID {
						old = &list[i]
					}
				}
				if old == nil {
					keep.discard()
					return usagef("%s: %s has no token %s (nothing was changed)", cc.path, entry.Name, oldID)
				}
				newName := cmp.Or(*name, old.Name)
				issueName := newName
				if r.uniqueNames && newName == old.Name {
					issueName = newName + ".rotating-" + time.Now().UTC().Format("20060102T150405Z")
				}

				tok, err := r.issue(ctx, issueName)
				if err != nil {
					keep.discard()
					return fmt.Errorf("%s: issuing the new token (nothing was changed): %w", cc.path, err)
				}
				newID := tokenkit.IDOf(tok)
				doc := rotated{Vendor: entry.Vendor, ID: newID, Name: newName, AccessToken: tok.Value(), ExpiresAt: jsonTime(tok.Expiry())}
				if cv, ok := tok.(*commvault.AccessToken); ok {
					doc.RefreshToken = cv.RefreshToken.Reveal()
				}
				rollback := func(stage string, cause error) error {
					// The caller's context may be what failed: the rollback
					// gets its own.
					rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
					defer cancel()
					msg := fmt.Sprintf("%s: %s failed, rolled back: the old token %s is kept", cc.path, stage, oldID)
					if err := r.revoke(rctx, newID); err != nil {
						msg = fmt.Sprintf("%s: %s failed; the old token %s is kept, but revoking the new token %s failed too (%v): revoke it by hand", cc.path, stage, oldID, newID, err)
					} else {
						msg += ", the new token " + newID + " revoked"
					}
					if keep != nil {
						if len(previous) == 0 {
							_ = os.Remove(keep.path)
						} else if err := writeFileAtomic(keep.path, previous); err != nil {
							msg += fmt.Sprintf("; restoring %s failed: %v", keep.path, pathless(err))
						}
					}
					return fmt.Errorf("%s: %w", msg, cause)
				}
				if keep != nil {
					if err := keep.save(e, cc, "new token", doc); err != nil {
						return rollback("storing the new token", err)
					}
				} else if err := runStoreCommand(ctx, e, *storeCmd, doc); err != nil {
					return rollback("--store-command", err)
				}
				if _, err := r.check.Check(ctx, tok); err != nil {
					return rollback("verifying the new token", err)
				}
				if err := r.revoke(ctx, oldID); err != nil {
					return fmt.Errorf("%s: the new token %s is stored and works, but revoking the old token %s failed: %w", cc.path, newID, oldID, err)
				}
				if issueName != newName {
					if err := r.rename(ctx, newID, newName); err != nil {
						fmt.Fprintf(e.stderr, "tokenctl: warning: the new token %s keeps the name %s: renaming it to %s failed: %s\n", safe(newID), safe(issueName), safe(newName), safeLines(err.Error()))
						newName = issueName
					}
				}
				if cc.json() {
					return writeJSON(e.stdout, map[string]any{"vendor": entry.Vendor, "source": entry.Name, "old_id": oldID, "new_id": newID,
						"name": newName, "stored": cmp.Or(*save, "--store-command"), "verified": true, "old_revoked": true})
				}
				_, err = fmt.Fprintf(e.stdout, "rotated %s token %s -> %s (%s): stored, verified, old one revoked\n", entry.Name, safe(oldID), safe(newID), safe(newName))
				return err
			}
		},
	}
}

// runStoreCommand runs cmd with sh -c, the token as JSON on its standard
// input; its output goes to tokenctl's standard error.
func runStoreCommand(ctx context.Context, e *env, cmd string, doc rotated) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Stdin = bytes.NewReader(b)
	c.Stdout, c.Stderr = e.stderr, e.stderr
	if err := c.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("the store command exited %d", ee.ExitCode())
		}
		return err
	}
	return nil
}
