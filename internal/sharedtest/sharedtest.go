// Package sharedtest runs the multi-process tests of the shared-refresh
// protocol against any tokenkit.Store backend: the parent test serves a
// vendor fake over loopback HTTP and re-executes its own test binary as N
// child processes (selected by an environment variable, not goroutines),
// which share one token through the store while the fake counts what
// reached it. Backends call Main from their TestMain and Run from a test.
package sharedtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/csp/csptest"
	"github.com/tokenkit/tokenkit/oracle"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// The environment of a child process.
const (
	envChild    = "TOKENKIT_SHAREDTEST_CHILD" // vendor: csp, oracle, commvault
	envURL      = "TOKENKIT_SHAREDTEST_URL"
	envStore    = "TOKENKIT_SHAREDTEST_STORE" // "1": share through the store
	envKey      = "TOKENKIT_SHAREDTEST_KEY"
	envLifetime = "TOKENKIT_SHAREDTEST_LIFETIME"
	envLeaseTTL = "TOKENKIT_SHAREDTEST_LEASE_TTL"
	envSecret   = "TOKENKIT_SHAREDTEST_SECRET" // the fake's credential
	envKillAt   = "TOKENKIT_SHAREDTEST_KILL_AT"
	envMark     = "TOKENKIT_SHAREDTEST_MARK" // the victim writes its pid here
)

// Fake credentials of the fakes; not secrets of anything real.
const (
	user     = "shared-user"
	password = "shared-password"
)

