package httpx

// This file: bounded response bodies and redacted URL errors.

import (
	"bytes"
	"errors"
	"io"
	"net/url"

	"github.com/tokenkit/tokenkit/internal/redact"
)

// limitedBody fails a read past the size limit instead of growing without
// bound.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

// ErrBodyTooLarge is returned by a read past WithMaxResponseBytes.
var ErrBodyTooLarge = errors.New("response body exceeds the size limit")

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Is there more? Probe one byte.
		var one [1]byte
		n, err := l.rc.Read(one[:])
		if n > 0 {
			return 0, ErrBodyTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }

// ReadBody reads a bounded body; the error wraps ErrBodyTooLarge past the
// limit.
func ReadBody(r io.Reader) ([]byte, error) {
	return readBody(r, -1)
}

// readBody reads r; sizeHint (a Content-Length, or -1) presizes the buffer
// so that a large body is not copied at every doubling.
func readBody(r io.Reader, sizeHint int64) ([]byte, error) {
	var buf bytes.Buffer
	if sizeHint > 0 {
		buf.Grow(int(min(sizeHint, 1<<20)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// redactedURLError rebuilds a *url.Error with the URL redacted.
func redactedURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		shown := redact.Mask
		if perr == nil {
			shown = redact.URL(u)
		}
		return &url.Error{Op: ue.Op, URL: shown, Err: ue.Err}
	}
	return err
}
