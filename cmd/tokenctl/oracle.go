package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/oracle"
)

// oracleSaved is an access token and its refresh token as tokenctl wrote them
// before the persisted form (tokenfile.go); --grant refresh-token
// --secret-file still reads them.
type oracleSaved struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token,omitempty"`
	TokenType    string   `json:"token_type,omitempty"`
	ExpiresAt    jsonTime `json:"expires_at"`
}

func oracleCommand() *command {
	v := vendorCmd[*oracle.Client]{envURL: "ORACLE_URL", example: "https://mycompany-oce.cec.ocp.oraclecloud.com",
		client: noFlags(func(base string, opts []tokenkit.Option) (*oracle.Client, error) { return oracle.New(base, opts...) })}
	return group("oracle", "Oracle Content Management: get access tokens, show whom a token belongs to",
		"Base URL: --url or $ORACLE_URL, the instance, e.g. https://mycompany-oce.cec.ocp.oraclecloud.com.",
		v.leaf(leafSpec{name: "token", secret: &secretSpec{what: "password", env: "ORACLE_PASSWORD"},
			summary: "get an access token and print it alone",
			desc: `--grant says what the token is obtained for:
  password       --user and the password ($ORACLE_PASSWORD) with HTTP Basic (the default)
  refresh-token  a refresh token ($ORACLE_REFRESH_TOKEN, or --secret-file with a file
                 written by --save, which is then rewritten with the new refresh token)
  access-token   a token that still works ($ORACLE_ACCESS_TOKEN), presented as Bearer
Refresh tokens may rotate, so --grant refresh-token refuses to run without a file to
keep the new one in (--save FILE, or the --secret-file it read), checks or creates that
file (mode 0600) before the call, and writes it atomically (temporary file, fsync,
rename) before printing anything; if that fails, the token goes to
FILE.recovered-TIME and the command exits 1.`},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*oracle.Client] {
				user := fs.String("user", "", "user name for --grant password (default $ORACLE_USER)")
				grant := fs.String("grant", "password", "password, refresh-token or access-token")
				save := fs.String("save", "", "write the access and refresh token to this file (mode 0600)")
				return func(ctx context.Context, c *oracle.Client, _ []string) error {
					var req oracle.TokenRequest
					switch *grant {
					case "password":
						if *user == "" {
							*user = e.getenv("ORACLE_USER")
						}
						if *user == "" {
							return usagef("%s: missing --user", cc.path)
						}
						if strings.Contains(*user, ":") {
							return usagef("%s: --user must not contain ':' (it is sent with HTTP Basic)", cc.path)
						}
						pw, err := e.readSecret(cc)
						if err != nil {
							return err
						}
						req.Credentials = &oracle.Credentials{Username: *user, Password: pw}
					case "refresh-token":
						cc.secret = &secretSpec{what: "refresh token", env: "ORACLE_REFRESH_TOKEN"}
						rt, err := e.readSecret(cc)
						if err != nil {
							return err
						}
						if ex, ok := decodeToken(rt.Reveal()); ok {
							t, err := oracle.ImportAccessToken(ex)
							if err != nil || t.RefreshToken == "" {
								return usagef("%s: the token file does not hold an Oracle token with a refresh token", cc.path)
							}
							rt = t.RefreshToken
						} else if strings.HasPrefix(rt.Reveal(), "{") {
							var s oracleSaved
							if err := json.Unmarshal([]byte(rt.Reveal()), &s); err != nil || s.RefreshToken == "" {
								return usagef("%s: the saved file has no refresh_token", cc.path)
							}
							rt = tokenkit.Secret(s.RefreshToken)
						}
						if *save == "" && cc.secretFile != "" && cc.secretFile != "-" {
							*save = cc.secretFile
						}
						req.RefreshToken = rt
					case "access-token":
						cc.secret = &secretSpec{what: "access token", env: "ORACLE_ACCESS_TOKEN"}
						at, err := e.readToken(cc)
						if err != nil {
							return err
						}
						if req.AccessToken, err = c.NewAccessToken(tokenkit.HeldToken{Value: at}); err != nil {
							return err
						}
					default:
						return usagef("%s: --grant must be password, refresh-token or access-token", cc.path)
					}
					if *grant == "refresh-token" && *save == "" {
						return usagef("%s: refusing --grant refresh-token without a place to keep the refresh token the answer may bring: the one sent may then no longer work; pass --save FILE (or a file written by --save with --secret-file FILE)", cc.path)
					}
					var keep *keeper
					if *save != "" {
						var err error
						if keep, err = prepareKeep(cc, "--save", *save); err != nil {
							return err
						}
					}
					callCtx := ctx
					if *grant == "refresh-token" {
						// A refresh that may rotate is not abandoned in flight.
						var done func()
						callCtx, done = finishDespiteSignal(ctx, e, 2*time.Minute)
						defer done()
					}
					// The method of the grant, which errors name.
					var t *oracle.AccessToken
					var err error
					switch *grant {
					case "password":
						t, err = c.ExchangePassword(callCtx, *req.Credentials)
					case "refresh-token":
						t, err = c.ExchangeRefreshToken(callCtx, req.RefreshToken)
					default:
						t, err = c.RenewAccessToken(callCtx, req.AccessToken)
					}
					if err != nil {
						keep.discard()
						return err
					}
					if keep != nil {
						if err := keep.save(e, cc, "token", t); err != nil {
							return err
						}
					}
					if !cc.json() {
						return printBare(e.stdout, t.Value())
					}
					return writeJSON(e.stdout, map[string]any{"access_token": t.Value(), "token_type": t.TokenType,
						"expires_at": jsonTime(t.ExpiresAt), "lifetime_ms": t.Lifetime.Milliseconds(), "refresh_token": t.RefreshToken})
				}
			}),
		v.leaf(leafSpec{name: "me", secret: &secretSpec{what: "access token", env: "ORACLE_ACCESS_TOKEN"},
			summary: "show the user an access token belongs to"},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*oracle.Client] {
				groups := fs.Bool("groups", false, "include the user's groups")
				roles := fs.Bool("app-roles", false, "include the user's application roles")
				guid := fs.Bool("guid", false, "include the user's realm GUID")
				var attrs listFlag
				fs.Var(&attrs, "attr", "include this custom attribute (repeatable)")
				return func(ctx context.Context, c *oracle.Client, _ []string) error {
					at, err := e.readToken(cc)
					if err != nil {
						return err
					}
					tok, err := c.NewAccessToken(tokenkit.HeldToken{Value: at})
					if err != nil {
						return err
					}
					u, err := c.CurrentUser(ctx, tokenkit.StaticSource(tok),
						oracle.UserQuery{Groups: *groups, AppRoles: *roles, RealmUserGUID: *guid, CustomAttributes: attrs})
					if err != nil {
						return err
					}
					var gs []string
					for _, g := range u.Groups {
						gs = append(gs, g.DisplayName)
					}
					if cc.json() {
						return writeJSON(e.stdout, map[string]any{"email": u.Email, "first_name": u.FirstName, "middle_name": u.MiddleName,
							"last_name": u.LastName, "locale": u.Locale, "realm_user_guid": u.RealmUserGUID, "groups": gs,
							"app_roles": u.AppRoles, "custom_attributes": u.CustomAttributes})
					}
					name := strings.Join(strings.Fields(u.FirstName+" "+u.MiddleName+" "+u.LastName), " ")
					fmt.Fprintf(e.stdout, "name: %s\nemail: %s\nlocale: %s\n", safe(orDash(name)), safe(orDash(u.Email)), safe(orDash(u.Locale)))
					if *guid {
						fmt.Fprintf(e.stdout, "realm user guid: %s\n", safe(orDash(u.RealmUserGUID)))
					}
					if *groups {
						fmt.Fprintf(e.stdout, "groups: %s\n", safe(orDash(strings.Join(gs, ", "))))
					}
					if *roles {
						fmt.Fprintf(e.stdout, "app roles: %s\n", safe(orDash(strings.Join(u.AppRoles, ", "))))
					}
					for _, a := range attrs {
						fmt.Fprintf(e.stdout, "%s: %s\n", safe(a), safe(fmt.Sprint(u.CustomAttributes[a])))
					}
					return nil
				}
			}),
	)
}
