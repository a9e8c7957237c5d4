// Package fakekit is the machinery the stateful vendor fakes of tokenkit
// (csp/csptest, commvault/commvaulttest, canvus/canvustest,
// oracle/oracletest and cgscan/cgscantest) share, so that each fake keeps
// only what is vendor-specific: its routes and handlers, its state and its
// error bodies.
//
// A Server wraps a fake's own router. It serves it over an httptest server
// (URL, Client), as an http.Handler (Handler) and as an httpmock responder
// (Responder), with the same state behind all three. In front of the router
// it reads and bounds the request body, counts the request per operation
// (Calls, TotalCalls), records it for wire assertions (Requests), and applies
// the next queued Fault (FailNext): an HTTP status with Retry-After, an HTML
// error page, truncated JSON, a delay, a dropped connection, or a response
// lost after the request was applied. It also keeps the count of requests
// that changed the fake's state (Apply, Applied) and the fake's injectable
// clock (SetClock, Now).
//
// A path with a doubled or trailing slash is routed as its Canonical form,
// with no redirect, as the vendors' servers do for the clients that send
// such paths (Commvault's Python SDK, CSP clients with a base URL ending in
// "/"); Requests still shows the path as sent. StrictPaths turns that into a
// 404 and a test failure, for tests of tokenkit's own SDK.
//
// The shortest working use, inside a fake's constructor:
//
//	s.kit = fakekit.New(fakekit.Config{
//		Name:      "examplefake",
//		Operation: operationOf,                  // func(*http.Request) string
//		Serve:     s.serve,                      // the fake's router
//		Status:    writeError,                   // the vendor's error body
//		Malformed: `{"access_token":`,
//	})
//	s.kit.Start()
//
// The fake's exported methods then delegate to s.kit.
package fakekit
