// Package fakes is the engine the five vendor fakes of tokenkit share
// (csp/csptest, commvault/commvaulttest, oracle/oracletest,
// cgscan/cgscantest, canvus/canvustest); you can build a fake of your own
// on it.
//
// Each vendor fake embeds a *Server, so a test drives every fake the same
// way, with the methods documented here once: URL and Client for the
// httptest server, Handler for an http.Handler, Responder for an in-process
// github.com/jarcoal/httpmock responder (the same state behind all three);
// FailNext and FailNextOp to queue a Fault (an HTTP status with
// Retry-After, an HTML error page, truncated JSON, a delay, a dropped
// connection, or a response lost after the request was applied); Calls,
// Applied and Requests (one RecordedRequest per request) for assertions;
// SetClock for the fake's clock; StrictPaths to fail a test whose client
// sends a doubled or trailing slash. A vendor package documents only its
// own vocabulary: its operations, its state, its error bodies (under the
// heading Faults) and what its clock drives.
//
// A path with a doubled or trailing slash is routed as its Canonical form,
// with no redirect, as the vendors' servers do for the clients that send
// such paths (Commvault's Python SDK, CSP clients with a base URL ending in
// "/"); Requests still shows the path as sent.
//
// A fake of your own is a type that embeds *Server and gives New its
// router (Config.Serve), a way to name each request's operation
// (Config.Operation) and its error body (Config.Status); its handlers call
// Apply where state changes and Now for the time. See the example.
package fakes
