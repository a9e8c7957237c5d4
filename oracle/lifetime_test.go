package oracle_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/wiretime"
	"github.com/tokenkit/tokenkit/oracle"
)

// expiresInMillis goes through the clamp every vendor shares: absurd values
// are a century, never a wrapped expiry in the past, and a Source keeps the
// token instead of exchanging on every call.
func TestExpiresInMillisClamped(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		millis int64
		want   time.Time
	}{
		{9223372036855, now.Add(wiretime.MaxLifetime)}, // just past time.Duration in milliseconds
		{9223372037000, now.Add(wiretime.MaxLifetime)},
		{math.MaxInt64, now.Add(wiretime.MaxLifetime)},
		{-1, time.Time{}},
		{math.MinInt64, time.Time{}},
		{1209600000, now.Add(14 * 24 * time.Hour)},
	} {
		t.Run(strconv.FormatInt(tc.millis, 10), func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, tokenkit.WithClock(func() time.Time { return now }))
			mt.RegisterResponder("POST", tokenURL, jsonResponder(200,
				fmt.Sprintf(`{"accessToken":"at-value-123456","expiresInMillis":%d,"tokenType":"Bearer"}`, tc.millis)))
			cred := oracle.Credentials{Username: "ada", Password: "pw-s3cret"}
			tok, err := c.ExchangePassword(context.Background(), cred)
			if err != nil {
				t.Fatal(err)
			}
			if !tok.ExpiresAt.Equal(tc.want) || tok.Lifetime < 0 || tok.Lifetime > wiretime.MaxLifetime {
				t.Fatalf("expiry %v lifetime %v, want %v", tok.ExpiresAt, tok.Lifetime, tc.want)
			}
			src, err := c.PasswordSource(cred, tokenkit.SourceConfig{})
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				if _, err := src.Token(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if n := mt.GetCallCountInfo()["POST "+tokenURL]; n != 2 {
				t.Fatalf("%d exchanges for one direct call and 10 Source calls, want 2", n)
			}
		})
	}
}
