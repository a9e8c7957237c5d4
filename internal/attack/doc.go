// Package attack holds tests that attack the SDK's promises from outside, as
// a hostile or misconfigured server would: credentials that must never leave
// their origin, mutating calls that must never be replayed once a server has
// answered, plain http, hostile headers and echoed secrets. Every test talks
// to loopback servers only; other host names reach them through a custom
// dialer, never through another address.
//
// The package has no code of its own: it exists for its tests, which import
// every vendor package and therefore cannot live in any one of them.
package attack
