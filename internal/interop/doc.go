// Package interop drives public Go clients of the vendors' APIs against
// tokenkit's fakes, to show that the fakes serve what real clients send. It
// is a nested module (internal/interop/go.mod), so that the clients it
// imports never reach the go.mod of the library; CI runs its tests with
// `(cd internal/interop && go test -race ./...)`.
//
// Clients that are not written in Go (Commvault's cvpysdk, Oracle's cec)
// are not imported anywhere: their wire behaviour is replayed by
// internal/realclient in the fakes' own tests.
package interop
