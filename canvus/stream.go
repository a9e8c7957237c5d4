package canvus

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus/internal/api"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/ptr"
	"github.com/tokenkit/tokenkit/internal/redact"
)

// EventType says what an Event reports.
type EventType int

const (
	// Snapshot is the first event of a subscription: the state when it
	// started (every token for Subscribe, the one token for
	// SubscribeToken).
	Snapshot EventType = iota + 1
	// Created reports a token the subscription had not seen before.
	Created
	// Updated reports a change to a known token, such as a new
	// description.
	Updated
	// Deleted reports a token's removal (state "deleted").
	Deleted
)

// String returns the lower-case name of the event type.
func (t EventType) String() string {
	switch t {
	case Snapshot:
		return "snapshot"
	case Created:
		return "created"
	case Updated:
		return "updated"
	case Deleted:
		return "deleted"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// Event is one change seen on a subscription.
type Event struct {
	// Type says what the event reports.
	Type EventType
	// Token is the token the event is about, as the subscription now knows
	// it: an update may carry only some fields, and those it lacks keep
	// their last known value. For a Snapshot of SubscribeToken it is the
	// token; for a Snapshot of Subscribe it is zero.
	Token AccessTokenInfo
	// Tokens holds every token of a Snapshot.
	Tokens []AccessTokenInfo
	// Fields lists the JSON fields the update carried (for example
	// "description" and "id" for a rename), sorted; nil for a Snapshot.
	Fields []string
}

// Errors that end a subscription. They arrive in a *tokenkit.Error of kind
// tokenkit.KindTransport (they are under tokenkit.ErrTransport), which is
// retryable: resubscribe to carry on (Canvus has no resume; the new Snapshot
// gives the current state).
var (
	// ErrStreamClosed reports that the server ended the stream.
	ErrStreamClosed = tokenkit.Refine(tokenkit.ErrTransport, "canvus: the server closed the stream")
	// ErrStreamIdle reports that nothing arrived for the time set with
	// WithStreamIdleTimeout.
	ErrStreamIdle = tokenkit.Refine(tokenkit.ErrTransport, "canvus: the stream was idle too long")
	// ErrFrameTooLarge reports a line longer than WithMaxFrameBytes. It is
	// under tokenkit.ErrInvalidResponse.
	ErrFrameTooLarge = tokenkit.Refine(tokenkit.ErrInvalidResponse, "canvus: stream frame exceeds the size limit")
)

// Subscribe streams the changes of the user's tokens (GET
// /users/{id}/access-tokens?subscribe): first a Snapshot of every token,
// then one event per change, until ctx ends. Range over it:
//
//	for ev, err := range tokens.Subscribe(ctx) {
//		if err != nil { … } // see below
//		…
//	}
//
// The sequence ends without an error when ctx ends or the loop breaks, and
// no goroutine outlives it. A stream that the server closes, that breaks, or
// that stays idle too long (WithStreamIdleTimeout) ends with one error (see
// ErrStreamClosed). A frame that does not decode yields an error matching
// tokenkit.ErrInvalidResponse and the stream goes on if the loop continues.
// Keep-alive lines are skipped. The client's per-attempt timeout bounds only
// the wait for the response headers, never the stream.
func (t *Tokens) Subscribe(ctx context.Context) iter.Seq2[Event, error] {
	return t.subscribe(ctx, opSubscribe, false, "", func(ctx context.Context, uid int64, editors []api.RequestEditorFn) (*http.Response, error) {
		return t.c.api.ListAccessTokens(ctx, uid, &api.ListAccessTokensParams{Subscribe: ptr.To(true)}, editors...)
	})
}

// SubscribeToken streams the changes of one token (GET
// /users/{id}/access-tokens/{token-id}?subscribe): first a Snapshot with
// the token, then an Updated event per change and a Deleted event when it is
// deleted. It behaves like Subscribe.
func (t *Tokens) SubscribeToken(ctx context.Context, id string) iter.Seq2[Event, error] {
	return t.subscribe(ctx, opSubscribeToken, true, id, func(ctx context.Context, uid int64, editors []api.RequestEditorFn) (*http.Response, error) {
		editors = append(editors, escapeTokenID(id))
		return t.c.api.GetAccessToken(ctx, uid, id, &api.GetAccessTokenParams{Subscribe: ptr.To(true)}, editors...)
	})
}

type openFunc func(ctx context.Context, uid int64, editors []api.RequestEditorFn) (*http.Response, error)

// bareSubscribe rewrites "subscribe=true" as the bare "subscribe" of the
// vendor docs (WithBareSubscribe).
func bareSubscribe(_ context.Context, r *http.Request) error {
	r.URL.RawQuery = "subscribe"
	return nil
}

func (t *Tokens) subscribe(ctx context.Context, name string, single bool, id string, open openFunc) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		var uid int64
		var err error
		if single {
			uid, err = t.userFor(ctx, name, id)
		} else {
			uid, err = t.user(ctx, name)
		}
		if err != nil {
			if ctx.Err() == nil || tokenkit.KindOf(err) == tokenkit.KindInvalidInput {
				yield(Event{}, err)
			}
			return
		}
		c := t.c
		// sctx ends the request when the caller's ctx ends, the loop stops
		// or the idle timer fires; the transport then aborts the read.
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var editors []api.RequestEditorFn
		if c.opts.bareSubscribe {
			editors = append(editors, bareSubscribe)
		}
		op := &httpx.Op{Name: name, Class: httpx.Idempotent, Auth: t.auth, Stream: true}
		resp, err := httpx.Open(sctx, c.tx, op, func(ctx context.Context) (*http.Response, error) {
			return open(ctx, uid, editors)
		})
		if err != nil {
			if ctx.Err() == nil {
				yield(Event{}, err)
			}
			return
		}
		body := resp.Body
		defer body.Close()
		// A transport that ignores the context once the headers are in
		// still stops when the body is closed.
		defer context.AfterFunc(sctx, func() { _ = body.Close() })()

		var idle atomic.Bool
		var timer *time.Timer
		if d := c.opts.idleTimeout; d > 0 {
			timer = time.AfterFunc(d, func() { idle.Store(true); cancel() })
			defer timer.Stop()
		}

		fr := newFrameReader(body, c.opts.maxFrame)
		st := newStreamState(c.opts.loc, id)
		for {
			frame, err := fr.next()
			if timer != nil && err == nil {
				timer.Reset(c.opts.idleTimeout)
			}
			if err != nil {
				switch {
				case idle.Load():
					yield(Event{}, c.streamError(op, ErrStreamIdle))
				case ctx.Err() != nil:
					// The caller's own cancellation: end quietly.
				case errors.Is(err, ErrFrameTooLarge):
					te := c.tx.InvalidResponse(op, resp.StatusCode, fr.excerpt(), err)
					te.Err = fmt.Errorf("%w: %w", tokenkit.ErrInvalidResponse, ErrFrameTooLarge)
					yield(Event{}, te)
				case errors.Is(err, io.EOF):
					yield(Event{}, c.streamError(op, ErrStreamClosed))
				default:
					yield(Event{}, c.streamError(op, err))
				}
				return
			}
			ev, ok, err := st.apply(frame)
			switch {
			case err != nil:
				var fe *frameError
				if errors.As(err, &fe) && fe.body != nil {
					err = c.tx.BodyError(op, resp.StatusCode, resp.Header, fe.body)
				} else {
					err = c.tx.InvalidResponse(op, resp.StatusCode, frame, err)
				}
				if !yield(Event{}, err) {
					return
				}
			case ok:
				if !yield(ev, nil) {
					return
				}
			}
		}
	}
}

