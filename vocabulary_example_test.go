package tokenkit_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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
	"github.com/tokenkit/tokenkit/oracle"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// Vendor is what cross-vendor code is handed for one vendor: the common
// verbs that vendor has, nil where it has none (see the capability matrix in
// the package documentation).
type Vendor struct {
	Name      string
	Exchanger tokenkit.Exchanger
	Issuer    tokenkit.Issuer
	Renewer   tokenkit.Renewer
	Checker   tokenkit.Checker
	Revoker   tokenkit.Revoker
	Lister    tokenkit.Lister
}

// RevokeOlderThan revokes every listed token created more than maxAge
// before now. A token whose creation time the vendor does not report is
// left alone and counted as unknown: "not reported" is not "old".
func RevokeOlderThan(ctx context.Context, v Vendor, now time.Time, maxAge time.Duration) (revoked, unknown int, err error) {
	if v.Lister == nil || v.Revoker == nil {
		return 0, 0, nil
	}
	list, err := v.Lister.List(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, info := range list {
		if !info.Reported.Has(tokenkit.FieldCreatedAt) {
			unknown++
			continue
		}
		if now.Sub(info.CreatedAt) <= maxAge {
			continue
		}
		if err := v.Revoker.Revoke(ctx, info.ID); err != nil {
			return revoked, unknown, err
		}
		revoked++
	}
	return revoked, unknown, nil
}

// Lifecycle issues a token (or exchanges for one where the vendor cannot
// issue), uses it (Check is a call the token authenticates), renews it,
// revokes it and checks that it no longer works, doing each step the vendor
// can. It reports on w.
func Lifecycle(ctx context.Context, v Vendor, w io.Writer) error {
	fmt.Fprintf(w, "%s:", v.Name)
	var tok tokenkit.Token
	var err error
	switch {
	case v.Issuer != nil:
		tok, err = v.Issuer.Issue(ctx, tokenkit.IssueRequest{Name: "lifecycle"})
		fmt.Fprint(w, " issued")
	case v.Exchanger != nil:
		tok, err = v.Exchanger.Exchange(ctx)
		fmt.Fprint(w, " exchanged")
	}
	if err != nil {
		return err
	}
	check := func() error {
		if v.Checker == nil {
			return nil
		}
		_, err := v.Checker.Check(ctx, tok)
		switch {
		case err == nil:
			fmt.Fprint(w, ", works")
		case tokenkit.Rejected(err):
			fmt.Fprint(w, ", rejected")
		default:
			return err // could not tell
		}
		return nil
	}
	if err := check(); err != nil {
		return err
	}
	if v.Renewer != nil {
		if tok, err = v.Renewer.Renew(ctx, tok); err != nil {
			return err
		}
		fmt.Fprint(w, ", renewed")
		if err := check(); err != nil {
			return err
		}
	}
	if v.Revoker != nil {
		if err := v.Revoker.Revoke(ctx, tokenkit.IDOf(tok)); err != nil {
			return err
		}
		fmt.Fprint(w, ", revoked")
		if err := check(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	return nil
}

// The cross-vendor functions RevokeOlderThan and Lifecycle are written once
// against the interfaces, with no type assertion and no vendor switch; only
// the setup below knows the vendors. Here they run against the five fakes.
func Example_crossVendor() {
	ctx := context.Background()
	vendors, closeAll := fiveFakes()
	defer closeAll()

	for _, v := range vendors {
		if err := Lifecycle(ctx, v, os.Stdout); err != nil {
			fmt.Println(v.Name, "failed:", err)
		}
	}

	// Token hygiene: issue one token where the vendor can, then revoke what
	// is older than 30 days, today and a month from now.
	for _, v := range vendors {
		if v.Issuer != nil {
			if _, err := v.Issuer.Issue(ctx, tokenkit.IssueRequest{Name: "hygiene"}); err != nil {
				fmt.Println(v.Name, "failed:", err)
			}
		}
		today, _, err1 := RevokeOlderThan(ctx, v, time.Now(), 30*24*time.Hour)
		later, _, err2 := RevokeOlderThan(ctx, v, time.Now().Add(31*24*time.Hour), 30*24*time.Hour)
		if err := errors.Join(err1, err2); err != nil {
			fmt.Println(v.Name, "failed:", err)
		}
		fmt.Printf("%s: revoked %d today, %d a month later\n", v.Name, today, later)
	}

	// A request the vendor cannot honour is refused, never downgraded.
	for _, v := range vendors {
		if v.Issuer == nil {
			continue
		}
		tok, err := v.Issuer.Issue(ctx, tokenkit.IssueRequest{Name: "short", Lifetime: time.Hour})
		switch {
		case errors.Is(err, tokenkit.ErrInvalidInput):
			fmt.Printf("%s: one-hour token refused\n", v.Name)
		case err != nil:
			fmt.Println(v.Name, "failed:", err)
		case !tok.Expiry().IsZero() && time.Until(tok.Expiry()) <= time.Hour:
			fmt.Printf("%s: one-hour token issued\n", v.Name)
		default:
			fmt.Printf("%s: asked for one hour, got a token expiring at %v\n", v.Name, tok.Expiry())
		}
	}
	// Output:
	// csp: exchanged, works
	// commvault: issued, works, renewed, works, revoked, rejected
	// oracle: issued, works, renewed, works
	// cgscan: issued, works, revoked, rejected
	// canvus: issued, works, revoked, rejected
	// csp: revoked 0 today, 0 a month later
	// commvault: revoked 0 today, 1 a month later
	// oracle: revoked 0 today, 0 a month later
	// cgscan: revoked 0 today, 0 a month later
	// canvus: revoked 0 today, 1 a month later
	// commvault: one-hour token issued
	// oracle: one-hour token refused
	// cgscan: one-hour token refused
	// canvus: one-hour token refused
}

// fiveFakes starts the five fakes and assembles a Vendor for each: the only
// vendor-specific code of the example.
func fiveFakes() ([]Vendor, func()) {
	var closers []func()

	cspFake := csptest.NewServer()
	closers = append(closers, cspFake.Close)
	apiToken := cspFake.AddAPIToken(csptest.APIToken{})
	cspc, _ := csp.New(cspFake.URL())
	cspEx, _ := cspc.APITokenExchanger(csp.APITokenRequest{APIToken: tokenkit.Secret(apiToken)})

	cvFake := commvaulttest.NewServer()
	closers = append(closers, cvFake.Close)
	cvFake.AddUser(commvaulttest.User{Name: "admin", Password: "s3cret"})
	cvc, _ := commvault.New(cvFake.URL())
	cvSessions, _ := cvc.SessionSource(commvault.Credentials{Username: "admin", Password: "s3cret"}, tokenkit.SourceConfig{})
	cvm, _ := cvc.Tokens(cvSessions)

	ocFake := oracletest.NewServer()
	closers = append(closers, ocFake.Close)
	ocFake.AddUser(oracletest.User{Username: "ada", Password: "s3cret"})
	occ, _ := oracle.New(ocFake.URL())
	ocSession, _ := occ.PasswordSource(oracle.Credentials{Username: "ada", Password: "s3cret"}, tokenkit.SourceConfig{})
	ocTokens, _ := occ.Tokens(ocSession)

	cgFake := cgscantest.NewServer()
	closers = append(closers, cgFake.Close)
	cgFake.AddUser(cgscantest.User{Username: "alice", Password: "secret123"})
	cgc, _ := cgscan.New(cgFake.URL(), cgscan.WithAPIKey(tokenkit.Secret(cgFake.APIKey())))
	cgSession, _ := cgc.SignInSource(cgscan.SignInRequest{Username: "alice", Password: "secret123"}, tokenkit.SourceConfig{})
	cgTokens, _ := cgc.Tokens(cgSession)

	caFake := canvustest.NewServer()
	closers = append(closers, caFake.Close)
	caFake.AddUser(canvustest.User{Email: "bot@example.com", Password: "correct horse", Name: "Bot"})
	cac, _ := canvus.New(caFake.URL())
	caSession, _ := cac.LoginSource(canvus.Credentials{Email: "bot@example.com", Password: "correct horse"}, tokenkit.SourceConfig{})
	caTokens, _ := cac.Tokens(caSession) // the user is the session's

	vendors := []Vendor{
		{Name: "csp", Checker: cspc, Exchanger: cspEx},
		{Name: "commvault", Issuer: cvm, Renewer: cvc, Checker: cvc, Revoker: cvm, Lister: cvm},
		{Name: "oracle", Issuer: ocTokens, Renewer: occ, Checker: occ},
		{Name: "cgscan", Issuer: cgTokens, Checker: cgc, Revoker: cgTokens},
		{Name: "canvus", Issuer: caTokens, Checker: cac, Revoker: caTokens, Lister: caTokens},
	}
	return vendors, func() {
		for _, c := range closers {
			c()
		}
	}
}
