package tokenkit_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenkit/tokenkit"
)

// Benchmarks of the whole client stack and of token expiry under load. Run
// them, with the cached-token benchmarks, as BENCHMARKS.md says:
//
//	go test -run '^$' -bench . -benchmem -count 6 . | tee bench.txt

// BenchmarkAuthenticatedGET sends a GET to a loopback server through a bare
// http.Client (no auth), oauth2.Transport and tokenkit.Transport, each with a
// cached token, on the same pooled connection setup.
func BenchmarkAuthenticatedGET(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer bench-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	newBase := func() *http.Transport {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		return t
	}
	exp := time.Now().Add(time.Hour)
	src := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		return tokenkit.NewBearerToken("bench-token", exp), nil
	}, tokenkit.SourceConfig{})
	ots := oauth2.ReuseTokenSource(nil, staticOAuth2{&oauth2.Token{AccessToken: "bench-token", TokenType: "Bearer", Expiry: exp}})

	// "bare" is what a hand-written client does: set the header itself on
	// each request, so every variant sends the same bytes.
	clients := []struct {
		name   string
		c      *http.Client
		header string
	}{
		{"bare", &http.Client{Transport: newBase()}, "Bearer bench-token"},
		{"oauth2", &http.Client{Transport: &oauth2.Transport{Source: ots, Base: newBase()}}, ""},
		{"tokenkit", &http.Client{Transport: &tokenkit.Transport{Source: src, Base: newBase()}}, ""},
	}
	for _, cl := range clients {
		b.Run(cl.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
				if err != nil {
					b.Fatal(err)
				}
				if cl.header != "" {
					req.Header.Set("Authorization", cl.header)
				}
				resp, err := cl.c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// storm makes callers goroutines ask for a token at once and reports the
// upstream calls and the slowest caller's wait. get is the token call under
// test; upstream counts the fetches.
func storm(b *testing.B, callers int, get func() error, upstream *atomic.Int32) {
	b.Helper()
	waits := make([]time.Duration, callers)
	var start, done sync.WaitGroup
	start.Add(1)
	done.Add(callers)
	for i := range callers {
		go func() {
			defer done.Done()
			start.Wait()
			t0 := time.Now()
			if err := get(); err != nil {
				b.Error(err)
			}
			waits[i] = time.Since(t0)
		}()
	}
	start.Done()
	done.Wait()
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	b.ReportMetric(float64(upstream.Load()), "upstream-calls")
	b.ReportMetric(float64(waits[len(waits)-1].Microseconds())/1000, "max-wait-ms")
	b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "p50-wait-ms")
}

// upstreamLatency is how long a simulated token endpoint takes to answer.
const upstreamLatency = 20 * time.Millisecond

// BenchmarkExpiryStorm: 10,000 goroutines ask for a token at once.
//   - expired: the cached token is past its expiry; every caller must wait
//     for one refresh.
//   - refresh-boundary: the token is still valid but inside the refresh
//     window (tokenkit: refresh ahead; oauth2: its 10s expiry delta); no
//     caller should have to wait.
//
// One iteration is one storm on a fresh source, so the per-storm metrics are
// what matter: upstream-calls and the wait of the slowest caller.
func BenchmarkExpiryStorm(b *testing.B) {
	const callers = 10000
	for _, phase := range []string{"expired", "refresh-boundary"} {
		b.Run(phase+"/tokenkit", func(b *testing.B) {
			for b.Loop() {
				var calls atomic.Int32
				clock := newClock()
				life := time.Hour
				var initial tokenkit.Token
				if phase == "expired" {
					initial = tokenkit.NewBearerToken("old", clock.Now().Add(-time.Second))
				} else {
					initial = tokenkit.NewBearerToken("old", clock.Now().Add(life))
				}
				src := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
					calls.Add(1)
					time.Sleep(upstreamLatency)
					return tokenkit.NewBearerToken("new", clock.Now().Add(life)), nil
				}, tokenkit.SourceConfig{Clock: clock, Initial: initial, Jitter: -1})
				if phase != "expired" {
					clock.Advance(life - 5*time.Minute) // inside the 12-minute window, still valid
				}
				ctx := context.Background()
				storm(b, callers, func() error { _, err := src.Token(ctx); return err }, &calls)
			}
		})
		b.Run(phase+"/oauth2", func(b *testing.B) {
			for b.Loop() {
				var calls atomic.Int32
				var initial *oauth2.Token
				if phase == "expired" {
					initial = &oauth2.Token{AccessToken: "old", Expiry: time.Now().Add(-time.Second)}
				} else {
					// Still valid for 5 more seconds: inside oauth2's fixed 10s
					// expiry delta, its only "refresh early" mechanism.
					initial = &oauth2.Token{AccessToken: "old", Expiry: time.Now().Add(5 * time.Second)}
				}
				ts := oauth2.ReuseTokenSource(initial, oauth2Fetch(func() (*oauth2.Token, error) {
					calls.Add(1)
					time.Sleep(upstreamLatency)
					return &oauth2.Token{AccessToken: "new", Expiry: time.Now().Add(time.Hour)}, nil
				}))
				storm(b, callers, func() error { _, err := ts.Token(); return err }, &calls)
			}
		})
	}
}

type oauth2Fetch func() (*oauth2.Token, error)

func (f oauth2Fetch) Token() (*oauth2.Token, error) { return f() }
