package main

import (
	"context"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/capmatrix"
)

// TestVerbsMatchCapmatrix: for every vendor, the interfaces the lifecycle
// gets (newBundle and its <vendor>Verbs) are exactly the verbs
// internal/capmatrix says the vendor can do, so the demo's n/a rows, which
// come from capmatrix, never hide a verb tokenctl has, and no step that
// capmatrix says can run finds its interface missing.
func TestVerbsMatchCapmatrix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := seed{}.withDefaults()
	fakes := startFakes(s, nil)
	defer fakes.Close()
	cr := credentials{user: s.Users[0], apiToken: tokenkit.Secret(s.APITokens[0]), apiKey: tokenkit.Secret(s.APIKeys[0])}
	for _, vendor := range vendorNames() {
		b, err := newBundle(vendor, fakes.url(vendor), cr)
		if err != nil {
			t.Fatal(err)
		}
		auth := tokenkit.NewSource(b.signIn.Exchange, tokenkit.SourceConfig{})
		first, err := auth.Token(ctx)
		if err != nil {
			t.Fatalf("%s: sign in: %v", vendor, err)
		}
		vs, err := b.manage(auth, first)
		if err != nil {
			t.Fatalf("%s: %v", vendor, err)
		}
		for _, v := range capmatrix.Verbs() {
			c, ok := capmatrix.Lookup(vendor, v)
			if !ok {
				t.Fatalf("capmatrix has no vendor %q", vendor)
			}
			has := vs.has(v)
			if v == capmatrix.Exchange {
				has = b.signIn != nil
			}
			if has != c.Can() {
				t.Errorf("%s %s: tokenctl has it: %v; capmatrix says %+v", vendor, v, has, c)
			}
		}
	}
}

// TestCannotIsCapmatrix: audit's "not auditable", sweep's "cannot revoke"
// and rotate's refusal say capmatrix's reason, word for word.
func TestCannotIsCapmatrix(t *testing.T) {
	t.Parallel()
	cc := &cmdCtx{path: "tokenctl test"}
	for _, vendor := range vendorNames() {
		list, _ := capmatrix.Lookup(vendor, capmatrix.List)
		if !list.Can() {
			s, err := newSource(nil, cc, profileVendor{Name: "x", Vendor: vendor})
			if err != nil || s.cannot != list.Why {
				t.Errorf("%s: audit says %q, %v; capmatrix %q", vendor, s.cannot, err, list.Why)
			}
		}
		for _, v := range []capmatrix.Verb{capmatrix.Issue, capmatrix.Check, capmatrix.Revoke} {
			c, _ := capmatrix.Lookup(vendor, v)
			if c.Can() {
				continue
			}
			_, err := newRotator(nil, cc, profileVendor{Name: "x", Vendor: vendor})
			if err == nil || !strings.HasSuffix(err.Error(), ": "+c.Why) {
				t.Errorf("%s: rotate says %v; capmatrix: cannot %s: %q", vendor, err, v, c.Why)
			}
			break
		}
	}
	// The help's table: one line per vendor, "can …" or capmatrix's reason.
	lines := map[string]string{}
	for _, l := range strings.Split(capabilityHelp(capmatrix.List, capmatrix.Revoke), "\n") {
		vendor, rest, _ := strings.Cut(strings.TrimSpace(l), " ")
		lines[vendor] = strings.TrimSpace(rest)
	}
	for _, vendor := range vendorNames() {
		want := "can list and revoke"
		for _, v := range []capmatrix.Verb{capmatrix.List, capmatrix.Revoke} {
			if c, _ := capmatrix.Lookup(vendor, v); !c.Can() {
				want = "cannot " + v.String() + ": " + c.Why
				break
			}
		}
		if lines[vendor] != want {
			t.Errorf("help for %s: %q, want %q", vendor, lines[vendor], want)
		}
	}
}

// TestLifecycleMissingVerbFails: a verb capmatrix says the vendor can do
// but the bundle has no interface for is a failed step naming the
// disagreement (the demo exits 1), never an n/a of tokenctl's own.
func TestLifecycleMissingVerbFails(t *testing.T) {
	t.Parallel()
	s := seed{}.withDefaults()
	fakes := startFakes(s, nil)
	defer fakes.Close()
	b, err := newBundle("oracle", fakes.url("oracle"), credentials{user: s.Users[0]})
	if err != nil {
		t.Fatal(err)
	}
	manage := b.manage
	b.manage = func(auth tokenkit.TokenSource, first tokenkit.Token) (verbs, error) {
		vs, err := manage(auth, first)
		vs.renewer = nil
		return vs, err
	}
	got := map[string]row{}
	for _, r := range lifecycle(context.Background(), b) {
		got[r.step] = r
	}
	if r := got["renew"]; r.outcome != failed || !strings.Contains(r.detail, "capability matrix says oracle can renew") {
		t.Errorf("renew: %+v", r)
	}
	if r := got["check"]; r.outcome != ok {
		t.Errorf("check: %+v", r)
	}
	if r := got["revoke"]; r.outcome != na { // capmatrix: Oracle cannot revoke
		t.Errorf("revoke: %+v", r)
	}
}
