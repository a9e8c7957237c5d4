package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// groups is how many Sources each vendor has; the workers share them.
const groups = 2

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// password returns a random password, long enough to be found by the secret
// scan without false matches.
func password(rng *rand.Rand) string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 24)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return "pw-" + string(b)
}

func (s *suite) setupRand(vendor string) *rand.Rand {
	return rand.New(rand.NewPCG(s.seed, uint64(len(vendor))<<32|uint64(vendor[0])))
}

// pool holds ids created by one vendor's workers.
type pool[T any] struct {
	mu    sync.Mutex
	items []T
}

func (p *pool[T]) push(v T) {
	p.mu.Lock()
	p.items = append(p.items, v)
	p.mu.Unlock()
}

// take returns a random item, removing it when remove is set.
func (p *pool[T]) take(rng *rand.Rand, remove bool) (T, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var zero T
	if len(p.items) == 0 {
		return zero, false
	}
	i := rng.IntN(len(p.items))
	v := p.items[i]
	if remove {
		p.items[i] = p.items[len(p.items)-1]
		p.items = p.items[:len(p.items)-1]
	}
	return v, true
}

// splitPath returns the path under prefix, or "" if it is not under it.
func splitPath(path, prefix string) string {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return ""
	}
	return rest
}

// ---- CSP -------------------------------------------------------------------

func (s *suite) csp() *vendor {
	const name = "csp"
	f := csptest.NewServer()
	f.SetAccessTokenTTL(2 * time.Second)
	route := func(method, path string, _ []byte) string {
		switch {
		case strings.HasSuffix(path, "/auth/api-tokens/authorize"):
			return "ExchangeAPIToken"
		case strings.HasSuffix(path, "/auth/authorize"):
			return "ExchangeClientCredentials"
		case strings.HasSuffix(path, "/auth/api-tokens/details"):
			return "APITokenDetails"
		case strings.HasSuffix(path, "/auth/token-public-key"):
			return "JWKS" // PublicKey shares the path; here only a plain GET through a Transport calls it
		}
		return ""
	}
	fs := newFaultServer(name, s.seed, f, f.URL(), func(x fault) {
		f.FailNext(1, fakes.Fault{Status: x.Status, RetryAfter: x.RetryAfter, Drop: x.Drop,
			DropAfterApply: x.DropAfterApply, Malformed: x.Malformed, HTML: x.HTML})
	}, route, nil, s.secrets.harvest)
	s.routes[name] = route

	onToken := func(t tokenkit.Token) {
		s.secrets.addToken("CSP access token", t)
		if at, ok := t.(*csp.AccessToken); ok {
			s.secrets.add("CSP refresh token", at.RefreshToken.Reveal())
		}
	}
	newAPIToken := func() tokenkit.Secret {
		v := f.AddAPIToken(csptest.APIToken{})
		s.secrets.add("CSP API token", v)
		return tokenkit.Secret(v)
	}
	c := must(csp.New(fs.base, s.options(nil)...))
	opsToken := newAPIToken()
	var srcs [groups]*tokenkit.Source
	var hcs [groups]*http.Client
	for g := range srcs {
		gc := must(csp.New(fs.base, s.options(s.newGauge(fmt.Sprintf("csp APITokenSource %d", g)))...))
		srcs[g] = must(gc.APITokenSource(csp.APITokenRequest{APIToken: newAPIToken()}, s.sourceConfig(onToken)))
		hcs[g] = s.httpClient(srcs[g])
	}
	keyURL := fs.base + "/csp/gateway/am/api/auth/token-public-key"

	op := func(ctx context.Context, w int, rng *rand.Rand) {
		g := w % groups
		start := time.Now()
		switch pick(rng, 20, 30, 30, 20) {
		case 0:
			tok, err := c.ExchangeAPIToken(ctx, csp.APITokenRequest{APIToken: opsToken})
			if err == nil {
				onToken(tok)
			}
			s.finish(ctx, name, "ExchangeAPIToken", start, tok != nil, err, direct)
		case 1:
			tok, err := srcs[g].Token(ctx)
			s.finish(ctx, name, "Source.Token", start, tok != nil, err, sourceToken)
		case 2:
			s.get(ctx, name, "Transport GET token-public-key", hcs[g], keyURL)
		case 3:
			d, err := c.APITokenDetails(ctx, opsToken)
			s.finish(ctx, name, "APITokenDetails", start, d != nil, err, direct)
		}
	}
	return &vendor{name: name, fs: fs, op: op}
}

