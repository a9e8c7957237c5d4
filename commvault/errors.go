package commvault

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/redact"
	"github.com/tokenkit/tokenkit/internal/wiretime"
)

// ErrAccountLocked matches a login refused because the account is locked
// (isAccountLocked in the answer). It is distinct from
// tokenkit.ErrInvalidCredential, which a wrong user name or password matches:
// trying again with the same password will not help until RemainingLockTime
// has passed.
var ErrAccountLocked = tokenkit.Refine(tokenkit.ErrLocked, "commvault: account locked")

// ErrNotRenewable matches a renew refused before sending: the token has no
// refresh token (MS_SCIM and OneTouch tokens have none), or it is past its
// renewable-until time or its refresh token's expiry.
var ErrNotRenewable = tokenkit.Refine(tokenkit.ErrInvalidInput, "commvault: access token cannot be renewed")

// ErrorResponse is Commvault's error, decoded from whichever shape the answer
// had: a top-level {errorMessage, errorCode} (errors of every operation, and
// the HTTP 200 answers of list and delete), a nested error object (HTTP 200
// answers of create, update, renew and RenewLoginToken) or a login's errList
// with isAccountLocked. It is the cause of the *tokenkit.Error of a failed
// call; reach it with errors.As. Any secret the server echoed is already
// masked.
type ErrorResponse struct {
	// Code is Commvault's errorCode (for a login, that of the first errList
	// entry); 0 when the answer had none.
	Code int64
	// Message is errorMessage, or errLogMessage.
	Message string
	// AccountLocked is set when a login was refused because the account is
	// locked; it then matches ErrAccountLocked.
	AccountLocked bool
	// RemainingLockTime is how long a locked account stays locked
	// (remainingLockTime, seconds on the wire).
	RemainingLockTime time.Duration
	// LoginAttempts is the loginAttempts count of a failed login answer.
	LoginAttempts int

	credential bool // the credential itself was rejected
	notFound   bool // an in-band failure that says the object does not exist
}

// Error returns the vendor's message with its code.
func (e *ErrorResponse) Error() string {
	var b strings.Builder
	b.WriteString("commvault: ")
	if e.Code != 0 {
		b.WriteString("error ")
		b.WriteString(strconv.FormatInt(e.Code, 10))
		if e.Message != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(e.Message)
	if e.AccountLocked {
		b.WriteString(" (account locked")
		if e.RemainingLockTime > 0 {
			b.WriteString(" for ")
			b.WriteString(e.RemainingLockTime.String())
		}
		b.WriteString(")")
	}
	return b.String()
}

// Is matches ErrAccountLocked (and tokenkit.ErrLocked) for a locked account,
// tokenkit.ErrInvalidCredential for a rejected credential: a failed login
// (wrong user name or password), a refused session renewal, a refused access
// token renewal; and tokenkit.ErrNotFound for a failure reported inside HTTP
// 200 that says the object was not found (Commvault documents no code for
// it; the message is what the sources show: "Access token not found").
// tokenkit.ErrAuth is above the first two.
func (e *ErrorResponse) Is(target error) bool {
	switch target {
	case ErrAccountLocked, tokenkit.ErrLocked:
		return e.AccountLocked
	case tokenkit.ErrAuth:
		return e.AccountLocked || e.credential
	case tokenkit.ErrInvalidCredential:
		return e.credential && !e.AccountLocked
	case tokenkit.ErrNotFound:
		return e.notFound && !e.credential && !e.AccountLocked
	}
	return false
}

// errorBody is every error shape Commvault uses, decoded tolerantly: codes
// may be numbers or strings.
type errorBody struct {
	ErrorCode         json.RawMessage `json:"errorCode"`
	ErrorMessage      string          `json:"errorMessage"`
	ErrLogMessage     string          `json:"errLogMessage"`
	Error             json.RawMessage `json:"error"`
	TokenInfo         *errorBody      `json:"tokenInfo"`
	ErrList           []errorBody     `json:"errList"`
	IsAccountLocked   json.RawMessage `json:"isAccountLocked"`
	RemainingLockTime json.RawMessage `json:"remainingLockTime"`
	LoginAttempts     json.RawMessage `json:"loginAttempts"`
}

// code reads an errorCode given as a number or a string. ok is false when it
// is absent; a value that is present but not a number gives code -1, a
// failure.
func code(raw json.RawMessage) (c int64, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return -1, true
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, false
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
		return int64(f), true
	}
	return -1, true
}

func number(raw json.RawMessage) int64 {
	n, ok := code(raw)
	if !ok || n < 0 {
		return 0
	}
	return n
}

func boolean(raw json.RawMessage) bool {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	return strings.EqualFold(s, "true") || s == "1"
}

// nested decodes an "error" member that is an object; anything else is
// ignored.
func nested(raw json.RawMessage) *errorBody {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var e errorBody
	if json.Unmarshal(raw, &e) != nil {
		return nil
	}
	return &e
}

