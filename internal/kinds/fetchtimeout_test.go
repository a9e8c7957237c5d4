package kinds_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/fakes"
)

// TestSourceFetchTimeoutIsNotTheCallersCancellation: a Source's fetch runs
// detached from its callers, bounded by SourceConfig.FetchTimeout. When that
// bound ends a fetch the server never answered, no caller cancelled
// anything: the callers, whose contexts are live, get a transport failure
// (retryable, backed off), not KindCanceled nor context.DeadlineExceeded.
func TestSourceFetchTimeoutIsNotTheCallersCancellation(t *testing.T) {
	cfg := tokenkit.SourceConfig{FetchTimeout: 100 * time.Millisecond}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) (tokenkit.TokenSource, func(int, fakes.Fault))
	}{
		{"csp APITokenSource (idempotent exchange)", func(t *testing.T) (tokenkit.TokenSource, func(int, fakes.Fault)) {
			f := csptest.New(t)
			tok := tokenkit.Secret(f.AddAPIToken(csptest.APIToken{}))
			c := must(csp.New(f.URL(), options()...))
			return must(c.APITokenSource(csp.APITokenRequest{APIToken: tok}, cfg)), f.FailNext
		}},
		{"canvus LoginSource (mutating login)", func(t *testing.T) (tokenkit.TokenSource, func(int, fakes.Fault)) {
			f := canvustest.New(t)
			f.AddUser(canvustest.User{Email: "alice@example.com", Password: password})
			c := must(canvus.New(f.URL(), options()...))
			return must(c.LoginSource(canvus.Credentials{Email: "alice@example.com", Password: password}, cfg)), f.FailNext
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src, failNext := tc.setup(t)
			failNext(10, fakes.Fault{Delay: time.Hour})
			_, err := src.Token(context.Background())
			if k := tokenkit.KindOf(err); k == tokenkit.KindCanceled || k == tokenkit.KindOther {
				t.Fatalf("kind %q: %v", k, err)
			}
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				t.Errorf("the caller's context is live, but the error says it ended: %v", err)
			}
			var te *tokenkit.Error
			if !errors.As(err, &te) {
				t.Fatalf("%T %v", err, err)
			}
			t.Logf("%v (kind %q)", err, te.Kind())
		})
	}
}
