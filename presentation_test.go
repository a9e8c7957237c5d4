package tokenkit_test

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/exporttest"
)

func TestPresentation(t *testing.T) {
	for _, p := range []tokenkit.Presentation{
		{}, {Header: "Auth orization"}, {Header: "host"}, {Header: "Content-Length"}, {Header: "Cookie"},
		{Header: "X-Token", Prefix: "a\r\nInjected: 1 "}, {Header: "X-Token", Prefix: "\x00"},
	} {
		if p.Validate() == nil {
			t.Errorf("%+v: Validate accepted it", p)
		}
	}
	p := tokenkit.Bearer()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest("GET", "https://example.com", nil)
	r.Header.Set("Authorization", "old")
	p.Set(r, "v")
	if got := r.Header.Values("Authorization"); len(got) != 1 || got[0] != "Bearer v" {
		t.Fatalf("header %q", got)
	}
	if s := p.String(); s != "Authorization: Bearer <token>" {
		t.Fatalf("String %q", s)
	}
	if err := (tokenkit.Presentation{Header: "csp-auth-token"}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidatePresentations(t *testing.T) {
	if err := tokenkit.ValidatePresentations(); err == nil {
		t.Error("none accepted")
	}
	if err := tokenkit.ValidatePresentations(tokenkit.Bearer(), tokenkit.Presentation{Header: "authorization", Prefix: "Basic "}); err == nil {
		t.Error("the same header twice accepted")
	}
	if err := tokenkit.ValidatePresentations(tokenkit.Bearer(), tokenkit.Presentation{Header: "Host"}); err == nil {
		t.Error("Host accepted")
	}
	if err := tokenkit.ValidatePresentations(tokenkit.Bearer(), tokenkit.Presentation{Header: "csp-auth-token"}); err != nil {
		t.Error(err)
	}
}

func TestExportedPresentations(t *testing.T) {
	e := tokenkit.NewExported("v", "k", time.Time{})
	if ps, err := e.Presentations(); ps != nil || err != nil {
		t.Fatalf("none recorded: (%v, %v)", ps, err)
	}
	want := []tokenkit.Presentation{tokenkit.Bearer(), {Header: "csp-auth-token"}}
	e.SetPresentations(want)
	d := exporttest.Reencode(t, e)
	got, err := d.Presentations()
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("round trip: (%v, %v)", got, err)
	}
	for _, bad := range []string{`{}`, `[{"header":"Host","prefix":""}]`, `[]`, `[{"header":"X","prefix":""},{"header":"x","prefix":""}]`} {
		d.Attrs["presentations"] = bad
		if _, err := d.Presentations(); !errors.Is(err, tokenkit.ErrExportFormat) {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
}
