package commvault_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/fakes"
)

// The fake models Commvault's chain invalidation: renewing with a pair that
// was already renewed deletes every token of the chain. This is what the SDK
// must never trigger.
func TestFakeDeletesTheChainOnAStalePair(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, nil)
	ctx := context.Background()
	first := create(t, c, login(t, c), commvault.CreateRequest{Name: "chain"})
	second, err := c.RenewAccessToken(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RenewAccessToken(ctx, first) // the raw call does not protect you
	if !errors.Is(err, tokenkit.ErrInvalidCredential) || fake.ChainInvalidations() != 1 || len(fake.Tokens(0)) != 0 || fake.ValidAccessToken(second.Value()) {
		t.Fatalf("got %v; invalidations %d, tokens %d", err, fake.ChainInvalidations(), len(fake.Tokens(0)))
	}
}

// A renew whose answer is lost (the fake applies it, then the connection
// drops) must not be replayed: the pair it sent is spent, and replaying it
// would make Commvault delete the whole chain.
func TestLostRenewIsNeverReplayed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mock bool
	}{{"over HTTP", false}, {"httpmock responder", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, c := newFake(t, nil, tokenkit.WithRetryMax(5))
			if tc.mock {
				mt := httpmock.NewMockTransport()
				mt.RegisterNoResponder(fake.Responder())
				var err error
				c, err = commvault.New(fake.URL(), tokenkit.WithHTTPClient(&http.Client{Transport: mt}), fastRetries(), tokenkit.WithRetryMax(5))
				if err != nil {
					t.Fatal(err)
				}
			}
			ctx := context.Background()
			pair := create(t, c, login(t, c), commvault.CreateRequest{Name: "lost"})
			rot := commvault.NewRotatorForTest(c, pair)

			fake.FailNext(1, fakes.Fault{DropAfterApply: true})
			tok, err := rot.Renew(ctx, pair)
			var te *tokenkit.Error
			if tok != nil || !errors.Is(err, tokenkit.ErrOutcomeUnknown) || !errors.As(err, &te) || te.Op != "RenewAccessToken" {
				t.Fatalf("got (%v, %v), want an error matching ErrOutcomeUnknown", tok, err)
			}
			// Asking again, with the same pair or any, sends nothing.
			for range 3 {
				if _, err := rot.Renew(ctx, pair); !errors.Is(err, tokenkit.ErrOutcomeUnknown) {
					t.Fatalf("second renew: %v", err)
				}
				if _, err := rot.Renew(ctx, nil); !errors.Is(err, tokenkit.ErrOutcomeUnknown) {
					t.Fatalf("renew of the current pair: %v", err)
				}
			}
			if !errors.Is(rot.Err(), tokenkit.ErrOutcomeUnknown) || rot.Current() != pair {
				t.Fatalf("rotator state: err %v, current changed %t", rot.Err(), rot.Current() != pair)
			}
			if got := fake.Applied("RenewAccessToken"); got != 1 {
				t.Fatalf("renewals applied = %d, want 1", got)
			}
			if got := fake.Calls("RenewAccessToken"); got != 1 {
				t.Fatalf("renew calls = %d, want 1 (retries allowed: 5)", got)
			}
			if got := fake.ChainInvalidations(); got != 0 {
				t.Fatalf("chain invalidations = %d: the stale pair was replayed", got)
			}
			if len(fake.Tokens(0)) != 1 {
				t.Fatal("the chain must survive")
			}

			// A new chain clears the state.
			fresh := create(t, c, login(t, c), commvault.CreateRequest{Name: "fresh"})
			rot.Replace(fresh)
			if renewed, err := rot.Renew(ctx, fresh); err != nil || rot.Err() != nil || rot.Current() != renewed {
				t.Fatalf("after Replace: %v, %v", err, rot.Err())
			}
		})
	}
}

