package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/commvault/commvaulttest"
	"github.com/tokenkit/tokenkit/oracle"
	"github.com/tokenkit/tokenkit/oracle/oracletest"
)

// renewFixture is a Commvault fake served through a handler that lets a
// test act when a renew request arrives (hook), and a pair created on it.
type renewFixture struct {
	fake *commvaulttest.Server
	url  string
	env  map[string]string
	file string        // the pair file, as create --save wrote it
	old  commvaultPair // the pair in it
}

func newRenewFixture(t *testing.T, hook func(w http.ResponseWriter, r *http.Request, fake http.Handler)) *renewFixture {
	t.Helper()
	fake := commvaulttest.New(t)
	fake.AddUser(commvaulttest.User{Name: "admin", Password: "pw"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hook != nil && strings.HasSuffix(r.URL.Path, "/V4/AccessToken/Renew") {
			hook(w, r, fake.Handler())
			return
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f := &renewFixture{fake: fake, url: srv.URL + commvaulttest.BasePath}
	f.env = map[string]string{"COMMVAULT_URL": f.url, "COMMVAULT_PASSWORD": "pw"}
	f.env["COMMVAULT_TOKEN"] = strings.TrimSpace(mustRun(t, f.env, "commvault", "login", "--user", "admin"))
	f.file = filepath.Join(t.TempDir(), "pair.json")
	mustRun(t, f.env, "commvault", "token", "create", "--name", "bot", "--save", f.file)
	f.old = readPair(t, f.file)
	return f
}

func readPair(t *testing.T, path string) commvaultPair {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := tokenkit.DecodeExported(b)
	if err != nil {
		t.Fatalf("%s is not a token file in the persisted form (%v): %d bytes", path, err, len(b))
	}
	tok, err := commvault.ImportAccessToken(e)
	if err != nil || tok.Value() == "" || tok.RefreshToken == "" {
		t.Fatalf("%s does not hold a whole pair (%v)", path, err)
	}
	return commvaultPairOf(tok)
}

// commvaultPairOf is the legacy file form of a pair, for comparisons.
func commvaultPairOf(t *commvault.AccessToken) commvaultPair {
	return commvaultPair{AccessToken: t.Value(), RefreshToken: t.RefreshToken.Reveal(), ID: t.ID, Name: t.Name, Type: t.Type.String(),
		ExpiresAt: jsonTime(t.ExpiresAt), RefreshExpiresAt: jsonTime(t.RefreshExpiresAt), RenewableUntil: jsonTime(t.RenewableUntil)}
}

// stillRenewable proves a pair's refresh token is unspent: renewing it works
// and invalidates no chain.
func stillRenewable(t *testing.T, f *renewFixture, p commvaultPair) {
	t.Helper()
	c, err := commvault.New(f.fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := c.NewAccessToken(tokenkit.HeldToken{Value: tokenkit.Secret(p.AccessToken), RefreshToken: tokenkit.Secret(p.RefreshToken)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RenewAccessToken(context.Background(), pair); err != nil {
		t.Fatalf("the pair cannot be renewed: %v", err)
	}
	if n := f.fake.ChainInvalidations(); n != 0 {
		t.Fatalf("%d chain invalidations", n)
	}
}

// TestRenewRefusedWithoutPlaceToKeep: a renew or refresh whose new secret
// would have nowhere to go is refused before any call, exit 2.
func TestRenewRefusedWithoutPlaceToKeep(t *testing.T) {
	t.Parallel()
	f := newRenewFixture(t, nil)
	env := map[string]string{"COMMVAULT_URL": f.url, "COMMVAULT_ACCESS_TOKEN": f.old.AccessToken, "COMMVAULT_REFRESH_TOKEN": f.old.RefreshToken}
	for _, args := range [][]string{
		{"commvault", "token", "renew"},
		{"commvault", "token", "renew", "-o", "json"},
		{"commvault", "token", "renew", "--secret-file", "-"},
	} {
		stdin := ""
		if args[len(args)-1] == "-" {
			b, _ := os.ReadFile(f.file)
			stdin = string(b)
		}
		code, out, errOut := runCmd(t, env, stdin, args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, "--save FILE") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if n := f.fake.Calls(commvaulttest.OpRenewAccessToken); n != 0 {
		t.Fatalf("%d renew calls were made", n)
	}

	ocm := oracletest.New(t)
	ocm.AddUser(oracletest.User{Username: "ada", Password: "pw"})
	oenv := map[string]string{"ORACLE_URL": ocm.URL(), "ORACLE_REFRESH_TOKEN": ocm.IssueRefreshToken("ada")}
	if code, _, errOut := runCmd(t, oenv, "", "oracle", "token", "--grant", "refresh-token"); code != exitUsage || !strings.Contains(errOut, "--save FILE") {
		t.Errorf("oracle refresh without --save: exit %d, %q", code, errOut)
	}
	if n := ocm.TotalCalls(); n != 0 {
		t.Fatalf("oracle: %d calls were made", n)
	}
}

// TestRenewTargetCheckedFirst: a --save target that cannot hold the pair is
// refused before the call; a new one is created 0600; a loose mode is
// tightened.
func TestRenewTargetCheckedFirst(t *testing.T) {
	t.Parallel()
	f := newRenewFixture(t, nil)
	dir := t.TempDir()
	for name, target := range map[string]string{
		"missing directory": filepath.Join(dir, "nope", "pair.json"),
		"a directory":       dir,
	} {
		code, _, errOut := runCmd(t, f.env, "", "commvault", "token", "renew", "--secret-file", f.file, "--save", target)
		if code != exitUsage || !strings.Contains(errOut, "nothing was sent") {
			t.Errorf("%s: exit %d, %q", name, code, errOut)
		}
	}
	if n := f.fake.Calls(commvaulttest.OpRenewAccessToken); n != 0 {
		t.Fatalf("%d renew calls were made", n)
	}
	// A failed renew leaves no empty file behind.
	bogus := filepath.Join(dir, "bogus.json")
	if err := os.WriteFile(bogus, []byte(`{"access_token":"a","refresh_token":"r"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	created := filepath.Join(dir, "new.json")
	if code, _, errOut := runCmd(t, f.env, "", "commvault", "token", "renew", "--secret-file", bogus, "--save", created); code == 0 {
		t.Fatalf("renew of a bogus pair succeeded: %s", errOut)
	}
	if _, err := os.Stat(created); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed renew left %s: %v", created, err)
	}
	// A loose file is made 0600; the new pair lands in it.
	if err := os.Chmod(f.file, 0o644); err != nil {
		t.Fatal(err)
	}
	at := strings.TrimSpace(mustRun(t, f.env, "commvault", "token", "renew", "--secret-file", f.file))
	if st, err := os.Stat(f.file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode after renew: %v %v", st, err)
	}
	if p := readPair(t, f.file); p.AccessToken != at || !f.fake.ValidAccessToken(at) {
		t.Fatal("the file does not hold the new pair")
	}
}

// TestRenewSaveFailureRecovered: when the pair cannot be written where the
// user asked (here the target became a directory during the call), it is
// written next to it, the path is printed, and the exit status is 1.
func TestRenewSaveFailureRecovered(t *testing.T) {
	t.Parallel()
	var target string
	f := newRenewFixture(t, func(w http.ResponseWriter, r *http.Request, fake http.Handler) {
		// After the pre-flight check: the target can no longer be replaced.
		_ = os.Remove(target)
		_ = os.MkdirAll(filepath.Join(target, "in-the-way"), 0o700)
		fake.ServeHTTP(w, r)
	})
	target = filepath.Join(t.TempDir(), "kept.json")
	code, out, errOut := runCmd(t, f.env, "", "commvault", "token", "renew", "--secret-file", f.file, "--save", target)
	if code != exitError || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	m := regexp.MustCompile(`it is in (\S+) instead`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("stderr names no recovery file: %q", errOut)
	}
	if st, err := os.Stat(m[1]); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("recovery file: %v %v", st, err)
	}
	if p := readPair(t, m[1]); !f.fake.ValidAccessToken(p.AccessToken) {
		t.Fatal("the recovered pair is not the live one")
	} else {
		stillRenewable(t, f, p)
	}
	if strings.Contains(errOut, "tokenctl: tokenctl") || strings.Count(errOut, "it is in") != 1 {
		t.Errorf("stderr: %q", errOut)
	}
}

// TestOracleRefreshKeepsRotatedToken: the refresh-token grant keeps the
// rotated refresh token in the --save file it created before the call.
func TestOracleRefreshKeepsRotatedToken(t *testing.T) {
	t.Parallel()
	ocm := oracletest.New(t)
	ocm.AddUser(oracletest.User{Username: "ada", Password: "pw"})
	rt := ocm.IssueRefreshToken("ada")
	save := filepath.Join(t.TempDir(), "ocm.json")
	mustRun(t, map[string]string{"ORACLE_URL": ocm.URL(), "ORACLE_REFRESH_TOKEN": rt}, "oracle", "token", "--grant", "refresh-token", "--save", save)
	b, err := os.ReadFile(save)
	if err != nil {
		t.Fatal(err)
	}
	e, err := tokenkit.DecodeExported(b)
	if err != nil {
		t.Fatalf("saved file: %v", err)
	}
	saved, err := oracle.ImportAccessToken(e)
	if err != nil || saved.RefreshToken == "" || saved.RefreshToken.Reveal() == rt || !ocm.RefreshTokenActive(saved.RefreshToken.Reveal()) {
		t.Fatalf("saved %v: not the rotated refresh token", err)
	}
	if st, _ := os.Stat(save); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
}

// TestRenewKilled runs tokenctl as a process and kills it (SIGKILL) at each
// point of a renewal. Whatever the point, the user is left with a pair that
// works: the old one (not yet spent), or the new one, on disk.
func TestRenewKilled(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX signals")
	}
	bin := buildTokenctl(t)

	type step struct {
		arrived chan struct{} // the renew request reached the test's handler
		go_     chan bool     // true: pass it to the fake; false: drop it
		applied chan []byte   // the fake's answer body (the fake has applied it)
		deliver chan struct{} // write the answer to tokenctl
	}
	newStep := func() *step {
		return &step{make(chan struct{}, 1), make(chan bool, 1), make(chan []byte, 1), make(chan struct{}, 1)}
	}
	fixture := func(t *testing.T, s *step) *renewFixture {
		return newRenewFixture(t, func(w http.ResponseWriter, r *http.Request, fake http.Handler) {
			s.arrived <- struct{}{}
			if !<-s.go_ {
				return
			}
			rec := httptest.NewRecorder()
			fake.ServeHTTP(rec, r)
			s.applied <- rec.Body.Bytes()
			<-s.deliver
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		})
	}
	start := func(t *testing.T, f *renewFixture) (*exec.Cmd, io.Reader, *bytes.Buffer) {
		cmd := exec.Command(bin, "commvault", "token", "renew", "--secret-file", f.file)
		cmd.Env = append(os.Environ(), "COMMVAULT_URL="+f.url)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd, stdout, &stderr
	}
	wait := func(t *testing.T, c <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-c:
		case <-time.After(30 * time.Second):
			t.Fatalf("timed out waiting: %s", what)
		}
	}
	kill := func(t *testing.T, cmd *exec.Cmd) {
		t.Helper()
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}

	t.Run("before the fake applied", func(t *testing.T) {
		s := newStep()
		f := fixture(t, s)
		cmd, _, _ := start(t, f)
		wait(t, s.arrived, "renew request")
		kill(t, cmd)
		s.go_ <- false
		if n := f.fake.Applied(commvaulttest.OpRenewAccessToken); n != 0 {
			t.Fatalf("applied %d", n)
		}
		p := readPair(t, f.file)
		if p != f.old {
			t.Fatal("the file changed")
		}
		stillRenewable(t, f, p)
	})

	t.Run("after the answer reached tokenctl", func(t *testing.T) {
		s := newStep()
		f := fixture(t, s)
		cmd, stdout, stderr := start(t, f)
		wait(t, s.arrived, "renew request")
		s.go_ <- true
		body := <-s.applied
		s.deliver <- struct{}{}
		// The first thing tokenctl does after the answer that the test can
		// see is output; kill it the moment it appears.
		first := make(chan struct{})
		go func() { _, _ = stdout.Read(make([]byte, 1)); close(first) }()
		wait(t, first, "output")
		kill(t, cmd)
		var answer struct {
			AccessToken string `json:"accessToken"`
		}
		if err := json.Unmarshal(body, &answer); err != nil || answer.AccessToken == "" {
			t.Fatalf("fake answer: %v", err)
		}
		p := readPair(t, f.file)
		if p.AccessToken != answer.AccessToken || !f.fake.ValidAccessToken(p.AccessToken) {
			t.Fatalf("the file does not hold the new pair; stderr %q", stderr.String())
		}
		stillRenewable(t, f, p)
	})

	// Between the fake applying the renewal and the answer reaching
	// tokenctl no client can do anything: the new pair exists only on the
	// server. What tokenctl guarantees there is that the file is not torn:
	// it still holds the old pair, whole.
	t.Run("after the fake applied, before the answer arrived", func(t *testing.T) {
		s := newStep()
		f := fixture(t, s)
		cmd, _, _ := start(t, f)
		wait(t, s.arrived, "renew request")
		s.go_ <- true
		<-s.applied
		kill(t, cmd)
		s.deliver <- struct{}{}
		if p := readPair(t, f.file); p != f.old {
			t.Fatal("the file changed")
		}
	})

	// SIGINT during the call does not abandon it: tokenctl waits for the
	// answer, saves the pair, and says why it goes on.
	t.Run("SIGINT during the call", func(t *testing.T) {
		s := newStep()
		f := fixture(t, s)
		cmd := exec.Command(bin, "commvault", "token", "renew", "--secret-file", f.file)
		cmd.Env = append(os.Environ(), "COMMVAULT_URL="+f.url)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		errPipe, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		// stderr is read as it comes, so that the answer is let through only
		// once tokenctl has seen the signal (otherwise the call may finish
		// first, and there is nothing to say).
		var stderr strings.Builder
		noted, errDone := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(errDone)
			sc := bufio.NewScanner(errPipe)
			once := false
			for sc.Scan() {
				stderr.WriteString(sc.Text() + "\n")
				if !once && strings.Contains(sc.Text(), "finishing the call") {
					once = true
					close(noted)
				}
			}
		}()
		wait(t, s.arrived, "renew request")
		_ = cmd.Process.Signal(os.Interrupt)
		wait(t, noted, "tokenctl saying it finishes the call")
		s.go_ <- true
		body := <-s.applied
		s.deliver <- struct{}{}
		out, _ := io.ReadAll(stdout)
		<-errDone
		if err := cmd.Wait(); err != nil {
			t.Fatalf("exit: %v; stderr %q", err, stderr.String())
		}
		var answer struct {
			AccessToken string `json:"accessToken"`
		}
		_ = json.Unmarshal(body, &answer)
		if p := readPair(t, f.file); p.AccessToken != answer.AccessToken || strings.TrimSpace(string(out)) != answer.AccessToken {
			t.Fatal("the new pair was not saved and printed")
		}
		if !strings.Contains(stderr.String(), "finishing the call") {
			t.Errorf("stderr: %q", stderr.String())
		}
	})
}

// TestCanvusWatchDeleted: the deletion of the watched token ends `canvus
// token watch ID` with exit status 5.
func TestCanvusWatchDeleted(t *testing.T) {
	t.Parallel()
	fake := canvustest.New(t)
	u := fake.AddUser(canvustest.User{Email: "ada@example.com", Password: "pw"})
	tok := fake.AddAccessToken(canvustest.AccessToken{UserID: u.ID, Description: "watched"})
	login := fake.NewSession(u.ID)
	env := map[string]string{"CANVUS_URL": fake.URL(), "CANVUS_TOKEN": login, "CANVUS_USER_ID": strconv.FormatInt(u.ID, 10)}
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := runCmd(t, env, "", "canvus", "token", "watch", tok.ID)
		done <- result{code, out, errOut}
	}()
	for fake.Subscribers() == 0 {
		select {
		case r := <-done:
			t.Fatalf("watch ended early: %+v", r)
		case <-time.After(10 * time.Millisecond):
		}
	}
	mustRun(t, env, "canvus", "token", "delete", tok.ID)
	select {
	case r := <-done:
		if r.code != exitDeleted || !strings.Contains(r.errOut, "was deleted") || !strings.Contains(r.out, "deleted") {
			t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.out, r.errOut)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("watch did not end")
	}
}
