module github.com/tokenkit/tokenkit/internal/interop

go 1.25.0

toolchain go1.26.10

require (
	github.com/tokenkit/tokenkit v0.0.0
	golang.org/x/oauth2 v0.36.0
)

require (
	github.com/apapsch/go-jsonmerge/v2 v2.0.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/jarcoal/httpmock v1.4.2 // indirect
	github.com/oapi-codegen/runtime v1.8.0 // indirect
)

replace github.com/tokenkit/tokenkit => ../..
