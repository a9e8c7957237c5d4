package tokenkit_test

import (
	"bytes"
	"encoding/asn1"
	"encoding/gob"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/leaktest"
)

const secretValue = "s3cr3t-value-xyz"

// TestSecretNeverEncoded renders Secrets in every position a struct, map or
// slice can hold them through every encoder of the standard library.
func TestSecretNeverEncoded(t *testing.T) {
	t.Parallel()
	s := tokenkit.Secret(secretValue)
	type tagged struct {
		XMLName xml.Name         `xml:"creds"`
		Attr    tokenkit.Secret  `xml:"attr,attr" json:"attr"`
		Elem    tokenkit.Secret  `xml:"elem" json:"elem,string"`
		Ptr     *tokenkit.Secret `xml:"ptr" json:"ptr,omitempty"`
		Many    []tokenkit.Secret
		Text    tokenkit.Secret `xml:",chardata" json:"-"`
	}
	type cdata struct {
		Data tokenkit.Secret `xml:",cdata"`
	}
	type anyField struct {
		V any `xml:"v,attr"`
	}
	rec := leaktest.New()
	rec.Record(s, &s, tagged{Attr: s, Elem: s, Ptr: &s, Many: []tokenkit.Secret{s}, Text: s}, cdata{s}, anyField{s},
		map[string]tokenkit.Secret{"v": s}, map[int]tokenkit.Secret{1: s},
		[]tokenkit.Secret{s}, [1]tokenkit.Secret{s}, tokenkit.NewBearerToken(secretValue, time.Now()),
		tokenkit.StaticSource(tokenkit.NewBearerToken(secretValue, time.Time{})))
	rec.Check(t, secretValue)

	b, err := xml.Marshal(tagged{Attr: s, Elem: s, Text: s})
	if err != nil || string(b) != `<creds attr="REDACTED"><elem>REDACTED</elem>REDACTED</creds>` {
		t.Fatalf("xml: %s, %v", b, err)
	}
	b, err = json.Marshal(map[string]tokenkit.Secret{"a": s, "b": ""})
	if err != nil || string(b) != `{"a":"REDACTED","b":""}` {
		t.Fatalf("json map: %s, %v", b, err)
	}
}

// TestSecretKnownHoles pins the places Secret's doc says it cannot protect,
// where the standard library writes a string-kinded value without calling
// any method. If this test fails, a hole closed: update Secret's doc.
func TestSecretKnownHoles(t *testing.T) {
	t.Parallel()
	s := tokenkit.Secret(secretValue)
	key, _ := json.Marshal(map[tokenkit.Secret]int{s: 1})
	der, _ := asn1.Marshal(struct{ Key tokenkit.Secret }{s})
	comment, _ := xml.Marshal(struct {
		XMLName xml.Name        `xml:"x"`
		Key     tokenkit.Secret `xml:",comment"`
	}{Key: s})
	for name, out := range map[string][]byte{"json map key": key, "asn1": der, "xml comment": comment} {
		if !bytes.Contains(out, []byte(secretValue)) {
			t.Errorf("%s no longer shows the value: update Secret's doc (%q)", name, out)
		}
	}
}

