// Package apicheck holds a test of the rules every public package of the
// module follows: no exported mutable package-level variable other than
// sentinel errors, and a doc comment on every exported name, field and
// method. It reads the source with go/ast; it has no code of its own.
package apicheck
