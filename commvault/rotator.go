package commvault

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tokenkit/tokenkit"
)

// DefaultRenewTimeout bounds one renewal (Renew, and the renewals of an
// AccessTokenSource or AccessTokenExchanger), retries of requests that never
// reached the server included.
const DefaultRenewTimeout = 2 * time.Minute

// rotator owns the current pair of one create-and-renew chain and renews it
// the only safe way: Commvault deletes the whole chain when a pair that was
// already renewed is used again, so a rotator
//
//   - serialises renewals: however many goroutines ask to renew the same
//     pair at once, one renew call is made and all of them get its result;
//     a caller that asks to renew a pair that has meanwhile been replaced gets
//     the replacement without a call;
//   - replaces the pair atomically, the moment the answer is decoded: the
//     new pair is kept here whatever its caller does with it (a Source whose
//     Save fails holds it and saves it again), so it is never lost;
//   - never replays a pair after a renewal whose answer was lost: the call
//     fails with ErrOutcomeUnknown, and every later renew of that pair too,
//     until replace installs a new chain.
//
// The renew call runs detached from the callers' contexts (each caller's
// context bounds only its own wait), so that one caller giving up cannot turn
// a renewal into one of unknown outcome.
type rotator struct {
	c       *Client
	opName  string
	timeout time.Duration

	mu     sync.Mutex // guards cur, flight, spent
	cur    *AccessToken
	flight *renewal
	spent  error
}

type renewal struct {
	done chan struct{}
	tok  *AccessToken
	err  error
}

func (c *Client) newRotator(opName string, current *AccessToken) *rotator {
	return &rotator{c: c, opName: opName, cur: current, timeout: DefaultRenewTimeout}
}

// current returns the current pair, or nil.
func (r *rotator) current() *AccessToken {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// err returns the error of a renewal whose outcome is unknown when the
// current pair must not be renewed again (it matches ErrOutcomeUnknown), and
// nil otherwise.
func (r *rotator) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.spent
}

// renew renews the pair seen, which the caller holds and found expired or
// rejected, and returns the new current pair. If seen is no longer current
// (another goroutine renewed it), renew returns the current pair without a
// call; if a renewal of it is under way, renew waits for that one. A nil seen
// renews whatever pair is current.
func (r *rotator) renew(ctx context.Context, seen *AccessToken) (*AccessToken, error) {
	r.mu.Lock()
	cur := r.cur
	switch {
	case cur == nil:
		r.mu.Unlock()
		return nil, r.c.tx.InvalidInput(r.opName, "no access token to renew")
	case seen != nil && !samePair(seen, cur):
		r.mu.Unlock()
		return cur, nil
	case r.spent != nil:
		err := r.spent
		r.mu.Unlock()
		return nil, &tokenkit.Error{Vendor: vendor, Op: r.opName,
			Message: "not sent: an earlier renewal of this pair had an unknown outcome, so its refresh token may be spent; create a new token",
			Err:     err}
	}
	f := r.flight
	if f == nil {
		f = &renewal{done: make(chan struct{})}
		r.flight = f
		go r.run(context.WithoutCancel(ctx), cur, f)
	}
	r.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return nil, &tokenkit.Error{Vendor: vendor, Op: r.opName, Message: "stopped waiting for the renewal (it goes on)", Err: ctx.Err()}
	}
}

// replace installs tok, the first pair of a new chain (from
// CreateAccessToken), as the current pair and clears an unknown-outcome
// state. A renewal of the old chain that completes afterwards is returned to
// its callers but not published.
func (r *rotator) replace(tok *AccessToken) {
	if tok == nil {
		return
	}
	r.mu.Lock()
	r.cur, r.spent = tok, nil
	r.mu.Unlock()
}

func (r *rotator) run(ctx context.Context, old *AccessToken, f *renewal) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	tok, err := r.c.renewAccessToken(ctx, r.opName, old)
	cancel()

	r.mu.Lock()
	still := samePair(r.cur, old)
	switch {
	case err == nil && still:
		r.cur = tok
	case err != nil && still && errors.Is(err, tokenkit.ErrOutcomeUnknown):
		r.spent = err
	}
	f.tok, f.err = tok, err
	r.flight = nil
	r.mu.Unlock()
	close(f.done)
}
