package httpx

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/tokenkit/tokenkit"
)

// baseURL validates a vendor base URL: https, or plain http only to a
// loopback host (a local fake or tunnel), so credentials never cross a network
// in clear text. Trailing slashes are removed, so joining an operation path
// never yields "//". A query or fragment is refused.
func baseURL(vendor, raw string) (*url.URL, error) {
	bad := func(format string, args ...any) error { return OptionError(vendor, format, args...) }
	if strings.TrimSpace(raw) == "" {
		return nil, bad("empty base URL")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, bad("invalid base URL: %v", err)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, bad("base URL %q has no host", u.Redacted())
	}
	if u.User != nil {
		return nil, bad("base URL must not carry credentials")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, bad("base URL %q must not have a query or fragment", u.Redacted())
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, bad("refusing plain http to %s: credentials would cross the network in clear text; use https", u.Hostname())
		}
	default:
		return nil, bad("base URL scheme %q: want https", u.Scheme)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// Origin validates the base URL every vendor's New takes, by one rule: the
// product's origin, scheme://host[:port], https (or plain http to a
// loopback host), with no path, query, fragment or user info. A trailing
// "/" is allowed. apiPath, the vendor's API root ("/api/v1",
// "/commandcenter/api", or "" when operations carry their whole path), is
// then appended, so no user has to know it and none can get it wrong. A
// base with a path is refused with an error that names the origin to give
// instead.
func Origin(vendor, raw, apiPath string) (*url.URL, error) {
	u, err := baseURL(vendor, raw)
	if err != nil {
		return nil, err
	}
	if u.Path != "" {
		return nil, OptionError(vendor, "base URL %q has a path: give the origin, %s://%s; the client adds the API path itself", u.Redacted(), u.Scheme, u.Host)
	}
	u.Path = strings.TrimRight(apiPath, "/")
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// OptionError is the error a vendor option records with Settings.Fail when
// it is given an invalid value; New then returns it. Its kind is
// tokenkit.KindConfig.
func OptionError(vendor, format string, args ...any) error {
	return &tokenkit.Error{Vendor: vendor, Op: "New", Message: fmt.Sprintf(format, args...), Err: tokenkit.ErrConfig}
}
