package canvus_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/canvus/canvustest"
	"github.com/tokenkit/tokenkit/fakes"
)

// TestSubscribeSeesOtherClientsChanges subscribes to Alice's tokens,
// creates, renames and deletes tokens through another client, receives
// exactly those events in order, then cancels and sees the iterator end
// with no goroutine left behind. It runs over HTTP and through the httpmock
// Responder, and is not parallel: it counts goroutines.
func TestSubscribeSeesOtherClientsChanges(t *testing.T) {
	for _, transport := range []string{"httptest", "httpmock"} {
		t.Run(transport, func(t *testing.T) {
			w := newWorld(t)
			ctx := context.Background()
			c := w.c
			if transport == "httpmock" {
				c, _ = responderClient(t, w.fake)
			}
			login, err := c.Login(ctx, canvus.Credentials{Email: aliceEmail, Password: alicePass})
			if err != nil {
				t.Fatal(err)
			}
			aliceToks := tokensFor(t, c, w.alice.ID, tokenkit.StaticSource(login))
			seeded, err := aliceToks.Create(ctx, "seeded")
			if err != nil {
				t.Fatal(err)
			}
			// Another client, signed in as the admin, makes the changes. Warm
			// up its connection first so that the goroutine count compares like
			// with like.
			other := newClient(t, w.fake.URL())
			otherLogin, err := other.Login(ctx, canvus.Credentials{Email: adminEmail, Password: adminPass})
			if err != nil {
				t.Fatal(err)
			}
			otherToks := tokensFor(t, other, w.alice.ID, tokenkit.StaticSource(otherLogin))
			runtime.GC()
			baseline := runtime.NumGoroutine()

			sctx, cancel := context.WithCancel(ctx)
			defer cancel()
			ch := pump(aliceToks.Subscribe(sctx))
			snap := next(t, ch)
			if snap.err != nil || snap.ev.Type != canvus.Snapshot || len(snap.ev.Tokens) != 1 || snap.ev.Tokens[0] != seeded.Info() {
				t.Fatalf("snapshot %+v", snap)
			}
			w.fake.KeepAlive() // skipped by the client

			created, err := otherToks.Create(ctx, "created elsewhere")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := otherToks.Rename(ctx, created.ID, "renamed elsewhere"); err != nil {
				t.Fatal(err)
			}
			w.fake.KeepAlive()
			if err := otherToks.Delete(ctx, created.ID); err != nil {
				t.Fatal(err)
			}
			if err := otherToks.Delete(ctx, seeded.ID); err != nil {
				t.Fatal(err)
			}
			renamed := created.Info()
			renamed.Description = "renamed elsewhere"
			want := []canvus.Event{
				{Type: canvus.Created, Token: created.Info(), Fields: []string{"created_at", "description", "id"}},
				{Type: canvus.Updated, Token: renamed, Fields: []string{"created_at", "description", "id"}},
				{Type: canvus.Deleted, Token: renamed, Fields: []string{"created_at", "description", "id", "state"}},
				{Type: canvus.Deleted, Token: seeded.Info(), Fields: []string{"created_at", "description", "id", "state"}},
			}
			for i, we := range want {
				got := next(t, ch)
				if got.err != nil || !sameEvent(got.ev, we) {
					t.Fatalf("event %d: got %+v / %v, want %+v", i, got.ev, got.err, we)
				}
			}

			cancel()
			if rest := ended(t, ch); len(rest) != 0 {
				t.Fatalf("after cancel the iterator yielded %+v", rest)
			}
			// The fake notices the gone client asynchronously; once it has,
			// no goroutine of either side may remain.
			waitFor(t, func() bool { return w.fake.Subscribers() == 0 })
			settleGoroutines(t, baseline)
			deadline := time.Now().Add(10 * time.Second)
			for leaked := leakedStreamGoroutines(); len(leaked) != 0; leaked = leakedStreamGoroutines() {
				if time.Now().After(deadline) {
					t.Fatalf("stream goroutines left:\n%s", strings.Join(leaked, "\n\n"))
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

func sameEvent(a, b canvus.Event) bool {
	return a.Type == b.Type && a.Token == b.Token && slices.Equal(a.Fields, b.Fields) && slices.Equal(a.Tokens, b.Tokens)
}

// waitFor polls cond: the fake notices a gone client asynchronously.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSubscribeToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, toks := w.login(t, aliceEmail, alicePass)
	a, _ := toks.Create(ctx, "a")
	b, _ := toks.Create(ctx, "b")
	ch := pump(toks.SubscribeToken(ctx, a.ID))
	if it := next(t, ch); it.err != nil || it.ev.Type != canvus.Snapshot || it.ev.Token != a.Info() || len(it.ev.Tokens) != 1 {
		t.Fatalf("snapshot %+v", it)
	}
	if _, err := toks.Rename(ctx, b.ID, "not this one"); err != nil {
		t.Fatal(err)
	}
	if _, err := toks.Rename(ctx, a.ID, "a2"); err != nil {
		t.Fatal(err)
	}
	if it := next(t, ch); it.err != nil || it.ev.Type != canvus.Updated || it.ev.Token.Description != "a2" {
		t.Fatalf("update %+v", it)
	}
	if err := toks.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if it := next(t, ch); it.err != nil || it.ev.Type != canvus.Deleted || it.ev.Token.ID != a.ID {
		t.Fatalf("delete %+v", it)
	}
	cancel()
	if rest := ended(t, ch); len(rest) != 0 {
		t.Fatalf("after cancel: %+v", rest)
	}
}

// TestSparseUpdatesKeepKnownFields: an update that carries only some
// fields does not blank the others.
func TestSparseUpdatesKeepKnownFields(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.fake.SetSparseUpdates(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, toks := w.login(t, aliceEmail, alicePass)
	a, _ := toks.Create(ctx, "a")
	ch := pump(toks.Subscribe(ctx))
	next(t, ch)
	if _, err := toks.Rename(ctx, a.ID, "a2"); err != nil {
		t.Fatal(err)
	}
	it := next(t, ch)
	if it.ev.Type != canvus.Updated || !slices.Equal(it.ev.Fields, []string{"description", "id"}) ||
		it.ev.Token.Description != "a2" || !it.ev.Token.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("sparse rename %+v", it)
	}
	_ = toks.Delete(ctx, a.ID)
	it = next(t, ch)
	if it.ev.Type != canvus.Deleted || !slices.Equal(it.ev.Fields, []string{"id", "state"}) || it.ev.Token.Description != "a2" {
		t.Fatalf("sparse delete %+v", it)
	}
}

func TestSubscribeQueryForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts []tokenkit.Option
		want string
	}{
		{nil, "subscribe=true"},
		{[]tokenkit.Option{canvus.WithBareSubscribe()}, "subscribe"},
	} {
		w := newWorld(t, tc.opts...)
		_, toks := w.login(t, aliceEmail, alicePass)
		ctx, cancel := context.WithCancel(context.Background())
		for ev, err := range toks.Subscribe(ctx) {
			if err != nil || ev.Type != canvus.Snapshot {
				t.Fatalf("%v %v", ev, err)
			}
			break // stopping the loop ends the stream
		}
		cancel()
		reqs := w.fake.Requests()
		if got := reqs[len(reqs)-1]; got.Operation != canvustest.OpListAccessTokens || got.RawQuery != tc.want {
			t.Fatalf("query %q, want %q", got.RawQuery, tc.want)
		}
		waitFor(t, func() bool { return w.fake.Subscribers() == 0 })
	}
}

// TestStreamOutlivesAttemptTimeout: the per-attempt timeout bounds the wait
// for the headers only. The wait below is real time because that timeout
// runs on the real clock; it asserts survival, not timing.
func TestStreamOutlivesAttemptTimeout(t *testing.T) {
	t.Parallel()
	w := newWorld(t, tokenkit.WithAttemptTimeout(20*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, toks := w.login(t, aliceEmail, alicePass)
	ch := pump(toks.Subscribe(ctx))
	next(t, ch)
	time.Sleep(150 * time.Millisecond)
	created, err := toks.Create(ctx, "late")
	if err != nil {
		t.Fatal(err)
	}
	if it := next(t, ch); it.err != nil || it.ev.Type != canvus.Created || it.ev.Token.ID != created.ID {
		t.Fatalf("after the attempt timeout: %+v", it)
	}
}

func TestStreamIdleTimeout(t *testing.T) {
	t.Parallel()
	t.Run("silent server", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, canvus.WithStreamIdleTimeout(50*time.Millisecond))
		w.fake.SetKeepAlive(0)
		_, toks := w.login(t, aliceEmail, alicePass)
		ch := pump(toks.Subscribe(context.Background()))
		next(t, ch)
		rest := ended(t, ch)
		if len(rest) != 1 || !errors.Is(rest[0].err, canvus.ErrStreamIdle) || !errors.Is(rest[0].err, tokenkit.ErrTransport) {
			t.Fatalf("want one idle error, got %+v", rest)
		}
		isTK(t, rest[0].err)
		waitFor(t, func() bool { return w.fake.Subscribers() == 0 })
	})
	t.Run("keep-alives reset it", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, canvus.WithStreamIdleTimeout(time.Second))
		w.fake.SetKeepAlive(10 * time.Millisecond)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, toks := w.login(t, aliceEmail, alicePass)
		ch := pump(toks.Subscribe(ctx))
		next(t, ch)
		time.Sleep(2 * time.Second) // two idle timeouts, filled with keep-alives
		if _, err := toks.Create(ctx, "still here"); err != nil {
			t.Fatal(err)
		}
		if it := next(t, ch); it.err != nil || it.ev.Type != canvus.Created {
			t.Fatalf("%+v", it)
		}
	})
}

func TestStreamEndsWhenServerCloses(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, toks := w.login(t, aliceEmail, alicePass)
	ch := pump(toks.Subscribe(context.Background()))
	next(t, ch)
	w.fake.Close()
	rest := ended(t, ch)
	if len(rest) != 1 || !errors.Is(rest[0].err, tokenkit.ErrTransport) {
		t.Fatalf("want one error, got %+v", rest)
	}
	if te := isTK(t, rest[0].err); !te.Retryable() {
		t.Fatal("a dropped stream is worth resubscribing")
	}
}

// streamMock answers every subscription with body.
func streamMock(t *testing.T, body io.Reader, opts ...tokenkit.Option) *canvus.Tokens {
	t.Helper()
	c, mt := newMocked(t, opts...)
	mt.RegisterResponder(http.MethodGet, host+"/api/v1/users/7/access-tokens",
		func(req *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(body), Request: req}, nil
		})
	return tokensFor(t, c, 7, tokenkit.StaticSource(held("tok-abcdef")))
}

