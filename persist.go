package tokenkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit/internal/redact"
	"github.com/tokenkit/tokenkit/internal/tokenfmt"
)

// ExportVersion is the version of the persisted token form that this SDK
// writes in Exported.Version. Decode accepts every version up to it and
// refuses newer ones, so that an old binary never misreads a newer file.
const ExportVersion = 1

// Exported is the persisted form of a token of any vendor: the one explicit,
// versioned way to save a token and load it again, shared by the SDK, the
// stores of the shared-refresh protocol and tokenctl. A vendor's token type
// fills it in its Export method (see Exportable) and the vendor's Import
// function rebuilds the token from it.
//
// Exported holds secrets. Printing or logging it never shows them, and
// json.Marshal refuses it (an error, not a silently redacted copy): the only
// way to get the secrets out is Encode, which says what it does.
//
// The encoded form is one JSON object:
//
//	{"version":1,"vendor":"csp","kind":"access_token","expiry":"2026-12-06T23:59:00Z",
//	 "attrs":{"scope":"openid"},"secrets":{"access_token":"eyJ..."}}
//
// vendor and kind name the token type; attrs are its non-secret fields and
// secrets its secret ones, both as strings (times in RFC 3339 with
// nanoseconds); expiry is the token's Expiry, absent when it never expires.
// A reader ignores attrs it does not know.
type Exported struct {
	// Version is the format version (ExportVersion when written by this
	// SDK).
	Version int
	// Vendor is the vendor package's name: "csp", "commvault", "oracle",
	// "canvus" or "cgscan".
	Vendor string
	// Kind names the token type within the vendor, for example
	// "access_token".
	Kind string
	// Expiry is the token's Expiry; zero if it never expires or is unknown.
	Expiry time.Time
	// Attrs are the token's non-secret fields.
	Attrs map[string]string
	// Secrets are the token's secret fields.
	Secrets map[string]Secret
}

// Exportable is implemented by tokens that have a persisted form: every
// vendor's token types. Export returns a new Exported each time.
type Exportable interface {
	// Export returns the token's persisted form, secrets included.
	Export() (*Exported, error)
}

// Export returns the persisted form of tok, the explicit call that lets a
// secret leave memory: tok's own Export when it is Exportable (every
// vendor's token types are), else an error matching ErrInvalidInput. It is
// what a SourceConfig.Save writes:
//
//	Save: func(ctx context.Context, tok tokenkit.Token) error {
//		e, err := tokenkit.Export(tok)
//		if err != nil {
//			return err
//		}
//		b, err := e.Encode()
//		if err != nil {
//			return err
//		}
//		return os.WriteFile(path, b, 0o600)
//	}
func Export(tok Token) (*Exported, error) {
	x, ok := tok.(Exportable)
	if !ok || tok == nil {
		return nil, &Error{Vendor: "tokenkit", Op: "Export", Message: fmt.Sprintf("a %T has no persisted form", tok), Err: ErrInvalidInput}
	}
	return x.Export()
}

// presentationsAttr is the attribute SetPresentations writes.
const presentationsAttr = "presentations"

// presentationJSON is one Presentation in the persisted form.
type presentationJSON struct {
	Header string `json:"header"`
	Prefix string `json:"prefix"`
}

// SetPresentations records how the token is presented, in the attribute
// "presentations": a JSON list of {"header", "prefix"} (never a token
// value). Nothing is recorded for an empty list.
func (e *Exported) SetPresentations(ps []Presentation) {
	if len(ps) == 0 {
		return
	}
	out := make([]presentationJSON, len(ps))
	for i, p := range ps {
		out[i] = presentationJSON(p)
	}
	b, _ := json.Marshal(out) // strings only: cannot fail
	if e.Attrs == nil {
		e.Attrs = map[string]string{}
	}
	e.Attrs[presentationsAttr] = string(b)
}

