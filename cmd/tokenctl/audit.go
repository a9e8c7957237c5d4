package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/internal/capmatrix"
)

// audit and sweep: token hygiene across the vendors of a profile, written
// once against tokenkit.Lister and tokenkit.Revoker. Only Commvault and
// Canvus can list their tokens; the others are reported with the reason.

// exitPolicy is audit's exit status when a token breaks the policy.
const exitPolicy = 6

var profileHelp = `The profile (--profile FILE, or $TOKENCTL_PROFILE) is JSON: the policy, and one entry
per vendor instance with its base URL and where its credential comes from:

  {"policy": {"max_age": "90d", "max_idle": "30d", "expires_within": "7d"},
   "vendors": [
     {"name": "cv-prod", "vendor": "commvault",
      "url": "https://cc.example.com",
      "credential": {"env": "COMMVAULT_TOKEN"}},
     {"name": "canvus", "vendor": "canvus", "url": "https://canvus.example.com",
      "user_id": "1000", "credential": {"file": "/run/secrets/canvus-token"},
      "session": true}]}

credential: {"env": NAME} or {"file": PATH}. Commvault takes a login session (QSDK …),
an access token, or a pair file written by commvault token create --save (audit
only: Commvault lets only a login session delete tokens, so sweep needs one). Canvus
takes a login token or an access token; user_id names the user (a login token,
"session": true, needs it; for an access token tokenctl finds it by signing in with
the token once, as Canvus has no /users/me).

The token tokenctl is authenticated with is never revoked. A Commvault login session
is not in the list; with a pair file its id is known; otherwise, and for Canvus, say
"session": true (the credential is a login token) or "self_id": "ID" (the id of the
access token used). Without either, sweep revokes nothing on that vendor.

Which vendors can be audited (they list tokens) and swept (they revoke them too):

` + capabilityHelp(capmatrix.List, capmatrix.Revoke) + `

Entries for the others are reported as such, not as failures.

Policy flags override the profile's policy. Durations take days: 90d, 36h, 45m.
A token breaks the policy when it has expired (for a Commvault token of a renewable
type: when its renewal chain has ended), is older than --max-age, was last used more
than --max-idle ago (only where the vendor reports last use: Commvault; a Commvault
token never used counts from its creation), or expires within --expires-within.
Tokens expiring within 14, 7 or 1 days get a warning on standard error either way.`

// profile is the file audit and sweep read.
type profile struct {
	Policy  profilePolicy   `json:"policy"`
	Vendors []profileVendor `json:"vendors"`
}

type profilePolicy struct {
	MaxAge        string `json:"max_age,omitempty"`
	MaxIdle       string `json:"max_idle,omitempty"`
	ExpiresWithin string `json:"expires_within,omitempty"`
}

type profileVendor struct {
	Name       string `json:"name,omitempty"`
	Vendor     string `json:"vendor"`
	URL        string `json:"url"`
	Credential struct {
		Env  string `json:"env,omitempty"`
		File string `json:"file,omitempty"`
	} `json:"credential"`
	UserID  string `json:"user_id,omitempty"`
	SelfID  string `json:"self_id,omitempty"`
	Session bool   `json:"session,omitempty"`
}

func readProfile(cc *cmdCtx, path string) (*profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("%s: --profile: %v", cc.path, pathless(err))
	}
	var p profile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, usagef("%s: --profile %s: %v", cc.path, path, err)
	}
	if len(p.Vendors) == 0 {
		return nil, usagef("%s: --profile %s names no vendors", cc.path, path)
	}
	seen := map[string]bool{}
	for i := range p.Vendors {
		v := &p.Vendors[i]
		v.Name = cmp.Or(v.Name, v.Vendor)
		if !slices.Contains(vendorNames(), v.Vendor) {
			msg := fmt.Sprintf("%s: --profile %s: vendors[%d]: unknown vendor %q (one of %s)", cc.path, path, i, v.Vendor, strings.Join(vendorNames(), ", "))
			if dym := didYouMean(v.Vendor, vendorNames()); dym != "" {
				msg += ": " + dym
			}
			return nil, usagef("%s", msg)
		}
		if seen[v.Name] {
			return nil, usagef("%s: --profile %s: two entries are named %q: give each a name", cc.path, path, v.Name)
		}
		seen[v.Name] = true
	}
	return &p, nil
}

