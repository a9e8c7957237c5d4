package httpx_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

// hostileBound is the most a call may allocate while it reads a hostile
// answer with the default 1 MiB response limit: the limit itself, the JSON
// decoder's copy and the redacted excerpt, with room for the HTTP stack.
// README.md and BENCHMARKS.md quote it.
const hostileBound = 8 << 20

// zeros is an endless (or long) reader of a repeated byte.
type zeros struct {
	b    byte
	left int64 // < 0: endless
}

func (z *zeros) Read(p []byte) (int, error) {
	if z.left == 0 {
		return 0, io.EOF
	}
	n := len(p)
	if z.left > 0 && int64(n) > z.left {
		n = int(z.left)
	}
	for i := range p[:n] {
		p[i] = z.b
	}
	if z.left > 0 {
		z.left -= int64(n)
	}
	return n, nil
}

// hugeHeaders sets about 10 MB of response headers.
func hugeHeaders(w http.ResponseWriter) {
	v := strings.Repeat("h", 8000)
	for i := range 1250 {
		w.Header()["X-Junk-"+strconv.Itoa(i)] = []string{v}
	}
}

type tokenBody struct {
	AccessToken string `json:"access_token"`
}

func TestHostileAnswers(t *testing.T) {
	// Not parallel: the heap measurement needs a quiet process.
	tenMB := `{"access_token":"` + strings.Repeat("A", 10<<20) + `"}` // built before measuring
	deep := strings.Repeat("[", 200000) + strings.Repeat("]", 200000)
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		want    error
		retries int
	}{
		{"1 GiB body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.Copy(w, io.MultiReader(strings.NewReader(`{"access_token":"`), &zeros{b: 'a', left: 1 << 30}))
		}, 0, tokenkit.ErrInvalidResponse, 0},
		{"a body that never ends", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(w, &zeros{b: ' ', left: -1})
		}, 0, tokenkit.ErrInvalidResponse, 0},
		{"a body that trickles forever", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			for r.Context().Err() == nil {
				_, _ = w.Write([]byte(" "))
				w.(http.Flusher).Flush()
				time.Sleep(10 * time.Millisecond)
			}
		}, 300 * time.Millisecond, tokenkit.ErrTransport, 0},
		{"a 10 MB string in the token field", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, tenMB)
		}, 0, tokenkit.ErrInvalidResponse, 0},
		{"deeply nested JSON", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, deep)
		}, 0, tokenkit.ErrInvalidResponse, 0},
		{"invalid UTF-8 in an error", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte("bad \xff\xfe\xfd token"))
		}, 0, tokenkit.ErrBadRequest, 0},
		{"HTML where JSON was expected", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html><body>gateway</body></html>")
		}, 0, tokenkit.ErrInvalidResponse, 0},
		{"JSON of the wrong shape", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"access_token":{"nested":true}}`)
		}, 0, tokenkit.ErrInvalidResponse, 0},
		{"10 MB of response headers on a 200", func(w http.ResponseWriter, r *http.Request) {
			hugeHeaders(w)
			_, _ = io.WriteString(w, `{"access_token":"x"}`)
		}, 0, tokenkit.ErrTransport, 0},
		{"10 MB of response headers on 503s, with retries", func(w http.ResponseWriter, r *http.Request) {
			hugeHeaders(w)
			w.WriteHeader(http.StatusServiceUnavailable)
		}, 0, tokenkit.ErrTransport, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			opts := []tokenkit.Option{tokenkit.WithRetryMax(tc.retries), tokenkit.WithRetryWait(time.Millisecond, time.Millisecond)}
			if tc.timeout > 0 {
				opts = append(opts, tokenkit.WithAttemptTimeout(tc.timeout))
			}
			s, err := httpx.Apply("test", opts)
			if err != nil {
				t.Fatal(err)
			}
			c := httpx.New("test", s, nil)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err = httpx.Call[tokenBody](ctx, c, &httpx.Op{Name: "Exchange"}, func(ctx context.Context) (*http.Response, error) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("x=1"))
				return c.Do(req)
			})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if ctx.Err() != nil {
				t.Fatal("the call ran until the test's deadline")
			}
			var te *tokenkit.Error
			if !errors.As(err, &te) || !utf8.ValidString(err.Error()) || !utf8.ValidString(te.Body) || len(te.Body) > 1024 {
				t.Fatalf("error must be a *tokenkit.Error with a short, valid UTF-8 text: %q / %q", err, te.Body)
			}
			grew := after.TotalAlloc - before.TotalAlloc
			if grew > hostileBound*raceFactor {
				t.Fatalf("the call allocated %d bytes, over the %d bound", grew, hostileBound*raceFactor)
			}
			t.Logf("allocated %.2f MiB", float64(grew)/(1<<20))
		})
	}
}
