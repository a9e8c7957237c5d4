// Package otel turns tokenkit's lifecycle events (tokenkit.Observer) into
// OpenTelemetry metrics and spans. It is a module of its own, so that the
// tokenkit module itself depends on no OpenTelemetry package.
//
//	import tkotel "github.com/tokenkit/tokenkit/otel"
//
//	obs, err := tkotel.NewObserver() // the global MeterProvider and TracerProvider
//	if err != nil { … }
//	defer obs.Shutdown()
//	c, err := csp.New(csp.CloudVMware, tokenkit.WithObserver(obs))
//	src, err := c.APITokenSource(req, tokenkit.SourceConfig{}) // its fetches are measured and traced
//
// A token served from a Source's cache emits nothing and costs nothing: the
// gauge of the remaining lifetime is read from the Sources when the metrics
// are collected.
//
// # Proposed convention
//
// OpenTelemetry's semantic conventions have no names for credentials; these
// are proposed, in the namespace "tokenkit". Every instrument carries
// tokenkit.vendor ("csp", "commvault", "canvus", "oracle", "cgscan", or what
// SourceConfig.Vendor says) and tokenkit.operation (the Source's name, such
// as "APITokenSource", or the vendor call retried or resent).
//
//	Instrument                        Type                 Unit        Further attributes
//	tokenkit.token.refreshes          Counter              {refresh}   tokenkit.outcome, tokenkit.refresh.reason
//	tokenkit.token.refresh.duration   Histogram            s           tokenkit.outcome, tokenkit.refresh.reason
//	tokenkit.token.refresh.waiters    Counter              {call}      -
//	tokenkit.token.ttl                Gauge (observable)   s           -
//	tokenkit.token.invalidations      Counter              {token}     -
//	tokenkit.http.resends             Counter              {request}   -
//	tokenkit.http.retries             Counter              {retry}     tokenkit.retry.reason, http.response.status_code
//	tokenkit.lease.wait.duration      Histogram            s           -
//	tokenkit.store.events             Counter              {event}     tokenkit.event
//
// The attributes:
//
//   - tokenkit.outcome: "ok", or the kind of the failure (tokenkit.Kind:
//     "rate limited", "invalid credential", "server", "transport", …).
//   - tokenkit.refresh.reason: "missing" (no token cached: the first fetch, or
//     after a 401), "expired" (callers waited for it), "early" (in the
//     background, while the current token is still served).
//   - tokenkit.retry.reason: the kind that made the call retry ("rate
//     limited", "server", "transport"); http.response.status_code when an
//     answer came.
//   - tokenkit.event: "adopted", "lease.acquired", "lease.lost",
//     "rotation.ambiguous" (tokens shared through a store).
//
// tokenkit.token.refreshes counts fetches, the single-flight of many callers
// counting once; tokenkit.token.refresh.waiters counts the Token calls that
// waited for one (0 for a background refresh). tokenkit.token.ttl is, per
// vendor and operation, the least remaining lifetime of the tokens the
// Sources this Observer has seen currently serve (negative once expired;
// tokens that never expire report nothing); a Source that is garbage
// collected drops out.
//
// # Spans
//
// Each fetch of a Source runs inside a span named tokenkit.refresh (kind
// internal) with tokenkit.vendor, tokenkit.operation, tokenkit.refresh.reason,
// and at its end tokenkit.outcome and tokenkit.refresh.waiters; a failed
// fetch has status Error with the kind as description and error.type. The
// fetch runs with the context of the caller that started it (without its
// cancellation), so the span is that caller's child, and the token
// endpoint's HTTP client spans (otelhttp in the http.Client given to
// tokenkit.WithHTTPClient) are the tokenkit.refresh span's children.
//
// When tokenkit.Transport resends a request after a 401, the span current in
// the request's context gets http.request.resend_count = 1 and an event
// tokenkit.resend: with otelhttp wrapping tokenkit.Transport (as
// otelhttp.NewTransport(&tokenkit.Transport{…})) that is the HTTP client span
// of the request. A retry of a vendor call adds an event tokenkit.retry
// (reason, attempt, wait in seconds) to the span current in the call's
// context.
//
// No instrument, attribute, span or event carries a token, a credential, an
// error message or anything derived from them.
package otel