// commvaultNoRevoke is why sweep revokes nothing with a Commvault access
// token as its credential.
const commvaultNoRevoke = "Commvault refuses an access token the deletion of tokens: give a login session (QSDK …) as the credential"

// policy is what a token is judged against.
type policy struct {
	MaxAge        time.Duration
	MaxIdle       time.Duration
	ExpiresWithin time.Duration
}

// auditToken is one listed token with what the vendor says of its end.
type auditToken struct {
	tokenkit.TokenInfo
	// end is when the token stops being usable: ExpiresAt, or for a
	// Commvault token of a renewable type its renewable-until time.
	end time.Time
}

// source is one profile entry: what it can list and revoke.
type source struct {
	name, vendor string
	cannot       string // why the vendor cannot be audited; "" if it can
	list         func(ctx context.Context) ([]auditToken, error)
	revoke       func(ctx context.Context, id string) error
	noRevoke     string // why sweep cannot revoke with this credential; "" if it can
	self         string // the id of the listed token authenticating, if any
	selfKnown    bool   // self is known (or the credential is not a listed token)
}

func (e *env) readCredential(cc *cmdCtx, v profileVendor) (tokenkit.Secret, error) {
	var raw string
	switch {
	case v.Credential.Env != "" && v.Credential.File != "":
		return "", usagef("%s: %s: credential has both env and file", cc.path, v.Name)
	case v.Credential.Env != "":
		raw = e.getenv(v.Credential.Env)
		if strings.TrimSpace(raw) == "" {
			return "", usagef("%s: %s: $%s is not set", cc.path, v.Name, v.Credential.Env)
		}
	case v.Credential.File != "":
		b, err := os.ReadFile(v.Credential.File)
		if err != nil {
			return "", usagef("%s: %s: credential file: %v", cc.path, v.Name, pathless(err))
		}
		raw = string(b)
	default:
		return "", usagef("%s: %s: no credential: give {\"env\": NAME} or {\"file\": PATH}", cc.path, v.Name)
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", usagef("%s: %s: the credential is empty", cc.path, v.Name)
	}
	return tokenkit.Secret(s), nil
}

