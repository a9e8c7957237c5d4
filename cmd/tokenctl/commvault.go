package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault"
)

// commvaultPair is an access token and its refresh token as tokenctl wrote
// them before the persisted form (tokenfile.go); renew still reads them.
type commvaultPair struct {
	AccessToken      string   `json:"access_token"`
	RefreshToken     string   `json:"refresh_token,omitempty"`
	ID               int64    `json:"id,omitempty"`
	Name             string   `json:"name,omitempty"`
	Type             string   `json:"type,omitempty"`
	ExpiresAt        jsonTime `json:"expires_at"`
	RefreshExpiresAt jsonTime `json:"refresh_expires_at"`
	RenewableUntil   jsonTime `json:"renewable_until"`
}

// commvaultTokenJSON is a created or renewed token for -o json: the access
// token is what the command produces; the refresh token is redacted.
type commvaultTokenJSON struct {
	AccessToken      string          `json:"access_token"`
	RefreshToken     tokenkit.Secret `json:"refresh_token,omitempty"`
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	Type             string          `json:"type"`
	UserID           string          `json:"user_id,omitempty"`
	ExpiresAt        jsonTime        `json:"expires_at"`
	RefreshExpiresAt jsonTime        `json:"refresh_expires_at"`
	RenewableUntil   jsonTime        `json:"renewable_until"`
}

// commvaultTokenOut prints a created or renewed token (already saved by the
// caller, if it was to be).
func commvaultTokenOut(e *env, cc *cmdCtx, t *commvault.AccessToken) error {
	if !cc.json() {
		return printBare(e.stdout, t.Value())
	}
	return writeJSON(e.stdout, commvaultTokenJSON{AccessToken: t.Value(), RefreshToken: t.RefreshToken, ID: strconv.FormatInt(t.ID, 10), Name: t.Name,
		Type: t.Type.String(), UserID: idString(t.UserID), ExpiresAt: jsonTime(t.ExpiresAt), RefreshExpiresAt: jsonTime(t.RefreshExpiresAt),
		RenewableUntil: jsonTime(t.RenewableUntil)})
}

func parseCommvaultType(s string) (commvault.TokenType, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "-", "_")) {
	case "":
		return commvault.TokenTypeDefault, nil
	case "all":
		return commvault.TokenTypeAll, nil
	case "custom":
		return commvault.TokenTypeCustom, nil
	case "ms_scim":
		return commvault.TokenTypeMSSCIM, nil
	case "onetouch":
		return commvault.TokenTypeOneTouch, nil
	}
	return 0, fmt.Errorf("unknown token type %q (all, custom, ms-scim, onetouch)", s)
}

func parseID(cc *cmdCtx, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("%s: the token id must be a positive number, not %q", cc.path, s)
	}
	return id, nil
}

// newCommvault builds the Commvault client of a --url, $COMMVAULT_URL or
// profile url. commvault.New takes the origin and adds the API path; tokenctl
// also takes the full API base URL it took before, such as
// https://cc.example.com/commandcenter/api: the path is
// then the API path (commvault.WithAPIPath), exactly as given, so an old URL
// keeps calling the same endpoints. An origin alone gets /commandcenter/api.
func newCommvault(base string, opts []tokenkit.Option) (*commvault.Client, error) {
	if u, err := url.Parse(strings.TrimSpace(base)); err == nil && u.Host != "" && strings.Trim(u.Path, "/") != "" && u.RawQuery == "" && u.Fragment == "" {
		opts = append(slices.Clip(opts), commvault.WithAPIPath(u.Path))
		u.Path, u.RawPath = "", ""
		base = u.String()
	}
	return commvault.New(base, opts...)
}

// commvaultSession wraps a session token read by the token commands.
func commvaultSession(c *commvault.Client, s tokenkit.Secret) (*commvault.Session, error) {
	return c.NewSession(tokenkit.HeldToken{Value: s})
}