// Main runs a child process's part and exits when the test binary was started
// as a child; otherwise it returns and TestMain goes on to m.Run. open opens
// the backend's store from the environment the parent's Run gave the child.
func Main(open func() (tokenkit.Store, error)) {
	vendor := os.Getenv(envChild)
	if vendor == "" {
		return
	}
	if err := child(vendor, open); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// Scenario is one multi-process run.
type Scenario struct {
	Vendor    string        // "csp", "oracle" or "commvault"
	Procs     int           // child processes (default 8)
	Lifetime  time.Duration // the fake's token lifetime
	Lifetimes int           // how many lifetimes the children run
	Store     bool          // share through the store; false: each child on its own
	LeaseTTL  time.Duration // default 2s
	// KillAt, if set, makes the first child that reaches this step of the
	// protocol after the first lifetime (a renewal, not the first
	// bootstrap) wait there to be SIGKILLed by the parent.
	KillAt tokenkit.SharedStep
	// StoreEnv is the environment a child needs to open the same store.
	StoreEnv []string
}

// Result is what the fake and the children saw.
type Result struct {
	Exchanges          int // upstream token exchanges, renewals and creations applied
	Renewals           int // commvault: renewals applied
	RenewCalls         int // commvault: renewal requests received
	Creations          int // commvault: tokens created (bootstraps)
	ChainInvalidations int // commvault: chains deleted for a replayed pair
	Children           []ChildReport
	Killed             int // pid of the SIGKILLed child, 0 if none
	KilledAt           time.Time
}

// ChildReport is the summary a child prints as its last line.
type ChildReport struct {
	Tokens    int            `json:"tokens"`
	Errors    int            `json:"errors"`
	LastError string         `json:"last_error,omitempty"`
	Spent     int            `json:"spent"` // ErrCredentialSpent seen by callers
	Steps     map[string]int `json:"steps"`
	Commits   []int64        `json:"commits"` // unix nanoseconds of each commit
}

// Total sums one step over the children.
func (r Result) Total(step tokenkit.SharedStep) int {
	n := 0
	for _, c := range r.Children {
		n += c.Steps[step.String()]
	}
	return n
}

// Run serves the scenario's vendor fake, runs the children to completion
// and returns the counts. It fails t if a child fails.
func Run(t *testing.T, sc Scenario) Result {
	t.Helper()
	if sc.Procs == 0 {
		sc.Procs = 8
	}
	if sc.LeaseTTL == 0 {
		sc.LeaseTTL = 2 * time.Second
	}
	var (
		url, secret string
		count       func() Result
	)
	switch sc.Vendor {
	case "csp":
		f := csptest.New(t)
		f.SetAccessTokenTTL(sc.Lifetime)
		secret = f.AddAPIToken(csptest.APIToken{})
		url = f.URL()
		count = func() Result { return Result{Exchanges: f.Applied("ExchangeAPIToken")} }
	case "oracle":
		f := oracletest.New(t)
		f.AddUser(oracletest.User{Username: user, Password: password})
		f.SetAccessTokenTTL(sc.Lifetime)
		f.SetRotation(true)
		url = f.URL()
		count = func() Result { return Result{Exchanges: f.Applied("GetAccessToken")} }
	case "commvault":
		f := commvaulttest.New(t)
		f.AddUser(commvaulttest.User{Name: user, Password: password})
		f.SetAccessTokenTTL(sc.Lifetime)
		url = f.URL()
		count = func() Result {
			r := Result{Renewals: f.Applied(commvaulttest.OpRenewAccessToken), RenewCalls: f.Calls(commvaulttest.OpRenewAccessToken),
				Creations: f.Applied(commvaulttest.OpCreateAccessToken), ChainInvalidations: f.ChainInvalidations()}
			r.Exchanges = r.Renewals + r.Creations
			return r
		}
	default:
		t.Fatalf("unknown vendor %q", sc.Vendor)
	}
	mark := filepath.Join(t.TempDir(), "victim")
	env := append(os.Environ(), sc.StoreEnv...)
	env = append(env,
		envChild+"="+sc.Vendor, envURL+"="+url, envKey+"="+sc.Vendor+"/"+t.Name()+"/"+strconv.FormatInt(time.Now().UnixNano(), 36),
		envLifetime+"="+sc.Lifetime.String(), envLeaseTTL+"="+sc.LeaseTTL.String(), envSecret+"="+secret, envMark+"="+mark)
	if sc.Store {
		env = append(env, envStore+"=1")
	}
	if sc.KillAt != 0 {
		env = append(env, envKillAt+"="+sc.KillAt.String())
	}
	type out struct {
		rep ChildReport
		err error
	}
	outs := make([]out, sc.Procs)
	cmds := make([]*exec.Cmd, sc.Procs)
	stdins := make([]io.WriteCloser, sc.Procs)
	ready := make(chan struct{}, sc.Procs)
	var wg sync.WaitGroup
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = env
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdins[i] = stdin
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last string
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if last = sc.Text(); last == "ready" {
					ready <- struct{}{}
				}
			}
			err := cmd.Wait()
			if err == nil {
				err = json.Unmarshal([]byte(last), &outs[i].rep)
			}
			if err != nil {
				err = fmt.Errorf("%w: %s", err, stderr.String())
			}
			outs[i].err = err
		}()
	}
	// Start every child at once, when all of them have set up: a child
	// that starts late would see fewer lifetimes.
	deadline := time.After(2 * time.Minute)
	for range cmds {
		select {
		case <-ready:
		case <-deadline:
			for _, c := range cmds {
				_ = c.Process.Kill()
			}
			wg.Wait()
			t.Fatalf("the children did not get ready: %v", outs)
		}
	}
	start := time.Now().Add(50 * time.Millisecond)
	until := start.Add(time.Duration(sc.Lifetimes) * sc.Lifetime)
	for _, in := range stdins {
		fmt.Fprintf(in, "%d %d\n", start.UnixNano(), until.UnixNano())
		_ = in.Close()
	}
	var res Result
	if sc.KillAt != 0 {
		res.Killed, res.KilledAt = killVictim(t, mark, until.Add(10*time.Second))
	}
	wg.Wait()
	r := count()
	r.Killed, r.KilledAt = res.Killed, res.KilledAt
	for i, o := range outs {
		if cmds[i].Process.Pid == r.Killed {
			continue
		}
		if o.err != nil {
			t.Fatalf("child %d: %v", i, o.err)
		}
		r.Children = append(r.Children, o.rep)
	}
	return r
}

// killVictim waits for a child to write its pid to mark, SIGKILLs it and
// returns its pid and when it was killed.
func killVictim(t *testing.T, mark string, deadline time.Time) (int, time.Time) {
	t.Helper()
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(mark)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && pid > 0 {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatalf("kill %d: %v", pid, err)
			}
			return pid, time.Now()
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no child reached the step to be killed at")
	return 0, time.Time{}
}

