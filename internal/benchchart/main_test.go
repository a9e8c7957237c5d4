package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkExpiryStorm/expired/tokenkit-2   1  53505959 ns/op  26.00 max-wait-ms  20.00 p50-wait-ms  1.000 upstream-calls  7105800 B/op  30012 allocs/op
BenchmarkExpiryStorm/expired/tokenkit-2   1  53505959 ns/op  28.00 max-wait-ms  22.00 p50-wait-ms  1.000 upstream-calls  7105800 B/op  30012 allocs/op
BenchmarkExpiryStorm/expired/oauth2-2     1  43020841 ns/op  28.62 max-wait-ms  24.65 p50-wait-ms  1.000 upstream-calls
BenchmarkExpiryStorm/refresh-boundary/tokenkit-2  1  13848713 ns/op  0.029 max-wait-ms  0 p50-wait-ms  1.000 upstream-calls
BenchmarkExpiryStorm/refresh-boundary/oauth2-2    1  39117503 ns/op  24.48 max-wait-ms  20.35 p50-wait-ms  1.000 upstream-calls
BenchmarkAuthenticatedGET/bare-2  25602  42360 ns/op
PASS`

func TestParseAveragesRuns(t *testing.T) {
	ps, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 4 {
		t.Fatalf("got %d series: %+v", len(ps), ps)
	}
	first := ps[0]
	if first.Phase != "expired" || first.Impl != "tokenkit" || first.MaxWaitMs != 27 || first.P50WaitMs != 21 || first.Upstream != 1 {
		t.Fatalf("first series %+v", first)
	}
	out := svg(ps)
	for _, want := range []string{"<svg", "token expired", "token about to expire", "tokenkit", "oauth2", "27 ms", "</svg>"} {
		if !strings.Contains(out, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
}
