package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp"
)

// cspAccessTokenJSON is a CSP access token for -o json: the access token is
// what the command produces; the other secrets are redacted.
type cspAccessTokenJSON struct {
	AccessToken  string          `json:"access_token"`
	TokenType    string          `json:"token_type,omitempty"`
	Scope        string          `json:"scope,omitempty"`
	ExpiresAt    jsonTime        `json:"expires_at"`
	RefreshToken tokenkit.Secret `json:"refresh_token,omitempty"`
	IDToken      tokenkit.Secret `json:"id_token,omitempty"`
	Username     string          `json:"username,omitempty"`
	OrgID        string          `json:"org_id,omitempty"`
}

func cspTokenOut(e *env, cc *cmdCtx, tok *csp.AccessToken) error {
	if !cc.json() {
		return printBare(e.stdout, tok.Value())
	}
	out := cspAccessTokenJSON{AccessToken: tok.Value(), TokenType: tok.TokenType, Scope: tok.Scope,
		ExpiresAt: jsonTime(tok.ExpiresAt), RefreshToken: tok.RefreshToken, IDToken: tok.IDToken}
	if cl, err := tok.Claims(); err == nil {
		out.Username, out.OrgID = cl.Username, cl.OrgID
	}
	return writeJSON(e.stdout, out)
}

