package interop_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tokenkit/tokenkit/csp/csptest"
)

// TestClientCredentials drives golang.org/x/oauth2/clientcredentials, the
// client vmware/terraform-provider-vmc uses for OAuth apps
// (vmc/connector/clientconnector.go: clientcredentials.Config with the
// default AuthStyle and TokenURL cspURL + "/csp/gateway/am/api/auth/token"),
// against the CSP fake: every AuthStyle, both token paths, with and without
// orgId, and with a base URL that ends in "/" (a doubled slash on the wire).
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	fake := csptest.New(t)
	fake.AddOAuthApp(csptest.OAuthApp{ID: "tf-app", Secret: "tf-secret", OrgID: "org-1", Scopes: []string{"openid", "csp:org_member"}})
	styles := map[string]oauth2.AuthStyle{
		"auto-detect": oauth2.AuthStyleAutoDetect,
		"in header":   oauth2.AuthStyleInHeader,
		"in params":   oauth2.AuthStyleInParams,
	}
	paths := map[string]string{
		"/auth/token":                  fake.URL() + "/csp/gateway/am/api/auth/token",
		"/auth/authorize (tanzu-cli)":  fake.URL() + "/csp/gateway/am/api/auth/authorize",
		"base ending in / (//csp/...)": fake.URL() + "/" + "/csp/gateway/am/api/auth/token",
	}
	for sname, style := range styles {
		for pname, tokenURL := range paths {
			for _, org := range []string{"", "org-1"} {
				t.Run(sname+" "+pname+" org "+org, func(t *testing.T) {
					cfg := clientcredentials.Config{ClientID: "tf-app", ClientSecret: "tf-secret", TokenURL: tokenURL, AuthStyle: style}
					if org != "" {
						cfg.EndpointParams = url.Values{"orgId": {org}}
					}
					ctx := context.WithValue(context.Background(), oauth2.HTTPClient, fake.Client())
					tok, err := cfg.Token(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if strings.Count(tok.AccessToken, ".") != 2 || !strings.EqualFold(tok.TokenType, "bearer") ||
						!tok.Expiry.After(time.Now()) || !tok.Valid() {
						t.Fatalf("token present %t type %q expiry %v", tok.AccessToken != "", tok.TokenType, tok.Expiry)
					}
				})
			}
		}
	}
}

// TestClientCredentialsWrongSecret: x/oauth2 sees a failed exchange (with
// auto-detect, after trying both styles) and reports CSP's error.
func TestClientCredentialsWrongSecret(t *testing.T) {
	t.Parallel()
	fake := csptest.New(t)
	fake.AddOAuthApp(csptest.OAuthApp{ID: "tf-app", Secret: "tf-secret"})
	cfg := clientcredentials.Config{ClientID: "tf-app", ClientSecret: "wrong", TokenURL: fake.URL() + "/csp/gateway/am/api/auth/token"}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, fake.Client())
	_, err := cfg.Token(ctx)
	var re *oauth2.RetrieveError
	if !asRetrieveError(err, &re) || re.Response.StatusCode != http.StatusUnauthorized || !strings.Contains(string(re.Body), "invalid_client") {
		t.Fatalf("%v", err)
	}
	if n := fake.Calls("ExchangeClientCredentialsToken"); n != 2 {
		t.Fatalf("auto-detect sent %d requests, want header then params", n)
	}
}

// TestRefreshTokenForm is terraform-provider-vmc's API-token exchange
// (vmc/connector/clientconnector.go securityContextByRefreshToken): the
// deprecated field name in an unencoded form body, with a default base.
func TestRefreshTokenForm(t *testing.T) {
	t.Parallel()
	fake := csptest.New(t)
	apiToken := fake.AddAPIToken(csptest.APIToken{})
	req, _ := http.NewRequest(http.MethodPost, fake.URL()+"/csp/gateway/am/api/auth/api-tokens/authorize",
		strings.NewReader("refresh_token="+apiToken))
	req.Header.Add("content-type", "application/x-www-form-urlencoded")
	resp, err := fake.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