// TestSecretGobRefused checks what gob does with a Secret: a non-empty one
// fails the whole Encode with ErrSecretNotEncodable; an empty one is skipped
// like any zero field; gob never sees unexported fields.
func TestSecretGobRefused(t *testing.T) {
	t.Parallel()
	type exported struct {
		Name string
		Key  tokenkit.Secret
	}
	type unexported struct {
		Name string
		key  tokenkit.Secret
	}
	type onlyUnexported struct{ key tokenkit.Secret }
	encode := func(v any) (string, error) {
		var buf bytes.Buffer
		err := gob.NewEncoder(&buf).Encode(v)
		return buf.String(), err
	}
	for _, v := range []any{tokenkit.Secret(secretValue), exported{"n", secretValue}, &exported{"n", secretValue},
		[]tokenkit.Secret{secretValue}, map[string]tokenkit.Secret{"k": secretValue}} {
		out, err := encode(v)
		if !errors.Is(err, tokenkit.ErrSecretNotEncodable) || strings.Contains(out, secretValue) {
			t.Errorf("gob of %T: %v, %q", v, err, out)
		}
	}
	if out, err := encode(exported{Name: "n"}); err != nil || !strings.Contains(out, "Name") {
		t.Errorf("an empty Secret is a zero field gob skips: %v", err)
	}
	if out, err := encode(unexported{"n", secretValue}); err != nil || strings.Contains(out, secretValue) {
		t.Errorf("gob must skip an unexported field: %v, %q", err, out)
	}
	_ = onlyUnexported{}.key
	if _, err := encode(onlyUnexported{secretValue}); err == nil || !strings.Contains(err.Error(), "no exported fields") {
		t.Errorf("gob of a struct without exported fields: %v", err)
	}
	// Decoding is refused too: a stream of plain strings does not become
	// a Secret behind the user's back.
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(struct{ Key string }{"plain-value"}); err != nil {
		t.Fatal(err)
	}
	var got exported
	if err := gob.NewDecoder(&buf).Decode(&got); err == nil || got.Key != "" {
		t.Errorf("gob decoded a Secret: %v", err)
	}
	var sec tokenkit.Secret
	if err := sec.GobDecode([]byte("x")); !errors.Is(err, tokenkit.ErrSecretNotEncodable) {
		t.Errorf("GobDecode: %v", err)
	}
}

// TestSecretDecodes: configuration may carry secrets, so JSON, XML and
// flags decode them; the mask an encoder wrote is refused, so a redacted
// dump cannot become a credential.
func TestSecretDecodes(t *testing.T) {
	t.Parallel()
	type cfg struct {
		Password tokenkit.Secret            `json:"password" xml:"password"`
		Attr     tokenkit.Secret            `json:"-" xml:"attr,attr"`
		ByName   map[tokenkit.Secret]string `json:"by_name,omitempty" xml:"-"`
		Optional *tokenkit.Secret           `json:"optional" xml:"-"`
		Nested   map[string]tokenkit.Secret `json:"nested,omitempty" xml:"-"`
		_        struct{}                   `json:"-" xml:"-"`
	}
	var c cfg
	if err := json.Unmarshal([]byte(`{"password":"pw-1","by_name":{"k-1":"v"},"optional":null,"nested":{"a":"pw-2"}}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Password.Reveal() != "pw-1" || c.ByName["k-1"] != "v" || c.Optional != nil || c.Nested["a"].Reveal() != "pw-2" {
		t.Fatalf("json: %#v %v %v", c.Password.Reveal(), c.ByName, c.Nested["a"].Reveal())
	}
	var x cfg
	if err := xml.Unmarshal([]byte(`<cfg attr="pw-a"><password>pw-x</password></cfg>`), &x); err != nil {
		t.Fatal(err)
	}
	if x.Password.Reveal() != "pw-x" || x.Attr.Reveal() != "pw-a" {
		t.Fatalf("xml: %q %q", x.Password.Reveal(), x.Attr.Reveal())
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var f tokenkit.Secret
	fs.TextVar(&f, "secret", tokenkit.Secret("default-secret"), "a secret")
	if def := fs.Lookup("secret").DefValue; def != "REDACTED" {
		t.Fatalf("flag default printed as %q", def)
	}
	if err := fs.Parse([]string{"-secret", "pw-f"}); err != nil || f.Reveal() != "pw-f" {
		t.Fatalf("flag: %v %q", err, f.Reveal())
	}

	for name, in := range map[string]string{"value": `{"password":"REDACTED"}`, "nested": `{"nested":{"a":"REDACTED"}}`} {
		var c cfg
		if err := json.Unmarshal([]byte(in), &c); !errors.Is(err, tokenkit.ErrInvalidInput) || c.Password != "" {
			t.Errorf("%s: the mask must not decode as a secret: %v", name, err)
		}
	}
	if err := xml.Unmarshal([]byte(`<cfg><password>REDACTED</password></cfg>`), &x); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Errorf("xml: the mask must not decode as a secret: %v", err)
	}
	// A round trip through JSON is therefore refused, not silently lossy.
	b, _ := json.Marshal(cfg{Password: "pw-rt"})
	if err := json.Unmarshal(b, &c); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Errorf("round trip: %v", err)
	}
}
