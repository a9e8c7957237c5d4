package oracle

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"iter"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/redact"
)

// ExceptionDetail is the error body of Oracle REST services: "Error details
// for a REST request" (seed 002; field meanings from the OCM Sites
// Management "Error Messages" page). It is the cause of the *tokenkit.Error
// of a failed call; reach it with errors.As. Nested details ("auxiliary
// errors or the root cause") are in ErrorDetails; they are also part of the
// error tree (Unwrap), so errors.Is sees them, and All and Find walk them.
// Any secret the server echoed is already masked.
type ExceptionDetail struct {
	// Type is the absolute URI of the problem type.
	Type string `json:"type,omitempty"`
	// Title is a short summary; Oracle advises against matching on it.
	Title string `json:"title,omitempty"`
	// Status is the HTTP status the body repeats, if it does.
	Status int `json:"status,omitempty"`
	// Detail describes this occurrence; it may span lines.
	Detail string `json:"detail,omitempty"`
	// Instance is the URI of a page with more detail.
	Instance string `json:"instance,omitempty"`
	// ErrorCode is o:errorCode, the application error code to match errors
	// on (for example OCE-SITEMGMT-009024).
	ErrorCode string `json:"o:errorCode,omitempty"`
	// ErrorPath is o:errorPath, the XPath or JSON path of the error.
	ErrorPath string `json:"o:errorPath,omitempty"`
	// ErrorDetails is o:errorDetails, the nested details.
	ErrorDetails []*ExceptionDetail `json:"o:errorDetails,omitempty"`

	rejected bool // the credential of a token call was refused
	locked   bool // ... because the account is locked
}

// Error returns the most specific code and message of the detail.
func (d *ExceptionDetail) Error() string {
	msg := d.message()
	switch {
	case d.ErrorCode != "" && msg != "":
		return "oracle: " + d.ErrorCode + ": " + msg
	case d.ErrorCode != "":
		return "oracle: " + d.ErrorCode
	case msg != "":
		return "oracle: " + msg
	}
	if d.Status != 0 {
		return "oracle: HTTP " + strconv.Itoa(d.Status)
	}
	return "oracle: error"
}

// message prefers the occurrence-specific detail over the generic title.
func (d *ExceptionDetail) message() string {
	if d.Detail != "" {
		return d.Detail
	}
	return d.Title
}

