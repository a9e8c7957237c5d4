// Package kinds holds the cross-vendor tests of tokenkit's error model (issue
// 12): for every vendor and its fake, each failure a long-running program
// meets — a wrong credential, a locked account, an expired or revoked token,
// an unknown object (answered with a status or inside HTTP 200), a rate
// limit past the cap, a server error, a malformed success body, the caller's
// cancellation or deadline, https pointed at a plain-http server, the lost
// answer of a call that creates state — gives one tokenkit.Kind, matches the
// root sentinel of that kind and no sentinel of another kind. It also drives
// every vendor's Source with a wrong credential for a minute of fake-clock
// time and checks that the vendor is asked only a handful of times, so that
// no lockout threshold is ever reached. Every server is a loopback one.
//
// The package has no code of its own: it exists for its tests, which import
// every vendor package and therefore cannot live in any one of them.
package kinds
