package chaos

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tokenkit/tokenkit"
)

// tagRT is the RoundTripper under every client of the suite: it sends the
// operation id of the request's context as callHeader, measures how many
// requests are in flight at once (for the single-flight check) and, under a
// tokenkit.Transport, marks the errors of the underlying transport so that
// they can be told apart from errors tokenkit makes.
type tagRT struct {
	base     http.RoundTripper
	gauge    *gauge // nil: not measured
	markBase bool
	sends    *sends // nil: not recorded
}

// sends records the requests that left the client, by operation id.
type sends struct {
	mu sync.Mutex
	m  map[string][]string // call id -> "METHOD path" of each request sent
}

func (s *sends) add(id string, r *http.Request) {
	s.mu.Lock()
	s.m[id] = append(s.m[id], r.Method+" "+r.URL.Path)
	s.mu.Unlock()
}

func (s *sends) of(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.m[id]...)
}

func (t *tagRT) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if id := callOf(req.Context()); id != "" {
		r.Header.Set(callHeader, id)
	}
	if t.sends != nil {
		t.sends.add(callOf(req.Context()), r)
	}
	if t.gauge != nil {
		t.gauge.in()
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		if t.gauge != nil {
			t.gauge.out()
		}
		if t.markBase {
			err = &baseError{err}
		}
		return nil, err
	}
	if t.gauge != nil {
		resp.Body = &gaugedBody{ReadCloser: resp.Body, g: t.gauge}
	}
	return resp, nil
}

// baseError is an error of the transport under a tokenkit.Transport, passed
// through unchanged: the Transport's job is the token, not the network.
type baseError struct{ err error }

func (e *baseError) Error() string { return e.err.Error() }
func (e *baseError) Unwrap() error { return e.err }

// gauge counts the requests of one Source's client that are in flight, from
// the start of the attempt until its body is closed.
type gauge struct {
	name     string
	cur, max atomic.Int32
	total    atomic.Int32
}

func (g *gauge) in() {
	g.total.Add(1)
	c := g.cur.Add(1)
	for {
		m := g.max.Load()
		if c <= m || g.max.CompareAndSwap(m, c) {
			return
		}
	}
}

func (g *gauge) out() { g.cur.Add(-1) }

type gaugedBody struct {
	io.ReadCloser
	g    *gauge
	once sync.Once
}

func (b *gaugedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.g.out)
	return err
}

// lines collects log output.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
	n   int
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	return l.buf.Write(p)
}

func (l *lines) snapshot() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String(), l.n
}

// secrets collects every secret the suite creates or sees on the wire.
type secrets struct {
	mu sync.Mutex
	m  map[string]string // value -> what it is
}

func newSecrets() *secrets { return &secrets{m: map[string]string{}} }

func (s *secrets) add(what, v string) {
	v = strings.TrimSpace(v)
	for _, p := range []string{"Bearer ", "bearer ", "QSDK "} {
		v = strings.TrimPrefix(v, p)
	}
	if strings.HasPrefix(v, "Basic ") {
		v = strings.TrimPrefix(v, "Basic ")
		if b, err := base64.StdEncoding.DecodeString(v); err == nil {
			if _, pw, ok := strings.Cut(string(b), ":"); ok {
				s.add(what+" (Basic password)", pw)
			}
		}
	}
	if len(v) < 8 {
		return
	}
	s.mu.Lock()
	if _, ok := s.m[v]; !ok {
		s.m[v] = what
	}
	if len(v) >= 32 {
		// A part of a secret leaks it too: look for its end, the most
		// random part (a JWT's signature).
		if tail := v[len(v)-16:]; s.m[tail] == "" {
			s.m[tail] = what + " (its last 16 characters)"
		}
	}
	s.mu.Unlock()
}

func (s *secrets) addToken(what string, t tokenkit.Token) {
	if t != nil {
		s.add(what, t.Value())
	}
}

var secretHeaders = []string{"Authorization", "Authtoken", "Private-Token", "Csp-Auth-Token", "X-Api-Key"}

var secretFields = map[string]bool{
	"password": true, "token": true, "api_token": true, "refresh_token": true, "refreshtoken": true,
	"plain_token": true, "otp_session_state": true, "otp_attempt": true, "passcode": true,
	"client_secret": true, "accesstoken": true, "access_token": true, "sessionid": true,
	"recovery_code": true, "id_token": true, "authtoken": true,
}

// harvest adds the credentials of a request as the server received it.
func (s *secrets) harvest(h http.Header, body []byte) {
	for _, k := range secretHeaders {
		for _, v := range h.Values(k) {
			s.add("header "+k, v)
		}
	}
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		for k, v := range obj {
			if str, ok := v.(string); ok && secretFields[strings.ToLower(k)] {
				s.add("body field "+k, str)
			}
		}
		return
	}
	if q, err := url.ParseQuery(string(body)); err == nil {
		for k, vs := range q {
			if secretFields[strings.ToLower(k)] {
				for _, v := range vs {
					s.add("form field "+k, v)
				}
			}
		}
	}
}

func (s *secrets) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// find returns the secrets that occur in text, with what they are.
func (s *secrets) find(text string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	const k = 12
	byPrefix := map[string][]string{}
	found := map[string]string{}
	for v, what := range s.m {
		if len(v) < k {
			if strings.Contains(text, v) {
				found[v] = what
			}
			continue
		}
		byPrefix[v[:k]] = append(byPrefix[v[:k]], v)
	}
	for i := 0; i+k <= len(text); i++ {
		cands, ok := byPrefix[text[i:i+k]]
		if !ok {
			continue
		}
		for _, v := range cands {
			if strings.HasPrefix(text[i:], v) {
				found[v] = s.m[v]
			}
		}
	}
	return found
}

// ownIs reports whether err is a *tokenkit.Error of operation op whose own
// cause (not that of a nested *tokenkit.Error, nor a token source's failure
// reported for op with TokenOp set) matches target.
func ownIs(err error, op string, target error) bool {
	var te *tokenkit.Error
	if !errors.As(err, &te) || te.Op != op || te.TokenOp != "" {
		return false
	}
	return causeIs(te.Err, target)
}

func causeIs(e, target error) bool {
	if e == nil {
		return false
	}
	if e == target {
		return true
	}
	if _, ok := e.(*tokenkit.Error); ok {
		return false
	}
	switch x := e.(type) {
	case interface{ Unwrap() error }:
		return causeIs(x.Unwrap(), target)
	case interface{ Unwrap() []error }:
		for _, c := range x.Unwrap() {
			if causeIs(c, target) {
				return true
			}
		}
	}
	return false
}
