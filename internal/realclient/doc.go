// Package realclient replays, request by request, what the vendors' own
// clients that are not written in Go put on the wire, so that tests can
// check that the fakes serve them: Commvault's Python SDK (cvpysdk) and
// Oracle's content toolkit CLI (cec). Each replay was written from a reading
// of the client's public source, named in its doc comment with the commit
// read; no code of those clients is copied or vendored. The same replay runs
// against the in-process fake (commvaulttest, oracletest) and against
// `tokenctl fake`, over plain HTTP on loopback.
//
// It is imported only by tests.
package realclient
