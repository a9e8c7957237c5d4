package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/store"
	"github.com/tokenkit/tokenkit/store/filestore"
)

// cacheFlags are --cache and --no-cache of a command whose token is worth
// keeping between runs: a cron job that runs `tokenctl csp exchange` every
// minute then exchanges once per token lifetime, and concurrent runs share
// one exchange (the file store's lease).
type cacheFlags struct {
	dir *string
	off *bool
}

func addCacheFlags(fs *flag.FlagSet) cacheFlags {
	return cacheFlags{
		dir: fs.String("cache", "", "keep the token in this directory between runs (default: tokenctl in the user cache directory)"),
		off: fs.Bool("no-cache", false, "neither read nor write the token cache"),
	}
}

// defaultCacheDir is tokenctl under the user cache directory, read from the
// command's environment; "" when it has none (then nothing is cached).
func defaultCacheDir(getenv func(string) string) string {
	if d := getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "tokenctl")
	}
	switch runtime.GOOS {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "tokenctl")
		}
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Caches", "tokenctl")
		}
	default:
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, ".cache", "tokenctl")
		}
	}
	return ""
}

// cached returns the token of exchange, shared through the file store under
// the cache directory. The record is named after a hash of what identifies
// the token (vendor, URL, credential, request) and sealed with AES-256-GCM
// under a key derived from the credential: the cache file is no use to
// anyone who does not already hold the credential it was exchanged with. A
// cache that cannot be used is reported on stderr and bypassed.
func (cf cacheFlags) cached(ctx context.Context, e *env, vendor string, credential tokenkit.Secret, identity []string,
	importFn tokenkit.ImportFunc, exchange func(context.Context) (tokenkit.Token, error)) (tokenkit.Token, error) {
	dir := *cf.dir
	if dir == "" {
		dir = defaultCacheDir(e.getenv)
	}
	if *cf.off || dir == "" {
		return exchange(ctx)
	}
	h := sha256.New()
	for _, s := range append([]string{vendor, credential.Reveal()}, identity...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	name := vendor + "-" + hex.EncodeToString(h.Sum(nil)[:12])
	derived := sha256.Sum256([]byte("tokenctl cache key v1\x00" + credential.Reveal()))
	key, err := store.NewKey("tokenctl-derived-1", derived[:])
	if err != nil {
		return nil, err
	}
	ring, err := store.NewKeyring(key)
	if err != nil {
		return nil, err
	}
	st, err := filestore.New(dir, store.Codec{Keys: ring})
	if err != nil {
		fmt.Fprintf(e.stderr, "tokenctl: warning: token cache unusable, exchanging without it: %v\n", err)
		return exchange(ctx)
	}
	src, err := tokenkit.NewSharedSource(tokenkit.SharedConfig{
		Store: st, Key: name, Import: importFn,
		Refresh: func(ctx context.Context, _ tokenkit.Token) (tokenkit.Token, error) { return exchange(ctx) },
	})
	if err != nil {
		return nil, err
	}
	tok, err := src.Token(ctx)
	var te *tokenkit.Error
	if errors.As(err, &te) && te.Vendor == "tokenkit" && te.Op == "SharedSource" {
		// The store failed, not the vendor: do without it.
		fmt.Fprintf(e.stderr, "tokenctl: warning: token cache unusable, exchanging without it: %v\n", err)
		return exchange(ctx)
	}
	return tok, err
}