// newSource builds the source of one profile entry.
func newSource(e *env, cc *cmdCtx, v profileVendor) (*source, error) {
	s := &source{name: v.Name, vendor: v.Vendor, self: v.SelfID, selfKnown: v.SelfID != "" || v.Session}
	if s.cannot = cannot(v.Vendor, capmatrix.List); s.cannot != "" {
		return s, nil
	}
	s.noRevoke = cannot(v.Vendor, capmatrix.Revoke)
	if err := checkBaseURL(cc, v.Name+": url", v.URL); err != nil {
		return nil, err
	}
	cred, err := e.readCredential(cc, v)
	if err != nil {
		return nil, err
	}
	switch v.Vendor {
	case "commvault":
		c, err := newCommvault(v.URL, cc.clientOptions(e))
		if err != nil {
			return nil, err
		}
		held := func(h tokenkit.HeldToken, session bool) (tokenkit.Token, error) {
			var (
				t   tokenkit.Token
				err error
			)
			if session {
				t, err = c.NewSession(h)
			} else {
				t, err = c.NewAccessToken(h)
			}
			if err != nil {
				return nil, usagef("%s: %s: %v", cc.path, v.Name, err)
			}
			return t, nil
		}
		var auth tokenkit.Token
		switch val := cred.Reveal(); {
		case isTokenFile(val):
			ex, _ := decodeToken(val)
			t, err := commvault.ImportAccessToken(ex)
			if err != nil {
				return nil, usagef("%s: %s: the credential file does not hold a Commvault access token", cc.path, v.Name)
			}
			auth = t
			if t.ID > 0 && s.self == "" {
				s.self, s.selfKnown = strconv.FormatInt(t.ID, 10), true
			}
			s.noRevoke = commvaultNoRevoke
		case strings.HasPrefix(val, "{"):
			var p commvaultPair
			if err := json.Unmarshal([]byte(val), &p); err != nil || p.AccessToken == "" {
				return nil, usagef("%s: %s: the credential looks like a pair file but has no access_token", cc.path, v.Name)
			}
			if auth, err = held(tokenkit.HeldToken{Value: tokenkit.Secret(p.AccessToken), RefreshToken: tokenkit.Secret(p.RefreshToken)}, false); err != nil {
				return nil, err
			}
			if p.ID > 0 && s.self == "" {
				s.self, s.selfKnown = strconv.FormatInt(p.ID, 10), true
			}
			s.noRevoke = commvaultNoRevoke
		case strings.HasPrefix(val, "QSDK "):
			if auth, err = held(tokenkit.HeldToken{Value: cred}, true); err != nil {
				return nil, err
			}
			s.selfKnown = true
		default:
			if auth, err = held(tokenkit.HeldToken{Value: cred}, false); err != nil {
				return nil, err
			}
			s.noRevoke = commvaultNoRevoke
		}
		var uid int64
		if v.UserID != "" {
			if uid, err = strconv.ParseInt(v.UserID, 10, 64); err != nil || uid <= 0 {
				return nil, usagef("%s: %s: user_id must be a positive number", cc.path, v.Name)
			}
		}
		src := tokenkit.StaticSource(auth)
		m, err := c.Tokens(src)
		if err != nil {
			return nil, err
		}
		m.UserID = uid
		s.list = func(ctx context.Context) ([]auditToken, error) {
			list, err := c.ListAccessTokens(ctx, src, uid)
			if err != nil {
				return nil, err
			}
			out := make([]auditToken, 0, len(list))
			for _, i := range list {
				t := auditToken{TokenInfo: i.TokenInfo(), end: i.ExpiresAt}
				if i.Type.Renewable() && !i.RenewableUntil.IsZero() {
					t.end = i.RenewableUntil
				}
				out = append(out, t)
			}
			return out, nil
		}
		var r tokenkit.Revoker = m
		s.revoke = r.Revoke
	case "canvus":
		c, err := canvus.New(v.URL, cc.clientOptions(e)...)
		if err != nil {
			return nil, err
		}
		t, err := canvusProfileTokens(cc, c, v, cred)
		if err != nil {
			return nil, err
		}
		var l tokenkit.Lister = t
		var r tokenkit.Revoker = t
		s.list = func(ctx context.Context) ([]auditToken, error) {
			list, err := l.List(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]auditToken, 0, len(list))
			for _, i := range list {
				out = append(out, auditToken{TokenInfo: i, end: i.ExpiresAt})
			}
			return out, nil
		}
		s.revoke = r.Revoke
	}
	return s, nil
}

// judged is a token with its verdict.
type judged struct {
	src       *source
	tok       auditToken
	age       time.Duration
	reasons   []string // why it breaks the policy
	revocable bool     // a reason sweep acts on (expired, too old, idle)
	warning   string   // expires within 14/7/1 days
	self      bool     // the token tokenctl is authenticated with
}

func (j judged) verdict() string {
	if len(j.reasons) == 0 {
		return "ok"
	}
	return strings.Join(j.reasons, "; ")
}

// judge applies the policy at now.
func judge(src *source, t auditToken, pol policy, now time.Time) judged {
	j := judged{src: src, tok: t, self: src.self != "" && t.ID == src.self}
	if !t.CreatedAt.IsZero() {
		j.age = now.Sub(t.CreatedAt)
	}
	expired := !t.end.IsZero() && !now.Before(t.end)
	if expired {
		j.reasons = append(j.reasons, "expired")
		j.revocable = true
	}
	if pol.MaxAge > 0 && !t.CreatedAt.IsZero() && j.age > pol.MaxAge {
		j.reasons = append(j.reasons, "older than "+days(pol.MaxAge))
		j.revocable = true
	}
	if pol.MaxIdle > 0 && t.Reported.Has(tokenkit.FieldLastUsedAt) { // else no last use means unknown, not never
		last := cmp.Or(t.LastUsedAt, t.CreatedAt)
		if !last.IsZero() && now.Sub(last) > pol.MaxIdle {
			what := "unused for more than " + days(pol.MaxIdle)
			if t.LastUsedAt.IsZero() {
				what = "never used in " + days(now.Sub(t.CreatedAt))
			}
			j.reasons = append(j.reasons, what)
			j.revocable = true
		}
	}
	if !expired && !t.end.IsZero() {
		left := t.end.Sub(now)
		if pol.ExpiresWithin > 0 && left <= pol.ExpiresWithin {
			j.reasons = append(j.reasons, "expires within "+days(pol.ExpiresWithin))
		}
		for _, d := range []int{1, 7, 14} {
			if left <= time.Duration(d)*24*time.Hour {
				j.warning = fmt.Sprintf("expires within %d day%s", d, map[bool]string{true: "", false: "s"}[d == 1])
				break
			}
		}
	}
	return j
}

