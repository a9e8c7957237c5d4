package attack_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

// mutating names the operations that create or rotate state: a redirect
// answer leaves their outcome unknown.
var mutating = map[string]bool{
	"commvault/Login": true, "commvault/RenewLogin": true, "commvault/CreateAccessToken": true, "commvault/RenewAccessToken": true,
	"canvus/Login": true, "canvus/LoginWithToken": true, "canvus/CreateToken": true,
	"cgscan/SignIn": true, "cgscan/VerifyOTP": true, "cgscan/SignInWithRecoveryCode": true, "cgscan/SendSMSOTP": true,
	"cgscan/GenerateAccessToken": true, "cgscan/RevokeAccessToken": true,
	"oracle/ExchangeRefreshToken": true,
}

// deadPort returns a loopback address where nothing listens.
func deadPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

// TestNothingIsReplayedAfterAnAnswer: a server that applies a call and then
// answers 303 or 307 pointing at a dead port gets the request once, whatever
// the retry budget, and a mutating call reports ErrOutcomeUnknown (the server
// may have acted), never a connection error.
func TestNothingIsReplayedAfterAnAnswer(t *testing.T) {
	dead := deadPort(t)
	var hits atomic.Int64
	var status atomic.Int64
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hits.Add(1) // "applied"
		w.Header().Set("Location", dead+r.URL.Path)
		w.WriteHeader(int(status.Load()))
	}))
	defer a.Close()
	for _, code := range []int{http.StatusSeeOther, http.StatusTemporaryRedirect} {
		for _, op := range operations() {
			if op.vendor == "tokenkit" {
				continue
			}
			key := op.vendor + "/" + op.name
			t.Run(fmt.Sprintf("%d/%s", code, key), func(t *testing.T) {
				status.Store(int64(code))
				hits.Store(0)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				err := op.run(ctx, a.URL, &http.Client{})
				if n := hits.Load(); n != 1 {
					t.Errorf("the server got the request %d times, want 1", n)
				}
				if err == nil {
					t.Fatal("a redirect answer was taken as success")
				}
				if k := tokenkit.KindOf(err); k == tokenkit.KindTransport || k.Retryable() {
					t.Errorf("a call that got an answer reports a %s failure: %v", k, err)
				}
				if want := tokenkit.KindConfig; mutating[key] {
					if tokenkit.KindOf(err) != tokenkit.KindOutcomeUnknown {
						t.Errorf("kind %s, want %s", tokenkit.KindOf(err), tokenkit.KindOutcomeUnknown)
					}
				} else if tokenkit.KindOf(err) != want {
					t.Errorf("kind %s, want %s", tokenkit.KindOf(err), want)
				}
				if mutating[key] && !errors.Is(err, tokenkit.ErrOutcomeUnknown) {
					t.Errorf("mutating call: want ErrOutcomeUnknown, got %v", err)
				}
				if !mutating[key] && errors.Is(err, tokenkit.ErrOutcomeUnknown) {
					t.Errorf("a call without side effects reports ErrOutcomeUnknown: %v", err)
				}
				if !errors.Is(err, tokenkit.ErrRedirected) {
					t.Errorf("want ErrRedirected, got %v", err)
				}
			})
		}
	}
}

// hostDialer is an http.Transport that reaches every host name at addr, so
// that a test can use other host names than loopback without other
// addresses.
func hostDialer(addr string) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
}

// TestNewClientKeepsTheTokenAtItsOrigin: tokenkit.NewClient attaches the
// token to the first request and to hops back to the same scheme, host and
// port, never to another host on the same port, and refuses plain http to a
// host that is not loopback unless the Transport allows it by name.
func TestNewClientKeepsTheTokenAtItsOrigin(t *testing.T) {
	type seen struct{ host, auth string }
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, seen{r.Host, r.Header.Get("Authorization")})
		switch r.URL.Path {
		case "/to-other-host":
			w.Header().Set("Location", "http://other.localhost:"+port(r)+"/end")
			w.WriteHeader(http.StatusFound)
		case "/to-same-origin":
			w.Header().Set("Location", "/end")
			w.WriteHeader(http.StatusFound)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	defer srv.Close()
	base := hostDialer(srv.Listener.Addr().String())
	src := tokenkit.StaticSource(tokenkit.NewBearerToken(canaryToken, time.Time{}))
	bearer := "Bearer " + canaryToken

	do := func(c *http.Client, url string) error {
		got = nil
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
	c := tokenkit.NewClient(src, base)
	if err := do(c, "http://localhost:"+serverPort(srv)+"/to-same-origin"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].auth != bearer || got[1].auth != bearer {
		t.Errorf("same-origin redirect: %+v, want the token on both requests", got)
	}
	if err := do(c, "http://localhost:"+serverPort(srv)+"/to-other-host"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].auth != bearer || got[1].auth != "" {
		t.Errorf("redirect to another host on the same port: %+v, want the token only on the first request", got)
	}

	// Plain http to a host that is not loopback: refused before sending.
	err := do(c, "http://api.example.test:"+serverPort(srv)+"/x")
	if !errors.Is(err, tokenkit.ErrInsecureTransport) || !errors.Is(err, tokenkit.ErrConfig) {
		t.Errorf("plain http to a remote host: got %v, want ErrInsecureTransport", err)
	}
	if len(got) != 0 {
		t.Errorf("the refused request reached the server: %+v", got)
	}
	// ... unless the user opts in by name.
	optIn := &http.Client{Transport: &tokenkit.Transport{Source: src, Base: base, AllowPlainHTTP: true}}
	if err := do(optIn, "http://api.example.test:"+serverPort(srv)+"/x"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].auth != bearer {
		t.Errorf("AllowPlainHTTP: %+v, want the token sent", got)
	}
}

// port returns the port a request was sent to.
func port(r *http.Request) string {
	_, p, _ := net.SplitHostPort(r.Host)
	return p
}

// serverPort returns the port srv listens on.
func serverPort(srv *httptest.Server) string {
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return p
}