// ---- Commvault -----------------------------------------------------------------

func (s *suite) commvault() *vendor {
	const name = "commvault"
	rng := s.setupRand(name)
	f := commvaulttest.NewServer()
	f.SetLockout(0, 0)
	route := func(method, path string, _ []byte) string {
		p := splitPath(path, commvaulttest.BasePath)
		switch {
		case p == "/Login":
			return commvaulttest.OpLogin
		case p == "/RenewLoginToken":
			return commvaulttest.OpRenewLoginToken
		case p == "/Logout":
			return commvaulttest.OpLogout
		case p == "/V4/AccessToken/Renew":
			return commvaulttest.OpRenewAccessToken
		case p == "/V4/AccessToken" && method == http.MethodPost:
			return commvaulttest.OpCreateAccessToken
		case p == "/V4/AccessToken":
			return commvaulttest.OpListAccessTokens
		case strings.HasPrefix(p, "/V4/AccessToken/") && method == http.MethodPut:
			return commvaulttest.OpUpdateAccessToken
		case strings.HasPrefix(p, "/V4/AccessToken/") && method == http.MethodDelete:
			return commvaulttest.OpDeleteAccessToken
		}
		return ""
	}
	fs := newFaultServer(name, s.seed, f, f.URL(), func(x fault) {
		f.FailNext(1, fakes.Fault{Status: x.Status, RetryAfter: x.RetryAfter, Drop: x.Drop,
			DropAfterApply: x.DropAfterApply, Malformed: x.Malformed, HTML: x.HTML})
	}, route, []string{commvaulttest.OpLogin, commvaulttest.OpCreateAccessToken, commvaulttest.OpRenewAccessToken}, s.secrets.harvest)
	s.routes[name] = route

	pw := password(rng)
	s.secrets.add("Commvault password", pw)
	f.AddUser(commvaulttest.User{Name: "chaos", Password: pw})
	creds := commvault.Credentials{Username: "chaos", Password: tokenkit.Secret(pw)}

	addPair := func(t *commvault.AccessToken) {
		s.secrets.add("Commvault access token", t.Value())
		s.secrets.add("Commvault refresh token", t.RefreshToken.Reveal())
	}
	c := must(commvault.New(fs.base, s.options(nil)...))
	// A chain is one AccessTokenSource, started from a created pair: its
	// Save sees every renewed pair (the renewals run detached from the
	// callers, so Save counts those whose caller gave up too).
	type chain struct {
		mu      sync.Mutex // serialises replacing the chain
		src     *tokenkit.Source
		rotated int  // Save calls: renewals that succeeded
		unknown bool // a renewal of this chain had an unknown outcome
	}
	var (
		srcs    [groups]*tokenkit.Source
		hcs     [groups]*http.Client
		chains  [groups]*chain
		ids     pool[int64]
		cmu     sync.Mutex // guards the counters of every chain
		retired []*chain   // replaced chains, still counted
	)
	for g := range srcs {
		gc := must(commvault.New(fs.base, s.options(s.newGauge(fmt.Sprintf("commvault SessionSource %d", g)))...))
		srcs[g] = must(gc.SessionSource(creds, s.sourceConfig(func(t tokenkit.Token) { s.secrets.addToken("Commvault session", t) })))
		hcs[g] = s.httpClient(srcs[g])
		chains[g] = &chain{}
	}
	create := func(ctx context.Context, g int, prefix string) (*commvault.AccessToken, error) {
		start := time.Now()
		tok, err := c.CreateAccessToken(ctx, srcs[g], commvault.CreateRequest{Name: prefix + callOf(ctx)})
		if err == nil {
			addPair(tok)
		}
		s.tally(ctx, name, commvaulttest.OpCreateAccessToken, err)
		s.finish(ctx, name, "CreateAccessToken", start, tok != nil, err, direct)
		return tok, err
	}
	// replace starts a new chain when the current one (seen) may not be
	// renewed, unless another call replaced it already.
	replace := func(ctx context.Context, g int, seen *chain) {
		cmu.Lock()
		cur := chains[g]
		cmu.Unlock()
		cur.mu.Lock()
		defer cur.mu.Unlock()
		cmu.Lock()
		replaced := chains[g] != cur // while this call waited for cur.mu
		cmu.Unlock()
		if replaced || (seen != nil && cur != seen) || (seen == nil && cur.src != nil) {
			return
		}
		tok, err := create(ctx, g, "chaos-chain-")
		if err != nil {
			return
		}
		next := &chain{}
		cfg := s.sourceConfig(func(t tokenkit.Token) {
			addPair(t.(*commvault.AccessToken))
			cmu.Lock()
			next.rotated++
			cmu.Unlock()
		})
		// A renewal of unknown outcome is seen by the fetch, whether or not
		// its caller still waited.
		cfg.Observer = tokenkit.ObserverFunc(func(ctx context.Context, e tokenkit.Event) context.Context {
			if e.Type == tokenkit.EventFetchDone && errors.Is(e.Err, tokenkit.ErrOutcomeUnknown) {
				cmu.Lock()
				next.unknown = true
				cmu.Unlock()
			}
			return ctx
		})
		next.src = must(c.AccessTokenSource(commvault.AccessTokenRequest{Initial: tok}, cfg))
		cmu.Lock()
		if cur.src != nil {
			retired = append(retired, cur)
		}
		chains[g] = next
		cmu.Unlock()
	}
	flightErrs := map[error]bool{} // renewals that failed with an invalid 2xx answer
	renew := func(ctx context.Context, g int) {
		cmu.Lock()
		ch := chains[g]
		cmu.Unlock()
		if ch.src == nil {
			replace(ctx, g, nil)
			return
		}
		start := time.Now()
		if cur := ch.src.Cached(); cur != nil {
			ch.src.Invalidate(cur) // renew the pair this call holds
		}
		tok, err := ch.src.Token(ctx)
		s.finish(ctx, name, "AccessTokenSource.Token", start, tok != nil, err, sourceToken)
		if err != nil && s.sentOp(name, commvaulttest.OpRenewAccessToken, callOf(ctx)) > 0 {
			// The call's own renewal failed (not a pair spent earlier):
			// keep its error for lostInTransit.
			s.mu.Lock()
			s.outcome[name+" "+commvaulttest.OpRenewAccessToken+" "+callOf(ctx)] = err
			s.mu.Unlock()
		}
		var te *tokenkit.Error
		switch {
		case err == nil:
		case errors.Is(err, tokenkit.ErrOutcomeUnknown):
			cmu.Lock()
			ch.unknown = true
			cmu.Unlock()
			replace(ctx, g, ch)
		case ownIs(err, commvaulttest.OpRenewAccessToken, tokenkit.ErrInvalidResponse) && errors.As(err, &te) && te.StatusCode/100 == 2:
			cmu.Lock()
			flightErrs[te] = true
			cmu.Unlock()
		case errors.Is(err, tokenkit.ErrInvalidCredential):
			replace(ctx, g, ch) // the chain is gone
		}
	}

	op := func(ctx context.Context, w int, rng *rand.Rand) {
		g := w % groups
		start := time.Now()
		switch pick(rng, 20, 25, 12, 15, 13, 12, 3) {
		case 0:
			if tok, err := create(ctx, g, "chaos-"); err == nil {
				ids.push(tok.ID)
			}
		case 1:
			renew(ctx, g)
		case 2:
			l, err := c.ListAccessTokens(ctx, srcs[g], 0)
			s.finish(ctx, name, "ListAccessTokens", start, l != nil || err == nil, err, direct)
		case 3:
			id, ok := ids.take(rng, true)
			if !ok {
				return
			}
			err := c.DeleteAccessToken(ctx, srcs[g], id)
			s.finish(ctx, name, "DeleteAccessToken", start, true, err, direct)
		case 4:
			s.get(ctx, name, "Transport GET /V4/AccessToken", hcs[g], c.BaseURL()+"/V4/AccessToken")
		case 5:
			tok, err := srcs[g].Token(ctx)
			s.finish(ctx, name, "Source.Token", start, tok != nil, err, sourceToken)
		case 6:
			// End the cached session: the next calls are answered 401
			// and must log in again.
			if sess, ok := srcs[g].Cached().(*commvault.Session); ok {
				err := c.Logout(ctx, sess)
				s.finish(ctx, name, "Logout", start, true, err, direct)
			}
		}
	}
	renewCounts := func() counts {
		cmu.Lock()
		defer cmu.Unlock()
		var n counts
		for _, ch := range append(slices.Clone(retired), chains[:]...) {
			n.ok += ch.rotated
			if ch.unknown {
				n.unknown++
			}
		}
		n.invalid = len(flightErrs)
		return n
	}
	v := &vendor{name: name, fs: fs, op: op, direct: []string{commvaulttest.OpCreateAccessToken, commvaulttest.OpRenewAccessToken}}
	v.counted = map[string]func() counts{
		commvaulttest.OpCreateAccessToken: func() counts { return s.counted(name, commvaulttest.OpCreateAccessToken) },
		commvaulttest.OpRenewAccessToken:  renewCounts,
	}
	v.check = func() {
		if n := f.ChainInvalidations(); n != 0 {
			s.problem("commvault: %d token chains invalidated: a renewal replayed a spent refresh token", n)
		}
	}
	return v
}

