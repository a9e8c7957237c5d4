package csp_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/internal/wiretime"
)

// An absurd expires_in is clamped, not wrapped: 9223372037 seconds once
// gave an expiry in 1734, and a Source then exchanged on every call.
func TestExpiresInClamped(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		expiresIn int64
		want      time.Time
	}{
		{9223372037, now.Add(wiretime.MaxLifetime)},
		{math.MaxInt64, now.Add(wiretime.MaxLifetime)},
		{1 << 40, now.Add(wiretime.MaxLifetime)},
		{-1, time.Time{}}, // unknown: the JWT (no exp here) decides
		{math.MinInt64, time.Time{}},
		{0, time.Time{}},
		{1799, now.Add(1799 * time.Second)},
	} {
		t.Run(strconv.FormatInt(tc.expiresIn, 10), func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, host, tokenkit.WithClock(func() time.Time { return now }))
			body := fmt.Sprintf(`{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln","token_type":"bearer","expires_in":%d}`, tc.expiresIn)
			url := host + "/csp/gateway/am/api/auth/api-tokens/authorize"
			mt.RegisterResponder("POST", url, httpmock.NewStringResponder(200, body).HeaderSet(map[string][]string{"Content-Type": {"application/json"}}))
			tok, err := c.ExchangeAPIToken(context.Background(), csp.APITokenRequest{APIToken: "api-token-value"})
			if err != nil {
				t.Fatal(err)
			}
			if !tok.ExpiresAt.Equal(tc.want) {
				t.Fatalf("expiry %v, want %v", tok.ExpiresAt, tc.want)
			}
			src, err := c.APITokenSource(csp.APITokenRequest{APIToken: "api-token-value"}, tokenkit.SourceConfig{})
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				if _, err := src.Token(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if n := mt.GetCallCountInfo()["POST "+url]; n != 2 {
				t.Fatalf("%d exchanges for one direct call and 10 Source calls, want 2", n)
			}
		})
	}
}

// API-token details' timestamps are clamped the same way in every unit: past
// the year 9999 is the end of 9999, never a wrapped date in the past.
func TestDetailsTimestampsClamped(t *testing.T) {
	t.Parallel()
	for _, unit := range []struct {
		name string
		opts []tokenkit.Option
	}{
		{"auto", nil},
		{"seconds", []tokenkit.Option{csp.WithDetailsTimeUnit(csp.DetailsSeconds)}},
		{"milliseconds", []tokenkit.Option{csp.WithDetailsTimeUnit(csp.DetailsMilliseconds)}},
	} {
		for _, tc := range []struct {
			value int64
			want  time.Time
		}{
			{math.MaxInt64, wiretime.MaxTime},
			{253402300800 * 1000, wiretime.MaxTime}, // year 10000 in milliseconds, later still in seconds
			{-1, time.Time{}},
		} {
			t.Run(fmt.Sprintf("%s/%d", unit.name, tc.value), func(t *testing.T) {
				t.Parallel()
				c, mt := newMocked(t, host, unit.opts...)
				body := fmt.Sprintf(`{"tokenId":"t1","expiresAt":%d,"createdAt":%d,"lastUsedAt":%d}`, tc.value, tc.value, tc.value)
				mt.RegisterResponder("POST", host+"/csp/gateway/am/api/auth/api-tokens/details", httpmock.NewStringResponder(200, body))
				d, err := c.APITokenDetails(context.Background(), "the-api-token")
				if err != nil {
					t.Fatal(err)
				}
				for _, got := range []time.Time{d.ExpiresAt, d.CreatedAt, d.LastUsedAt} {
					if !got.Equal(tc.want) {
						t.Fatalf("got %v, want %v", got, tc.want)
					}
				}
			})
		}
	}
}
