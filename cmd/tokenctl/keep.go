package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
)

// A command that spends a rotating credential (Commvault renew, an Oracle
// refresh-token grant) holds the only valid secret of its chain in memory
// between the vendor's answer and its own exit. Losing it there means the
// user must create a new token by hand. So such a command:
//
//  1. refuses to run without a file to keep the new secret in (exit 2),
//     before any call;
//  2. creates or checks that file before the call (a regular file, writable,
//     mode 0600, in a directory where a temporary file can be created and
//     renamed);
//  3. writes the new secret the moment it is decoded, before printing
//     anything: a temporary file, fsync, rename over the target, fsync of
//     the directory, so a crash or SIGKILL leaves the old content or the
//     new, never a torn file;
//  4. if that write still fails, writes the secret somewhere recoverable
//     (next to the target, else the user's cache directory, else the
//     temporary directory), prints where on standard error and exits 1;
//  5. lets a signal that arrives during the call wait for the answer (see
//     finishDespiteSignal): the call itself is not abandoned half-way.

// keeper is the file a rotated secret is kept in.
type keeper struct {
	path    string // absolute, symlinks resolved
	created bool   // prepareKeep created it empty; discard removes it
}

// keepError is a secret that could not be saved where the user asked; it may
// have been recovered elsewhere.
type keepError struct{ msg string }

func (e *keepError) Error() string { return e.msg }

// prepareKeep checks that path can hold a secret, creating it (empty, 0600)
// when it does not exist, before the call that produces the secret. flagName
// names the flag path came from, for messages.
func prepareKeep(cc *cmdCtx, flagName, path string) (*keeper, error) {
	bad := func(format string, args ...any) error {
		return usagef("%s: %s %s: %s (nothing was sent)", cc.path, flagName, path, fmt.Sprintf(format, args...))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, bad("%v", err)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	dir := filepath.Dir(abs)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, bad("directory %s does not exist", dir)
	}
	k := &keeper{path: abs}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, bad("cannot create it: %v", pathless(err))
		}
		k.created = true
		if err := f.Close(); err != nil {
			k.discard()
			return nil, bad("%v", pathless(err))
		}
	case err != nil:
		return nil, bad("%v", pathless(err))
	case !st.Mode().IsRegular():
		return nil, bad("not a regular file")
	default:
		f, err := os.OpenFile(abs, os.O_WRONLY, 0)
		if err != nil {
			return nil, bad("not writable: %v", pathless(err))
		}
		_ = f.Close()
		if st.Mode().Perm()&0o077 != 0 && runtime.GOOS != "windows" {
			if err := os.Chmod(abs, 0o600); err != nil {
				return nil, bad("readable by others and cannot be made 0600: %v", pathless(err))
			}
		}
	}
	// The save renames a temporary file over the target: the directory
	// must take one.
	probe, err := os.CreateTemp(dir, "."+filepath.Base(abs)+".probe-*")
	if err != nil {
		k.discard()
		return nil, bad("its directory does not take new files: %v", pathless(err))
	}
	_ = probe.Close()
	_ = os.Remove(probe.Name())
	return k, nil
}

// discard removes the empty file prepareKeep created, when the call that
// was to fill it failed.
func (k *keeper) discard() {
	if k != nil && k.created {
		if st, err := os.Stat(k.path); err == nil && st.Size() == 0 {
			_ = os.Remove(k.path)
		}
	}
}

// save writes v to the target atomically and durably; if that fails, it
// writes v to a recovery file and returns a *keepError naming it.
//
// A token (tokenkit.Exportable) is written in the persisted form (see
// tokenfile.go); anything else as indented JSON.
func (k *keeper) save(e *env, cc *cmdCtx, what string, v any) error {
	var (
		b   []byte
		err error
	)
	if t, ok := v.(tokenkit.Exportable); ok {
		b, err = encodeToken(t)
	} else {
		b, err = json.MarshalIndent(v, "", "  ")
	}
	if err != nil {
		return fmt.Errorf("%s: encoding the %s: %w", cc.path, what, err)
	}
	b = append(b, '\n')
	err = writeFileAtomic(k.path, b)
	if err == nil {
		return nil
	}
	if where, rerr := writeRecovery(e, k.path, b); rerr == nil {
		return &keepError{msg: fmt.Sprintf("%s: could not save the %s to %s (%v); it is in %s instead: move it there now, it is the only copy",
			cc.path, what, k.path, pathless(err), where)}
	}
	return &keepError{msg: fmt.Sprintf("%s: could not save the %s to %s (%v) nor to any recovery file: it is lost; create a new token",
		cc.path, what, k.path, pathless(err))}
}

// writeFileAtomic replaces path with b, mode 0600: a temporary file in the
// same directory, written and fsynced, renamed over path, then the directory
// fsynced so that the rename itself survives a crash.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	done = true
	return syncDir(dir)
}

// syncDir fsyncs a directory, so that a rename in it is durable. Systems
// that cannot (Windows) are skipped.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// writeRecovery writes b to a new 0600 file: next to target, else in the
// user's cache directory, else in the temporary directory. It returns the
// path.
func writeRecovery(e *env, target string, b []byte) (string, error) {
	stampName := time.Now().UTC().Format("20060102T150405.000000000Z")
	cands := []string{target + ".recovered-" + stampName}
	if c := userCacheDir(e); c != "" {
		cands = append(cands, filepath.Join(c, "tokenctl", "recovered-"+stampName+".json"))
	}
	cands = append(cands, filepath.Join(os.TempDir(), "tokenctl-recovered-"+stampName+".json"))
	var last error
	for _, p := range cands {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			last = err
			continue
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			last = err
			continue
		}
		_, werr := f.Write(b)
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			last = err
			continue
		}
		_ = syncDir(filepath.Dir(p))
		return p, nil
	}
	return "", last
}

// userCacheDir is the user's cache directory as the command's environment
// says ($XDG_CACHE_HOME, else $HOME/.cache on Unix), else the process's.
func userCacheDir(e *env) string {
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		if d := e.getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
			return d
		}
		if h := e.getenv("HOME"); filepath.IsAbs(h) {
			return filepath.Join(h, ".cache")
		}
	}
	d, _ := os.UserCacheDir()
	return d
}

// pathless is err without the *PathError's path and operation, which
// messages name themselves.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// finishDespiteSignal returns a context for a call that spends a rotating
// credential: it is not cancelled by ctx (a signal, --timeout), since a call
// abandoned in flight leaves the old secret spent and the new one unread;
// the call is bounded by limit instead. When ctx ends first, a line on
// standard error says why the command goes on. Call the returned stop when
// the call is done.
func finishDespiteSignal(ctx context.Context, e *env, limit time.Duration) (context.Context, func()) {
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	noted := make(chan struct{})
	stopNote := context.AfterFunc(ctx, func() {
		defer close(noted)
		why := "stopping"
		if c := context.Cause(ctx); c != nil {
			why = strings.TrimPrefix(c.Error(), "context ")
		}
		fmt.Fprintf(e.stderr, "tokenctl: %s: finishing the call under way first, so that the new secret it brings is saved\n", why)
	})
	return callCtx, func() {
		if !stopNote() {
			<-noted
		}
		cancel()
	}
}
