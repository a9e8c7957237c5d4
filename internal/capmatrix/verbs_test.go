package capmatrix

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/oracle"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// vendorUnderTest is one vendor against its fake: its verbs, a token that
// works, one that does not, and a way to make the next call fail with 503.
type vendorUnderTest struct {
	name    string
	checker tokenkit.Checker
	issuer  tokenkit.Issuer // nil: cannot issue
	issueOp string          // the fake's operation id of Issue
	calls   func(op string) int
	live    tokenkit.Token
	dead    tokenkit.Token
	fail    func(fakes.Fault)
	fresh   func() tokenkit.Checker // csp: a Checker with no cached keys
}

func vendorsUnderTest(t *testing.T) []vendorUnderTest {
	ctx := context.Background()
	noRetry := tokenkit.WithRetryMax(0)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	cspFake := csptest.New(t)
	cspc, err := csp.New(cspFake.URL(), noRetry)
	must(err)
	cspLive, err := cspc.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: tokenkit.Secret(cspFake.AddAPIToken(csptest.APIToken{}))})
	must(err)

	cvFake := commvaulttest.New(t)
	cvFake.AddUser(commvaulttest.User{Name: "admin", Password: "s3cret"})
	cvc, err := commvault.New(cvFake.URL(), noRetry)
	must(err)
	cvSessions, err := cvc.SessionSource(commvault.Credentials{Username: "admin", Password: "s3cret"}, tokenkit.SourceConfig{})
	must(err)
	cvm, err := cvc.Tokens(cvSessions)
	must(err)
	cvDead, err := cvc.NewAccessToken(tokenkit.HeldToken{Value: "bogus"})
	must(err)
	cvLive, err := cvm.Issue(ctx, tokenkit.IssueRequest{Name: "live"})
	must(err)

	ocFake := oracletest.New(t)
	ocFake.AddUser(oracletest.User{Username: "ada", Password: "s3cret", Email: "ada@example.com"})
	occ, err := oracle.New(ocFake.URL(), noRetry)
	must(err)
	ocLive, err := occ.ExchangePassword(ctx, oracle.Credentials{Username: "ada", Password: "s3cret"})
	must(err)
	ocTokens, err := occ.Tokens(tokenkit.StaticSource(ocLive))
	must(err)

	cgFake := cgscantest.New(t)
	cgFake.AddUser(cgscantest.User{Username: "alice", Password: "secret123"})
	cgc, err := cgscan.New(cgFake.URL(), cgscan.WithAPIKey(tokenkit.Secret(cgFake.APIKey())), noRetry)
	must(err)
	cgSession, err := cgc.SignInSource(cgscan.SignInRequest{Username: "alice", Password: "secret123"}, tokenkit.SourceConfig{})
	must(err)
	cgi, err := cgc.Tokens(cgSession)
	must(err)
	cgLive, err := cgi.Issue(ctx, tokenkit.IssueRequest{})
	must(err)
	cgDead, err := cgc.NewAccessToken(tokenkit.HeldToken{Value: "bogus"})
	must(err)

	caFake := canvustest.New(t)
	bot := caFake.AddUser(canvustest.User{Email: "bot@example.com", Password: "correct horse", Name: "Bot"})
	cac, err := canvus.New(caFake.URL(), noRetry)
	must(err)
	caSession, err := cac.LoginSource(canvus.Credentials{Email: "bot@example.com", Password: "correct horse"}, tokenkit.SourceConfig{})
	must(err)
	caTokens, err := cac.Tokens(caSession)
	must(err)
	caLive, err := caTokens.Issue(ctx, tokenkit.IssueRequest{Name: "live"})
	must(err)
	caDead, err := cac.NewAccessToken(tokenkit.HeldToken{Value: "bogus"})
	must(err)
	caDead.UserID = bot.ID // Check needs the token's user: Canvus has no /users/me

	return []vendorUnderTest{
		{name: "csp", checker: cspc, calls: cspFake.Calls,
			live: cspLive, dead: tokenkit.NewBearerToken("not-a-jwt", time.Time{}),
			fail: func(f fakes.Fault) { cspFake.FailNext(1, f) },
			fresh: func() tokenkit.Checker {
				c, err := csp.New(cspFake.URL(), noRetry)
				must(err)
				return c
			}},
		{name: "commvault", checker: cvc, issuer: cvm, issueOp: "CreateAccessToken", calls: cvFake.Calls,
			live: cvLive, dead: cvDead,
			fail: func(f fakes.Fault) { cvFake.FailNext(1, f) }},
		{name: "oracle", checker: occ, issuer: ocTokens, issueOp: "GetAccessToken", calls: ocFake.Calls,
			live: ocLive, dead: tokenkit.NewBearerToken("bogus", time.Time{}),
			fail: func(f fakes.Fault) { ocFake.FailNext(1, f) }},
		{name: "cgscan", checker: cgc, issuer: cgi, issueOp: "GenerateAccessToken", calls: cgFake.Calls,
			live: cgLive, dead: cgDead,
			fail: func(f fakes.Fault) { cgFake.FailNext(1, f) }},
		{name: "canvus", checker: cac, issuer: caTokens, issueOp: "CreateAccessToken", calls: caFake.Calls,
			live: caLive, dead: caDead,
			fail: func(f fakes.Fault) { caFake.FailNext(1, f) }},
	}
}