// infinite yields 'x' forever, without a newline.
type infinite struct{}

func (infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestStreamFrameLimit(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]io.Reader{
		"long line":    strings.NewReader("[]\n" + strings.Repeat("x", 5000) + "\n"),
		"endless line": io.MultiReader(strings.NewReader("[]\n"), infinite{}),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			toks := streamMock(t, body, canvus.WithMaxFrameBytes(1024))
			var got []item
			for ev, err := range toks.Subscribe(context.Background()) {
				got = append(got, item{ev, err})
			}
			if len(got) != 2 || got[0].ev.Type != canvus.Snapshot {
				t.Fatalf("got %+v", got)
			}
			err := got[1].err
			if !errors.Is(err, canvus.ErrFrameTooLarge) || !errors.Is(err, tokenkit.ErrInvalidResponse) {
				t.Fatalf("want a frame-size error, got %v", err)
			}
			if te := isTK(t, err); len(te.Body) > 1024 {
				t.Fatalf("the error keeps %d bytes of the frame", len(te.Body))
			}
		})
	}
}

func TestStreamFrameDecoding(t *testing.T) {
	t.Parallel()
	const created = `"created_at":"2021-07-02T06:38:36.025"`
	body := strings.Join([]string{
		`[{"id":"a","description":"A",` + created + `}]`,
		``,
		`   `,
		`{bad json`,
		`{"id":"b","description":"B",` + created + `}`,
		`{"msg":"Permission denied"}`,
		`{"id":"a","description":"A2"}`,
		`{"id":"a","state":"deleted"}`,
		`"a string"`,
		`{"description":"no id"}`,
		`{"id":"c","created_at":"yesterday"}`,
		`{"id":"d","description":"last frame without a newline"}`,
	}, "\r\n")
	toks := streamMock(t, strings.NewReader(body))
	var got []item
	for ev, err := range toks.Subscribe(context.Background()) {
		got = append(got, item{ev, err})
	}
	at := time.Date(2021, 7, 2, 6, 38, 36, 25e6, time.UTC)
	want := []struct {
		typ canvus.EventType
		err error
		tok canvus.AccessTokenInfo
	}{
		{canvus.Snapshot, nil, canvus.AccessTokenInfo{}},
		{0, tokenkit.ErrInvalidResponse, canvus.AccessTokenInfo{}},
		{canvus.Created, nil, canvus.AccessTokenInfo{ID: "b", Description: "B", CreatedAt: at}},
		{0, tokenkit.ErrForbidden, canvus.AccessTokenInfo{}}, // placeholder, checked below
		{canvus.Updated, nil, canvus.AccessTokenInfo{ID: "a", Description: "A2", CreatedAt: at}},
		{canvus.Deleted, nil, canvus.AccessTokenInfo{ID: "a", Description: "A2", CreatedAt: at}},
		{0, tokenkit.ErrInvalidResponse, canvus.AccessTokenInfo{}},
		{0, tokenkit.ErrInvalidResponse, canvus.AccessTokenInfo{}},
		{0, tokenkit.ErrInvalidResponse, canvus.AccessTokenInfo{}},
		{canvus.Created, nil, canvus.AccessTokenInfo{ID: "d", Description: "last frame without a newline"}},
		{0, canvus.ErrStreamClosed, canvus.AccessTokenInfo{}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if i == 3 {
			// An error frame becomes the server's message.
			var er *canvus.ErrorResponse
			if te := isTK(t, g.err); te.Message != "Permission denied" || !errors.As(g.err, &er) {
				t.Fatalf("error frame: %v", g.err)
			}
			continue
		}
		if w.err != nil {
			if !errors.Is(g.err, w.err) {
				t.Fatalf("item %d: %v, want %v", i, g.err, w.err)
			}
			isTK(t, g.err)
			continue
		}
		if g.err != nil || g.ev.Type != w.typ || g.ev.Token != w.tok {
			t.Fatalf("item %d: %+v, want %v %+v", i, g, w.typ, w.tok)
		}
	}
	if s := got[0].ev; len(s.Tokens) != 1 || s.Tokens[0] != (canvus.AccessTokenInfo{ID: "a", Description: "A", CreatedAt: at}) {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestStreamOpenFailures(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	bad := tokensFor(t, w.c, w.alice.ID, tokenkit.StaticSource(held("bogus")))
	var errs []error
	for _, err := range bad.Subscribe(context.Background()) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], tokenkit.ErrUnauthorized) {
		t.Fatalf("%v", errs)
	}
	// A retried open: 503 then the stream.
	_, toks := w.login(t, aliceEmail, alicePass)
	w.fake.FailNext(1, fakes.Fault{Status: http.StatusServiceUnavailable})
	ctx, cancel := context.WithCancel(context.Background())
	for ev, err := range toks.Subscribe(ctx) {
		if err != nil || ev.Type != canvus.Snapshot {
			t.Fatalf("%v %v", ev, err)
		}
		break
	}
	cancel()
	// A context that is already done yields nothing.
	for ev, err := range toks.Subscribe(ctx) {
		t.Fatalf("cancelled subscription yielded %v %v", ev, err)
	}
}

func TestEventTypeString(t *testing.T) {
	t.Parallel()
	for typ, want := range map[canvus.EventType]string{canvus.Snapshot: "snapshot", canvus.Created: "created",
		canvus.Updated: "updated", canvus.Deleted: "deleted", 0: "EventType(0)"} {
		if typ.String() != want {
			t.Errorf("%d: %q", int(typ), typ.String())
		}
	}
}

var _ = httpmock.NewMockTransport