// days renders a duration in days (or hours, under two days).
func days(d time.Duration) string {
	if d < 48*time.Hour {
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

// hygieneFlags are the flags audit and sweep share.
type hygieneFlags struct {
	profile                        *string
	maxAge, maxIdle, expiresWithin durationFlag
	now                            *string
	timeout                        *time.Duration
}

func addHygieneFlags(fs *flag.FlagSet, cc *cmdCtx) *hygieneFlags {
	h := &hygieneFlags{}
	h.profile = fs.String("profile", "", "the profile file (default $TOKENCTL_PROFILE)")
	fs.Var(&h.maxAge, "max-age", "a token older than this breaks the policy (e.g. 90d; default the profile's)")
	fs.Var(&h.maxIdle, "max-idle", "a token unused for longer than this breaks the policy (e.g. 30d)")
	fs.Var(&h.expiresWithin, "expires-within", "a token expiring within this breaks the policy (e.g. 7d)")
	h.now = fs.String("now", "", "judge as of this RFC 3339 time instead of now (to see what breaks next week)")
	h.timeout = fs.Duration("timeout", 5*time.Minute, "give up after this long (0: never)")
	fs.StringVar(&cc.output, "o", "text", "output format: text, json or ndjson")
	cc.formats = []string{"text", "json", "ndjson"}
	return h
}

// inventory is what audit and sweep start from.
type inventory struct {
	now     time.Time
	pol     policy
	sources []*source
	tokens  []judged
	failed  map[string]error // source name → listing error
}

// take reads the profile, lists every source and judges every token.
func (h *hygieneFlags) take(ctx context.Context, e *env, cc *cmdCtx, fs *flag.FlagSet) (*inventory, error) {
	path := cmp.Or(*h.profile, e.getenv("TOKENCTL_PROFILE"))
	if path == "" {
		return nil, usagef("%s: no profile: pass --profile FILE or set $TOKENCTL_PROFILE (see --help)", cc.path)
	}
	p, err := readProfile(cc, path)
	if err != nil {
		return nil, err
	}
	inv := &inventory{now: time.Now(), failed: map[string]error{}}
	if *h.now != "" {
		if inv.now, err = time.Parse(time.RFC3339, *h.now); err != nil {
			return nil, usagef("%s: --now: %q is not an RFC 3339 time", cc.path, *h.now)
		}
	}
	for name, pair := range map[string]struct {
		flag *durationFlag
		prof string
		dst  *time.Duration
	}{
		"max-age":        {&h.maxAge, p.Policy.MaxAge, &inv.pol.MaxAge},
		"max-idle":       {&h.maxIdle, p.Policy.MaxIdle, &inv.pol.MaxIdle},
		"expires-within": {&h.expiresWithin, p.Policy.ExpiresWithin, &inv.pol.ExpiresWithin},
	} {
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
		switch {
		case set:
			*pair.dst = time.Duration(*pair.flag)
		case pair.prof != "":
			d, err := parseDuration(pair.prof)
			if err != nil {
				return nil, usagef("%s: --profile %s: policy.%s: %q is not a duration (90d, 36h)", cc.path, path, strings.ReplaceAll(name, "-", "_"), pair.prof)
			}
			*pair.dst = d
		}
	}
	for _, v := range p.Vendors {
		s, err := newSource(e, cc, v)
		if err != nil {
			return nil, err
		}
		inv.sources = append(inv.sources, s)
	}
	if *h.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *h.timeout)
		defer cancel()
	}
	prog := newProgress(e, len(inv.sources))
	for i, s := range inv.sources {
		if s.cannot != "" {
			continue
		}
		prog.show(i, "listing "+s.name)
		list, err := s.list(ctx)
		if err != nil {
			if tokenkit.KindOf(err) == tokenkit.KindCanceled {
				prog.done()
				return nil, err
			}
			inv.failed[s.name] = err
			continue
		}
		for _, t := range list {
			inv.tokens = append(inv.tokens, judge(s, t, inv.pol, inv.now))
		}
	}
	prog.done()
	// Deterministic order: profile order, then oldest first, then id.
	order := map[*source]int{}
	for i, s := range inv.sources {
		order[s] = i
	}
	slices.SortStableFunc(inv.tokens, func(a, b judged) int {
		return cmp.Or(cmp.Compare(order[a.src], order[b.src]), a.tok.CreatedAt.Compare(b.tok.CreatedAt), cmp.Compare(a.tok.ID, b.tok.ID))
	})
	return inv, nil
}