// TestCheckAnswersThree: every Checker tells "works" (nil), "does not work"
// (Rejected) and "could not tell" (another error) apart.
func TestCheckAnswersThree(t *testing.T) {
	ctx := context.Background()
	for _, v := range vendorsUnderTest(t) {
		if _, err := v.checker.Check(ctx, v.live); err != nil {
			t.Errorf("%s: Check of a live token: %v", v.name, err)
		}
		_, err := v.checker.Check(ctx, v.dead)
		if !tokenkit.Rejected(err) {
			t.Errorf("%s: Check of a dead token: %v (kind %v), want Rejected", v.name, err, tokenkit.KindOf(err))
		}
		v.fail(fakes.Fault{Status: http.StatusServiceUnavailable})
		checker := v.checker
		if v.name == "csp" {
			// Verify is local once the keys are cached: CSP's outage is
			// a key fetch that fails, on a client that has no keys yet.
			checker = v.fresh()
		}
		_, err = checker.Check(ctx, v.live)
		if err == nil || tokenkit.Rejected(err) {
			t.Errorf("%s: Check during an outage: %v, want an error that is not Rejected", v.name, err)
		}
	}
}

// TestIssueRefusesWhatItCannotHonour: a Lifetime or Scopes the vendor cannot
// give a token is ErrInvalidInput naming the field, and nothing is sent.
func TestIssueRefusesWhatItCannotHonour(t *testing.T) {
	ctx := context.Background()
	for _, v := range vendorsUnderTest(t) {
		if v.issuer == nil || v.name == "commvault" { // Commvault honours both
			continue
		}
		before := v.calls(v.issueOp)
		for field, req := range map[string]tokenkit.IssueRequest{
			"Lifetime": {Name: "x", Lifetime: time.Hour},
			"Scopes":   {Name: "x", Scopes: []string{"read"}},
		} {
			tok, err := v.issuer.Issue(ctx, req)
			if !errors.Is(err, tokenkit.ErrInvalidInput) || !strings.Contains(err.Error(), field) || tok != nil {
				t.Errorf("%s: Issue with %s: %v, %v", v.name, field, tok, err)
			}
		}
		if got := v.calls(v.issueOp); got != before {
			t.Errorf("%s: refused requests sent %d calls", v.name, got-before)
		}
	}
}

// TestCommvaultHonoursLifetimeAndScopes: Commvault's Issue gives what was
// asked: a token that stops working within the lifetime, limited to the
// scopes.
func TestCommvaultHonoursLifetimeAndScopes(t *testing.T) {
	ctx := context.Background()
	fake := commvaulttest.New(t)
	fake.AddUser(commvaulttest.User{Name: "admin", Password: "s3cret"})
	c, err := commvault.New(fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := c.SessionSource(commvault.Credentials{Username: "admin", Password: "s3cret"}, tokenkit.SourceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Tokens(sessions)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := m.Issue(ctx, tokenkit.IssueRequest{Name: "narrow", Lifetime: time.Hour, Scopes: []string{"/Job"}})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Expiry().IsZero() || time.Until(tok.Expiry()) > time.Hour {
		t.Errorf("asked for an hour, got expiry %v", tok.Expiry())
	}
	list, err := m.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("%v %v", list, err)
	}
	info := list[0]
	if info.ID != tokenkit.IDOf(tok) || len(info.Scopes) != 1 || info.Scopes[0] != "/Job" {
		t.Errorf("listed %+v for issued id %q", info, tokenkit.IDOf(tok))
	}
	all := tokenkit.FieldName | tokenkit.FieldCreatedAt | tokenkit.FieldExpiresAt | tokenkit.FieldLastUsedAt | tokenkit.FieldScopes
	if info.Reported != all {
		t.Errorf("Reported = %v, want %v", info.Reported, all)
	}
	if _, err := c.Renew(ctx, tokenkit.NewBearerToken("x", time.Time{})); !errors.Is(err, tokenkit.ErrInvalidInput) {
		t.Errorf("Renew of a foreign token: %v", err)
	}
}

// TestIssuedTokensSayTheirRevokerID: every Issuer of a vendor with a
// Revoker returns a token that says the id its Revoker takes.
func TestIssuedTokensSayTheirRevokerID(t *testing.T) {
	for _, v := range vendorsUnderTest(t) {
		if v.issuer == nil || v.name == "oracle" { // Oracle has no Revoker
			continue
		}
		if tokenkit.IDOf(v.live) == "" {
			t.Errorf("%s: issued token %v says no id", v.name, v.live)
		}
	}
}