// The source recovers from a lost renewal by creating a new token under a
// login session, without replaying the spent pair.
func TestSourceRecoversFromALostRenewal(t *testing.T) {
	t.Parallel()
	clk := newClock()
	fake, c := newFake(t, clk)
	initial := create(t, c, login(t, c), commvault.CreateRequest{Name: "svc"})
	var mu sync.Mutex
	var persisted []tokenkit.Token
	src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Initial: initial, Credentials: &creds}, tokenkit.SourceConfig{
		Save: func(_ context.Context, t tokenkit.Token) error {
			mu.Lock()
			persisted = append(persisted, t)
			mu.Unlock()
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(31 * time.Minute) // expired: the next Token renews
	fake.FailNext(1, fakes.Fault{DropAfterApply: true})
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	at := tok.(*commvault.AccessToken)
	if at.ID == initial.ID || !fake.ValidAccessToken(at.Value()) {
		t.Fatalf("want a new token from a new chain, got %v", at)
	}
	if fake.ChainInvalidations() != 0 || fake.Calls("RenewAccessToken") != 1 || fake.Applied("CreateAccessToken") != 2 {
		t.Fatalf("invalidations %d, renew calls %d, creates %d", fake.ChainInvalidations(), fake.Calls("RenewAccessToken"), fake.Applied("CreateAccessToken"))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(persisted) != 1 || persisted[0] != tokenkit.Token(at) {
		t.Fatalf("persisted %d", len(persisted))
	}
}

// However many goroutines find the same pair expired at once, one renew call
// is made and all get the same new pair.
func TestConcurrentRenewalsMakeOneCall(t *testing.T) {
	t.Parallel()
	t.Run("rotator", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t, nil)
		pair := create(t, c, login(t, c), commvault.CreateRequest{Name: "busy"})
		rot := commvault.NewRotatorForTest(c, pair)
		fake.FailNext(1, fakes.Fault{Delay: 20 * time.Millisecond}) // keep the call in flight while the others arrive
		results := make([]*commvault.AccessToken, 50)
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() {
				tok, err := rot.Renew(context.Background(), pair) // each holds the old pair
				if err != nil {
					t.Error(err)
				}
				results[i] = tok
			})
		}
		wg.Wait()
		if n := fake.Calls("RenewAccessToken"); n != 1 {
			t.Fatalf("renew calls = %d, want 1", n)
		}
		for _, r := range results {
			if r != results[0] || r == pair {
				t.Fatal("every caller must get the one new pair")
			}
		}
		if rot.Current() != results[0] || fake.ChainInvalidations() != 0 {
			t.Fatal("the new pair must be current")
		}
	})
	t.Run("source", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		fake, c := newFake(t, clk)
		pair := create(t, c, login(t, c), commvault.CreateRequest{Name: "busy"})
		src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Initial: pair}, tokenkit.SourceConfig{})
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(40 * time.Minute)
		fake.FailNext(1, fakes.Fault{Delay: 20 * time.Millisecond})
		var wg sync.WaitGroup
		tokens := make([]tokenkit.Token, 50)
		for i := range tokens {
			wg.Go(func() {
				tok, err := src.Token(context.Background())
				if err != nil {
					t.Error(err)
				}
				tokens[i] = tok
			})
		}
		wg.Wait()
		if n := fake.Calls("RenewAccessToken"); n != 1 {
			t.Fatalf("renew calls = %d, want 1", n)
		}
		for _, tok := range tokens {
			if tok == nil || tok.Value() != tokens[0].Value() || !fake.ValidAccessToken(tok.Value()) {
				t.Fatal("every caller must get the one new, valid token")
			}
		}
	})
}

