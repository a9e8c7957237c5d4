// Package tools pins the code generator and linters that tokenkit's
// maintainers run. It is a separate module so that none of these tools, nor
// their dependencies, reach the go.mod of a program that imports tokenkit.
//
// Run a tool from the repository root with
//
//	go tool -modfile=internal/tools/go.mod oapi-codegen -version
//	go tool -modfile=internal/tools/go.mod staticcheck ./...
package tools
