// Package wiretime turns the lifetimes and timestamps vendors send (seconds,
// milliseconds, epoch seconds or milliseconds) into time.Duration and
// time.Time, with one clamp for every vendor: no number a server sends can
// overflow into the past or make a token look expired the moment it
// arrives.
//
// The rules, the same for every decoder:
//   - zero and negative mean "not given": a zero Duration or time.Time, which
//     tokenkit reads as "lifetime unknown" (a vendor may then fall back on
//     another source, such as a JWT's exp claim);
//   - a lifetime longer than MaxLifetime (a century) is MaxLifetime: the
//     server meant "practically forever", and a century still fits in a
//     time.Duration (about 292 years) with room for any arithmetic on it;
//   - a timestamp later than MaxTime (the last second of year 9999, the last
//     one RFC 3339 can write) is MaxTime.
package wiretime

import "time"

// MaxLifetime is the longest lifetime a vendor can give a token: a century.
const MaxLifetime = 100 * 365 * 24 * time.Hour

// maxUnix is MaxTime in epoch seconds.
const maxUnix = 253402300799

// MaxTime is the latest timestamp a vendor can send: 9999-12-31T23:59:59Z.
var MaxTime = time.Unix(maxUnix, 0).UTC()

// Seconds decodes a lifetime in seconds.
func Seconds(n int64) time.Duration { return lifetime(n, time.Second) }

// Millis decodes a lifetime in milliseconds.
func Millis(n int64) time.Duration { return lifetime(n, time.Millisecond) }

func lifetime(n int64, unit time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	if n > int64(MaxLifetime/unit) {
		return MaxLifetime
	}
	return time.Duration(n) * unit
}

// Expiry returns now plus a decoded lifetime, or the zero time for a zero
// lifetime (not given).
func Expiry(now time.Time, life time.Duration) time.Time {
	if life <= 0 {
		return time.Time{}
	}
	return now.Add(min(life, MaxLifetime))
}

// Unix decodes epoch seconds.
func Unix(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	if sec > maxUnix {
		return MaxTime
	}
	return time.Unix(sec, 0).UTC()
}

// UnixMilli decodes epoch milliseconds.
func UnixMilli(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	if ms/1000 >= maxUnix {
		return MaxTime
	}
	return time.UnixMilli(ms).UTC()
}