// ---- Canvus ----------------------------------------------------------------

func (s *suite) canvus() *vendor {
	const name = "canvus"
	rng := s.setupRand(name)
	f := canvustest.NewServer()
	f.SetSessionTTL(4*time.Second, 4*time.Second)
	route := func(method, path string, _ []byte) string {
		p := splitPath(path, canvustest.APIPath)
		switch {
		case p == "/users/login":
			return canvustest.OpLogin
		case p == "/users/logout":
			return canvustest.OpLogout
		case p == "/server-info":
			return canvustest.OpGetServerInfo
		case strings.HasPrefix(p, "/users/"):
			parts := strings.Split(strings.TrimPrefix(p, "/users/"), "/")
			switch {
			case len(parts) == 2 && parts[1] == "access-tokens" && method == http.MethodPost:
				return canvustest.OpCreateAccessToken
			case len(parts) == 2 && parts[1] == "access-tokens":
				return canvustest.OpListAccessTokens
			case len(parts) >= 3 && method == http.MethodPatch:
				return canvustest.OpRenameAccessToken
			case len(parts) >= 3 && method == http.MethodDelete:
				return canvustest.OpDeleteAccessToken
			case len(parts) >= 3:
				return canvustest.OpGetAccessToken
			}
		}
		return ""
	}
	fs := newFaultServer(name, s.seed, f, f.URL(), func(x fault) {
		f.FailNext(1, fakes.Fault{Status: x.Status, RetryAfter: x.RetryAfter, Drop: x.Drop,
			DropAfterApply: x.DropAfterApply, Malformed: x.Malformed, HTML: x.HTML})
	}, route, []string{canvustest.OpLogin, canvustest.OpCreateAccessToken}, s.secrets.harvest)
	s.routes[name] = route

	extra := []tokenkit.Option{canvus.WithSessionLifetime(3 * time.Second)}
	c := must(canvus.New(fs.base, s.options(nil, extra...)...))
	var (
		srcs    [groups]*tokenkit.Source
		hcs     [groups]*http.Client
		tokens  [groups]*canvus.Tokens
		listURL [groups]string
		ids     [groups]pool[string]
	)
	for g := range srcs {
		pw := password(rng)
		s.secrets.add("Canvus password", pw)
		email := fmt.Sprintf("chaos%d@example.com", g)
		u := f.AddUser(canvustest.User{Email: email, Password: pw})
		gc := must(canvus.New(fs.base, s.options(s.newGauge(fmt.Sprintf("canvus LoginSource %d", g)), extra...)...))
		srcs[g] = must(gc.LoginSource(canvus.Credentials{Email: email, Password: tokenkit.Secret(pw)},
			s.sourceConfig(func(t tokenkit.Token) { s.secrets.addToken("Canvus login token", t) })))
		hcs[g] = s.httpClient(srcs[g])
		tokens[g] = must(c.Tokens(srcs[g]))
		listURL[g] = fs.base + canvus.APIPath + "/users/" + strconv.FormatInt(u.ID, 10) + "/access-tokens"
	}

	op := func(ctx context.Context, w int, rng *rand.Rand) {
		g := w % groups
		start := time.Now()
		switch pick(rng, 25, 13, 14, 15, 15, 15, 3) {
		case 0:
			tok, err := tokens[g].Create(ctx, "chaos "+callOf(ctx))
			if err == nil {
				s.secrets.addToken("Canvus access token", tok)
				ids[g].push(tok.ID)
			}
			s.tally(ctx, name, canvustest.OpCreateAccessToken, canvusAsFakeOp(err, "Create", canvustest.OpCreateAccessToken))
			s.finish(ctx, name, "Create", start, tok != nil, err, direct)
		case 1:
			id, ok := ids[g].take(rng, false)
			if !ok {
				return
			}
			info, err := tokens[g].Rename(ctx, id, "renamed "+callOf(ctx))
			s.finish(ctx, name, "Rename", start, info != nil, err, direct)
		case 2:
			id, ok := ids[g].take(rng, true)
			if !ok {
				return
			}
			err := tokens[g].Delete(ctx, id)
			s.finish(ctx, name, "Delete", start, true, err, direct)
		case 3:
			l, err := tokens[g].ListInfo(ctx)
			s.finish(ctx, name, "ListInfo", start, l != nil || err == nil, err, direct)
		case 4:
			s.get(ctx, name, "Transport GET access-tokens", hcs[g], listURL[g])
		case 5:
			tok, err := srcs[g].Token(ctx)
			s.finish(ctx, name, "Source.Token", start, tok != nil, err, sourceToken)
		case 6:
			if tok := srcs[g].Cached(); tok != nil {
				err := c.Logout(ctx, tok)
				s.finish(ctx, name, "Logout", start, true, err, direct)
			}
		}
	}
	v := &vendor{name: name, fs: fs, op: op, direct: []string{canvustest.OpCreateAccessToken}}
	v.counted = map[string]func() counts{
		canvustest.OpCreateAccessToken: func() counts { return s.counted(name, canvustest.OpCreateAccessToken) },
	}
	return v
}

