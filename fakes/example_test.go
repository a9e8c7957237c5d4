package fakes_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/tokenkit/tokenkit/fakes"
)

// pingFake is a fake of your own: a product with one operation, POST /ping.
// Embedding *fakes.Server gives it URL, FailNext, Calls, Requests and the
// rest.
type pingFake struct {
	*fakes.Server
}

func newPingFake() *pingFake {
	f := &pingFake{}
	f.Server = fakes.New(fakes.Config{
		Name: "pingfake",
		Operation: func(r *http.Request) string {
			if r.Method == http.MethodPost && r.URL.Path == "/ping" {
				return "Ping"
			}
			return ""
		},
		Serve: f.serve,
	})
	f.Start() // once f holds the Server, before anyone can call it
	return f
}

func (f *pingFake) serve(w http.ResponseWriter, r *http.Request, c fakes.Call) {
	if c.Op != "Ping" {
		http.NotFound(w, r)
		return
	}
	f.Apply("Ping") // the state change, counted even if a fault loses the answer
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"pong":true}`)
}

// Example builds a fake on the engine and drives it as every vendor fake
// is driven: a queued fault, then the counters and the recorded requests.
func Example() {
	f := newPingFake()
	defer f.Close()

	f.FailNext(1, fakes.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "1"})
	for range 2 {
		resp, err := f.Client().Post(f.URL()+"/ping", "application/json", nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		_ = resp.Body.Close()
		fmt.Printf("%d Retry-After=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	fmt.Println("calls:", f.Calls("Ping"), "applied:", f.Applied("Ping"), "first faulted:", f.Requests()[0].Faulted)
	// Output:
	// 503 Retry-After="1"
	// 200 Retry-After=""
	// calls: 2 applied: 1 first faulted: true
}
