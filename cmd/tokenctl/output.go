package main

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/tokenkit/tokenkit"
)

// Output that other programs read: under -o json (or ndjson) a failure is
// one JSON document on standard error too, every id is a JSON string, and
// one concept has one field name whatever the command or vendor (id, name,
// created_at, expires_at, last_used_at, access_token, refresh_token,
// user_id, vendor).

// errorJSON is a failure under -o json, on standard error.
type errorJSON struct {
	Error struct {
		Message  string `json:"message"`
		Hint     string `json:"hint,omitempty"`
		Kind     string `json:"kind"`
		ExitCode int    `json:"exit_code"`
		Vendor   string `json:"vendor,omitempty"`
		Status   int    `json:"http_status,omitempty"`
		Code     string `json:"vendor_code,omitempty"`
	} `json:"error"`
}

// wantsJSON reports whether the command line asks for -o json or ndjson,
// read from the arguments so that it holds for usage errors too.
func wantsJSON(args []string) bool {
	for i, a := range args {
		if a == "--" {
			return false
		}
		switch {
		case a == "-o" || a == "--o":
			if i+1 < len(args) && (args[i+1] == "json" || args[i+1] == "ndjson") {
				return true
			}
		case a == "-o=json" || a == "--o=json" || a == "-o=ndjson" || a == "--o=ndjson":
			return true
		}
	}
	return false
}

// reportErrorJSON writes err as an errorJSON document on standard error.
func reportErrorJSON(e *env, err error, code int) {
	var out errorJSON
	msg := err.Error()
	var h *hinted
	if errors.As(err, &h) {
		msg, out.Error.Hint = strings.TrimSuffix(msg, "\nhint: "+h.hint), h.hint
	}
	out.Error.Message = strings.TrimPrefix(msg, "tokenctl: ")
	out.Error.ExitCode = code
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		out.Error.Kind = "usage"
	default:
		out.Error.Kind = tokenkit.KindOf(err).String()
	}
	var te *tokenkit.Error
	if errors.As(err, &te) {
		out.Error.Vendor, out.Error.Status, out.Error.Code = te.Vendor, te.StatusCode, te.Code
	}
	_ = writeJSONLine(e.stderr, out)
}

// deletedJSON is what delete -o json prints: the token that was deleted.
type deletedJSON struct {
	Vendor  string         `json:"vendor"`
	Deleted *tokenInfoJSON `json:"deleted"`
}

// printDeleted reports a deleted token: a line on standard error, or under
// -o json the token on standard output. info may hold only the id.
func printDeleted(e *env, cc *cmdCtx, vendor string, info tokenkit.TokenInfo) error {
	if !cc.json() {
		_, err := io.WriteString(e.stderr, "deleted "+safe(info.ID)+"\n")
		return err
	}
	j := infoJSON(info)
	return writeJSON(e.stdout, deletedJSON{Vendor: vendor, Deleted: &j})
}

// infoJSON is a TokenInfo for -o json.
func infoJSON(t tokenkit.TokenInfo) tokenInfoJSON {
	return tokenInfoJSON{ID: t.ID, Name: t.Name, CreatedAt: jsonTime(t.CreatedAt),
		ExpiresAt: jsonTime(t.ExpiresAt), LastUsedAt: jsonTime(t.LastUsedAt), Scopes: t.Scopes}
}

// lockedWriter serialises writes to standard error, which the SDK's logger
// (--verbose) and a command's own messages share.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// idString renders a numeric id as the JSON string every id is; 0 (none)
// is "".
func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}