func commvaultCommand() *command {
	v := vendorCmd[*commvault.Client]{envURL: "COMMVAULT_URL", example: "https://cc.example.com",
		client: noFlags(newCommvault)}
	session := &secretSpec{what: "login session token", env: "COMMVAULT_TOKEN"}
	// sessionOf reads the session the token commands run under.
	sessionOf := func(e *env, cc *cmdCtx, c *commvault.Client) (*commvault.Session, error) {
		s, err := e.readToken(cc)
		if err != nil {
			return nil, err
		}
		return commvaultSession(c, s)
	}
	sessionDesc := "The login session comes from $COMMVAULT_TOKEN: export COMMVAULT_TOKEN=$(tokenctl commvault login --user NAME)."
	return group("commvault", "Commvault Command Center: log in, create, list, update, renew and delete V4 access tokens",
		"Base URL: --url or $COMMVAULT_URL, the Command Center origin, e.g. https://cc.example.com (the API path\n/commandcenter/api is added), or the full API base URL, e.g. https://cc.example.com/webconsole/api,\nwhose path is then used as given.",
		v.leaf(leafSpec{name: "login", secret: &secretSpec{what: "password", env: "COMMVAULT_PASSWORD"},
			summary: "log in and print the session token (QSDK …) alone"},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*commvault.Client] {
				user := fs.String("user", "", "user name (default $COMMVAULT_USER)")
				domain := fs.String("domain", "", "the user's Active Directory domain")
				return func(ctx context.Context, c *commvault.Client, _ []string) error {
					if *user == "" {
						*user = e.getenv("COMMVAULT_USER")
					}
					if *user == "" {
						return usagef("%s: missing --user", cc.path)
					}
					pw, err := e.readSecret(cc)
					if err != nil {
						return err
					}
					s, err := c.Login(ctx, commvault.Credentials{Username: *user, Password: pw, Domain: *domain})
					if err != nil {
						return err
					}
					if !cc.json() {
						return printBare(e.stdout, s.Value())
					}
					return writeJSON(e.stdout, map[string]any{"token": s.Value(), "username": s.UserName, "email": s.Email,
						"user_guid": s.UserGUID, "expires_at": jsonTime(s.ExpiresAt), "force_password_change": s.ForcePasswordChange})
				}
			}),
		v.leaf(leafSpec{name: "logout", secret: session, summary: "end a login session"},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*commvault.Client] {
				return func(ctx context.Context, c *commvault.Client, _ []string) error {
					s, err := sessionOf(e, cc, c)
					if err != nil {
						return err
					}
					if err := c.Logout(ctx, s); err != nil {
						return err
					}
					fmt.Fprintln(e.stderr, "logged out")
					return nil
				}
			}),
		group("token", "create, list, update, renew and delete V4 access tokens", sessionDesc,
			v.leaf(leafSpec{name: "create", secret: session, summary: "create an access token and print it alone",
				desc: sessionDesc + "\nThe refresh token is printed nowhere: pass --save FILE to keep the pair for renew."},
				func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*commvault.Client] {
					name := fs.String("name", "", "the token's name (required; unique per user)")
					typ := fs.String("type", "", "all, custom, ms-scim or onetouch (default: the server's, ALL)")
					var endpoints, ips listFlag
					fs.Var(&endpoints, "endpoint", "an API endpoint a custom token may call (repeatable)")
					fs.Var(&ips, "allowed-ip", "an IP address or range the token may be used from (repeatable; unverified)")
					renewable := fs.String("renewable-until", "", "end of the renewal chain: RFC 3339 time or duration from now (all, custom)")
					expires := fs.String("expires", "", "expiry: RFC 3339 time or duration from now (ms-scim, onetouch)")
					userID := fs.Int64("user-id", 0, "create the token for this user (default: the session's)")
					save := fs.String("save", "", "write the token pair, refresh token included, to this file (mode 0600)")
					return func(ctx context.Context, c *commvault.Client, _ []string) error {
						if *name == "" {
							return usagef("%s: missing --name", cc.path)
						}
						tt, err := parseCommvaultType(*typ)
						if err != nil {
							return usagef("%s: --type: %v", cc.path, err)
						}
						ru, err := parseWhen(*renewable)
						if err != nil {
							return usagef("%s: --renewable-until: %v", cc.path, err)
						}
						ex, err := parseWhen(*expires)
						if err != nil {
							return usagef("%s: --expires: %v", cc.path, err)
						}
						if tt == commvault.TokenTypeCustom && len(endpoints) == 0 {
							return usagef("%s: --type custom needs at least one --endpoint", cc.path)
						}
						s, err := sessionOf(e, cc, c)
						if err != nil {
							return err
						}
						var keep *keeper
						if *save != "" {
							if keep, err = prepareKeep(cc, "--save", *save); err != nil {
								return err
							}
						}
						t, err := c.CreateAccessToken(ctx, s, commvault.CreateRequest{Name: *name, Type: tt, RenewableUntil: ru, ExpiresAt: ex,
							APIEndpoints: endpoints, AllowedIPs: ips, UserID: *userID})
						if err != nil {
							keep.discard()
							return err
						}
						if keep != nil {
							if err := keep.save(e, cc, "token pair", t); err != nil {
								return err
							}
						}
						return commvaultTokenOut(e, cc, t)
					}
				}),
			v.leaf(leafSpec{name: "list", secret: session, summary: "list access tokens (a table; -o json)", desc: sessionDesc},
				func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*commvault.Client] {
					userID := fs.Int64("user-id", 0, "list this user's tokens (default: the session's)")
					return func(ctx context.Context, c *commvault.Client, _ []string) error {
						s, err := sessionOf(e, cc, c)
						if err != nil {
							return err
						}
						m, err := c.Tokens(s)
						if err != nil {
							return err
						}
						m.UserID = *userID
						var l tokenkit.Lister = m
						list, err := l.List(ctx)
						if err != nil {
							return err
						}
						return printTokenList(e.stdout, cc, list)
					}
				}),
			v.leaf(leafSpec{name: "update", args: []string{"ID"}, secret: session, summary: "rename a token or move its expiry", desc: sessionDesc},
				func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*commvault.Client] {
					name := fs.String("name", "", "new name")
					typ := fs.String("type", "", "new type: all, custom, ms-scim or onetouch")
					var endpoints, ips listFlag
					fs.Var(&endpoints, "endpoint", "replace the endpoints of a custom token (repeatable)")
					fs.Var(&ips, "allowed-ip", "replace the IP allow-list (repeatable; unverified)")
					renewable := fs.String("renewable-until", "", "new end of the renewal chain: RFC 3339 time or duration from now")
					expires := fs.String("expires", "", "new expiry: RFC 3339 time or duration from now (ms-scim, onetouch)")
					return func(ctx context.Context, c *commvault.Client, args []string) error {
						id, err := parseID(cc, args[0])
						if err != nil {
							return err
						}
						tt, err := parseCommvaultType(*typ)
						if err != nil {
							return usagef("%s: --type: %v", cc.path, err)
						}
						ru, err := parseWhen(*renewable)
						if err != nil {
							return usagef("%s: --renewable-until: %v", cc.path, err)
						}
						ex, err := parseWhen(*expires)
						if err != nil {
							return usagef("%s: --expires: %v", cc.path, err)
						}
						req := commvault.UpdateRequest{Name: *name, Type: tt, RenewableUntil: ru, ExpiresAt: ex}
						if len(endpoints) > 0 {
							req.APIEndpoints = endpoints
						}
						if len(ips) > 0 {
							req.AllowedIPs = ips
						}
						if req.Name == "" && req.Type == 0 && ru.IsZero() && ex.IsZero() && req.APIEndpoints == nil && req.AllowedIPs == nil {
							return usagef("%s: nothing to change: pass --name, --type, --endpoint, --allowed-ip, --renewable-until or --expires", cc.path)
						}
						s, err := sessionOf(e, cc, c)
						if err != nil {
							return err
						}
						info, err := c.UpdateAccessToken(ctx, s, id, req)
						if err != nil {
							return err
						}
						return printTokenList(e.stdout, cc, []tokenkit.TokenInfo{info.TokenInfo()})
					}
				}),
			v.leaf(leafSpec{name: "renew", secret: &secretSpec{what: "token pair", env: "COMMVAULT_REFRESH_TOKEN"},
				summary: "renew an access token with its refresh token, keep the new pair, print the new access token alone",
				desc: `The pair comes from --secret-file (a file written by create --save or renew --save, which
renew then rewrites with the new pair unless --save says otherwise), or from
$COMMVAULT_ACCESS_TOKEN and $COMMVAULT_REFRESH_TOKEN (then --save FILE is required).

Renewing spends the refresh token, and Commvault deletes the whole token chain if a
spent pair is used again, so renew never loses the new pair:
  - without a file to keep it in (--save, or a --secret-file that is a file) it
    refuses to run (exit 2), before any call;
  - the file is created (mode 0600) or checked to be writable before the call;
  - the new pair is written the moment it arrives, before anything is printed: a
    temporary file, fsync, rename, fsync of the directory;
  - if that write fails, the pair goes to FILE.recovered-TIME (else the user's cache
    directory, else the temporary directory), the path is printed and the exit
    status is 1;
  - Ctrl-C, SIGTERM or --timeout during the call wait for its answer (at most two
    minutes) so that the pair it brings is saved; only SIGKILL can still lose it,
    and only in the moment between the answer's arrival and the write.`},
				func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*commvault.Client] {
					save := fs.String("save", "", "write the new pair to this file (mode 0600; default: the --secret-file)")
					return func(ctx context.Context, c *commvault.Client, _ []string) error {
						if *save == "" && cc.secretFile != "" && cc.secretFile != "-" {
							*save = cc.secretFile
						}
						if *save == "" {
							return usagef("%s: refusing to renew without a place to keep the new pair: renewing spends the refresh token, so the new one would be lost; pass --save FILE (or the pair file itself with --secret-file FILE)", cc.path)
						}
						pair, err := readCommvaultPair(e, cc, c)
						if err != nil {
							return err
						}
						keep, err := prepareKeep(cc, "--save", *save)
						if err != nil {
							return err
						}
						// Renew runs the call detached from callCtx once sent
						// (bounded by DefaultRenewTimeout) and returns the new
						// pair the moment its answer is decoded; it is written
						// before anything else happens with it.
						callCtx, done := finishDespiteSignal(ctx, e, commvault.DefaultRenewTimeout+30*time.Second)
						renewed, err := c.Renew(callCtx, pair)
						done()
						if err != nil {
							keep.discard()
							return err
						}
						t := renewed.(*commvault.AccessToken)
						if err := keep.save(e, cc, "new token pair", t); err != nil {
							return err
						}
						return commvaultTokenOut(e, cc, t)
					}
				}),
			v.leaf(leafSpec{name: "delete", args: []string{"ID"}, secret: session, summary: "delete (revoke) an access token", desc: sessionDesc},
				func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*commvault.Client] {
					return func(ctx context.Context, c *commvault.Client, args []string) error {
						if _, err := parseID(cc, args[0]); err != nil {
							return err
						}
						s, err := sessionOf(e, cc, c)
						if err != nil {
							return err
						}
						m, err := c.Tokens(s)
						if err != nil {
							return err
						}
						info := tokenkit.TokenInfo{ID: args[0]}
						if cc.json() {
							// What is deleted, described before it is gone.
							if list, err := m.List(ctx); err == nil {
								for _, i := range list {
									if i.ID == args[0] {
										info = i
									}
								}
							}
						}
						var r tokenkit.Revoker = m
						if err := r.Revoke(ctx, args[0]); err != nil {
							return err
						}
						return printDeleted(e, cc, "commvault", info)
					}
				}),
		),
	)
}