// failure finds the error a body reports, in the order Commvault's clients
// look: a top-level errorCode, the nested error object, tokenInfo's error,
// then a login's errList. found is false when the body reports no failure
// (every code absent or 0 and no errList entry).
func (b *errorBody) failure() (c int64, msg string, found bool) {
	if n, ok := code(b.ErrorCode); ok && n != 0 {
		return n, cmp.Or(b.ErrorMessage, b.ErrLogMessage), true
	}
	if e := nested(b.Error); e != nil {
		if n, ok := code(e.ErrorCode); ok && n != 0 {
			return n, cmp.Or(e.ErrorMessage, e.ErrLogMessage), true
		}
		if _, ok := code(e.ErrorCode); !ok && e.ErrLogMessage != "" {
			return 0, e.ErrLogMessage, true // RenewLoginToken: errLogMessage without a code
		}
	}
	if b.TokenInfo != nil {
		if c, msg, found := b.TokenInfo.failure(); found {
			return c, msg, true
		}
	}
	if len(b.ErrList) > 0 {
		first := b.ErrList[0]
		n, _ := code(first.ErrorCode)
		return n, cmp.Or(first.ErrLogMessage, first.ErrorMessage), true
	}
	return 0, "", false
}

// inBandFailure reports whether a 2xx body carries a failure: an errorCode
// other than 0 at the top level, in the nested error object or in
// tokenInfo's (create, update, list, delete, renew), or an
// errLogMessage of RenewLoginToken. A login's errList is checked by Login
// itself, which also knows whether a token came back.
func inBandFailure(body []byte) bool {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false
	}
	var b errorBody
	if json.Unmarshal(trimmed, &b) != nil {
		return false
	}
	b.ErrList = nil
	_, _, found := b.failure()
	return found
}

// decodeError is the httpx.ErrorDecoder of Commvault: it fills in Code and
// Message from any of Commvault's error shapes, and for a plain-text answer
// ("Invalid authorization token provided.") uses its first line.
func decodeError(body []byte, _ http.Header, e *tokenkit.Error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return
	}
	if trimmed[0] != '{' {
		if line, _, _ := strings.Cut(string(trimmed), "\n"); !strings.HasPrefix(line, "<") && len(line) <= 200 {
			e.Message = strings.TrimSpace(line)
			e.Err = &ErrorResponse{Message: e.Message}
		}
		return
	}
	var b errorBody
	if json.Unmarshal(trimmed, &b) != nil {
		return
	}
	c, msg, found := b.failure()
	r := &ErrorResponse{
		Code:              c,
		Message:           msg,
		AccountLocked:     boolean(b.IsAccountLocked),
		RemainingLockTime: wiretime.Seconds(number(b.RemainingLockTime)),
		LoginAttempts:     int(min(number(b.LoginAttempts), 1<<31-1)),
	}
	if !found && !r.AccountLocked && b.ErrorMessage == "" {
		return // JSON, but none of Commvault's error shapes
	}
	if r.Message == "" {
		r.Message = b.ErrorMessage
	}
	if c != 0 {
		e.Code = strconv.FormatInt(c, 10)
	}
	e.Message = r.Message
	e.Err = r
}

// inBandError builds the error of a 2xx answer that reports a failure.
// credential marks the failure as a rejected credential.
func (c *Client) inBandError(op *httpx.Op, res *httpx.Result, credential bool) *tokenkit.Error {
	te := c.tx.BodyError(op, res.Status, res.Header, res.Body)
	r, ok := te.Err.(*ErrorResponse)
	if !ok {
		r = &ErrorResponse{Message: te.Message}
		te.Err = r
	}
	r.credential = credential
	r.notFound = strings.Contains(strings.ToLower(r.Message+" "+te.Message), "not found")
	if te.Message == "" || te.Message == http.StatusText(res.Status) {
		te.Message = "request failed"
	}
	return te
}

// markCredential marks the vendor error of err as a rejected credential, for
// 4xx answers of the calls that present one (renewals).
func markCredential(err error) error {
	var te *tokenkit.Error
	if !errors.As(err, &te) || te.StatusCode < 400 || te.StatusCode >= 500 || te.StatusCode == http.StatusTooManyRequests {
		return err
	}
	r, ok := te.Err.(*ErrorResponse)
	if !ok {
		if te.Err != nil {
			return err // not our decoder's: leave it
		}
		r = &ErrorResponse{Message: te.Message}
		te.Err = r
	}
	r.credential = true
	return err
}

// checked runs a 2xx answer through the in-band failure check.
func (c *Client) checked(op *httpx.Op, res *httpx.Result, credential bool) error {
	if inBandFailure(res.Body) {
		return c.inBandError(op, res, credential)
	}
	return nil
}

// missing builds the error of a 2xx answer that lacks what the operation
// returns (a token): never a zero value.
func (c *Client) missing(op *httpx.Op, res *httpx.Result, what string) *tokenkit.Error {
	return &tokenkit.Error{
		Vendor:     vendor,
		Op:         op.Name,
		StatusCode: res.Status,
		Attempts:   op.Attempts(),
		Message:    "invalid response: " + what,
		Body:       redact.Body(res.Body, op.Secrets(), redact.DefaultExcerpt),
		Err:        tokenkit.ErrInvalidResponse,
	}
}
