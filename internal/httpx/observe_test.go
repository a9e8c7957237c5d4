package httpx_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

type events struct {
	mu sync.Mutex
	ev []tokenkit.Event
}

func (r *events) Observe(ctx context.Context, e tokenkit.Event) context.Context {
	r.mu.Lock()
	r.ev = append(r.ev, e)
	r.mu.Unlock()
	return ctx
}

func (r *events) of(ty tokenkit.EventType) []tokenkit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []tokenkit.Event
	for _, e := range r.ev {
		if e.Type == ty {
			out = append(out, e)
		}
	}
	return out
}

// A retried call emits one EventRetry per retry with its reason and wait,
// and a 401 one EventResend, both labelled with the vendor and operation.
func TestRetryAndResendEvents(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.WriteHeader(http.StatusBadGateway)
		case 3:
			w.WriteHeader(http.StatusUnauthorized)
		default:
			_, _ = w.Write([]byte(`{"access_token":"x"}`))
		}
	})
	obs := &events{}
	c := newClient(t, tokenkit.WithObserver(obs))
	var n atomic.Int32
	src := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		return tokenkit.NewBearerToken(fmt.Sprint("tok", n.Add(1)), time.Now().Add(time.Hour)), nil
	}, tokenkit.SourceConfig{})
	op := &httpx.Op{Name: "Get", Class: httpx.Idempotent, Auth: src}
	if _, err := httpx.Call[tokenResp](context.Background(), c, op, sendReq(c, http.MethodGet, srv.URL, "", "")); err != nil {
		t.Fatal(err)
	}
	retries := obs.of(tokenkit.EventRetry)
	if len(retries) != 2 {
		t.Fatalf("retries = %+v, want 2", retries)
	}
	if r := retries[0]; r.Vendor != "test" || r.Op != "Get" || r.Kind != tokenkit.KindRateLimited || r.Status != 429 ||
		r.Attempt != 1 || r.Wait != 0 {
		t.Errorf("first retry = %+v", r)
	}
	if r := retries[1]; r.Kind != tokenkit.KindServer || r.Status != 502 || r.Attempt != 2 || r.Wait > 2*time.Millisecond {
		t.Errorf("second retry = %+v", r)
	}
	resends := obs.of(tokenkit.EventResend)
	if len(resends) != 1 || resends[0].Vendor != "test" || resends[0].Op != "Get" || resends[0].Status != 401 {
		t.Errorf("resends = %+v", resends)
	}
}

// WithObserver reaches the Sources a client builds, with the client's
// vendor and the Source's operation.
func TestSourceConfigCarriesObserver(t *testing.T) {
	t.Parallel()
	obs := &events{}
	c := newClient(t, tokenkit.WithObserver(obs))
	sc := c.SourceConfig("LoginSource", tokenkit.SourceConfig{})
	if sc.Observer != tokenkit.Observer(obs) || sc.Vendor != "test" || sc.Name != "LoginSource" {
		t.Errorf("SourceConfig = %+v", sc)
	}
	own := &events{}
	sc = c.SourceConfig("LoginSource", tokenkit.SourceConfig{Observer: own, Name: "mine"})
	if sc.Observer != tokenkit.Observer(own) || sc.Name != "mine" {
		t.Errorf("a SourceConfig's own observer and name were replaced: %+v", sc)
	}
	if _, err := httpx.Apply("test", []tokenkit.Option{tokenkit.WithObserver(nil)}); err == nil {
		t.Error("WithObserver(nil) accepted")
	}
}