// Unwrap returns the nested details, so that errors.Is and errors.As look
// into them too.
func (d *ExceptionDetail) Unwrap() []error {
	if len(d.ErrorDetails) == 0 {
		return nil
	}
	out := make([]error, 0, len(d.ErrorDetails))
	for _, n := range d.ErrorDetails {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

// Is reports a refused credential or refresh token of a token call as
// tokenkit.ErrInvalidCredential, and a refusal that says the account is
// locked as tokenkit.ErrLocked instead.
func (d *ExceptionDetail) Is(target error) bool {
	return refusal(target, d.rejected, d.locked)
}

// refusal answers Is for a refused credential of a token call.
func refusal(target error, rejected, locked bool) bool {
	switch target {
	case tokenkit.ErrInvalidCredential:
		return rejected && !locked
	case tokenkit.ErrLocked:
		return rejected && locked
	}
	return false
}

// All yields d and every nested detail, depth first.
func (d *ExceptionDetail) All() iter.Seq[*ExceptionDetail] {
	return func(yield func(*ExceptionDetail) bool) { d.walk(yield) }
}

func (d *ExceptionDetail) walk(yield func(*ExceptionDetail) bool) bool {
	if d == nil {
		return true
	}
	if !yield(d) {
		return false
	}
	for _, n := range d.ErrorDetails {
		if !n.walk(yield) {
			return false
		}
	}
	return true
}

// Find returns the first detail, d itself or a nested one, whose ErrorCode
// is code, or nil.
func (d *ExceptionDetail) Find(code string) *ExceptionDetail {
	for x := range d.All() {
		if x.ErrorCode == code {
			return x
		}
	}
	return nil
}

// ErrorResponse is the other error body of Oracle's /system/api/v1
// (documented for GET /system/api/v1/csrfToken). It is recognised on every
// call and reachable with errors.As like ExceptionDetail.
type ErrorResponse struct {
	// ErrorCode is errorCode, the application error code to match on.
	ErrorCode string `json:"errorCode,omitempty"`
	// ErrorMessage is errorMessage, what went wrong.
	ErrorMessage string `json:"errorMessage,omitempty"`
	// HTTPMessage is httpMessage, the reason phrase of the status (such
	// as "Not Found").
	HTTPMessage string `json:"httpMessage,omitempty"`
	// HTTPStatusCode is httpStatusCode, the HTTP status the body repeats.
	HTTPStatusCode int `json:"httpStatusCode,omitempty"`

	rejected bool
	locked   bool
}

// Error returns the code and message.
func (e *ErrorResponse) Error() string {
	msg := e.ErrorMessage
	if msg == "" {
		msg = e.HTTPMessage
	}
	switch {
	case e.ErrorCode != "" && msg != "":
		return "oracle: " + e.ErrorCode + ": " + msg
	case e.ErrorCode != "":
		return "oracle: " + e.ErrorCode
	case msg != "":
		return "oracle: " + msg
	}
	return "oracle: error"
}

// Is reports a refused credential of a token call as
// tokenkit.ErrInvalidCredential, or tokenkit.ErrLocked when the answer says
// the account is locked.
func (e *ErrorResponse) Is(target error) bool {
	return refusal(target, e.rejected, e.locked)
}

// Bounds of the error decoder: an error body is at most a few details deep
// in practice; a hostile one must not cost more than this.
const (
	maxDetailDepth = 16
	maxDetails     = 256
)

// decodeError reads an ExceptionDetail or an ErrorResponse; any other body
// (a gateway's HTML page, plain text) keeps only the excerpt the transport
// already stored.
func decodeError(body []byte, h http.Header, e *tokenkit.Error) {
	if e.RequestID == "" {
		// Oracle middleware answers with an execution context id; fall
		// back on it for support requests.
		if v := strings.TrimSpace(h.Get("X-Oracle-Dms-Ecid")); v != "" {
			e.RequestID = redact.Truncate(v, 128)
		}
	}
	obj, ok := object(body)
	if !ok {
		return
	}
	if isErrorResponse(obj) {
		r := &ErrorResponse{
			ErrorCode:      str(obj["errorCode"]),
			ErrorMessage:   str(obj["errorMessage"]),
			HTTPMessage:    str(obj["httpMessage"]),
			HTTPStatusCode: num(obj["httpStatusCode"]),
		}
		e.Code = r.ErrorCode
		e.Message = cmp.Or(r.ErrorMessage, r.HTTPMessage)
		e.Err = r
		return
	}
	if !isExceptionDetail(obj) {
		return
	}
	budget := maxDetails
	d := parseDetail(obj, 0, &budget)
	e.Code = d.ErrorCode
	e.Message = d.message()
	for x := range d.All() {
		if e.Code == "" {
			e.Code = x.ErrorCode
		}
		if e.Message == "" {
			e.Message = x.message()
		}
	}
	e.Err = d
}

// object decodes a JSON object body into its members.
func object(body []byte) (map[string]json.RawMessage, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return nil, false
	}
	return obj, true
}

var (
	detailKeys   = []string{"type", "title", "detail", "instance", "o:errorCode", "o:errorPath", "o:errorDetails"}
	responseKeys = []string{"errorCode", "errorMessage", "httpMessage", "httpStatusCode"}
)

func isExceptionDetail(obj map[string]json.RawMessage) bool {
	for _, k := range detailKeys {
		if _, ok := obj[k]; ok {
			return true
		}
	}
	return false
}

// isErrorResponse is true for a body with ErrorResponse's members and none
// of ExceptionDetail's.
func isErrorResponse(obj map[string]json.RawMessage) bool {
	if isExceptionDetail(obj) {
		return false
	}
	for _, k := range responseKeys {
		if _, ok := obj[k]; ok {
			return true
		}
	}
	return false
}

// parseDetail decodes one ExceptionDetail leniently: a member of the wrong
// type is skipped rather than failing the whole body, and nesting is bounded.
func parseDetail(obj map[string]json.RawMessage, depth int, budget *int) *ExceptionDetail {
	*budget--
	d := &ExceptionDetail{
		Type:      str(obj["type"]),
		Title:     str(obj["title"]),
		Status:    num(obj["status"]),
		Detail:    str(obj["detail"]),
		Instance:  str(obj["instance"]),
		ErrorCode: str(obj["o:errorCode"]),
		ErrorPath: str(obj["o:errorPath"]),
	}
	raw, ok := obj["o:errorDetails"]
	if !ok || depth >= maxDetailDepth {
		return d
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		list = []json.RawMessage{raw} // a single object instead of an array
	}
	for _, item := range list {
		if *budget <= 0 {
			break
		}
		if child, ok := object(item); ok {
			d.ErrorDetails = append(d.ErrorDetails, parseDetail(child, depth+1, budget))
		}
	}
	return d
}

// str returns a JSON string member, or the text of a number or boolean; ""
// for anything else.
func str(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return strconv.FormatBool(b)
	}
	return ""
}

// num returns a JSON number (or numeric string) member that is a plausible
// HTTP status, else 0.
func num(raw json.RawMessage) int {
	s := str(raw)
	if s == "" {
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f < 100 || f > 999 {
		return 0
	}
	return int(f)
}

// rejectedStatuses are the answers that mean "this credential will not
// work" for each form of the token call. Oracle documents 400 "Illegal
// Argument" and 403 "Forbidden" for it; a gateway answers 401 to a wrong
// password or token. For the refresh-token form a 400 is the refresh token's
// fault (the body is ours and well formed); for the other forms 400 says
// nothing about the credential.
var (
	rejectedRefresh    = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden}
	rejectedCredential = []int{http.StatusUnauthorized, http.StatusForbidden}
)

// markRejected makes err match tokenkit.ErrInvalidCredential when its status
// is one of statuses.
func markRejected(err error, statuses []int) error {
	var te *tokenkit.Error
	if !errors.As(err, &te) {
		return err
	}
	found := false
	for _, s := range statuses {
		if te.StatusCode == s {
			found = true
		}
	}
	if !found {
		return err
	}
	// OCM (IDCS) says so in the message when the account is locked; the
	// status alone (403) does not tell it from a refused credential.
	locked := strings.Contains(strings.ToLower(te.Message), "locked")
	switch v := te.Err.(type) {
	case *ExceptionDetail:
		v.rejected, v.locked = true, locked
	case *ErrorResponse:
		v.rejected, v.locked = true, locked
	case nil:
		te.Err = tokenkit.ErrInvalidCredential
		if locked {
			te.Err = tokenkit.ErrLocked
		}
	default:
		te.Err = &rejected{err: v, locked: locked}
	}
	return err
}

// rejected marks a cause of another type as a refused credential.
type rejected struct {
	err    error
	locked bool
}

func (r *rejected) Error() string        { return r.err.Error() }
func (r *rejected) Unwrap() error        { return r.err }
func (r *rejected) Is(target error) bool { return refusal(target, true, r.locked) }