// Presentations reads what SetPresentations recorded: nil when nothing
// was, and an error matching ErrExportFormat when the attribute is not such
// a list or breaks the rule of ValidatePresentations, so that a file cannot
// make a token replace a header such as Host.
func (e *Exported) Presentations() ([]Presentation, error) {
	attr, ok := e.Attrs[presentationsAttr]
	if !ok {
		return nil, nil
	}
	var in []presentationJSON
	if err := json.Unmarshal([]byte(attr), &in); err != nil {
		return nil, fmt.Errorf("%w: attribute %s is not a list of presentations", ErrExportFormat, presentationsAttr)
	}
	ps := make([]Presentation, len(in))
	for i, p := range in {
		ps[i] = Presentation(p)
	}
	if err := ValidatePresentations(ps...); err != nil {
		return nil, fmt.Errorf("%w: attribute %s: %v", ErrExportFormat, presentationsAttr, err)
	}
	return ps, nil
}

// ImportFunc rebuilds a token from its persisted form; every vendor package
// has one, named Import.
type ImportFunc func(*Exported) (Token, error)

// NewExported returns an empty Exported of the current version for a token
// of vendor and kind.
func NewExported(vendor, kind string, expiry time.Time) *Exported {
	return &Exported{Version: ExportVersion, Vendor: vendor, Kind: kind, Expiry: expiry,
		Attrs: map[string]string{}, Secrets: map[string]Secret{}}
}

// ErrExportFormat matches an encoded token that cannot be decoded: not the
// format, a newer version, or another vendor's or kind's token given to an
// Import function.
var ErrExportFormat = errors.New("tokenkit: not a persisted token of a known format")

type exportedJSON struct {
	Version int               `json:"version"`
	Vendor  string            `json:"vendor"`
	Kind    string            `json:"kind"`
	Expiry  string            `json:"expiry,omitempty"`
	Attrs   map[string]string `json:"attrs,omitempty"`
	Secrets map[string]string `json:"secrets,omitempty"`
}

// Encode returns the documented JSON form of e, secrets in clear: store it
// where only its owner can read it (tokenkit's stores encrypt it).
func (e *Exported) Encode() ([]byte, error) {
	if e == nil || e.Vendor == "" || e.Kind == "" {
		return nil, fmt.Errorf("%w: encode: missing vendor or kind", ErrExportFormat)
	}
	j := exportedJSON{Version: e.Version, Vendor: e.Vendor, Kind: e.Kind, Attrs: e.Attrs}
	if j.Version == 0 {
		j.Version = ExportVersion
	}
	if !e.Expiry.IsZero() {
		j.Expiry = e.Expiry.UTC().Format(time.RFC3339Nano)
	}
	if len(e.Secrets) > 0 {
		j.Secrets = make(map[string]string, len(e.Secrets))
		for k, v := range e.Secrets {
			j.Secrets[k] = v.Reveal()
		}
	}
	return json.Marshal(j)
}

// DecodeExported parses what Encode wrote. Its errors match ErrExportFormat
// and never quote the input.
func DecodeExported(b []byte) (*Exported, error) {
	var j exportedJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("%w: not JSON of the persisted form", ErrExportFormat)
	}
	switch {
	case j.Version < 1 || j.Vendor == "" || j.Kind == "":
		return nil, fmt.Errorf("%w: missing version, vendor or kind", ErrExportFormat)
	case j.Version > ExportVersion:
		return nil, fmt.Errorf("%w: version %d is newer than this SDK's %d", ErrExportFormat, j.Version, ExportVersion)
	}
	e := &Exported{Version: j.Version, Vendor: j.Vendor, Kind: j.Kind, Attrs: j.Attrs, Secrets: map[string]Secret{}}
	if e.Attrs == nil {
		e.Attrs = map[string]string{}
	}
	for k, v := range j.Secrets {
		e.Secrets[k] = Secret(v)
	}
	if j.Expiry != "" {
		t, err := time.Parse(time.RFC3339Nano, j.Expiry)
		if err != nil {
			return nil, fmt.Errorf("%w: bad expiry", ErrExportFormat)
		}
		e.Expiry = t
	}
	return e, nil
}