// Save runs the moment the new pair is issued, before any caller gets it.
func TestSaveRunsBeforeUse(t *testing.T) {
	t.Parallel()
	clk := newClock()
	fake, c := newFake(t, clk)
	pair := create(t, c, login(t, c), commvault.CreateRequest{Name: "persist"})
	var events []string
	var mu sync.Mutex
	log := func(s string) { mu.Lock(); events = append(events, s); mu.Unlock() }
	src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Initial: pair}, tokenkit.SourceConfig{
		Save: func(_ context.Context, t tokenkit.Token) error {
			// The renewal is applied: the old pair is already spent.
			log(fmt.Sprintf("persist old-valid=%t new-valid=%t", fake.ValidAccessToken(pair.Value()), fake.ValidAccessToken(t.Value())))
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(31 * time.Minute)
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	log("use")
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(events) != "[persist old-valid=false new-valid=true use]" {
		t.Fatalf("events %q", events)
	}
}

// A Save that fails loses no pair: the renewed pair is not handed out, no
// second renewal is sent (it would spend the unsaved pair, and renewing the
// old one would delete the chain), and the next Token saves the same pair
// again; once saved it is served, and its Export holds both tokens.
func TestSaveFailureKeepsTheRenewedPair(t *testing.T) {
	t.Parallel()
	clk := newClock()
	fake, c := newFake(t, clk)
	pair := create(t, c, login(t, c), commvault.CreateRequest{Name: "unsaved"})
	var (
		mu    sync.Mutex
		saves []tokenkit.Token
		fail  = true
	)
	src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Initial: pair}, tokenkit.SourceConfig{
		FailureBackoff: -1, // retry at once: the test moves no clock
		Save: func(_ context.Context, t tokenkit.Token) error {
			mu.Lock()
			defer mu.Unlock()
			saves = append(saves, t)
			if fail {
				return errors.New("disk full")
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(31 * time.Minute) // expired: the next Token renews
	ctx := context.Background()
	for range 3 {
		tok, err := src.Token(ctx)
		if tok != nil || !errors.Is(err, tokenkit.ErrNotSaved) {
			t.Fatalf("an unsaved pair must not be served: (%v, %v)", tok, err)
		}
	}
	if n := fake.Calls("RenewAccessToken"); n != 1 {
		t.Fatalf("renew calls = %d while the new pair is unsaved, want 1", n)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	tok, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(saves) != 4 {
		t.Fatalf("saves = %d, want 4", len(saves))
	}
	for _, s := range saves {
		if s != saves[0] {
			t.Fatal("every Save must get the same, first renewed pair")
		}
	}
	if tok != saves[0] || !fake.ValidAccessToken(tok.Value()) || fake.Calls("RenewAccessToken") != 1 || fake.ChainInvalidations() != 0 {
		t.Fatalf("served %v; renew calls %d, invalidations %d", tok, fake.Calls("RenewAccessToken"), fake.ChainInvalidations())
	}
	e, err := tokenkit.Export(tok)
	if err != nil || e.Secrets["refresh_token"] == "" || e.Secrets["refresh_token"] == pair.RefreshToken {
		t.Fatalf("the saved form must hold the new refresh token: %v", err)
	}
}

func TestSourceRenewsAheadOfExpiry(t *testing.T) {
	t.Parallel()
	clk := newClock()
	fake, c := newFake(t, clk)
	pair := create(t, c, login(t, c), commvault.CreateRequest{Name: "ahead"})
	src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Initial: pair}, tokenkit.SourceConfig{Jitter: -1})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(25 * time.Minute) // inside the 6-minute window of a 30-minute token, still valid
	tok, err := src.Token(context.Background())
	if err != nil || tok != pair {
		t.Fatalf("the still-valid token must be handed out: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for src.Cached() == pair {
		if time.Now().After(deadline) {
			t.Fatal("no background renewal")
		}
		time.Sleep(time.Millisecond)
	}
	if fake.Calls("RenewAccessToken") != 1 || !fake.ValidAccessToken(src.Cached().Value()) {
		t.Fatalf("renew calls %d", fake.Calls("RenewAccessToken"))
	}
}

func TestSourceFallsBackToCreating(t *testing.T) {
	t.Parallel()
	t.Run("past renewableUntil: no renew is tried", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		fake, c := newFake(t, clk)
		pair := create(t, c, login(t, c), commvault.CreateRequest{Name: "short", RenewableUntil: clk.Now().Add(time.Hour)})
		src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Initial: pair, Credentials: &creds, Create: commvault.CreateRequest{Name: "svc"}}, tokenkit.SourceConfig{})
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Hour)
		tok, err := src.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if fake.Calls("RenewAccessToken") != 0 || fake.Applied("CreateAccessToken") != 2 || !fake.ValidAccessToken(tok.Value()) {
			t.Fatalf("renews %d, creates %d", fake.Calls("RenewAccessToken"), fake.Applied("CreateAccessToken"))
		}
		if name := tok.(*commvault.AccessToken).Name; !strings.HasPrefix(name, "svc-20260501T140000Z-") {
			t.Fatalf("created token name %q: want the prefix, the time and a random suffix", name)
		}
	})
	t.Run("refused renewal", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		fake, c := newFake(t, clk)
		s := login(t, c)
		pair := create(t, c, s, commvault.CreateRequest{Name: "gone"})
		if err := c.DeleteAccessToken(context.Background(), s, pair.ID); err != nil {
			t.Fatal(err)
		}
		src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Initial: pair, Credentials: &creds}, tokenkit.SourceConfig{})
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		tok, err := src.Token(context.Background())
		if err != nil || !fake.ValidAccessToken(tok.Value()) || fake.Calls("RenewAccessToken") != 1 {
			t.Fatalf("got %v, renews %d", err, fake.Calls("RenewAccessToken"))
		}
	})
	t.Run("no pair at all", func(t *testing.T) {
		t.Parallel()
		fake, c := newFake(t, nil)
		src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Credentials: &creds, Create: commvault.CreateRequest{Name: "svc", Type: commvault.TokenTypeCustom, APIEndpoints: []string{"/Job"}}}, tokenkit.SourceConfig{})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			tok, err := src.Token(context.Background())
			if err != nil || tok.(*commvault.AccessToken).Type != commvault.TokenTypeCustom {
				t.Fatalf("got %v", err)
			}
		}
		if fake.Applied("CreateAccessToken") != 1 || fake.Calls("Login") != 1 {
			t.Fatalf("creates %d, logins %d", fake.Applied("CreateAccessToken"), fake.Calls("Login"))
		}
	})
	t.Run("without credentials it fails", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		_, c := newFake(t, clk)
		pair := create(t, c, login(t, c), commvault.CreateRequest{Name: "short", RenewableUntil: clk.Now().Add(time.Hour)})
		src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Initial: pair}, tokenkit.SourceConfig{})
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Hour)
		if _, err := src.Token(context.Background()); !errors.Is(err, commvault.ErrNotRenewable) {
			t.Fatalf("got %v", err)
		}
		for name, req := range map[string]commvault.AccessTokenRequest{
			"empty":                    {},
			"both ways to log in":      {Credentials: &creds, Session: login(t, c)},
			"no password":              {Credentials: &commvault.Credentials{Username: user}},
			"empty initial":            {Initial: &commvault.AccessToken{}},
			"create unused":            {Initial: pair, Create: commvault.CreateRequest{Name: "svc"}},
			"custom without endpoints": {Credentials: &creds, Create: commvault.CreateRequest{Type: commvault.TokenTypeCustom}},
			"unknown type":             {Credentials: &creds, Create: commvault.CreateRequest{Type: commvault.TokenType(42)}},
		} {
			if _, err := c.AccessTokenSource(req, tokenkit.SourceConfig{}); !errors.Is(err, tokenkit.ErrInvalidInput) {
				t.Errorf("AccessTokenSource, %s: %v", name, err)
			}
			if _, err := c.AccessTokenExchanger(req); !errors.Is(err, tokenkit.ErrInvalidInput) {
				t.Errorf("AccessTokenExchanger, %s: %v", name, err)
			}
		}
		other := create(t, c, login(t, c), commvault.CreateRequest{Name: "other"})
		if _, err := c.AccessTokenSource(commvault.AccessTokenRequest{Initial: pair}, tokenkit.SourceConfig{Initial: other}); !errors.Is(err, tokenkit.ErrInvalidInput) {
			t.Fatalf("a second initial token: %v", err)
		}
		if _, err := c.AccessTokenSource(commvault.AccessTokenRequest{Initial: pair}, tokenkit.SourceConfig{Initial: pair}); err != nil {
			t.Fatalf("the same initial token twice: %v", err)
		}
	})
}

