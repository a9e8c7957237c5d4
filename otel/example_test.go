package otel_test

import (
	"log"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp"
	tkotel "github.com/tokenkit/tokenkit/otel"
)

// Install the Observer on a vendor client: its Sources' fetches are counted,
// timed and traced, its retries and resends counted, and the TTL gauge
// follows every Source it builds.
func ExampleNewObserver() {
	obs, err := tkotel.NewObserver() // the global MeterProvider and TracerProvider
	if err != nil {
		log.Fatal(err)
	}
	defer obs.Shutdown()
	c, err := csp.New(csp.CloudVMware, tokenkit.WithObserver(obs))
	if err != nil {
		log.Fatal(err)
	}
	src, err := c.APITokenSource(csp.APITokenRequest{APIToken: tokenkit.Secret("from-the-environment")}, tokenkit.SourceConfig{})
	if err != nil {
		log.Fatal(err)
	}
	_ = tokenkit.NewClient(src, nil) // requests through it report 401 resends too
}
