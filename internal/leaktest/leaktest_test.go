package leaktest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/leaktest"
)

// plain holds a secret in an ordinary string: every encoder must show it,
// or the helper would not be testing that encoder.
type plain struct {
	Key string
}

type plainString string

func TestEveryEncoderRuns(t *testing.T) {
	t.Parallel()
	const value = "visible-value-1234"
	outs := leaktest.Encodings(plain{Key: value})
	seen := map[string]bool{}
	for _, o := range outs {
		seen[strings.Fields(o.Encoder)[0]] = true
	}
	for _, want := range []string{"fmt", "log", "slog", "json", "xml", "gob", "text/template", "html/template"} {
		if !seen[want] {
			t.Errorf("no %s encoding", want)
		}
	}
	// XML attributes and chardata take simple values, not structs: each
	// encoding must show either the struct's field or a bare string.
	bare := leaktest.Encodings(plainString(value))
	hex := fmt.Sprintf("%x", value)
	shows := func(o leaktest.Output) bool {
		return strings.Contains(o.Text, value) || strings.Contains(strings.ToLower(o.Text), hex)
	}
	for i, o := range outs {
		if !shows(o) && !shows(bare[i]) {
			t.Errorf("%s shows neither a plain string field nor a plain string: %q, %q", o.Encoder, o.Text, bare[i].Text)
		}
	}
}

// fakeT records what Check and RecordErr report instead of failing.
type fakeT struct {
	testing.TB
	failed string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
}

func TestCheckFindsEveryForm(t *testing.T) {
	t.Parallel()
	const value = "visible-value-1234"
	for name, record := range map[string]func(r *leaktest.Recorder){
		"value":  func(r *leaktest.Recorder) { r.Record(plain{value}) },
		"hex":    func(r *leaktest.Recorder) { r.WriteString(fmt.Sprintf("%X", value)) },
		"logged": func(r *leaktest.Recorder) { r.Logger.Debug("x", "k", value) },
		"wrapped error": func(r *leaktest.Recorder) {
			r.RecordErr(t, fmt.Errorf("outer: %w", errors.Join(errors.New("a"), &tokenkit.Error{Body: value})))
		},
	} {
		r := leaktest.New()
		record(r)
		ft := &fakeT{TB: t}
		r.Check(ft, value)
		if ft.failed == "" {
			t.Errorf("%s: the leak was not found", name)
		}
	}
	r := leaktest.New()
	r.Record(tokenkit.Secret(value), plain{"other"})
	r.Check(t, value)
}
