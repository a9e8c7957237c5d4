package commvault_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
)

// TestWhoAmIAgainstFake checks a login session and an access token with
// WhoAmI, and a token the fake does not know.
func TestWhoAmIAgainstFake(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, nil)
	ctx := context.Background()
	s := login(t, c)
	u, err := c.WhoAmI(ctx, s)
	if err != nil || u.Name != user || u.ID == 0 || u.GUID == "" {
		t.Fatalf("session: %+v, %v", u, err)
	}
	tok := create(t, c, s, commvault.CreateRequest{Name: "whoami"})
	if u2, err := c.WhoAmI(ctx, tok); err != nil || *u2 != *u {
		t.Fatalf("access token: %+v, %v", u2, err)
	}
	if err := c.Logout(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WhoAmI(ctx, s); !errors.Is(err, tokenkit.ErrUnauthorized) {
		t.Fatalf("logged-out session: %v", err)
	}
	if fake.Calls(commvaulttest.OpWhoAmI) != 3 {
		t.Fatalf("WhoAmI calls = %d", fake.Calls(commvaulttest.OpWhoAmI))
	}
	for _, r := range fake.Requests() {
		if r.Operation != commvaulttest.OpWhoAmI {
			continue
		}
		if r.Method != "POST" || r.Path != commvaulttest.BasePath+"/WhoAmI" || len(r.Body) != 0 ||
			r.Header.Get("Authtoken") == "" || r.Header.Get("Accept") != "application/json" {
			t.Fatalf("WhoAmI on the wire: %v, Authtoken set %t, Accept %q, body %d bytes",
				r, r.Header.Get("Authtoken") != "", r.Header.Get("Accept"), len(r.Body))
		}
	}
	if _, err := c.WhoAmI(ctx, nil); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Fatalf("nil auth: %v", err)
	}
}

// TestRenewRefusedInside200 is a refused renew answered as cvpysdk expects
// it may be: HTTP 200 with a top-level errorCode. The SDK must see a
// refused pair, not a success without tokens.
func TestRenewRefusedInside200(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, nil)
	fake.SetRenewFailuresInBand(true)
	ctx := context.Background()
	tok := create(t, c, login(t, c), commvault.CreateRequest{Name: "renew-in-band"})
	bad := *tok
	bad.RefreshToken = "not-the-refresh-token"
	_, err := c.RenewAccessToken(ctx, &bad)
	var te *tokenkit.Error
	if !errors.Is(err, tokenkit.ErrInvalidCredential) || errors.Is(err, tokenkit.ErrOutcomeUnknown) ||
		!errors.As(err, &te) || te.StatusCode != 200 || te.Code != "9" {
		t.Fatalf("renew refused in band: %v", err)
	}
	if _, err := c.RenewAccessToken(ctx, tok); err != nil {
		t.Fatalf("a good pair still renews: %v", err)
	}
}

// TestDeleteRefusedInside200: the fake answers an unknown id with HTTP 200
// and a top-level errorCode (cvpysdk delete_access_token reads it).
func TestDeleteRefusedInside200(t *testing.T) {
	t.Parallel()
	_, c := newFake(t, nil)
	err := c.DeleteAccessToken(context.Background(), login(t, c), 999999)
	var te *tokenkit.Error
	if err == nil || !errors.As(err, &te) || te.StatusCode != 200 || te.Code != "3" {
		t.Fatalf("delete of an unknown id: %v", err)
	}
}
