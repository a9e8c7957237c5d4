// Package fakekit holds the small helpers the vendor fakes of tokenkit
// (csp/csptest, commvault/commvaulttest, canvus/canvustest,
// oracle/oracletest and cgscan/cgscantest) and the public engine they
// embed, fakes.Server, use to write their answers: JSON bodies (WriteJSON),
// media types (MediaType), the gateway-style HTML error page (HTMLPage),
// random ids and secrets (Random*), and the body of every fake's
// New(t testing.TB) (Cleanup). None of it appears in a public signature.
//
// fakekit imports nothing of tokenkit, so that package fakes can import it.
package fakekit
