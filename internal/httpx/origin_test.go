package httpx_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

func TestOrigin(t *testing.T) {
	for _, ok := range []string{"https://h.example", "https://h.example/", "http://127.0.0.1:8080", " https://h.example:8443 "} {
		u, err := httpx.Origin("v", ok, "/api/v1/")
		if err != nil || u.Path != "/api/v1" {
			t.Errorf("%q: (%v, %v)", ok, u, err)
		}
	}
	for _, bad := range []string{"https://h.example/api/v1", "https://h.example/commandcenter/api", "https://h.example?x=1", "ftp://h", "http://h.example", "https://u:p@h.example", ""} {
		_, err := httpx.Origin("v", bad, "/api")
		if !errors.Is(err, tokenkit.ErrConfig) {
			t.Errorf("%q: err = %v, want ErrConfig", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "u:p") {
			t.Errorf("%q: error shows the user info: %v", bad, err)
		}
	}
	_, err := httpx.Origin("v", "https://h.example/api/v1", "/api/v1")
	if err == nil || !strings.Contains(err.Error(), "https://h.example;") {
		t.Errorf("the error does not name the origin to give: %v", err)
	}
}
