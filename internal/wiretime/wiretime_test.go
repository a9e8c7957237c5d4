package wiretime_test

import (
	"math"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit/internal/wiretime"
)

func TestLifetimes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"seconds", wiretime.Seconds(1800), 30 * time.Minute},
		{"zero seconds", wiretime.Seconds(0), 0},
		{"negative seconds", wiretime.Seconds(-5), 0},
		{"min seconds", wiretime.Seconds(math.MinInt64), 0},
		// 9223372037 s is just past what time.Duration holds: multiplied
		// unchecked it wraps to a negative lifetime (an expiry in 1734).
		{"overflowing seconds", wiretime.Seconds(9223372037), wiretime.MaxLifetime},
		{"max seconds", wiretime.Seconds(math.MaxInt64), wiretime.MaxLifetime},
		{"a century of seconds", wiretime.Seconds(int64(wiretime.MaxLifetime / time.Second)), wiretime.MaxLifetime},
		{"millis", wiretime.Millis(1500), 1500 * time.Millisecond},
		{"negative millis", wiretime.Millis(-1), 0},
		{"max millis", wiretime.Millis(math.MaxInt64), wiretime.MaxLifetime},
		{"overflowing millis", wiretime.Millis(9223372036855), wiretime.MaxLifetime},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := wiretime.Expiry(now, 0); !got.IsZero() {
		t.Errorf("zero lifetime: %v", got)
	}
	if got := wiretime.Expiry(now, -time.Hour); !got.IsZero() {
		t.Errorf("negative lifetime: %v", got)
	}
	if got := wiretime.Expiry(now, wiretime.Seconds(math.MaxInt64)); got.Year() != 2125 || !got.After(now) {
		t.Errorf("huge lifetime: %v", got)
	}
	if got := wiretime.Expiry(now, time.Duration(math.MaxInt64)); !got.Equal(now.Add(wiretime.MaxLifetime)) {
		t.Errorf("unclamped lifetime: %v", got)
	}
}

func TestTimestamps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		got  time.Time
		want time.Time
	}{
		{"seconds", wiretime.Unix(1700000000), time.Unix(1700000000, 0).UTC()},
		{"zero", wiretime.Unix(0), time.Time{}},
		{"negative", wiretime.Unix(-1), time.Time{}},
		{"last second", wiretime.Unix(253402300799), wiretime.MaxTime},
		{"past 9999", wiretime.Unix(253402300800), wiretime.MaxTime},
		{"max seconds", wiretime.Unix(math.MaxInt64), wiretime.MaxTime},
		{"millis", wiretime.UnixMilli(1700000000123), time.UnixMilli(1700000000123).UTC()},
		{"negative millis", wiretime.UnixMilli(-1), time.Time{}},
		{"max millis", wiretime.UnixMilli(math.MaxInt64), wiretime.MaxTime},
	} {
		if !tc.got.Equal(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if wiretime.MaxTime.Format(time.RFC3339) != "9999-12-31T23:59:59Z" {
		t.Fatalf("MaxTime %v", wiretime.MaxTime)
	}
}