func cspCommand() *command {
	v := vendorCmd[*csp.Client]{envURL: "CSP_URL", example: "https://console.cloud.vmware.com", defURL: csp.CloudVMware,
		client: noFlags(func(base string, opts []tokenkit.Option) (*csp.Client, error) { return csp.New(base, opts...) })}
	apiToken := &secretSpec{what: "API token", env: "CSP_API_TOKEN"}
	return group("csp", "VMware / Tanzu Cloud Services Platform: exchange API tokens, verify access tokens",
		"Base URL: --url or $CSP_URL, the origin without a path (default "+csp.CloudVMware+"; Tanzu: "+csp.TanzuBroadcom+").",
		v.leaf(leafSpec{name: "exchange", secret: apiToken,
			summary: "exchange an organization API token for an access token (printed alone)",
			desc: `The passcode of an MFA-protected API token comes from $CSP_PASSCODE.
The access token is kept in --cache (default: tokenctl in the user cache directory),
sealed under a key derived from the API token, and printed again by later runs
until it is due for refresh: a cron job exchanges once per token lifetime.`},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*csp.Client] {
				scopes := fs.String("scope", "", "space-separated scopes to narrow the token to")
				cache := addCacheFlags(fs)
				return func(ctx context.Context, c *csp.Client, _ []string) error {
					key, err := e.readSecret(cc)
					if err != nil {
						return err
					}
					req := csp.APITokenRequest{APIToken: key, Passcode: e.optionalSecret("CSP_PASSCODE"), Scopes: strings.Fields(*scopes)}
					t, err := cache.cached(ctx, e, "csp", key, []string{c.BaseURL(), strings.Join(req.Scopes, " ")}, csp.Import,
						func(ctx context.Context) (tokenkit.Token, error) { return c.ExchangeAPIToken(ctx, req) })
					if err != nil {
						return err
					}
					tok, ok := t.(*csp.AccessToken)
					if !ok {
						return fmt.Errorf("%s: the token cache held a %T", cc.path, t)
					}
					return cspTokenOut(e, cc, tok)
				}
			}),
		v.leaf(leafSpec{name: "client-credentials", secret: &secretSpec{what: "client secret", env: "CSP_CLIENT_SECRET"},
			summary: "exchange an OAuth app's client id and secret for an access token (printed alone)"},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*csp.Client] {
				id := fs.String("client-id", "", "the OAuth app's client id (default $CSP_CLIENT_ID)")
				org := fs.String("org-id", "", "limit the token to this organization")
				return func(ctx context.Context, c *csp.Client, _ []string) error {
					if *id == "" {
						*id = e.getenv("CSP_CLIENT_ID")
					}
					if *id == "" {
						return usagef("%s: missing --client-id", cc.path)
					}
					if strings.Contains(*id, ":") {
						return usagef("%s: --client-id must not contain ':' (it is sent with HTTP Basic)", cc.path)
					}
					secret, err := e.readSecret(cc)
					if err != nil {
						return err
					}
					tok, err := c.ExchangeClientCredentials(ctx, csp.ClientCredentials{ClientID: *id, ClientSecret: secret, OrgID: *org})
					if err != nil {
						return err
					}
					return cspTokenOut(e, cc, tok)
				}
			}),
		v.leaf(leafSpec{name: "details", secret: apiToken, summary: "show the owner, organization, scopes and dates of an API token"},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*csp.Client] {
				return func(ctx context.Context, c *csp.Client, _ []string) error {
					key, err := e.readSecret(cc)
					if err != nil {
						return err
					}
					d, err := c.APITokenDetails(ctx, key)
					if err != nil {
						return err
					}
					if cc.json() {
						return writeJSON(e.stdout, map[string]any{
							"id": d.TokenID, "name": d.TokenName, "user_id": d.UserID, "username": d.Username,
							"org_id": d.OrgID, "scopes": d.Scopes, "deactivated": d.Deactivated,
							"created_at": jsonTime(d.CreatedAt), "last_used_at": jsonTime(d.LastUsedAt), "expires_at": jsonTime(d.ExpiresAt),
						})
					}
					tw := newTable(e.stdout)
					tw.row("token:", d.TokenName+" ("+d.TokenID+")")
					tw.row("user:", d.Username+" ("+d.UserID+")")
					tw.row("org:", d.OrgID)
					tw.row("scopes:", strings.Join(d.Scopes, " "))
					tw.row("deactivated:", d.Deactivated)
					tw.row("created:", stamp(d.CreatedAt))
					tw.row("last used:", stamp(d.LastUsedAt))
					tw.row("expires:", stamp(d.ExpiresAt))
					return tw.flush()
				}
			}),
		v.leaf(leafSpec{name: "verify", secret: &secretSpec{what: "access token", env: "CSP_ACCESS_TOKEN"},
			summary: "verify an access token's signature and lifetime against the host's signing key",
			desc:    "An invalid token exits with code 3."},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*csp.Client] {
				return func(ctx context.Context, c *csp.Client, _ []string) error {
					at, err := e.readToken(cc)
					if err != nil {
						return err
					}
					cl, err := c.Verify(ctx, at)
					if err != nil {
						return err
					}
					if cc.json() {
						return writeJSON(e.stdout, map[string]any{"valid": true, "username": cl.Username, "org_id": cl.OrgID,
							"perms": cl.Perms, "subject": cl.Subject, "issuer": cl.Issuer, "expires_at": jsonTime(cl.ExpiresAt)})
					}
					_, err = fmt.Fprintf(e.stdout, "valid: user %q org %q perms %s, expires %s\n", cl.Username, cl.OrgID, safe(fmt.Sprint(cl.Perms)), stamp(cl.ExpiresAt))
					return err
				}
			}),
		v.leaf(leafSpec{name: "public-key", summary: "print the host's token-signing key (PEM; the JSON Web Key Set with --jwks)"},
			func(fs *flag.FlagSet, e *env, cc *cmdCtx) leafRun[*csp.Client] {
				jwks := fs.Bool("jwks", false, "list the keys of the JSON Web Key Set instead")
				return func(ctx context.Context, c *csp.Client, _ []string) error {
					if *jwks {
						keys, err := c.JWKS(ctx)
						if err != nil {
							return err
						}
						type keyJSON struct {
							Kid  string `json:"kid"`
							Alg  string `json:"alg"`
							Use  string `json:"use"`
							Bits int    `json:"bits"`
						}
						out := []keyJSON{}
						for _, k := range keys {
							out = append(out, keyJSON{k.Kid, k.Alg, k.Use, k.Key.N.BitLen()})
						}
						if cc.json() {
							return writeJSON(e.stdout, out)
						}
						tw := newTable(e.stdout, "KID", "ALG", "USE", "BITS")
						for _, k := range out {
							tw.row(k.Kid, orDash(k.Alg), orDash(k.Use), k.Bits)
						}
						return tw.flush()
					}
					pk, err := c.PublicKey(ctx)
					if err != nil {
						return err
					}
					if cc.json() {
						return writeJSON(e.stdout, map[string]string{"alg": pk.Alg, "issuer": pk.Issuer, "pem": pk.PEM})
					}
					_, err = fmt.Fprintf(e.stdout, "alg: %s\nissuer: %s\n%s\n", safe(pk.Alg), safe(pk.Issuer), safeLines(strings.TrimSpace(pk.PEM)))
					return err
				}
			}),
	)
}