// readCommvaultPair reads the pair to renew: a JSON file as --save writes
// it, or the two environment variables.
func readCommvaultPair(e *env, cc *cmdCtx, c *commvault.Client) (*commvault.AccessToken, error) {
	s, err := e.readSecret(cc)
	if err != nil {
		return nil, err
	}
	v := s.Reveal()
	if !strings.HasPrefix(v, "{") {
		at := e.optionalSecret("COMMVAULT_ACCESS_TOKEN")
		if at == "" {
			return nil, usagef("%s: no access token: set $COMMVAULT_ACCESS_TOKEN with $COMMVAULT_REFRESH_TOKEN, or pass the pair file of create --save with --secret-file", cc.path)
		}
		return commvaultHeldPair(c, cc, at, s)
	}
	if ex, ok := decodeToken(v); ok {
		t, err := commvault.ImportAccessToken(ex)
		if err != nil || t.RefreshToken == "" {
			return nil, usagef("%s: the token file does not hold a Commvault access token with its refresh token", cc.path)
		}
		return t, nil
	}
	var p commvaultPair
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return nil, usagef("%s: the token pair is not valid JSON: %v", cc.path, jsonErr(err))
	}
	if p.AccessToken == "" || p.RefreshToken == "" {
		return nil, usagef("%s: the token pair needs access_token and refresh_token", cc.path)
	}
	t, err := commvaultHeldPair(c, cc, tokenkit.Secret(p.AccessToken), tokenkit.Secret(p.RefreshToken))
	if err != nil {
		return nil, err
	}
	t.ID, t.Name = p.ID, p.Name
	t.ExpiresAt, t.RefreshExpiresAt, t.RenewableUntil = time.Time(p.ExpiresAt), time.Time(p.RefreshExpiresAt), time.Time(p.RenewableUntil)
	return t, nil
}

// jsonErr describes a JSON error without quoting the input, which may hold a
// secret.
func jsonErr(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Sprintf("field %s has the wrong type", te.Field)
	}
	return "cannot decode"
}

// commvaultHeldPair wraps an access token and its refresh token as the client
// presents them.
func commvaultHeldPair(c *commvault.Client, cc *cmdCtx, access, refresh tokenkit.Secret) (*commvault.AccessToken, error) {
	t, err := c.NewAccessToken(tokenkit.HeldToken{Value: access, RefreshToken: refresh})
	if err != nil {
		return nil, usagef("%s: %v", cc.path, err)
	}
	return t, nil
}