// streamError reports a stream that ended, as a transport failure (status
// 0) that names the cause.
func (c *Client) streamError(op *httpx.Op, cause error) error {
	if !errors.Is(cause, ErrStreamClosed) && !errors.Is(cause, ErrStreamIdle) {
		// A read error's text is the transport's; scrub it all the same.
		cause = &scrubbed{err: cause, text: redact.Text(cause.Error(), op.Secrets())}
		if tokenkit.KindOf(cause) != tokenkit.KindCanceled {
			cause = fmt.Errorf("%w: %w", tokenkit.ErrTransport, cause)
		}
	}
	return &tokenkit.Error{Vendor: vendor, Op: op.Name, Attempts: op.Attempts(), Message: "subscription ended", Err: cause}
}

// frameReader reads newline-delimited frames without ever holding more than
// max bytes of one frame (plus the read buffer).
type frameReader struct {
	br  *bufio.Reader
	max int
	buf []byte
	eof bool
}

func newFrameReader(r io.Reader, max int) *frameReader {
	return &frameReader{br: bufio.NewReaderSize(r, min(max+2, 64<<10)), max: max}
}

// next returns the next line without its line ending; io.EOF after the
// last one. A line longer than max is ErrFrameTooLarge.
func (f *frameReader) next() ([]byte, error) {
	if f.eof {
		return nil, io.EOF
	}
	f.buf = f.buf[:0]
	for {
		chunk, err := f.br.ReadSlice('\n')
		if len(f.buf)+len(chunk) > f.max+2 { // +2: the "\r\n" is not part of the frame
			f.buf = append(f.buf, chunk[:min(len(chunk), 512)]...)
			return nil, ErrFrameTooLarge
		}
		f.buf = append(f.buf, chunk...)
		switch {
		case err == nil:
			line := bytes.TrimRight(f.buf, "\r\n")
			if len(line) > f.max {
				return nil, ErrFrameTooLarge
			}
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(f.buf) > 0:
			f.eof = true // a last frame without a newline
			return bytes.TrimRight(f.buf, "\r\n"), nil
		default:
			return nil, err
		}
	}
}

