package tokenkit_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/store"
)

// No token reaches the errors, events, log lines or printed records of the
// shared-refresh protocol.
func TestSharedSourceLeaksNoToken(t *testing.T) {
	t.Parallel()
	const stored, fresh = "stored-secret-token-AAAA", "fresh-secret-token-BBBB"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	jsonLogger := slog.New(slog.NewJSONHandler(&logs, nil))
	st := store.NewMemory()
	ctx := context.Background()
	e, _ := tokenkit.NewBearerToken(stored, time.Now().Add(-time.Minute)).Export()
	rec := tokenkit.Record{Token: e, Expiry: e.Expiry, Generation: 4,
		Claim: &tokenkit.Claim{Generation: 4, Fence: 1, Holder: "gone:1", Deadline: time.Now().Add(-time.Second)}}
	if _, err := st.Put(ctx, "k", "", rec); err != nil {
		t.Fatal(err)
	}
	var events []string
	s, err := tokenkit.NewSharedSource(tokenkit.SharedConfig{
		Store: st, Key: "k", Import: tokenkit.ImportBearer, Rotating: true,
		Refresh: func(context.Context, tokenkit.Token) (tokenkit.Token, error) {
			return tokenkit.NewBearerToken(fresh, time.Now().Add(time.Hour)), nil
		},
		Observe: func(ev tokenkit.SharedEvent) { events = append(events, fmt.Sprintf("%v %+v", ev, ev)) },
		Source:  tokenkit.SourceConfig{Logger: logger},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Token(ctx) // the claim is abandoned and there is no Bootstrap
	if err == nil {
		t.Fatal("an abandoned claim without Bootstrap must fail")
	}
	got, _, _ := st.Get(ctx, "k")
	logger.Info("state", "record", got, "err", err, "source", s)
	jsonLogger.Info("state", "record", got, "err", err, "source", s)
	out := strings.Join(append(events, err.Error(), fmt.Sprintf("%v %+v %#v", err, got, got), fmt.Sprintf("%v %+v %#v", s, s, s), logs.String()), "\n")
	for _, secret := range []string{stored, fresh} {
		if strings.Contains(out, secret) {
			t.Fatalf("a token leaked:\n%s", out)
		}
	}
	if !strings.Contains(out, "gone:1") {
		t.Fatalf("the error should name the claim's holder:\n%s", out)
	}
}
