package fakes_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// vendorFake is what a test calls on a vendor fake without knowing which:
// methods the vendor type has only because it embeds *fakes.Server.
type vendorFake interface {
	URL() string
	Client() *http.Client
	Responder() httpmock.Responder
	FailNext(n int, f fakes.Fault)
	Requests() []fakes.RecordedRequest
	Calls(op string) int
	TotalCalls() int
}

// TestVendorFakesEmbedTheEngine: each of the five fakes answers through the
// engine's promoted methods, with its own error body and name, and the
// vendor type and its embedded Server are one fake (same state).
func TestVendorFakesEmbedTheEngine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		new  func(t *testing.T) (vendorFake, *fakes.Server)
	}{
		{"csptest", func(t *testing.T) (vendorFake, *fakes.Server) { s := csptest.New(t); return s, s.Server }},
		{"commvaulttest", func(t *testing.T) (vendorFake, *fakes.Server) { s := commvaulttest.New(t); return s, s.Server }},
		{"oracletest", func(t *testing.T) (vendorFake, *fakes.Server) { s := oracletest.New(t); return s, s.Server }},
		{"cgscantest", func(t *testing.T) (vendorFake, *fakes.Server) { s := cgscantest.New(t); return s, s.Server }},
		{"canvustest", func(t *testing.T) (vendorFake, *fakes.Server) { s := canvustest.New(t); return s, s.Server }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, engine := tc.new(t)

			// Over HTTP: the queued fault answers the next request, in the
			// vendor's error body, signed with the vendor's name.
			fake.FailNext(1, fakes.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "7"})
			resp, err := fake.Client().Get(fake.URL() + "/no/such/path")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "7" ||
				!strings.Contains(string(body), tc.name+" injected fault") {
				t.Fatalf("faulted answer: %d Retry-After %q body %q", resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}

			// Through the Responder: a Drop fault is an error.
			fake.FailNext(1, fakes.Fault{Drop: true})
			mt := httpmock.NewMockTransport()
			mt.RegisterNoResponder(fake.Responder())
			if _, err := (&http.Client{Transport: mt}).Get("https://vendor.example.test/no/such/path"); !errors.Is(err, fakes.ErrDropped) {
				t.Fatalf("dropped through the Responder: %v", err)
			}

			reqs := fake.Requests()
			if len(reqs) != 2 || !reqs[0].Faulted || reqs[0].Path != "/no/such/path" || !reqs[1].Faulted {
				t.Fatalf("Requests = %v", reqs)
			}
			if fake.TotalCalls() != 2 || fake.Calls("") != 2 || engine.TotalCalls() != 2 {
				t.Fatalf("TotalCalls %d, Calls(\"\") %d, engine %d", fake.TotalCalls(), fake.Calls(""), engine.TotalCalls())
			}
		})
	}
}
