package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
)

func canvusCommand() *command {
	v := vendorCmd[*canvus.Client]{envURL: "CANVUS_URL", example: "https://canvus.example.com",
		client: noFlags(func(base string, opts []tokenkit.Option) (*canvus.Client, error) { return canvus.New(base, opts...) })}
	auth := &secretSpec{what: "login or access token", env: "CANVUS_TOKEN"}
	authDesc := `The token (a login token or an access token) comes from $CANVUS_TOKEN:
export CANVUS_TOKEN=$(tokenctl canvus login --email EMAIL). The user is --user-id or
$CANVUS_USER_ID (tokenctl canvus login -o json shows it).`
	// tokens returns the token API of --user-id, authenticated by the
	// command's secret.
	type tokensFlags struct{ userID *int64 }
	addTokensFlags := func(fs *flag.FlagSet) tokensFlags {
		return tokensFlags{userID: fs.Int64("user-id", 0, "whose tokens (default $CANVUS_USER_ID)")}
	}
	tokens := func(e *env, cc *cmdCtx, c *canvus.Client, tf tokensFlags) (*canvus.Tokens, error) {
		id := *tf.userID
		if id == 0 {
			if s := e.getenv("CANVUS_USER_ID"); s != "" {
				var err error
				if id, err = strconv.ParseInt(s, 10, 64); err != nil {
					return nil, usagef("%s: $CANVUS_USER_ID is not a number", cc.path)
				}
			}
		}
		if id <= 0 {
			return nil, usagef("%s: missing --user-id (or $CANVUS_USER_ID)", cc.path)
		}
		s, err := e.readToken(cc)
		if err != nil {
			return nil, err
		}
		// The token may be a login token, which the token form of sign-in
		// (how the library finds an unknown user) may replace: name the
		// user instead.
		tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: s})
		if err != nil {
			return nil, err
		}
		t, err := c.Tokens(tokenkit.StaticSource(tok))
		if err != nil {
			return nil, err
		}
		return t.ForUser(id)
	}
	return group("canvus", "MultiTaction Canvus: log in, create, list, get, rename, delete and watch access tokens",
		"Base URL: --url or $CANVUS_URL, e.g. https://canvus.example.com (/api/v1 is added).",
		v.leaf(leafSpec{name: "login", secret: &secretSpec{what: "password", env: "CANVUS_PASSWORD"},
			summary: "sign in and print the login token alone (-o json: with the user id)"},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*canvus.Client] {
				email := fs.String("email", "", "the user's email address (default $CANVUS_EMAIL)")
				remember := fs.Bool("remember", false, "ask for a longer session")
				return func(ctx context.Context, c *canvus.Client, _ []string) error {
					if *email == "" {
						*email = e.getenv("CANVUS_EMAIL")
					}
					if *email == "" {
						return usagef("%s: missing --email", cc.path)
					}
					pw, err := e.readSecret(cc)
					if err != nil {
						return err
					}
					t, err := c.Login(ctx, canvus.Credentials{Email: *email, Password: pw, Remember: *remember})
					if err != nil {
						return err
					}
					if !cc.json() {
						return printBare(e.stdout, t.Value())
					}
					return writeJSON(e.stdout, map[string]any{"token": t.Value(), "expires_at": jsonTime(t.ExpiresAt),
						"user": map[string]any{"id": strconv.FormatInt(t.User.ID, 10), "name": t.User.Name, "email": t.User.Email, "admin": t.User.Admin}})
				}
			}),
		v.leaf(leafSpec{name: "logout", secret: &secretSpec{what: "login token", env: "CANVUS_TOKEN"}, summary: "sign a login token out"},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*canvus.Client] {
				return func(ctx context.Context, c *canvus.Client, _ []string) error {
					s, err := e.readToken(cc)
					if err != nil {
						return err
					}
					tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: s})
					if err != nil {
						return err
					}
					if err := c.Logout(ctx, tok); err != nil {
						return err
					}
					fmt.Fprintln(e.stderr, "logged out")
					return nil
				}
			}),
		v.leaf(leafSpec{name: "server-info", summary: "check that the base URL is a Canvus Server (no token needed)"},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*canvus.Client] {
				return func(ctx context.Context, c *canvus.Client, _ []string) error {
					si, err := c.ServerInfo(ctx)
					if err != nil {
						return err
					}
					if cc.json() {
						return writeJSON(e.stdout, map[string]any{"version": si.Version, "server_id": si.ServerID, "api": si.API})
					}
					_, err = fmt.Fprintf(e.stdout, "version: %s\nserver id: %s\napi: %s\n", safe(si.Version), safe(si.ServerID), safe(fmt.Sprint(si.API)))
					return err
				}
			}),
		group("token", "list, get, create, rename, delete and watch personal access tokens", authDesc,
			v.leaf(leafSpec{name: "list", secret: auth, summary: "list a user's access tokens (a table; -o json)", desc: authDesc},
				func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*canvus.Client] {
					tf := addTokensFlags(fs)
					return func(ctx context.Context, c *canvus.Client, _ []string) error {
						t, err := tokens(e, cc, c, tf)
						if err != nil {
							return err
						}
						var l tokenkit.Lister = t
						list, err := l.List(ctx)
						if err != nil {
							return err
						}
						return printTokenList(e.stdout, cc, list)
					}
				}),
			v.leaf(leafSpec{name: "get", args: []string{"ID"}, secret: auth, summary: "show one access token", desc: authDesc},
				func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*canvus.Client] {
					tf := addTokensFlags(fs)
					return func(ctx context.Context, c *canvus.Client, args []string) error {
						t, err := tokens(e, cc, c, tf)
						if err != nil {
							return err
						}
						info, err := t.Get(ctx, args[0])
						if err != nil {
							return err
						}
						if cc.json() {
							return writeJSON(e.stdout, infoJSON(info.TokenInfo()))
						}
						return printTokenList(e.stdout, cc, []tokenkit.TokenInfo{info.TokenInfo()})
					}
				}),
			v.leaf(leafSpec{name: "create", secret: auth, summary: "create an access token and print it alone (Canvus shows it only once)", desc: authDesc},
				func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*canvus.Client] {
					tf := addTokensFlags(fs)
					desc := fs.String("description", "", "the token's description (required)")
					return func(ctx context.Context, c *canvus.Client, _ []string) error {
						if *desc == "" {
							return usagef("%s: missing --description", cc.path)
						}
						t, err := tokens(e, cc, c, tf)
						if err != nil {
							return err
						}
						pat, err := t.Create(ctx, *desc)
						if err != nil {
							return err
						}
						if !cc.json() {
							return printBare(e.stdout, pat.Value())
						}
						return writeJSON(e.stdout, map[string]any{"access_token": pat.Value(), "id": pat.ID, "name": pat.Description,
							"created_at": jsonTime(pat.CreatedAt), "user_id": strconv.FormatInt(pat.UserID, 10)})
					}
				}),
			v.leaf(leafSpec{name: "rename", args: []string{"ID"}, secret: auth, summary: "change an access token's description", desc: authDesc},
				func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*canvus.Client] {
					tf := addTokensFlags(fs)
					desc := fs.String("description", "", "the new description (required)")
					return func(ctx context.Context, c *canvus.Client, args []string) error {
						if *desc == "" {
							return usagef("%s: missing --description", cc.path)
						}
						t, err := tokens(e, cc, c, tf)
						if err != nil {
							return err
						}
						info, err := t.Rename(ctx, args[0], *desc)
						if err != nil {
							return err
						}
						if cc.json() {
							return writeJSON(e.stdout, infoJSON(info.TokenInfo()))
						}
						return printTokenList(e.stdout, cc, []tokenkit.TokenInfo{info.TokenInfo()})
					}
				}),
			v.leaf(leafSpec{name: "delete", args: []string{"ID"}, secret: auth, summary: "delete (revoke) an access token", desc: authDesc},
				func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*canvus.Client] {
					tf := addTokensFlags(fs)
					return func(ctx context.Context, c *canvus.Client, args []string) error {
						t, err := tokens(e, cc, c, tf)
						if err != nil {
							return err
						}
						info := tokenkit.TokenInfo{ID: args[0]}
						if cc.json() {
							// What is deleted, described before it is gone.
							if i, err := t.Get(ctx, args[0]); err == nil {
								info = i.TokenInfo()
							}
						}
						var r tokenkit.Revoker = t
						if err := r.Revoke(ctx, args[0]); err != nil {
							return err
						}
						return printDeleted(e, cc, "canvus", info)
					}
				}),
			v.leaf(leafSpec{name: "watch", args: []string{"[ID]"}, secret: auth, stream: true,
				summary: "stream changes to a user's tokens (or one token) until interrupted",
				desc: authDesc + "\nOne line per event (snapshot, created, updated, deleted); -o json prints JSON lines.\n" +
					"Watching one token (ID), its deletion ends the command with exit status 5, so a bot can\n" +
					"tell \"my token is gone\" from an interruption (130, 143) or a broken stream (4)."},
				func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*canvus.Client] {
					tf := addTokensFlags(fs)
					count := fs.Int("count", 0, "stop after this many events (0: until interrupted)")
					return func(ctx context.Context, c *canvus.Client, args []string) error {
						t, err := tokens(e, cc, c, tf)
						if err != nil {
							return err
						}
						ctx, cancel := context.WithCancel(ctx)
						defer cancel()
						events := t.Subscribe(ctx)
						if len(args) == 1 {
							events = t.SubscribeToken(ctx, args[0])
						}
						n := 0
						for ev, err := range events {
							if err != nil {
								return err
							}
							if cc.json() {
								toks := make([]tokenInfoJSON, 0, len(ev.Tokens))
								for _, i := range ev.Tokens {
									toks = append(toks, infoJSON(i.TokenInfo()))
								}
								err = writeJSONLine(e.stdout, map[string]any{"type": ev.Type.String(), "fields": ev.Fields, "tokens": toks,
									"token": infoJSON(ev.Token.TokenInfo())})
							} else if ev.Type == canvus.Snapshot && len(args) == 0 {
								_, err = fmt.Fprintf(e.stdout, "snapshot %d token(s)\n", len(ev.Tokens))
							} else {
								_, err = fmt.Fprintf(e.stdout, "%s %s %q\n", ev.Type, safe(ev.Token.ID), ev.Token.Description)
							}
							if err != nil {
								return err
							}
							if ev.Type == canvus.Deleted && len(args) == 1 {
								return &tokenDeleted{msg: fmt.Sprintf("%s: token %s was deleted", cc.path, safe(args[0]))}
							}
							if n++; *count > 0 && n >= *count {
								return nil
							}
						}
						return nil
					}
				}),
		),
	)
}

// canvusProfileTokens returns the Tokens of an audit or rotate profile entry
// authenticated by cred: of user_id when given; otherwise the library finds
// the user of the access token by signing in with it once (Canvus has no
// /users/me). A login token ("session": true) needs user_id, since signing
// in with it may replace it.
func canvusProfileTokens(cc *cmdCtx, c *canvus.Client, v profileVendor, cred tokenkit.Secret) (*canvus.Tokens, error) {
	tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: cred})
	if err != nil {
		return nil, err
	}
	t, err := c.Tokens(tokenkit.StaticSource(tok))
	if err != nil {
		return nil, err
	}
	switch {
	case v.UserID != "":
		uid, err := strconv.ParseInt(v.UserID, 10, 64)
		if err != nil || uid <= 0 {
			return nil, usagef("%s: %s: user_id must be a positive number", cc.path, v.Name)
		}
		tok.UserID = uid // Check then needs no sign-in either
		return t.ForUser(uid)
	case v.Session:
		return nil, usagef("%s: %s: canvus needs user_id with a login token (\"session\": true): signing in with it to find the user could replace it", cc.path, v.Name)
	}
	return t, nil
}