// End to end: a downstream API accepts only tokens the fake knows; when one
// is revoked, the transport's 401 makes the source renew, the refused renewal
// makes it create a new token, and the request goes through.
func TestTransportWithSource(t *testing.T) {
	t.Parallel()
	fake, c := newFake(t, nil)
	src, err := c.AccessTokenSource(commvault.AccessTokenRequest{Credentials: &creds}, tokenkit.SourceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	downstream := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		status := http.StatusOK
		if !fake.ValidAccessToken(r.Header.Get("Authtoken")) {
			status = http.StatusUnauthorized
		}
		return &http.Response{StatusCode: status, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
	})
	hc := tokenkit.NewClient(src, downstream)
	get := func() int {
		resp, err := hc.Get("https://cv.example.test/commandcenter/api/Client")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get() != 200 {
		t.Fatal("first request")
	}
	first := src.Cached().(*commvault.AccessToken)
	s := login(t, c)
	if err := c.DeleteAccessToken(context.Background(), s, first.ID); err != nil {
		t.Fatal(err)
	}
	if get() != 200 {
		t.Fatal("request after revocation")
	}
	if fake.Calls("RenewAccessToken") != 1 || fake.Applied("CreateAccessToken") != 2 || fake.ChainInvalidations() != 0 {
		t.Fatalf("renews %d, creates %d", fake.Calls("RenewAccessToken"), fake.Applied("CreateAccessToken"))
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
