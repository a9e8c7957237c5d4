// Package leaktest renders values through every encoder of the standard
// library that can reach into a value, so that the secret-leak tests of the
// root package and of every vendor search one complete output. It is
// imported only by tests.
//
// Encode covers fmt (every verb that prints strings: %v %+v %#v %s %q %x %X,
// and %d), log, log/slog (text and JSON handlers), encoding/json,
// encoding/xml (as an element, an attribute and chardata), encoding/gob,
// text/template and html/template (HTML, attribute, URL, JavaScript and CSS
// contexts). Left out on purpose: encoding/csv, encoding/hex, encoding/base64,
// encoding/pem and net/url take strings or bytes, not values, so they cannot
// reach a field by themselves; encoding/binary refuses strings; and
// encoding/asn1 and xml ",comment" fields write a string-kinded value
// without consulting any method, so no Go type can redact itself there (see
// tokenkit.Secret).
package leaktest

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"log"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"text/template"

	"github.com/tokenkit/tokenkit"
)

// verbs are the fmt verbs Encode prints with.
var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}

var (
	textTmpl = template.Must(template.New("t").Parse(
		"{{.}}|{{print .}}|{{println .}}|{{printf \"%v %+v %s %q\" . . . .}}|{{html .}}|{{js .}}|{{urlquery .}}"))
	htmlTmpl = htmltemplate.Must(htmltemplate.New("h").Parse(
		`<p title="{{.}}">{{.}}</p><a href="/x?q={{.}}">{{printf "%+v" .}}</a>` +
			`<script>var v = {{.}}; var s = "{{.}}";</script><style>p { font-family: {{.}} }</style>`))
)

// xmlWrap puts a value in the places of an XML document that encoding/xml
// fills without going through the value's own element.
type xmlWrap struct {
	XMLName xml.Name `xml:"wrap"`
	Attr    any      `xml:"attr,attr"`
	Elem    any      `xml:"elem"`
	Char    any      `xml:",chardata"`
}

// Output is what one encoder made of a value.
type Output struct {
	// Encoder names the encoder and the way it was used ("fmt %+v",
	// "xml attr", …).
	Encoder string
	// Text is the encoder's output, then its error or panic, if any.
	Text string
}

// Encode returns v as every encoder in the package comment renders it, one
// after another (see Encodings).
func Encode(v any) string {
	var b strings.Builder
	for _, o := range Encodings(v) {
		fmt.Fprintf(&b, "[%s] %s\n", o.Encoder, o.Text)
	}
	return b.String()
}

// Encodings returns v as every encoder in the package comment renders it.
// Encoders that refuse v contribute their error text, which is searched too;
// a panic in an encoder is recorded, not propagated.
func Encodings(v any) []Output {
	var outs []Output
	try := func(name string, f func() (string, error)) {
		var b strings.Builder
		defer func() {
			if p := recover(); p != nil {
				fmt.Fprintf(&b, " (panic: %v)", p)
			}
			outs = append(outs, Output{Encoder: name, Text: b.String()})
		}()
		out, err := f()
		b.WriteString(out)
		if err != nil {
			fmt.Fprintf(&b, " (error: %v)", err)
		}
	}
	for _, verb := range verbs {
		try("fmt "+verb, func() (string, error) { return fmt.Sprintf(verb, v), nil })
	}
	try("log", func() (string, error) {
		var buf bytes.Buffer
		l := log.New(&buf, "", 0)
		l.Print(v)
		l.Printf("%+v", v)
		l.Println(v)
		return buf.String(), nil
	})
	logWith := func(h func(io.Writer, *slog.HandlerOptions) slog.Handler) func() (string, error) {
		return func() (string, error) {
			var buf bytes.Buffer
			l := slog.New(h(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			l.Info("value", "v", v)
			l.Info("group", slog.Group("g", slog.Any("v", v)))
			l.With("w", v).Info("with")
			return buf.String(), nil
		}
	}
	try("slog text", logWith(func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewTextHandler(w, o) }))
	try("slog json", logWith(func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(w, o) }))
	try("json", func() (string, error) {
		out, err := json.Marshal(v)
		return string(out), err
	})
	try("json map", func() (string, error) {
		out, err := json.MarshalIndent(map[string]any{"v": v}, "", " ")
		return string(out), err
	})
	try("xml", func() (string, error) {
		out, err := xml.Marshal(v)
		return string(out), err
	})
	try("xml elem", func() (string, error) {
		out, err := xml.Marshal(xmlWrap{Elem: v})
		return string(out), err
	})
	try("xml attr", func() (string, error) {
		out, err := xml.Marshal(xmlWrap{Attr: v})
		return string(out), err
	})
	try("xml chardata", func() (string, error) {
		out, err := xml.Marshal(xmlWrap{Char: v})
		return string(out), err
	})
	try("gob", func() (string, error) {
		var buf bytes.Buffer
		err := gob.NewEncoder(&buf).Encode(v)
		return buf.String(), err
	})
	try("text/template", func() (string, error) {
		var buf strings.Builder
		err := textTmpl.Execute(&buf, v)
		return buf.String(), err
	})
	try("html/template", func() (string, error) {
		var buf strings.Builder
		err := htmlTmpl.Execute(&buf, v)
		return buf.String(), err
	})
	return outs
}

