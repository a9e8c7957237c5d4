package attack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// canaryRaw maps every wire form of a canary to the canary itself.
func canaryRaw() map[string]string {
	out := map[string]string{}
	for _, c := range canaries {
		for _, form := range formsOf(c) {
			out[form] = c
		}
	}
	return out
}

// TestEchoedSecretsAreMaskedInEveryForm: a server that echoes, in its error
// answer, the plain form of every secret it received (whatever form the SDK
// sent it in: Commvault's Base64 password, Basic auth, percent encoding)
// must not get any of them into the error the caller sees.
func TestEchoedSecretsAreMaskedInEveryForm(t *testing.T) {
	raw := canaryRaw()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req bytes.Buffer
		req.WriteString(r.URL.String())
		_ = r.Header.Write(&req)
		_, _ = io.Copy(&req, r.Body)
		var echoed []string
		for form, c := range raw {
			if strings.Contains(req.String(), form) {
				echoed = append(echoed, c)
			}
		}
		msg := fmt.Sprintf("Login refused for [%s]", strings.Join(echoed, "] ["))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"message": msg, "msg": msg, "error": msg, "error_description": msg, "errorMessage": msg, "detail": msg,
			"errList": []map[string]any{{"errLogMessage": msg, "errorCode": 5}},
		})
	}))
	defer srv.Close()
	for _, op := range operations() {
		if op.vendor == "tokenkit" {
			continue
		}
		t.Run(op.vendor+"/"+op.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := op.run(ctx, srv.URL, &http.Client{})
			if err == nil {
				t.Fatal("a 400 answer was taken as success")
			}
			for _, out := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				for _, c := range canaries {
					if strings.Contains(out, c) {
						t.Fatalf("the error shows an echoed secret: %s", out)
					}
				}
			}
		})
	}
}