// canvusAsFakeOp relabels an error of the SDK method (its Op) with the
// fake's operation id, which the suite tallies by.
func canvusAsFakeOp(err error, method, op string) error {
	var te *tokenkit.Error
	if errors.As(err, &te) && te.Op == method {
		c := *te
		c.Op = op
		return &c
	}
	return err
}

// ---- Oracle ----------------------------------------------------------------

func (s *suite) oracle() *vendor {
	const name = "oracle"
	rng := s.setupRand(name)
	f := oracletest.NewServer()
	f.SetAccessTokenTTL(3 * time.Second)
	route := func(method, path string, _ []byte) string {
		switch {
		case strings.HasSuffix(path, "/system/api/v1/security/token"):
			return "GetAccessToken"
		case strings.HasSuffix(path, "/system/api/v1/me"):
			return "GetCurrentUser"
		}
		return ""
	}
	fs := newFaultServer(name, s.seed, f, f.URL(), func(x fault) {
		f.FailNext(1, fakes.Fault{Status: x.Status, RetryAfter: x.RetryAfter, Drop: x.Drop,
			DropAfterApply: x.DropAfterApply, Malformed: x.Malformed, HTML: x.HTML})
	}, route, nil, s.secrets.harvest)
	s.routes[name] = route

	onToken := func(t tokenkit.Token) {
		s.secrets.addToken("Oracle access token", t)
		if at, ok := t.(*oracle.AccessToken); ok {
			s.secrets.add("Oracle refresh token", at.RefreshToken.Reveal())
		}
	}
	c := must(oracle.New(fs.base, s.options(nil)...))
	var (
		srcs  [groups]*tokenkit.Source
		hcs   [groups]*http.Client
		creds [groups]oracle.Credentials
	)
	for g := range srcs {
		pw := password(rng)
		s.secrets.add("Oracle password", pw)
		user := fmt.Sprintf("chaos%d", g)
		f.AddUser(oracletest.User{Username: user, Password: pw})
		creds[g] = oracle.Credentials{Username: user, Password: tokenkit.Secret(pw)}
		gc := must(oracle.New(fs.base, s.options(s.newGauge(fmt.Sprintf("oracle Source %d", g)))...))
		cr := creds[g]
		// Save (onToken) sees every token with the refresh token it carries.
		srcs[g] = must(gc.RefreshTokenSource(oracle.RefreshTokenRequest{Credentials: &cr}, s.sourceConfig(onToken)))
		hcs[g] = s.httpClient(srcs[g])
	}
	meURL := fs.base + "/system/api/v1/me"

	op := func(ctx context.Context, w int, rng *rand.Rand) {
		g := w % groups
		start := time.Now()
		switch pick(rng, 35, 30, 25, 10) {
		case 0:
			u, err := c.CurrentUser(ctx, srcs[g], oracle.UserQuery{Groups: rng.IntN(2) == 0})
			s.finish(ctx, name, "CurrentUser", start, u != nil, err, direct)
		case 1:
			s.get(ctx, name, "Transport GET /me", hcs[g], meURL)
		case 2:
			tok, err := srcs[g].Token(ctx)
			s.finish(ctx, name, "Source.Token", start, tok != nil, err, sourceToken)
		case 3:
			tok, err := c.ExchangePassword(ctx, creds[g])
			if err == nil {
				onToken(tok)
			}
			s.finish(ctx, name, "ExchangePassword", start, tok != nil, err, direct)
		}
	}
	return &vendor{name: name, fs: fs, op: op}
}

