package tokenkit

import (
	"errors"
	"net/http"
	"strings"
)

// Presentation is how a token travels on a request: in the header Header,
// as Prefix followed by the token value. It is the one concept behind every
// vendor's choices (CSP's csp-auth-token header, Commvault's Authtoken,
// Canvus's Private-Token, the Authorization schemes): each vendor package
// names the presentations its sources document as functions, and its
// WithPresentation option takes one or more of them, so a presentation the
// vendor's documentation leaves open can always be overridden.
type Presentation struct {
	// Header is the header name, such as "Authorization".
	Header string
	// Prefix goes before the token value, such as "Bearer "; empty sends
	// the value alone.
	Prefix string
}

// Bearer is "Authorization: Bearer <token>" (RFC 6750).
func Bearer() Presentation { return Presentation{Header: "Authorization", Prefix: "Bearer "} }

// reservedHeaders are headers a token must never replace: the transport and
// framing headers net/http manages.
var reservedHeaders = []string{"Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "Cookie", "Te", "Trailer", "Upgrade"}

// Validate reports whether p can be sent: Header is a valid header name
// (RFC 9110 token) that is not one of the transport's own (Host,
// Content-Length, Cookie, …), and Prefix has no control characters.
func (p Presentation) Validate() error {
	if p.Header == "" {
		return errors.New("presentation: empty header name")
	}
	for i := 0; i < len(p.Header); i++ {
		if !isTokenChar(p.Header[i]) {
			return errors.New("presentation: invalid header name")
		}
	}
	for _, h := range reservedHeaders {
		if strings.EqualFold(p.Header, h) {
			return errors.New("presentation: the token cannot replace the " + h + " header")
		}
	}
	for i := 0; i < len(p.Prefix); i++ {
		if c := p.Prefix[i]; c < 0x20 || c == 0x7f {
			return errors.New("presentation: prefix has control characters")
		}
	}
	return nil
}

// Set puts value on r as p says, replacing any earlier value of the header.
func (p Presentation) Set(r *http.Request, value string) {
	r.Header.Set(p.Header, p.Prefix+value)
}

// String names the presentation without any token:
// "Authorization: Bearer <token>".
func (p Presentation) String() string { return p.Header + ": " + p.Prefix + "<token>" }

// ValidatePresentations is the rule of every vendor's WithPresentation: at
// least one presentation, each valid (Validate), and no header twice (the
// second would replace the first).
func ValidatePresentations(ps ...Presentation) error {
	if len(ps) == 0 {
		return errors.New("presentation: none given")
	}
	for i, p := range ps {
		if err := p.Validate(); err != nil {
			return err
		}
		for _, q := range ps[:i] {
			if strings.EqualFold(p.Header, q.Header) {
				return errors.New("presentation: the " + p.Header + " header is given twice")
			}
		}
	}
	return nil
}

// isTokenChar reports whether c may appear in a header name (RFC 9110 tchar).
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
