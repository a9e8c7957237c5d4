package httpx

import "github.com/tokenkit/tokenkit"

// SourceError is the error of a call named opName that failed getting its
// token before it could build its request (Canvus needs the token's user
// for the path): the same error the call reports when the transport fails
// to get the token for an attempt.
func (c *Client) SourceError(opName string, err error) *tokenkit.Error {
	return c.sourceError(&Op{Name: opName}, err)
}
