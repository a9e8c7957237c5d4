package tokenkit_test

import (
	"net/http"
	"testing"

	"github.com/tokenkit/tokenkit"
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