// Recorder collects what a leak test renders: every value it records,
// encoded every way, every error in the chains of the errors it records, and
// every log line of Logger (through a text and a JSON handler). Check then
// searches all of it for the test's secrets. It is safe for concurrent use.
type Recorder struct {
	// Logger logs at debug level through a text and a JSON handler into the
	// recorder: give it to the client under test with tokenkit.WithLogger.
	Logger *slog.Logger

	mu   sync.Mutex
	out  strings.Builder
	logs lockedBuffer
}

// New returns an empty Recorder.
func New() *Recorder {
	r := &Recorder{}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	r.Logger = slog.New(fanout{slog.NewTextHandler(&r.logs, opts), slog.NewJSONHandler(&r.logs, opts)})
	return r
}

// Record encodes each value every way (see Encode), and also logs it through
// Logger.
func (r *Recorder) Record(vs ...any) {
	for _, v := range vs {
		s := Encode(v)
		r.mu.Lock()
		r.out.WriteString(s)
		r.mu.Unlock()
		r.Logger.Info("value", "v", v)
	}
}

// RecordPrinted records each value only as fmt, log and log/slog's text
// handler print it:
// for the fakes' test-support types (users with passwords, recorded
// requests), which promise to print redacted but, holding a test's own
// fixtures, not to survive encoding/json, encoding/xml or encoding/gob.
func (r *Recorder) RecordPrinted(vs ...any) {
	for _, v := range vs {
		var b strings.Builder
		for _, o := range Encodings(v) {
			if name := strings.Fields(o.Encoder)[0]; name == "fmt" || name == "log" || o.Encoder == "slog text" {
				fmt.Fprintf(&b, "[%s] %s\n", o.Encoder, o.Text)
			}
		}
		r.WriteString(b.String())
	}
}

// WriteString adds text the test produced some other way.
func (r *Recorder) WriteString(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.out.WriteString(s)
	r.out.WriteByte('\n')
}

// RecordErr records err and every error it wraps (errors.Unwrap, single
// and joined), and for a *tokenkit.Error also its Body and Message. A nil err
// fails the test: the caller expected a failure.
func (r *Recorder) RecordErr(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		tb.Fatal("expected an error")
	}
	stack := []error{err}
	for n := 0; len(stack) > 0 && n < 100; n++ {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e == nil {
			continue
		}
		r.Record(e)
		if v := reflect.ValueOf(e); v.Kind() == reflect.Pointer && !v.IsNil() {
			r.Record(v.Elem().Interface()) // the value too: its methods may differ
		}
		var te *tokenkit.Error
		if errors.As(e, &te) {
			r.WriteString(te.Body + "\n" + te.Message)
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			stack = append(stack, u.Unwrap())
		case interface{ Unwrap() []error }:
			stack = append(stack, u.Unwrap()...)
		}
	}
}

// Logs returns what Logger wrote.
func (r *Recorder) Logs() string { return r.logs.String() }

// String returns everything recorded, log lines included.
func (r *Recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String() + r.logs.String()
}

// RequireLogged fails the test unless Logger wrote every one of lines (each
// a substring of some log line): a leak test that logs nothing proves
// nothing.
func (r *Recorder) RequireLogged(tb testing.TB, lines ...string) {
	tb.Helper()
	logs := r.Logs()
	for _, l := range lines {
		if !strings.Contains(logs, l) {
			tb.Fatalf("expected a log line with %q, got:\n%s", l, logs)
		}
	}
}

// Check fails the test if any secret appears in what was recorded, as is or
// hex-encoded (fmt's %x and %X of a struct hex-encode its string fields).
// Secrets shorter than 4 bytes are refused: they would match by chance.
func (r *Recorder) Check(tb testing.TB, secrets ...string) {
	tb.Helper()
	all := r.String()
	for _, s := range secrets {
		if len(s) < 4 {
			tb.Fatalf("test secret %q is too short to search for", s)
		}
		for _, form := range []string{s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s)))} {
			if i := strings.Index(all, form); i >= 0 {
				tb.Fatalf("secret %q… leaked into:\n…%s…", s[:3], all[max(0, i-300):min(len(all), i+len(form)+100)])
			}
		}
	}
}

// lockedBuffer is a bytes.Buffer for two handlers that write concurrently.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fanout sends every record to each of its handlers.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, rec slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, rec.Level) {
			errs = append(errs, h.Handle(ctx, rec.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}
