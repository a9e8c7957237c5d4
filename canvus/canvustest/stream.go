package canvustest

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// subBuffer is how many frames a slow subscriber may fall behind before
// the fake ends its stream (fake's choice).
const subBuffer = 256

// subscriber is one open subscription stream.
type subscriber struct {
	userID  int64
	tokenID string // "" for a list subscription
	ch      chan []byte
	closed  bool
}

// send queues a frame (nil for a keep-alive) without blocking; a subscriber
// that fell too far behind loses its stream. Called with s.mu held.
func (sub *subscriber) send(frame []byte) {
	if sub.closed {
		return
	}
	select {
	case sub.ch <- frame:
	default:
		sub.closed = true
		close(sub.ch)
	}
}

// subscribeLocked registers a subscription whose first frame is initial,
// taken under the same lock, so that no change is lost or sent twice.
func (s *Server) subscribeLocked(ctx context.Context, userID int64, tokenID string, initial []byte) streamResponse {
	sub := &subscriber{userID: userID, tokenID: tokenID, ch: make(chan []byte, subBuffer)}
	s.subs[sub] = struct{}{}
	return streamResponse{s: s, ctx: ctx, sub: sub, initial: initial, keepAlive: s.keepAlive}
}

func (s *Server) unsubscribe(sub *subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.subs, sub)
	if !sub.closed {
		sub.closed = true
		close(sub.ch)
	}
}

// broadcastLocked sends the frame v about token t to the subscriptions of
// its owner's list and of the token itself.
func (s *Server) broadcastLocked(t *AccessToken, v any) {
	frame, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	for sub := range s.subs {
		if sub.userID == t.UserID && (sub.tokenID == "" || sub.tokenID == t.ID) {
			sub.send(frame)
		}
	}
}

// streamResponse writes a subscription: the initial frame, then queued
// frames and keep-alive lines, each flushed, until the request's context
// ends, the subscriber is dropped or the Server closes.
type streamResponse struct {
	s         *Server
	ctx       context.Context
	sub       *subscriber
	initial   []byte
	keepAlive time.Duration
}

func (r streamResponse) VisitListAccessTokensResponse(w http.ResponseWriter) error { return r.visit(w) }
func (r streamResponse) VisitGetAccessTokenResponse(w http.ResponseWriter) error   { return r.visit(w) }

func (r streamResponse) visit(w http.ResponseWriter) error {
	defer r.s.unsubscribe(r.sub)
	// The third-party streaming notes claim application/json and chunked
	// encoding (unverified).
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	write := func(frame []byte) bool {
		if _, err := w.Write(append(frame, '\n')); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write(r.initial) {
		return nil
	}
	var tick <-chan time.Time
	if r.keepAlive > 0 {
		t := time.NewTicker(r.keepAlive)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-r.ctx.Done():
			return nil
		case <-r.s.Done():
			return nil
		case frame, ok := <-r.sub.ch:
			if !ok || !write(frame) {
				return nil
			}
		case <-tick:
			if !write(nil) {
				return nil
			}
		}
	}
}