// firstFailure returns the listing error of the first source that failed.
func (inv *inventory) firstFailure() error {
	for _, s := range inv.sources {
		if err := inv.failed[s.name]; err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// warn prints the expiry warnings and the sources that failed or cannot be
// audited on standard error.
func (inv *inventory) warn(e *env) {
	for _, j := range inv.tokens {
		if j.warning != "" {
			fmt.Fprintf(e.stderr, "tokenctl: warning: %s token %s (%s) %s (%s)\n", j.src.name, safe(j.tok.ID), safe(orDash(j.tok.Name)), j.warning, stamp(j.tok.end))
		}
	}
	for _, s := range inv.sources {
		if s.cannot != "" {
			fmt.Fprintf(e.stderr, "tokenctl: note: %s not audited: %s\n", s.name, s.cannot)
		}
		if err := inv.failed[s.name]; err != nil {
			fmt.Fprintf(e.stderr, "tokenctl: %s: listing failed: %s\n", s.name, safeLines(err.Error()))
		}
	}
}

// auditTokenJSON is one token of audit -o json / ndjson.
type auditTokenJSON struct {
	Source           string   `json:"source"`
	Vendor           string   `json:"vendor"`
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	CreatedAt        jsonTime `json:"created_at"`
	ExpiresAt        jsonTime `json:"expires_at"`
	LastUsedAt       jsonTime `json:"last_used_at"`
	LastUseReported  bool     `json:"last_used_reported"`
	AgeDays          *int     `json:"age_days"`
	Verdict          string   `json:"verdict"` // ok, or breaks
	Reasons          []string `json:"reasons"`
	Warning          string   `json:"warning,omitempty"`
	Self             bool     `json:"self,omitempty"`
	SweepWouldRevoke bool     `json:"sweep_would_revoke"`
}

func (j judged) json() auditTokenJSON {
	out := auditTokenJSON{Source: j.src.name, Vendor: j.src.vendor, ID: j.tok.ID, Name: j.tok.Name, CreatedAt: jsonTime(j.tok.CreatedAt),
		ExpiresAt: jsonTime(j.tok.end), LastUsedAt: jsonTime(j.tok.LastUsedAt), LastUseReported: j.tok.Reported.Has(tokenkit.FieldLastUsedAt),
		Verdict: "ok", Reasons: []string{}, Warning: j.warning, Self: j.self, SweepWouldRevoke: j.revocable && !j.self && j.src.selfKnown}
	if !j.tok.CreatedAt.IsZero() {
		d := int(j.age.Hours() / 24)
		out.AgeDays = &d
	}
	if len(j.reasons) > 0 {
		out.Verdict, out.Reasons = "breaks", j.reasons
	}
	return out
}

// sourceJSON is one profile entry in -o json.
type sourceJSON struct {
	Name   string `json:"name"`
	Vendor string `json:"vendor"`
	Status string `json:"status"` // listed, failed, not auditable
	Detail string `json:"detail,omitempty"`
	Tokens int    `json:"tokens"`
}

func (inv *inventory) sourcesJSON() []sourceJSON {
	out := []sourceJSON{}
	for _, s := range inv.sources {
		sj := sourceJSON{Name: s.name, Vendor: s.vendor, Status: "listed"}
		switch {
		case s.cannot != "":
			sj.Status, sj.Detail = "not auditable", s.cannot
		case inv.failed[s.name] != nil:
			sj.Status, sj.Detail = "failed", inv.failed[s.name].Error()
		}
		for _, j := range inv.tokens {
			if j.src == s {
				sj.Tokens++
			}
		}
		out = append(out, sj)
	}
	return out
}

func policyJSON(p policy) map[string]string {
	m := map[string]string{}
	for k, d := range map[string]time.Duration{"max_age": p.MaxAge, "max_idle": p.MaxIdle, "expires_within": p.ExpiresWithin} {
		if d > 0 {
			m[k] = days(d)
		}
	}
	return m
}

func auditCommand() *command {
	return &command{
		name:    "audit",
		summary: "list every token of the profile's vendors and judge it against a policy (exit 6 if any breaks it)",
		desc: `audit lists the tokens of every vendor in the profile, with id, name, created, expires,
last used (or "not reported"), age and a verdict against the policy: a table, -o json (one
document) or -o ndjson (one token per line). The exit status is 6 when any token breaks
the policy, so a CI job can gate on it; a vendor that could not be listed makes it
exit as that failure does (2, 3, 4), since the audit is then incomplete.

` + profileHelp,
		setup: func(fs *flag.FlagSet, e *env, cc *cmdCtx) func(context.Context, []string) error {
			h := addHygieneFlags(fs, cc)
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(cc, args); err != nil {
					return err
				}
				inv, err := h.take(ctx, e, cc, fs)
				if err != nil {
					return err
				}
				inv.warn(e)
				breaks := 0
				for _, j := range inv.tokens {
					if len(j.reasons) > 0 {
						breaks++
					}
				}
				switch cc.output {
				case "json":
					toks := make([]auditTokenJSON, 0, len(inv.tokens))
					for _, j := range inv.tokens {
						toks = append(toks, j.json())
					}
					err = writeJSON(e.stdout, map[string]any{"now": jsonTime(inv.now), "policy": policyJSON(inv.pol),
						"sources": inv.sourcesJSON(), "tokens": toks, "breaking": breaks})
				case "ndjson":
					for _, j := range inv.tokens {
						if err = writeJSONLine(e.stdout, j.json()); err != nil {
							break
						}
					}
				default:
					err = printAuditTable(e.stdout, inv)
				}
				if err != nil {
					return err
				}
				if err := inv.firstFailure(); err != nil {
					return err
				}
				if breaks > 0 {
					return &policyBroken{n: breaks}
				}
				return nil
			}
		},
	}
}

// policyBroken is audit's result when tokens break the policy: exit 6.
type policyBroken struct{ n int }

func (p *policyBroken) Error() string {
	return fmt.Sprintf("audit: %d token(s) break the policy", p.n)
}

func printAuditTable(w io.Writer, inv *inventory) error {
	tw := newTable(w, "SOURCE", "ID", "NAME", "CREATED", "EXPIRES", "LAST USED", "AGE", "VERDICT")
	for _, j := range inv.tokens {
		last := stamp(j.tok.LastUsedAt)
		switch {
		case !j.tok.Reported.Has(tokenkit.FieldLastUsedAt):
			last = "not reported"
		case j.tok.LastUsedAt.IsZero():
			last = "never"
		}
		age := "-"
		if !j.tok.CreatedAt.IsZero() {
			age = days(j.age)
		}
		v := j.verdict()
		if j.self {
			v += " (the token tokenctl uses)"
		}
		tw.row(j.src.name, j.tok.ID, orDash(j.tok.Name), stamp(j.tok.CreatedAt), stamp(j.tok.end), last, age, v)
	}
	return tw.flush()
}

// progress is a one-line progress report on standard error, shown only
// when standard error is a terminal and there is more than one source.
type progress struct {
	w     io.Writer
	total int
	on    bool
}

func newProgress(e *env, total int) *progress {
	return &progress{w: e.stderr, total: total, on: e.stderrTTY && total > 1}
}

func (p *progress) show(i int, what string) {
	if p.on {
		fmt.Fprintf(p.w, "\r\x1b[K[%d/%d] %s…", i+1, p.total, what)
	}
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
