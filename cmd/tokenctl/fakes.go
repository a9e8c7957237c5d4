package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/cgscan/cgscantest"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/fakes"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// vendorNames lists the vendors in the order the CLI shows them.
func vendorNames() []string { return []string{"csp", "commvault", "canvus", "oracle", "cgscan"} }

// seed is the data the fakes start with: users on every vendor that has
// users, CSP API tokens and OAuth apps, Clone Guard API keys, and token
// lifetimes. It is also the format of the file `tokenctl fake --config`
// reads.
type seed struct {
	Users     []seedUser    `json:"users,omitempty"`
	APITokens []string      `json:"api_tokens,omitempty"`
	APIKeys   []string      `json:"api_keys,omitempty"`
	OAuthApps []seedApp     `json:"oauth_apps,omitempty"`
	Lifetimes seedLifetimes `json:"lifetimes,omitzero"`
}

// seedUser is a user of every fake that has users: Commvault, Canvus,
// Oracle and Clone Guard. Canvus signs in with an email address: a name
// without "@" gets "@example.com" there.
type seedUser struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Admin    bool   `json:"admin,omitempty"`
	// Blocked users exist but cannot sign in: Canvus answers them as
	// blocked, Oracle as locked. Commvault and Clone Guard have no such
	// state in their fakes.
	Blocked bool `json:"blocked,omitempty"`
	// TwoFactor makes Clone Guard sign-in ask for a one-time code; a test
	// reads the current one from GET /_fake/cgscan/otp?user=NAME.
	TwoFactor bool `json:"two_factor,omitempty"`
}

// seedApp is a CSP OAuth app for the client-credentials grant.
type seedApp struct {
	ID     string   `json:"id"`
	Secret string   `json:"secret"`
	OrgID  string   `json:"org_id,omitempty"`
	Scopes []string `json:"scopes,omitempty"`
}

// seedLifetimes are token lifetimes, as Go durations ("90s", "1h"); zero
// keeps the fake's default.
type seedLifetimes struct {
	CSPAccessToken       duration `json:"csp_access_token,omitzero"`
	CommvaultAccessToken duration `json:"commvault_access_token,omitzero"`
	OracleAccessToken    duration `json:"oracle_access_token,omitzero"`
	OracleRefreshToken   duration `json:"oracle_refresh_token,omitzero"`
	CanvusSession        duration `json:"canvus_session,omitzero"`
}

// duration is a time.Duration written as a Go duration string in JSON.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a lifetime is a duration string such as \"30m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("lifetime %q: want a positive duration such as \"30m\"", s)
	}
	*d = duration(v)
	return nil
}

func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// The seed the fakes get when none is given.
const (
	defaultUser      = "demo"
	defaultPassword  = "demo-password"
	defaultAPIToken  = "demo-api-token"
	defaultAPIKey    = "demo-api-key"
	defaultAppID     = "demo-app"
	defaultAppSecret = "demo-app-secret"
)

func (u seedUser) email() string {
	if strings.Contains(u.Name, "@") {
		return u.Name
	}
	return u.Name + "@example.com"
}

// withDefaults fills every empty part of s with the default seed.
func (s seed) withDefaults() seed {
	if len(s.Users) == 0 {
		s.Users = []seedUser{{Name: defaultUser, Password: defaultPassword, Admin: true}}
	}
	if len(s.APITokens) == 0 {
		s.APITokens = []string{defaultAPIToken}
	}
	if len(s.APIKeys) == 0 {
		s.APIKeys = []string{defaultAPIKey}
	}
	if len(s.OAuthApps) == 0 {
		s.OAuthApps = []seedApp{{ID: defaultAppID, Secret: defaultAppSecret}}
	}
	return s
}

func (s seed) validate() error {
	seen := map[string]bool{}
	for _, u := range s.Users {
		switch {
		case u.Name == "" || u.Password == "":
			return fmt.Errorf("a user needs a name and a password")
		case strings.ContainsAny(u.Name, ": \t\r\n"):
			return fmt.Errorf("user name %q: no colon or space allowed (it is sent with HTTP Basic)", u.Name)
		case seen[strings.ToLower(u.Name)]:
			return fmt.Errorf("user %q appears twice", u.Name)
		}
		seen[strings.ToLower(u.Name)] = true
	}
	apps := map[string]bool{}
	for _, a := range s.OAuthApps {
		switch {
		case a.ID == "" || a.Secret == "":
			return fmt.Errorf("an OAuth app needs an id and a secret")
		case strings.Contains(a.ID, ":"):
			return fmt.Errorf("OAuth app id %q: no colon allowed (it is sent with HTTP Basic)", a.ID)
		case apps[a.ID]:
			return fmt.Errorf("OAuth app %q appears twice", a.ID)
		}
		apps[a.ID] = true
	}
	for _, v := range append(append([]string(nil), s.APITokens...), s.APIKeys...) {
		if strings.TrimSpace(v) == "" || strings.ContainsAny(v, " \t\r\n") {
			return fmt.Errorf("API tokens and keys must be non-empty and without spaces")
		}
	}
	return nil
}

