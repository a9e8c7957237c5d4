package chaos

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// goroutines returns the stack of every goroutine by its id.
func goroutines() map[uint64]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[uint64]string{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		head, _, _ := strings.Cut(string(g), " [")
		id, err := strconv.ParseUint(strings.TrimPrefix(head, "goroutine "), 10, 64)
		if err == nil {
			out[id] = string(g)
		}
	}
	return out
}

// ignored are goroutines of the runtime and the testing package that come
// and go on their own.
func ignored(stack string) bool {
	for _, s := range []string{
		"testing.tRunner", "testing.(*M).", "os/signal.", "runtime.ensureSigM", "runtime/trace.",
	} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}

// checkLeaks fails t if goroutines that did not exist in before are still
// running after a grace period.
func checkLeaks(t *testing.T, before map[uint64]string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var leaked []string
		for id, st := range goroutines() {
			if _, ok := before[id]; !ok && !ignored(st) {
				leaked = append(leaked, st)
			}
		}
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines left behind after everything was closed; the first ones:", len(leaked))
			for i, st := range leaked {
				if i == 5 {
					break
				}
				t.Errorf("%s", st)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
