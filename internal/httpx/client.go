package httpx

// This file: Client: building a vendor client over retryablehttp, and Do.

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/config"
	"github.com/tokenkit/tokenkit/internal/redact"
)

// Client sends the requests of one vendor client. It implements the
// HttpRequestDoer interface of oapi-codegen's generated clients.
type Client struct {
	vendor   string
	settings *config.Settings
	rc       *retryablehttp.Client
	streamRC *retryablehttp.Client // rc without the client-wide timeout
	// attemptTimeout bounds each non-stream attempt, body included; 0 when
	// the user's own http.Client.Timeout governs instead.
	attemptTimeout time.Duration
	decode         ErrorDecoder
	ua             string
	logger         *slog.Logger
	obs            tokenkit.Observer // WithObserver's, for retries
	resendObs      tokenkit.Observer // obs and the logger's, for resends
	inBand         func(op *Op, res *Result) error
}

// Apply applies opts over the defaults for a client of vendor and reports
// invalid ones, and options of another vendor's package.
func Apply(vendor string, opts []tokenkit.Option) (*config.Settings, error) {
	s := config.Defaults()
	for _, o := range opts {
		config.ApplyOption(o, vendor, s)
	}
	return s, s.Err()
}

// VendorOption builds an option of vendor's package: name is its With
// function, for errors; apply changes the settings.
func VendorOption(vendor, name string, apply func(*config.Settings)) tokenkit.Option {
	return config.NewOption(vendor, name, apply).(tokenkit.Option)
}

// New returns the transport of vendor with settings s; decode turns that
// vendor's error bodies into *tokenkit.Error fields.
func New(vendor string, s *config.Settings, decode ErrorDecoder) *Client {
	hc := s.HTTPClient
	if hc == nil {
		hc = cleanhttp.DefaultPooledClient()
		hc.Transport = boundedTransport(hc.Transport)
	}
	inner := *hc // never modify the user's client
	// A credential belongs to the origin it was configured for: vendor
	// calls never follow a redirect, whatever the user's client does. The
	// 3xx answer itself comes back, and Open reports it (ErrRedirected).
	// Following would resend the vendor's own credential headers
	// (Authtoken, Private-Token, x-api-key, csp-auth-token), which net/http
	// does not strip, and with 307/308 the body (passwords, refresh
	// tokens) to whatever host the Location names; and a mutating call
	// would count hops as attempts.
	inner.CheckRedirect = noRedirects
	base := inner.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c := &Client{vendor: vendor, settings: s, decode: decode, logger: s.Logger}
	c.obs, _ = s.Observer.(tokenkit.Observer)
	c.resendObs = tokenkit.Observers(c.obs, tokenkit.LogObserver(s.Logger))
	if inner.Timeout == 0 {
		// The attempt RoundTripper applies the per-attempt timeout itself,
		// after it has the token: a slow token fetch must not eat into the
		// attempt, nor turn "never sent" into "timed out" (which for a
		// mutating call would read as an unknown outcome).
		c.attemptTimeout = s.AttemptTimeout
	}
	inner.Transport = &attempt{c: c, base: base}

	ua := "tokenkit-go/" + tokenkit.Version + " (" + vendor + ")"
	if s.UserAgent != "" {
		ua = s.UserAgent + " " + ua
	}
	c.ua = ua

	c.rc = c.retrying(&inner)
	stream := inner
	stream.Timeout = 0 // the attempt RoundTripper bounds the headers instead
	c.streamRC = c.retrying(&stream)
	return c
}

func (c *Client) retrying(hc *http.Client) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       nil, // tokenkit logs through the redactor instead
		RetryWaitMin: c.settings.RetryWaitMin,
		RetryWaitMax: c.settings.RetryWaitMax,
		RetryMax:     c.settings.RetryMax,
		CheckRetry:   c.checkRetry,
		Backoff:      c.backoff,
		ErrorHandler: passLastResponse,
	}
}

// Vendor returns the vendor name errors carry.
func (c *Client) Vendor() string { return c.vendor }

// Settings returns the settings the client was built with.
func (c *Client) Settings() *config.Settings { return c.settings }

// Do sends req with retries. req's context must carry an Op (see Call).
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	op := opFrom(req.Context())
	if op == nil {
		return nil, fmt.Errorf("tokenkit: internal error: %s request without an operation", c.vendor)
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	op.addSecrets(redact.RequestSecrets(req.Header, req.URL, body))

	var rbody any
	if body != nil {
		rbody = body
	}
	rreq, err := retryablehttp.NewRequestWithContext(req.Context(), req.Method, req.URL.String(), rbody)
	if err != nil {
		return nil, err
	}
	for k, v := range req.Header {
		rreq.Header[k] = v
	}
	if body == nil && rreq.Header.Get("Content-Type") == "" {
		// oapi-codegen sets an empty Content-Type on bodiless requests.
		rreq.Header.Del("Content-Type")
	}
	rreq.Header.Set("User-Agent", c.ua)
	rc := c.rc
	if op.Stream {
		rc = c.streamRC
	}
	resp, err := rc.Do(rreq)
	if err != nil {
		return nil, err
	}
	if !op.Stream {
		resp.Body = &limitedBody{rc: resp.Body, left: c.settings.MaxResponseBytes}
	}
	return resp, nil
}

// noRedirects is the CheckRedirect of every vendor client: the redirect
// answer is returned as it is, never followed.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// MaxResponseHeaderBytes bounds the response headers the default transport
// reads (net/http's own default is 10 MB): a hostile server cannot make a
// call allocate more than the documented bound with headers either. A
// client passed with tokenkit.WithHTTPClient keeps its own setting.
const MaxResponseHeaderBytes = 64 << 10

// boundedTransport applies MaxResponseHeaderBytes to the default pooled
// transport.
func boundedTransport(rt http.RoundTripper) http.RoundTripper {
	if t, ok := rt.(*http.Transport); ok {
		t.MaxResponseHeaderBytes = MaxResponseHeaderBytes
	}
	return rt
}

// passLastResponse hands the last response to the caller for error decoding
// when retries give up, instead of retryablehttp's default of dropping it.
func passLastResponse(resp *http.Response, err error, attempts int) (*http.Response, error) {
	if resp != nil {
		return resp, nil
	}
	if err == nil {
		err = errors.New("giving up")
	}
	return nil, err
}