// readSeedFile reads a seed file in JSON.
func readSeedFile(path string) (seed, error) {
	var s seed
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// fakeSet is the five fakes, seeded.
type fakeSet struct {
	csp       *csptest.Server
	commvault *commvaulttest.Server
	canvus    *canvustest.Server
	oracle    *oracletest.Server
	cgscan    *cgscantest.Server
	seed      seed
}

// startFakes starts the five fakes, each on its own httptest server, and
// seeds them with s (which must be valid). A non-nil clock becomes the
// clock of all five.
func startFakes(s seed, clock func() time.Time) *fakeSet {
	f := &fakeSet{
		csp:       csptest.NewServer(),
		commvault: commvaulttest.NewServer(),
		canvus:    canvustest.NewServer(),
		oracle:    oracletest.NewServer(),
		cgscan:    cgscantest.NewServer(),
		seed:      s,
	}
	if clock != nil {
		for _, v := range vendorNames() {
			f.engine(v).SetClock(clock)
		}
	}
	if d := time.Duration(s.Lifetimes.CSPAccessToken); d > 0 {
		f.csp.SetAccessTokenTTL(d)
	}
	if d := time.Duration(s.Lifetimes.CommvaultAccessToken); d > 0 {
		f.commvault.SetAccessTokenTTL(d)
	}
	if d := time.Duration(s.Lifetimes.OracleAccessToken); d > 0 {
		f.oracle.SetAccessTokenTTL(d)
	}
	if d := time.Duration(s.Lifetimes.OracleRefreshToken); d > 0 {
		f.oracle.SetRefreshTokenTTL(d)
	}
	if d := time.Duration(s.Lifetimes.CanvusSession); d > 0 {
		f.canvus.SetSessionTTL(d, canvustest.DefaultRememberLifetime)
	}
	for _, a := range s.OAuthApps {
		f.csp.AddOAuthApp(csptest.OAuthApp{ID: a.ID, Secret: a.Secret, OrgID: a.OrgID, Scopes: a.Scopes})
	}
	for _, v := range s.APITokens {
		f.csp.AddAPIToken(csptest.APIToken{Value: v, Name: "tokenctl fake", Scopes: []string{"csp:org_member", "openid"}})
	}
	for _, k := range s.APIKeys {
		f.cgscan.AddAPIKey(k)
	}
	for _, u := range s.Users {
		f.commvault.AddUser(commvaulttest.User{Name: u.Name, Password: u.Password, Email: u.email(), Admin: u.Admin})
		f.canvus.AddUser(canvustest.User{Email: u.email(), Name: u.Name, Password: u.Password, Admin: u.Admin, Blocked: u.Blocked})
		f.oracle.AddUser(oracletest.User{Username: u.Name, Password: u.Password, Locked: u.Blocked})
		f.cgscan.AddUser(cgscantest.User{Username: u.Name, Password: u.Password, TwoFactor: u.TwoFactor})
	}
	return f
}

// Close stops every fake.
func (f *fakeSet) Close() {
	for _, v := range vendorNames() {
		f.engine(v).Close()
	}
}

// engine returns the engine a vendor's fake embeds: its httptest server,
// faults, counters and recorded requests, the same for every vendor.
func (f *fakeSet) engine(vendor string) *fakes.Server {
	switch vendor {
	case "csp":
		return f.csp.Server
	case "commvault":
		return f.commvault.Server
	case "canvus":
		return f.canvus.Server
	case "oracle":
		return f.oracle.Server
	case "cgscan":
		return f.cgscan.Server
	}
	panic("tokenctl: unknown vendor " + vendor)
}

// url returns the base URL of a vendor's fake on its own httptest server, the
// one to give the vendor's New.
func (f *fakeSet) url(vendor string) string { return f.engine(vendor).URL() }

// handler returns a vendor's fake as an http.Handler.
func (f *fakeSet) handler(vendor string) http.Handler { return f.engine(vendor).Handler() }
