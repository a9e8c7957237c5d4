package tokenkit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/tokenkit/tokenkit"
)

// A Source around any fetch function: the first call fetches, later calls
// get the cached token until it nears expiry.
func ExampleNewSource() {
	fetches := 0
	src := tokenkit.NewSource(func(ctx context.Context) (tokenkit.Token, error) {
		fetches++
		return tokenkit.NewBearerToken(fmt.Sprintf("token-%d", fetches), time.Now().Add(time.Hour)), nil
	}, tokenkit.SourceConfig{})

	for range 3 {
		tok, err := src.Token(context.Background())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(tok.Value())
	}
	// Output:
	// token-1
	// token-1
	// token-1
}

// Transport authenticates every request and, after a 401, resends once with
// a fresh token.
func ExampleTransport() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer token-2" {
			w.WriteHeader(http.StatusUnauthorized) // token-1 was revoked server-side
			return
		}
		fmt.Fprint(w, "hello")
	}))
	defer api.Close()

	n := 0
	src := tokenkit.NewSource(func(context.Context) (tokenkit.Token, error) {
		n++
		return tokenkit.NewBearerToken(fmt.Sprintf("token-%d", n), time.Now().Add(time.Hour)), nil
	}, tokenkit.SourceConfig{})
	client := &http.Client{Transport: &tokenkit.Transport{Source: src}}

	resp, err := client.Get(api.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.StatusCode, "after", n, "fetches")
	// Output:
	// 200 after 2 fetches
}

// A Secret prints as REDACTED with every verb; Reveal returns the value.
func ExampleSecret() {
	s := tokenkit.Secret("hunter2")
	fmt.Printf("%v %s %q %#v\n", s, s, s, s)
	fmt.Println(len(s.Reveal()))
	// Output:
	// REDACTED REDACTED "REDACTED" tokenkit.Secret("REDACTED")
	// 7
}

// Errors of every vendor match the same sentinels.
func ExampleError() {
	var err error = &tokenkit.Error{Vendor: "csp", Op: "ExchangeAPIToken", StatusCode: 429, RetryAfter: 2 * time.Hour}
	var te *tokenkit.Error
	if errors.Is(err, tokenkit.ErrRateLimited) && errors.As(err, &te) {
		fmt.Println("come back in", te.RetryAfter)
	}
	fmt.Println(err)
	// Output:
	// come back in 2h0m0s
	// csp: ExchangeAPIToken: HTTP 429 (retry after 2h0m0s)
}
