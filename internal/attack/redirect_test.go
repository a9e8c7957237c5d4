package attack_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
)

// TestNoCredentialCrossesARedirect drives every operation of every vendor,
// and tokenkit.NewClient, against a server that answers each request with a
// redirect (301, 302, 303, 307, 308) to a second server on another host name
// and port, from plain http and from https. The second server must receive
// no credential of any kind: no header, body or query carrying a canary.
// Vendor calls do not follow redirects at all; NewClient follows them but
// drops the credential at the origin boundary.
func TestNoCredentialCrossesARedirect(t *testing.T) {
	second := &recorder{}
	b := httptest.NewServer(second)
	defer b.Close()
	// Another host name and another port than the first server's.
	target := func() string { return strings.Replace(b.URL, "127.0.0.1", "localhost", 1) }

	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, tlsFirst := range []bool{false, true} {
			var a *httptest.Server
			hc := &http.Client{}
			if tlsFirst {
				a, hc = newTLSRedirector(status, target)
			} else {
				a = httptest.NewServer(redirector(status, target))
			}
			scheme := "http → http"
			if tlsFirst {
				scheme = "https → http"
			}
			for _, op := range operations() {
				name := fmt.Sprintf("%d/%s/%s/%s", status, strings.ReplaceAll(scheme, " ", ""), op.vendor, op.name)
				t.Run(name, func(t *testing.T) {
					second.reset()
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					err := op.run(ctx, a.URL, hc)
					if leaks := second.leaked(); len(leaks) > 0 {
						t.Fatalf("%s %d (%s): the second origin received %d credential forms (err=%v)", op.vendor, status, scheme, len(leaks), err)
					}
					if op.vendor == "tokenkit" {
						return // NewClient follows redirects, without credentials
					}
					if second.hits != 0 {
						t.Errorf("%s %s: a vendor call followed a %d redirect (%d requests reached the second server)", op.vendor, op.name, status, second.hits)
					}
					if err == nil {
						t.Fatalf("%s %s: a %d answer was taken as success", op.vendor, op.name, status)
					}
					var te *tokenkit.Error
					if !errors.As(err, &te) {
						t.Fatalf("%s %s: error %T is not a *tokenkit.Error: %v", op.vendor, op.name, err, err)
					}
					msg := err.Error()
					if !strings.Contains(msg, "localhost") {
						t.Errorf("%s %s: the error does not name the Location host: %v", op.vendor, op.name, err)
					}
					if strings.Contains(msg, "next=1") {
						t.Errorf("%s %s: the error shows the Location's query: %v", op.vendor, op.name, err)
					}
				})
			}
			a.Close()
		}
	}
}