func child(vendor string, open func() (tokenkit.Store, error)) error {
	ctx := context.Background()
	var start, until time.Time // set when the parent says go
	life, _ := time.ParseDuration(os.Getenv(envLifetime))
	ttl, _ := time.ParseDuration(os.Getenv(envLeaseTTL))
	url, secret := os.Getenv(envURL), tokenkit.Secret(os.Getenv(envSecret))

	rep := ChildReport{Steps: map[string]int{}}
	var mu sync.Mutex
	killAt := os.Getenv(envKillAt)
	observe := func(ev tokenkit.SharedEvent) {
		mu.Lock()
		rep.Steps[ev.Step.String()]++
		if ev.Step == tokenkit.StepCommitted {
			rep.Commits = append(rep.Commits, time.Now().UnixNano())
		}
		mu.Unlock()
		mu.Lock()
		late := !start.IsZero() && time.Now().After(start.Add(life))
		mu.Unlock()
		if killAt != "" && ev.Step.String() == killAt && late {
			// The first child here is the victim: it says so and waits
			// for its SIGKILL.
			mark := os.Getenv(envMark)
			f, err := os.OpenFile(mark+".victim", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err == nil {
				_ = f.Close()
				_ = os.WriteFile(mark+".tmp", []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
				_ = os.Rename(mark+".tmp", mark)
				select {}
			}
		}
	}
	sc := tokenkit.SourceConfig{
		// A tenth of the lifetime ahead, so that one token serves most of
		// its lifetime and exchanges count lifetimes.
		RefreshWindow: func(l time.Duration) time.Duration { return l / 10 },
		ExpiryDelta:   life / 20,
	}
	var (
		refresh   func(context.Context, tokenkit.Token) (tokenkit.Token, error)
		bootstrap tokenkit.FetchFunc
		importFn  tokenkit.ImportFunc
		rotating  bool
	)
	switch vendor {
	case "csp":
		c, err := csp.New(url)
		if err != nil {
			return err
		}
		req := csp.APITokenRequest{APIToken: secret}
		refresh = func(ctx context.Context, _ tokenkit.Token) (tokenkit.Token, error) {
			return c.ExchangeAPIToken(ctx, req)
		}
		importFn = csp.Import
	case "oracle":
		c, err := oracle.New(url)
		if err != nil {
			return err
		}
		cred := oracle.Credentials{Username: user, Password: password}
		rotating, importFn = true, oracle.Import
		refresh = func(ctx context.Context, cur tokenkit.Token) (tokenkit.Token, error) {
			t, _ := cur.(*oracle.AccessToken)
			if t == nil || t.RefreshToken == "" {
				return c.ExchangePassword(ctx, cred)
			}
			return c.ExchangeRefreshToken(ctx, t.RefreshToken)
		}
		bootstrap = func(ctx context.Context) (tokenkit.Token, error) { return c.ExchangePassword(ctx, cred) }
	case "commvault":
		c, err := commvault.New(url)
		if err != nil {
			return err
		}
		sessions, err := c.SessionSource(commvault.Credentials{Username: user, Password: password}, tokenkit.SourceConfig{})
		if err != nil {
			return err
		}
		rotating, importFn = true, commvault.Import
		refresh = func(ctx context.Context, cur tokenkit.Token) (tokenkit.Token, error) {
			return c.RenewAccessToken(ctx, cur.(*commvault.AccessToken))
		}
		bootstrap = func(ctx context.Context) (tokenkit.Token, error) {
			name := fmt.Sprintf("shared-%d-%d", os.Getpid(), time.Now().UnixNano())
			return c.CreateAccessToken(ctx, sessions, commvault.CreateRequest{Name: name})
		}
	default:
		return fmt.Errorf("unknown vendor %q", vendor)
	}

	var src tokenkit.TokenSource
	if os.Getenv(envStore) == "1" {
		st, err := open()
		if err != nil {
			return err
		}
		s, err := tokenkit.NewSharedSource(tokenkit.SharedConfig{
			Store: st, Key: os.Getenv(envKey), Import: importFn, Refresh: refresh, Rotating: rotating, Bootstrap: bootstrap,
			LeaseTTL: ttl, ExchangeTimeout: 3 * time.Second, PollInterval: 20 * time.Millisecond,
			Observe: observe, Source: sc,
		})
		if err != nil {
			return err
		}
		src = s
	} else {
		fetch := func(ctx context.Context) (tokenkit.Token, error) {
			if bootstrap != nil {
				return bootstrap(ctx)
			}
			return refresh(ctx, nil)
		}
		src = tokenkit.NewSource(fetch, sc)
	}

	// Ready: the parent answers with the start and end of the run.
	fmt.Println("ready")
	var startNs, untilNs int64
	if _, err := fmt.Fscan(os.Stdin, &startNs, &untilNs); err != nil {
		return fmt.Errorf("reading the start signal: %w", err)
	}
	mu.Lock()
	start, until = time.Unix(0, startNs), time.Unix(0, untilNs)
	mu.Unlock()
	time.Sleep(time.Until(start))
	for time.Now().Before(until) {
		_, err := src.Token(ctx)
		if err != nil {
			rep.Errors++
			rep.LastError = err.Error()
			if errors.Is(err, tokenkit.ErrCredentialSpent) {
				rep.Spent++
			}
		} else {
			rep.Tokens++
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// CheckShared checks a run with the store against one without: exchanges ==
// lifetimes (±1) with it, about Procs times as many without.
func CheckShared(t *testing.T, shared, alone Result, lifetimes int) {
	t.Helper()
	for _, c := range shared.Children {
		if c.Errors > 0 {
			t.Errorf("a child saw %d errors, the last: %s", c.Errors, c.LastError)
		}
	}
	if d := shared.Exchanges - (lifetimes + 1); d < -1 || d > 1 {
		t.Errorf("with the store: %d exchanges over %d lifetimes, want %d±1", shared.Exchanges, lifetimes, lifetimes+1)
	}
	if alone.Exchanges < len(alone.Children)*lifetimes {
		t.Errorf("without the store: %d exchanges, want at least %d", alone.Exchanges, len(alone.Children)*lifetimes)
	}
}

// CheckCommvault checks a Commvault run: every renew applied once, no chain
// invalidated, one creation (the first bootstrap).
func CheckCommvault(t *testing.T, r Result) {
	t.Helper()
	t.Logf("commvault: %d renewals applied of %d sent, %d tokens created, %d chains invalidated, %d commits",
		r.Renewals, r.RenewCalls, r.Creations, r.ChainInvalidations, r.Total(tokenkit.StepCommitted))
	for _, c := range r.Children {
		if c.Errors > 0 {
			t.Errorf("a child saw %d errors, the last: %s", c.Errors, c.LastError)
		}
	}
	if r.ChainInvalidations != 0 || r.RenewCalls != r.Renewals || r.Creations != 1 {
		t.Errorf("want 0 chain invalidations, each renew applied once and 1 creation")
	}
	if r.Renewals+r.Creations != r.Total(tokenkit.StepCommitted) {
		t.Errorf("%d commits for %d renewals and creations", r.Total(tokenkit.StepCommitted), r.Renewals+r.Creations)
	}
	if r.Renewals < 3 {
		t.Errorf("only %d renewals over 5 lifetimes", r.Renewals)
	}
}

// CheckKilledBeforeSending checks a run whose lease holder was killed before
// it wrote its claim: another process renewed the same pair, nothing spent.
func CheckKilledBeforeSending(t *testing.T, r Result) {
	t.Helper()
	next := firstCommitAfter(r, r.KilledAt)
	t.Logf("commvault, holder killed before sending: %d renewals, %d creations, %d chains invalidated; next commit %v after the kill",
		r.Renewals, r.Creations, r.ChainInvalidations, next)
	if r.ChainInvalidations != 0 || r.RenewCalls != r.Renewals || r.Creations != 1 {
		t.Errorf("want 0 chain invalidations, each renew applied once, 1 creation")
	}
	if r.Total(tokenkit.StepSpent) != 0 {
		t.Errorf("nothing was claimed, yet %d spent credentials were reported", r.Total(tokenkit.StepSpent))
	}
	if next < 0 {
		t.Errorf("no process committed after the kill")
	}
}

// CheckKilledAfterApply checks a run whose holder was killed after the fake
// applied its renewal: nobody replays the spent pair, the distinct step is
// seen and the bootstrap path recovers.
func CheckKilledAfterApply(t *testing.T, r Result) {
	t.Helper()
	next := firstCommitAfter(r, r.KilledAt)
	t.Logf("commvault, holder killed after the renew was applied: %d renewals of %d sent, %d creations, %d chains invalidated, %d spent reported; next commit %v after the kill",
		r.Renewals, r.RenewCalls, r.Creations, r.ChainInvalidations, r.Total(tokenkit.StepSpent), next)
	if r.ChainInvalidations != 0 || r.RenewCalls != r.Renewals {
		t.Errorf("the spent pair was replayed")
	}
	if r.Total(tokenkit.StepSpent) != 1 || r.Creations != 2 {
		t.Errorf("want the spent credential reported once and recovered by one more creation")
	}
	if next < 0 {
		t.Errorf("no process committed after the kill")
	}
}

func firstCommitAfter(r Result, at time.Time) time.Duration {
	best := time.Duration(-1)
	for _, c := range r.Children {
		for _, n := range c.Commits {
			if d := time.Unix(0, n).Sub(at); d >= 0 && (best < 0 || d < best) {
				best = d
			}
		}
	}
	return best
}
