package canvus

import (
	"errors"
	"strings"
	"time"
)

// zoneless are the layouts of timestamps without a zone, such as an access
// token's created_at "2021-07-02T06:38:36.025" (seed 004). The fraction is
// optional in each.
var zoneless = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
}

var errBadTime = errors.New("unrecognised timestamp")

// parseTime decodes a Canvus timestamp: RFC 3339 with a zone (user
// timestamps, "2025-03-15T09:22:41.817Z") keeps its zone; a timestamp without
// one is read in loc (WithTimeZone, default UTC). An empty string is the
// zero time.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range zoneless {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errBadTime
}