// ---- Clone Guard -----------------------------------------------------------

func (s *suite) cgscan() *vendor {
	const name = "cgscan"
	rng := s.setupRand(name)
	f := cgscantest.NewServer()
	route := func(method, path string, _ []byte) string {
		for _, op := range cgscan.Operations() {
			if path == op.DefaultPath() || strings.HasSuffix(path, op.DefaultPath()) {
				return string(op)
			}
		}
		return ""
	}
	fs := newFaultServer(name, s.seed, f, f.URL(), func(x fault) {
		f.FailNext(1, fakes.Fault{Status: x.Status, RetryAfter: x.RetryAfter, Drop: x.Drop,
			DropAfterApply: x.DropAfterApply, Malformed: x.Malformed, HTML: x.HTML})
	}, route, []string{string(cgscan.OpSignIn), string(cgscan.OpGenerateAccessToken), string(cgscan.OpRevokeAccessToken)}, s.secrets.harvest)
	s.routes[name] = route

	key := tokenkit.Secret(f.APIKey())
	s.secrets.add("Clone Guard API key", f.APIKey())
	c := must(cgscan.New(fs.base, s.options(nil, cgscan.WithAPIKey(key))...))
	var (
		srcs [groups]*tokenkit.Source
		hcs  [groups]*http.Client
		last [groups]pool[*cgscan.AccessToken]
	)
	for g := range srcs {
		pw := password(rng)
		s.secrets.add("Clone Guard password", pw)
		user := fmt.Sprintf("chaos%d", g)
		f.AddUser(cgscantest.User{Username: user, Password: pw})
		gc := must(cgscan.New(fs.base, s.options(s.newGauge(fmt.Sprintf("cgscan SignInSource %d", g)), cgscan.WithAPIKey(key))...))
		srcs[g] = must(gc.SignInSource(cgscan.SignInRequest{Username: user, Password: tokenkit.Secret(pw)},
			s.sourceConfig(func(t tokenkit.Token) { s.secrets.addToken("Clone Guard session", t) })))
		hcs[g] = s.httpClient(srcs[g])
	}
	checkURL := fs.base + cgscan.OpCheckToken.DefaultPath()
	gen, rev := string(cgscan.OpGenerateAccessToken), string(cgscan.OpRevokeAccessToken)

	op := func(ctx context.Context, w int, rng *rand.Rand) {
		g := w % groups
		start := time.Now()
		switch pick(rng, 25, 10, 18, 20, 15, 4) {
		case 0:
			tok, err := c.GenerateAccessToken(ctx, srcs[g])
			if err == nil {
				s.secrets.addToken("Clone Guard access token", tok)
				last[g].push(tok)
			}
			s.tally(ctx, name, gen, err)
			s.finish(ctx, name, gen, start, tok != nil, err, direct)
		case 1:
			err := c.RevokeAccessToken(ctx, srcs[g])
			s.finish(ctx, name, rev, start, true, err, direct)
		case 2:
			var tok tokenkit.Token
			if t, ok := last[g].take(rng, false); ok {
				tok = t
			} else if t := srcs[g].Cached(); t != nil {
				tok = t
			} else {
				return
			}
			st, err := c.CheckToken(ctx, tok)
			s.finish(ctx, name, "CheckToken", start, st != nil, err, direct)
		case 3:
			s.get(ctx, name, "Transport GET check_token", hcs[g], checkURL)
		case 4:
			tok, err := srcs[g].Token(ctx)
			s.finish(ctx, name, "Source.Token", start, tok != nil, err, sourceToken)
		case 5:
			err := c.SignOut(ctx, srcs[g])
			s.finish(ctx, name, "SignOut", start, true, err, direct)
		}
	}
	// Revoke is checked per call but not counted: revoking when there is
	// no token succeeds without changing anything.
	v := &vendor{name: name, fs: fs, op: op, direct: []string{gen, rev}}
	v.counted = map[string]func() counts{
		gen: func() counts { return s.counted(name, gen) },
	}
	return v
}
