package commvault_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/internal/wiretime"
)

// Commvault's epoch seconds go through the clamp every vendor shares: past
// the year 9999 is the end of 9999 (the server meant "far future"), zero and
// negative are "not set", and a Source keeps such a token instead of
// renewing it on every call.
func TestEpochSecondsClamped(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		epoch int64
		want  time.Time
	}{
		{math.MaxInt64, wiretime.MaxTime},
		{1e15, wiretime.MaxTime},
		{253402300800, wiretime.MaxTime},
		{-1, time.Time{}},
		{math.MinInt64, time.Time{}},
		{1777638600, time.Unix(1777638600, 0).UTC()},
	} {
		t.Run(strconv.FormatInt(tc.epoch, 10), func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t, tokenkit.WithClock(func() time.Time { return now }))
			body := fmt.Sprintf(`{"tokenInfo":{"accessTokenId":77,"tokenName":"ci","accessToken":"AT-1","refreshToken":"RT-1",`+
				`"tokenExpiryTimestamp":%d,"refreshTokenExpiryTimestamp":%[1]d,"renewableUntilTimestamp":%[1]d}}`, tc.epoch)
			rec := register(mt, "POST", host+"/V4/AccessToken", jsonResponder(200, body))
			renew := register(mt, "POST", host+"/V4/AccessToken/Renew", jsonResponder(500, `{}`))
			tok, err := c.CreateAccessToken(context.Background(), heldSession("QSDK sess"), commvault.CreateRequest{Name: "ci"})
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range []time.Time{tok.ExpiresAt, tok.RefreshExpiresAt, tok.RenewableUntil} {
				if !got.Equal(tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
			if !tc.want.IsZero() && !tc.want.After(now) {
				return // a real, past expiry: renewing is right
			}
			src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Initial: tok}, tokenkit.SourceConfig{})
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				if _, err := src.Token(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if n := len(renew.All()) + len(rec.All()); n != 1 {
				t.Fatalf("%d calls after the one creation, want none", n-1)
			}
		})
	}
}

// remainingLockTime is a lifetime in seconds: clamped, never negative.
func TestRemainingLockTimeClamped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw  string
		want time.Duration
	}{
		{"9223372037", wiretime.MaxLifetime},
		{"9223372036854775807", wiretime.MaxLifetime},
		{"-5", 0},
		{"1500", 1500 * time.Second},
	} {
		c, mt := newMocked(t)
		mt.RegisterResponder("POST", host+"/Login", jsonResponder(200,
			`{"isAccountLocked":true,"remainingLockTime":`+tc.raw+`,"errList":[{"errorCode":1117,"errLogMessage":"User account is locked"}]}`))
		_, err := c.Login(context.Background(), commvault.Credentials{Username: "u", Password: "pw-123456"})
		var er *commvault.ErrorResponse
		if !errors.As(err, &er) || er.RemainingLockTime != tc.want {
			t.Errorf("%s: %v, lock %v, want %v", tc.raw, err, er, tc.want)
		}
	}
}