// excerpt returns the start of the frame being read, for an error.
func (f *frameReader) excerpt() []byte { return f.buf[:min(len(f.buf), 512)] }

// streamState turns frames into events, keeping what it knows of each
// token so that sparse updates do not blank the fields they omit.
type streamState struct {
	loc     *time.Location
	single  string // the token id of SubscribeToken, "" for Subscribe
	known   map[string]AccessTokenInfo
	started bool
}

func newStreamState(loc *time.Location, single string) *streamState {
	return &streamState{loc: loc, single: single, known: make(map[string]AccessTokenInfo)}
}

// frameError is a frame that is an error object ({"msg": …}).
type frameError struct{ body []byte }

func (e *frameError) Error() string { return "error frame" }

// apply decodes one frame. ok is false for a keep-alive line.
func (st *streamState) apply(frame []byte) (ev Event, ok bool, err error) {
	frame = bytes.TrimSpace(frame)
	if len(frame) == 0 {
		return Event{}, false, nil
	}
	switch frame[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(frame, &items); err != nil {
			return Event{}, false, fmt.Errorf("decoding a snapshot frame: %w", scrubJSON(err))
		}
		known := make(map[string]AccessTokenInfo, len(items))
		list := make([]AccessTokenInfo, 0, len(items))
		for _, it := range items {
			u, err := decodeUpdate(it, st.loc)
			if err != nil {
				return Event{}, false, err
			}
			if u.id == "" {
				return Event{}, false, errors.New("a snapshot entry has no id")
			}
			info := u.merge(AccessTokenInfo{})
			known[info.ID] = info
			list = append(list, info)
		}
		st.known, st.started = known, true
		return Event{Type: Snapshot, Tokens: list}, true, nil
	case '{':
		u, err := decodeUpdate(frame, st.loc)
		if err != nil {
			return Event{}, false, err
		}
		if u.id == "" {
			if u.isError {
				return Event{}, false, &frameError{body: frame}
			}
			return Event{}, false, errors.New("an update frame has no id")
		}
		prev, seen := st.known[u.id]
		info := u.merge(prev)
		first := !st.started
		st.started = true
		switch {
		case u.state == string(api.AccessTokenStateDeleted):
			delete(st.known, u.id)
			return Event{Type: Deleted, Token: info, Fields: u.fields}, true, nil
		case first && st.single != "":
			st.known[u.id] = info
			return Event{Type: Snapshot, Token: info, Tokens: []AccessTokenInfo{info}}, true, nil
		}
		st.known[u.id] = info
		typ := Updated
		if !seen {
			typ = Created
		}
		return Event{Type: typ, Token: info, Fields: u.fields}, true, nil
	}
	return Event{}, false, errors.New("a frame is neither a JSON object nor an array")
}

// update is one decoded token object, with the fields it carried.
type update struct {
	id, description, state string
	created                time.Time
	has                    map[string]bool
	fields                 []string
	isError                bool
}

func decodeUpdate(raw []byte, loc *time.Location) (*update, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decoding a frame: %w", scrubJSON(err))
	}
	if m == nil {
		return nil, errors.New("a frame entry is null")
	}
	u := &update{has: make(map[string]bool, len(m))}
	for k := range m {
		u.fields = append(u.fields, k)
		u.has[k] = true
	}
	slices.Sort(u.fields)
	str := func(k string) (string, error) {
		v, ok := m[k]
		if !ok {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("field %q is not a string", k)
		}
		return s, nil
	}
	var err error
	if u.id, err = str("id"); err != nil {
		return nil, err
	}
	if u.description, err = str("description"); err != nil {
		return nil, err
	}
	if u.state, err = str("state"); err != nil {
		return nil, err
	}
	created, err := str("created_at")
	if err != nil {
		return nil, err
	}
	if u.created, err = parseTime(created, loc); err != nil {
		return nil, fmt.Errorf("created_at: %w", err)
	}
	u.isError = u.has["msg"] || u.has["message"]
	return u, nil
}

// merge lays the fields the update carried over prev.
func (u *update) merge(prev AccessTokenInfo) AccessTokenInfo {
	prev.ID = u.id
	if u.has["description"] {
		prev.Description = u.description
	}
	if u.has["created_at"] {
		prev.CreatedAt = u.created
	}
	return prev
}

// scrubJSON drops the offending value from a JSON type error.
func scrubJSON(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("json: field %q has type %s, want %s", te.Field, te.Value, te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("json: syntax error at offset %d", se.Offset)
	}
	return err
}

// scrubbed keeps a cause reachable for errors.Is while its text is
// redacted.
type scrubbed struct {
	err  error
	text string
}

func (s *scrubbed) Error() string { return s.text }
func (s *scrubbed) Unwrap() error { return s.err }
