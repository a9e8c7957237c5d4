package attack_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/oracle"
)

// The canaries: every credential an operation below sends is one of these.
const (
	canaryPassword = "Pw-canary-0c1d9e"
	canaryToken    = "Tok-canary-7e2f41"
	canaryRefresh  = "Ref-canary-93ab07"
	canaryKey      = "Key-canary-51de88"
	canaryOTP      = "Otp-canary-4411aa"
	canaryState    = "State-canary-6c0b"
	canaryRecovery = "Rec-canary-2f7d3c"
)

// canaries are every credential the operations below send.
var canaries = []string{canaryPassword, canaryToken, canaryRefresh, canaryKey, canaryOTP, canaryState, canaryRecovery}

// formsOf returns every form in which canary c may cross the wire: raw,
// Base64 (Commvault's password, Basic auth) and percent-encoded.
func formsOf(c string) []string {
	return []string{c,
		base64.StdEncoding.EncodeToString([]byte(c)),
		base64.StdEncoding.EncodeToString([]byte("u:" + c)),
		url.QueryEscape(c)}
}

// canaryForms returns the forms of every canary.
func canaryForms() []string {
	var out []string
	for _, c := range canaries {
		out = append(out, formsOf(c)...)
	}
	return out
}

// recorder is a server that writes down everything that reaches it.
type recorder struct {
	mu   sync.Mutex
	seen bytes.Buffer
	hits int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	r.hits++
	r.seen.WriteString(req.Method + " " + req.URL.String() + "\n")
	_ = req.Header.Write(&r.seen)
	r.seen.Write(body)
	r.seen.WriteString("\n\n")
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{}`)
}

// leaked returns the canary forms that reached r.
func (r *recorder) leaked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, f := range canaryForms() {
		if strings.Contains(r.seen.String(), f) {
			out = append(out, f)
		}
	}
	return out
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.seen.Reset()
	r.hits = 0
	r.mu.Unlock()
}

// redirector answers every request with status and a Location on target,
// keeping the path and adding a query of its own.
func redirector(status int, target func() string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Location", target()+r.URL.Path+"?next=1")
		w.WriteHeader(status)
	})
}

// operation is one SDK call against base, with every credential a canary.
type operation struct {
	vendor, name string
	run          func(ctx context.Context, base string, hc *http.Client) error
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// operations lists every network operation of every vendor package, and
// tokenkit.NewClient.
func operations() []operation {
	var ops []operation
	add := func(vendor, name string, run func(ctx context.Context, base string, hc *http.Client) error) {
		ops = append(ops, operation{vendor, name, run})
	}
	secret := func(s string) tokenkit.Secret { return tokenkit.Secret(s) }

	// CSP.
	cspc := func(base string, hc *http.Client) *csp.Client { return must(csp.New(base, options(hc)...)) }
	add("csp", "ExchangeAPIToken", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cspc(base, hc).ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: secret(canaryToken), Passcode: secret(canaryOTP)})
		return err
	})
	add("csp", "ExchangeClientCredentials", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cspc(base, hc).ExchangeClientCredentials(ctx, csp.ClientCredentials{ClientID: "app", ClientSecret: secret(canaryPassword)})
		return err
	})
	add("csp", "APITokenDetails", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cspc(base, hc).APITokenDetails(ctx, secret(canaryToken))
		return err
	})
	add("csp", "APITokenSource", func(ctx context.Context, base string, hc *http.Client) error {
		src, err := cspc(base, hc).APITokenSource(csp.APITokenRequest{APIToken: secret(canaryToken)}, tokenkit.SourceConfig{})
		if err != nil {
			return err
		}
		_, err = src.Token(ctx)
		return err
	})
	add("csp", "JWKS", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cspc(base, hc).JWKS(ctx)
		return err
	})
	add("csp", "PublicKey", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cspc(base, hc).PublicKey(ctx)
		return err
	})

	// Commvault.
	cvc := func(base string, hc *http.Client) *commvault.Client {
		return must(commvault.New(base, options(hc)...)) // the client adds /commandcenter/api
	}
	cvSession := func() *commvault.Session {
		return must(must(commvault.New("https://held.invalid")).NewSession(tokenkit.HeldToken{Value: secret(canaryToken)}))
	}
	session := func() tokenkit.TokenSource { return tokenkit.StaticSource(cvSession()) }
	add("commvault", "Login", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cvc(base, hc).Login(ctx, commvault.Credentials{Username: "u", Password: secret(canaryPassword)})
		return err
	})
	add("commvault", "RenewLogin", func(ctx context.Context, base string, hc *http.Client) error {
		s := cvSession()
		s.DeviceID = "device-1"
		_, err := cvc(base, hc).RenewLogin(ctx, s)
		return err
	})
	add("commvault", "Logout", func(ctx context.Context, base string, hc *http.Client) error {
		return cvc(base, hc).Logout(ctx, cvSession())
	})
	add("commvault", "CreateAccessToken", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cvc(base, hc).CreateAccessToken(ctx, session(), commvault.CreateRequest{Name: "n"})
		return err
	})
	add("commvault", "ListAccessTokens", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cvc(base, hc).ListAccessTokens(ctx, session(), 0)
		return err
	})
	add("commvault", "UpdateAccessToken", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cvc(base, hc).UpdateAccessToken(ctx, session(), 7, commvault.UpdateRequest{Name: "m"})
		return err
	})
	add("commvault", "DeleteAccessToken", func(ctx context.Context, base string, hc *http.Client) error {
		return cvc(base, hc).DeleteAccessToken(ctx, session(), 7)
	})
	add("commvault", "RenewAccessToken", func(ctx context.Context, base string, hc *http.Client) error {
		c := cvc(base, hc)
		pair := must(c.NewAccessToken(tokenkit.HeldToken{Value: secret(canaryToken), RefreshToken: secret(canaryRefresh)}))
		_, err := c.RenewAccessToken(ctx, pair)
		return err
	})

	// Canvus.
	cnc := func(base string, hc *http.Client) *canvus.Client { return must(canvus.New(base, options(hc)...)) }
	tokens := func(base string, hc *http.Client) *canvus.Tokens {
		c := cnc(base, hc)
		pat := must(c.NewAccessToken(tokenkit.HeldToken{Value: secret(canaryToken)}))
		pat.UserID = 1 // no sign-in to find the user
		return must(c.Tokens(tokenkit.StaticSource(pat)))
	}
	add("canvus", "Login", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cnc(base, hc).Login(ctx, canvus.Credentials{Email: "a@b.c", Password: secret(canaryPassword)})
		return err
	})
	add("canvus", "LoginWithToken", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cnc(base, hc).Login(ctx, canvus.Credentials{Token: secret(canaryToken)})
		return err
	})
	add("canvus", "Logout", func(ctx context.Context, base string, hc *http.Client) error {
		c := cnc(base, hc)
		return c.Logout(ctx, must(c.NewAccessToken(tokenkit.HeldToken{Value: secret(canaryToken)})))
	})
	add("canvus", "ServerInfo", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cnc(base, hc).ServerInfo(ctx)
		return err
	})
	add("canvus", "ListTokens", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := tokens(base, hc).ListInfo(ctx)
		return err
	})
	add("canvus", "GetToken", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := tokens(base, hc).Get(ctx, "id1")
		return err
	})
	add("canvus", "CreateToken", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := tokens(base, hc).Create(ctx, "d")
		return err
	})
	add("canvus", "RenameToken", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := tokens(base, hc).Rename(ctx, "id1", "d")
		return err
	})
	add("canvus", "DeleteToken", func(ctx context.Context, base string, hc *http.Client) error {
		return tokens(base, hc).Delete(ctx, "id1")
	})
	add("canvus", "Subscribe", func(ctx context.Context, base string, hc *http.Client) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		for _, err := range tokens(base, hc).Subscribe(ctx) {
			return err
		}
		return nil
	})

	// Oracle.
	orc := func(base string, hc *http.Client) *oracle.Client { return must(oracle.New(base, options(hc)...)) }
	add("oracle", "ExchangePassword", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := orc(base, hc).ExchangePassword(ctx, oracle.Credentials{Username: "u", Password: secret(canaryPassword)})
		return err
	})
	add("oracle", "ExchangeRefreshToken", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := orc(base, hc).ExchangeRefreshToken(ctx, secret(canaryRefresh))
		return err
	})
	add("oracle", "RenewAccessToken", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := orc(base, hc).RenewAccessToken(ctx, tokenkit.NewBearerToken(canaryToken, time.Time{}))
		return err
	})
	add("oracle", "CurrentUser", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := orc(base, hc).CurrentUser(ctx, tokenkit.StaticSource(tokenkit.NewBearerToken(canaryToken, time.Time{})), oracle.UserQuery{})
		return err
	})

	// Clone Guard.
	cgc := func(base string, hc *http.Client) *cgscan.Client {
		return must(cgscan.New(base, append([]tokenkit.Option{cgscan.WithAPIKey(secret(canaryKey))}, options(hc)...)...))
	}
	challenge := func() *cgscan.SecondFactor { return &cgscan.SecondFactor{Username: "u", State: secret(canaryState)} }
	cgAuth := func(c *cgscan.Client) tokenkit.TokenSource {
		return tokenkit.StaticSource(must(c.NewAccessToken(tokenkit.HeldToken{Value: secret(canaryToken)})))
	}
	add("cgscan", "SignIn", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cgc(base, hc).SignIn(ctx, cgscan.SignInRequest{Username: "u", Password: secret(canaryPassword)})
		return err
	})
	add("cgscan", "VerifyOTP", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cgc(base, hc).VerifyOTP(ctx, challenge(), secret(canaryOTP))
		return err
	})
	add("cgscan", "CheckTwoFactor", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cgc(base, hc).CheckTwoFactor(ctx, challenge())
		return err
	})
	add("cgscan", "SendSMSOTP", func(ctx context.Context, base string, hc *http.Client) error {
		return cgc(base, hc).SendSMSOTP(ctx, challenge())
	})
	add("cgscan", "SignInWithRecoveryCode", func(ctx context.Context, base string, hc *http.Client) error {
		_, err := cgc(base, hc).SignInWithRecoveryCode(ctx, cgscan.RecoveryCodeRequest{RecoveryCode: secret(canaryRecovery), Username: "u", Password: secret(canaryPassword)})
		return err
	})
	add("cgscan", "GenerateAccessToken", func(ctx context.Context, base string, hc *http.Client) error {
		c := cgc(base, hc)
		_, err := c.GenerateAccessToken(ctx, cgAuth(c))
		return err
	})
	add("cgscan", "RevokeAccessToken", func(ctx context.Context, base string, hc *http.Client) error {
		c := cgc(base, hc)
		return c.RevokeAccessToken(ctx, cgAuth(c))
	})
	add("cgscan", "CheckToken", func(ctx context.Context, base string, hc *http.Client) error {
		c := cgc(base, hc)
		_, err := c.CheckToken(ctx, must(c.NewAccessToken(tokenkit.HeldToken{Value: secret(canaryToken)})))
		return err
	})
	add("cgscan", "SignOut", func(ctx context.Context, base string, hc *http.Client) error {
		c := cgc(base, hc)
		return c.SignOut(ctx, cgAuth(c))
	})

	// tokenkit.NewClient, with the caller's own http.Client underneath.
	newClient := func(method string) func(ctx context.Context, base string, hc *http.Client) error {
		return func(ctx context.Context, base string, hc *http.Client) error {
			c := tokenkit.NewClient(tokenkit.StaticSource(tokenkit.NewBearerToken(canaryToken, time.Time{})), hc.Transport)
			var body io.Reader
			if method == http.MethodPost {
				body = strings.NewReader("payload")
			}
			req, err := http.NewRequestWithContext(ctx, method, base+"/api/things", body)
			if err != nil {
				return err
			}
			resp, err := c.Do(req)
			if err != nil {
				return err
			}
			return resp.Body.Close()
		}
	}
	add("tokenkit", "NewClient GET", newClient(http.MethodGet))
	add("tokenkit", "NewClient POST", newClient(http.MethodPost))
	return ops
}

// options are the options of a vendor client that sends through hc, with
// short retry waits.
func options(hc *http.Client) []tokenkit.Option {
	return []tokenkit.Option{tokenkit.WithHTTPClient(hc), tokenkit.WithRetryWait(time.Millisecond, 5*time.Millisecond)}
}

// newTLSRedirector is a TLS server that redirects to target, with a client
// that trusts it.
func newTLSRedirector(status int, target func() string) (*httptest.Server, *http.Client) {
	ts := httptest.NewTLSServer(redirector(status, target))
	return ts, ts.Client()
}
