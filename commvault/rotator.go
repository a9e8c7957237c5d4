package commvault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
)

// DefaultRenewTimeout bounds one renewal run by a Rotator, retries of
// requests that never reached the server included.
const DefaultRenewTimeout = 2 * time.Minute

// Rotator owns the current pair of one create-and-renew chain and renews it
// the only safe way: Commvault deletes the whole chain when a pair that was
// already renewed is used again, so a Rotator
//
//   - serialises renewals: however many goroutines ask to renew the same
//     pair at once, one renew call is made and all of them get its result;
//     a caller that asks to renew a pair that has meanwhile been replaced gets
//     the replacement without a call;
//   - replaces the pair atomically: Current returns the old pair until the
//     new one is complete, then only the new one;
//   - calls OnRotate with each new pair the moment it is issued, before the
//     Rotator hands it to anyone, so a program can persist it before using
//     it (a crash cannot lose the only valid refresh token);
//   - never replays a pair after a renewal whose answer was lost: the call
//     fails with ErrOutcomeUnknown, and every later Renew of that pair too,
//     until Replace installs a new chain.
//
// The renew call runs detached from the callers' contexts (each caller's
// context bounds only its own wait), so that one caller giving up cannot turn
// a renewal into one of unknown outcome.
type Rotator struct {
	c        *Client
	onRotate func(*AccessToken)
	timeout  time.Duration

	pmu sync.Mutex // serialises "persist, then publish", so the store and memory agree

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

var _ tokenkit.Exchanger = (*Rotator)(nil)

// NewRotator returns a Rotator whose current pair is current (nil if there
// is none yet: call Replace with the first one). onRotate, if not nil, is
// called with every new pair, from Renew and Replace, before anyone else sees
// it; it runs on the renewing goroutine and must not call the Rotator.
func (c *Client) NewRotator(current *AccessToken, onRotate func(*AccessToken)) *Rotator {
	return &Rotator{c: c, cur: current, onRotate: onRotate, timeout: DefaultRenewTimeout}
}

// Current returns the current pair, or nil.
func (r *Rotator) Current() *AccessToken {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// Err returns the error of a renewal whose outcome is unknown when the
// current pair must not be renewed again (it matches ErrOutcomeUnknown), and
// nil otherwise.
func (r *Rotator) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.spent
}

// Renew renews the pair seen, which the caller holds and found expired or
// rejected, and returns the new current pair. If seen is no longer current
// (another goroutine renewed it), Renew returns the current pair without a
// call; if a renewal of it is under way, Renew waits for that one. A nil seen
// renews whatever pair is current.
func (r *Rotator) Renew(ctx context.Context, seen *AccessToken) (*AccessToken, error) {
	const opName = "RenewAccessToken"
	r.mu.Lock()
	cur := r.cur
	switch {
	case cur == nil:
		r.mu.Unlock()
		return nil, r.c.tx.InvalidInput(opName, "the rotator has no access token")
	case seen != nil && !samePair(seen, cur):
		r.mu.Unlock()
		return cur, nil
	case r.spent != nil:
		err := r.spent
		r.mu.Unlock()
		return nil, &tokenkit.Error{Vendor: vendor, Op: opName,
			Message: "not sent: an earlier renewal of this pair had an unknown outcome, so its refresh token may be spent; create a new token",
			Err:     err}
	}
	f := r.flight
	if f == nil {
		f = &renewal{done: make(chan struct{})}
		r.flight = f
		go r.renew(context.WithoutCancel(ctx), cur, f)
	}
	r.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return nil, &tokenkit.Error{Vendor: vendor, Op: opName, Message: "stopped waiting for the renewal (it goes on)", Err: ctx.Err()}
	}
}

// Exchange renews the current pair; it makes *Rotator a tokenkit.Exchanger.
func (r *Rotator) Exchange(ctx context.Context) (tokenkit.Token, error) {
	return httpx.AsToken(r.Renew(ctx, nil))
}

// Replace installs tok, the first pair of a new chain (from
// CreateAccessToken), as the current pair: it calls OnRotate, then publishes
// it, and clears an unknown-outcome state. A renewal of the old chain that
// completes afterwards is returned to its callers but neither persisted nor
// published.
func (r *Rotator) Replace(tok *AccessToken) {
	if tok == nil {
		return
	}
	r.pmu.Lock()
	defer r.pmu.Unlock()
	r.persist(tok)
	r.mu.Lock()
	r.cur, r.spent = tok, nil
	r.mu.Unlock()
}

func (r *Rotator) renew(ctx context.Context, old *AccessToken, f *renewal) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	tok, err := r.c.RenewAccessToken(ctx, old)
	cancel()

	r.pmu.Lock()
	r.mu.Lock()
	still := samePair(r.cur, old)
	r.mu.Unlock()
	if err == nil && still {
		r.persist(tok)
	}
	r.mu.Lock()
	switch {
	case err == nil && still:
		r.cur = tok
	case err != nil && still && errors.Is(err, tokenkit.ErrOutcomeUnknown):
		r.spent = err
	}
	f.tok, f.err = tok, err
	r.flight = nil
	r.mu.Unlock()
	r.pmu.Unlock()
	close(f.done)
}

// persist calls OnRotate; a panic in it does not stop the new pair from
// being published (the old one is spent either way).
func (r *Rotator) persist(tok *AccessToken) {
	if r.onRotate == nil {
		return
	}
	defer func() { _ = recover() }()
	r.onRotate(tok)
}

// String describes the rotator's current pair without its secrets.
func (r *Rotator) String() string {
	cur, err := r.Current(), r.Err()
	s := "commvault.Rotator{current: "
	if cur == nil {
		s += "none"
	} else {
		s += cur.String()
	}
	if err != nil {
		s += ", outcome of the last renewal unknown"
	}
	return s + "}"
}

// GoString is String, for %#v.
func (r *Rotator) GoString() string { return r.String() }

// Format writes String for every verb, so that no verb prints the pair.
func (r *Rotator) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }
