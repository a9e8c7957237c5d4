module github.com/tokenkit/tokenkit/store/redisstore

go 1.25.0

toolchain go1.26.10

require (
	github.com/redis/go-redis/v9 v9.17.2
	github.com/tokenkit/tokenkit v0.0.0
)

require (
	github.com/apapsch/go-jsonmerge/v2 v2.0.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dgryski/go-rendezvous v0.0.0-20200823014737-9f7001d12a5f // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/jarcoal/httpmock v1.4.2 // indirect
	github.com/oapi-codegen/runtime v1.8.0 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
)

replace github.com/tokenkit/tokenkit => ../..