// Check returns an error matching ErrExportFormat unless e is a token of
// vendor and kind: Import functions call it first.
func (e *Exported) Check(vendor string, kinds ...string) error {
	if e == nil {
		return fmt.Errorf("%w: nil", ErrExportFormat)
	}
	if e.Version < 1 || e.Version > ExportVersion {
		return fmt.Errorf("%w: version %d", ErrExportFormat, e.Version)
	}
	if e.Vendor != vendor {
		return fmt.Errorf("%w: a %s token, not %s", ErrExportFormat, e.Vendor, vendor)
	}
	for _, k := range kinds {
		if e.Kind == k {
			return nil
		}
	}
	return fmt.Errorf("%w: %s kind %q is not one of %s", ErrExportFormat, vendor, e.Kind, strings.Join(kinds, ", "))
}

// Required returns the secret name, or an error matching ErrExportFormat
// (naming the vendor, never a value) when the persisted form lacks it: what
// every Import calls for the token's own value.
func (e *Exported) Required(name string) (Secret, error) {
	v := e.Secrets[name]
	if v == "" {
		return "", &Error{Vendor: e.Vendor, Op: "Import", Message: "no " + name + " in the persisted form", Err: ErrExportFormat}
	}
	return v, nil
}

// SetTime stores t under name in Attrs (nothing for the zero time).
func (e *Exported) SetTime(name string, t time.Time) {
	if !t.IsZero() {
		e.Attrs[name] = t.UTC().Format(time.RFC3339Nano)
	}
}

// Time reads a time SetTime stored; zero if absent or malformed.
func (e *Exported) Time(name string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, e.Attrs[name])
	return t
}

// MarshalJSON refuses: an Exported holds secrets, and json.Marshal must
// neither leak them nor silently write a redacted copy that cannot be
// imported. Call Encode.
func (e Exported) MarshalJSON() ([]byte, error) {
	return nil, errors.New("tokenkit: an Exported token is encoded only by its Encode method")
}

// String describes e without its secrets.
func (e Exported) String() string {
	names := make([]string, 0, len(e.Secrets))
	for k := range e.Secrets {
		names = append(names, k+": "+redact.Mask)
	}
	sort.Strings(names)
	return fmt.Sprintf("tokenkit.Exported{version: %d, vendor: %s, kind: %s, expiry: %s, secrets: {%s}}",
		e.Version, e.Vendor, e.Kind, tokenfmt.Expiry(e.Expiry), strings.Join(names, ", "))
}

// GoString is String, for %#v.
func (e Exported) GoString() string { return e.String() }

// Format writes String for every verb.
func (e Exported) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }

// LogValue logs the vendor, kind and expiry, never a secret.
func (e Exported) LogValue() slog.Value {
	return slog.GroupValue(slog.String("vendor", e.Vendor), slog.String("kind", e.Kind), slog.Time("expiry", e.Expiry))
}

// kindBearer is the Exported.Kind of a *BearerToken.
const kindBearer = "bearer"

var _ Exportable = (*BearerToken)(nil)

// Export returns the token's persisted form (vendor "tokenkit", kind
// "bearer"); ImportBearer reads it back.
func (t *BearerToken) Export() (*Exported, error) {
	e := NewExported("tokenkit", kindBearer, t.expires)
	e.Secrets["token"] = t.secret
	return e, nil
}

// ImportBearer rebuilds a *BearerToken that its Export saved; it is an
// ImportFunc.
func ImportBearer(e *Exported) (Token, error) {
	if err := e.Check("tokenkit", kindBearer); err != nil {
		return nil, err
	}
	v, err := e.Required("token")
	if err != nil {
		return nil, err
	}
	return NewBearerToken(v.Reveal(), e.Expiry), nil
}
