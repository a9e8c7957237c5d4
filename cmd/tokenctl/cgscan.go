package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/cgscan"
)

// cgscanClient declares --api-key-file and returns the constructor of a
// client with the API key from that file or $CGSCAN_API_KEY.
func cgscanClient(fs *flag.FlagSet) func(e *env, cc *cmdCtx, base string) (*cgscan.Client, error) {
	keyFile := fs.String("api-key-file", "", "read the customer's API key from this file instead of $CGSCAN_API_KEY")
	return func(e *env, cc *cmdCtx, base string) (*cgscan.Client, error) {
		key := e.optionalSecret("CGSCAN_API_KEY")
		if *keyFile != "" {
			b, err := os.ReadFile(*keyFile)
			if err != nil {
				return nil, usagef("%s: --api-key-file: %v", cc.path, err)
			}
			key = tokenkit.Secret(strings.TrimSpace(string(b)))
		}
		if key == "" {
			return nil, usagef("%s: no API key: set $CGSCAN_API_KEY or pass --api-key-file FILE", cc.path)
		}
		return cgscan.New(base, append(cc.clientOptions(e), cgscan.WithAPIKey(key))...)
	}
}

func cgscanCommand() *command {
	v := vendorCmd[*cgscan.Client]{envURL: "CGSCAN_URL", example: "https://scanning.example.com", client: cgscanClient}
	userToken := &secretSpec{what: "session or access token", env: "CGSCAN_TOKEN"}
	session := &secretSpec{what: "session token", env: "CGSCAN_TOKEN"}
	keyDesc := "The API key comes from $CGSCAN_API_KEY or --api-key-file."
	tokenDesc := keyDesc + "\nThe token comes from $CGSCAN_TOKEN: export CGSCAN_TOKEN=$(tokenctl cgscan sign-in --user NAME)."
	return group("cgscan", "Clone Guard Scanning API: sign in (with 2FA), generate, check and revoke access tokens, sign out",
		"Base URL: --url or $CGSCAN_URL, the portal, e.g. https://scanning.example.com. "+keyDesc,
		v.leaf(leafSpec{name: "sign-in", secret: &secretSpec{what: "password", env: "CGSCAN_PASSWORD"},
			summary: "sign in and print the session token alone",
			desc: keyDesc + `
A user with two-factor authentication needs the one-time code in $CGSCAN_OTP, or a
recovery code in $CGSCAN_RECOVERY_CODE; with --sms the code is sent by SMS and then
read from standard input (so the password must come from $CGSCAN_PASSWORD or a file).`},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*cgscan.Client] {
				user := fs.String("user", "", "user name (default $CGSCAN_USER)")
				sms := fs.Bool("sms", false, "have the one-time code sent by SMS, then read it from standard input")
				return func(ctx context.Context, c *cgscan.Client, _ []string) error {
					if *user == "" {
						*user = e.getenv("CGSCAN_USER")
					}
					if *user == "" {
						return usagef("%s: missing --user", cc.path)
					}
					pw, err := e.readSecret(cc)
					if err != nil {
						return err
					}
					res, err := c.SignIn(ctx, cgscan.SignInRequest{Username: *user, Password: pw})
					if err != nil {
						return err
					}
					s := res.Session
					if ch := res.SecondFactor; ch != nil {
						switch {
						case e.optionalSecret("CGSCAN_OTP") != "":
							s, err = c.VerifyOTP(ctx, ch, e.optionalSecret("CGSCAN_OTP"))
						case e.optionalSecret("CGSCAN_RECOVERY_CODE") != "":
							s, err = c.SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{RecoveryCode: e.optionalSecret("CGSCAN_RECOVERY_CODE"), Challenge: ch})
						case *sms:
							if err = c.SendSMSOTP(ctx, ch); err != nil {
								return err
							}
							fmt.Fprint(e.stderr, "one-time code sent by SMS; type it and press Enter: ")
							var code string
							if code, err = e.terminalLine(); err != nil {
								return err
							}
							s, err = c.VerifyOTP(ctx, ch, tokenkit.Secret(code))
						default:
							return &authFailure{msg: cc.path + ": the user has two-factor authentication: set $CGSCAN_OTP (or $CGSCAN_RECOVERY_CODE), or pass --sms"}
						}
						if err != nil {
							return err
						}
					}
					if !cc.json() {
						return printBare(e.stdout, s.Value())
					}
					return writeJSON(e.stdout, map[string]any{"token": s.Value(), "username": s.Username, "role": s.Role,
						"organization": s.Organization.Name, "verified": s.Verified})
				}
			}),
		v.leaf(leafSpec{name: "generate", secret: session, desc: tokenDesc,
			summary: "generate an access token (replacing the user's previous one) and print it alone"},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*cgscan.Client] {
				return func(ctx context.Context, c *cgscan.Client, _ []string) error {
					s, err := e.readToken(cc)
					if err != nil {
						return err
					}
					tokens, err := cgscanTokens(c, s)
					if err != nil {
						return err
					}
					tok, err := tokens.Issue(ctx, tokenkit.IssueRequest{})
					if err != nil {
						return err
					}
					if !cc.json() {
						return printBare(e.stdout, tok.Value())
					}
					out := map[string]any{"token": tok.Value()}
					if at, ok := tok.(*cgscan.AccessToken); ok {
						out["username"], out["message"] = at.Username, at.Message
					}
					return writeJSON(e.stdout, out)
				}
			}),
		v.leaf(leafSpec{name: "revoke", secret: userToken, desc: tokenDesc, summary: "revoke the user's current access token"},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*cgscan.Client] {
				return func(ctx context.Context, c *cgscan.Client, _ []string) error {
					s, err := e.readToken(cc)
					if err != nil {
						return err
					}
					tokens, err := cgscanTokens(c, s)
					if err != nil {
						return err
					}
					if err := tokens.Revoke(ctx, cgscan.CurrentAccessToken); err != nil {
						return err
					}
					fmt.Fprintln(e.stderr, "revoked")
					return nil
				}
			}),
		v.leaf(leafSpec{name: "check", secret: userToken, summary: "check whether a session or access token is valid (exit 3 if not)",
			desc: tokenDesc + "\nNote that a wrong API key also makes every token invalid."},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*cgscan.Client] {
				return func(ctx context.Context, c *cgscan.Client, _ []string) error {
					s, err := e.readToken(cc)
					if err != nil {
						return err
					}
					tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: s})
					if err != nil {
						return err
					}
					st, err := c.CheckToken(ctx, tok)
					if err != nil {
						return err
					}
					if cc.json() {
						if err := writeJSON(e.stdout, map[string]any{"valid": st.Valid, "username": st.Username, "message": st.Message}); err != nil {
							return err
						}
					} else if st.Valid {
						fmt.Fprintf(e.stdout, "valid: user %s\n", safe(orDash(st.Username)))
					} else {
						fmt.Fprintf(e.stdout, "invalid: %s\n", safe(orDash(st.Message)))
					}
					if !st.Valid {
						return &authFailure{msg: cc.path + ": the token is not valid"}
					}
					return nil
				}
			}),
		v.leaf(leafSpec{name: "sign-out", secret: session, desc: tokenDesc, summary: "end a session"},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*cgscan.Client] {
				return func(ctx context.Context, c *cgscan.Client, _ []string) error {
					s, err := e.readToken(cc)
					if err != nil {
						return err
					}
					tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: s})
					if err != nil {
						return err
					}
					if err := c.SignOut(ctx, tok); err != nil {
						return err
					}
					fmt.Fprintln(e.stderr, "signed out")
					return nil
				}
			}),
	)
}

// cgscanTokens returns the token management of the user whose session or
// access token s is.
func cgscanTokens(c *cgscan.Client, s tokenkit.Secret) (*cgscan.Tokens, error) {
	tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: s})
	if err != nil {
		return nil, err
	}
	return c.Tokens(tok)
}

// terminalLine reads one line from standard input, terminal or not: for a
// one-time code the user types after an SMS.
func (e *env) terminalLine() (string, error) {
	line, err := readLine(e.stdin, 256)
	if err == nil && line == "" {
		err = errors.New("no one-time code on standard input")
	}
	return line, err
}
