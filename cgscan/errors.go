package cgscan

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/httpx"
	"github.com/tokenkit/tokenkit/internal/redact"
)

// ErrorResponse is the API's error body, {status, status_text, …}: the
// sign-in body carries status and status_text, and the legacy v1 client
// reads status_text from error bodies; message, error and errors are
// accepted too. The "Common Error Responses" page is not public, so any other
// body is kept only as the bounded excerpt in tokenkit.Error.Body. It is the
// cause of the *tokenkit.Error of a failed call; reach it with errors.As.
// Anything the server echoed that looks like a secret is already masked.
type ErrorResponse struct {
	// Status is the status the body repeats (0 if absent).
	Status int
	// StatusText is status_text, e.g. "Unauthorized".
	StatusText string
	// Code is code or error_code, if the body has one.
	Code string
	// Message is message, or else error.
	Message string
	// Errors are the validation errors of errors: its strings, or
	// "field: message" for an object of fields.
	Errors []string

	credential bool // a rejected credential on a sign-in call
}

// Error returns the most specific text the body carries.
func (e *ErrorResponse) Error() string {
	var parts []string
	if e.Code != "" {
		parts = append(parts, e.Code)
	}
	if t := e.text(); t != "" {
		parts = append(parts, t)
	}
	if len(parts) == 0 && e.Status != 0 {
		parts = append(parts, strconv.Itoa(e.Status))
	}
	return "cgscan: " + strings.Join(parts, ": ")
}

// text is the message, the errors or the status text, whichever comes first.
func (e *ErrorResponse) text() string {
	switch {
	case e.Message != "":
		return e.Message
	case len(e.Errors) > 0:
		return strings.Join(e.Errors, "; ")
	}
	return e.StatusText
}

// Is reports a rejected sign-in (HTTP 401 on a sign-in call: wrong user name,
// password, one-time code, recovery code or API key) as
// tokenkit.ErrInvalidCredential.
func (e *ErrorResponse) Is(target error) bool {
	return target == tokenkit.ErrInvalidCredential && e.credential
}

// maxErrors bounds how many validation errors are kept.
const maxErrors = 16

// decodeError reads the {status, status_text, …} shape leniently: a field of
// an unexpected type is skipped, not an error. A body that is not a JSON
// object, or one with none of the known fields, keeps only the excerpt the
// transport already stored.
func decodeError(body []byte, _ http.Header, e *tokenkit.Error) {
	r, ok := parseErrorBody(body)
	if !ok {
		return
	}
	e.Code = r.Code
	e.Message = r.text()
	e.Err = r
}

func parseErrorBody(body []byte) (*ErrorResponse, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil, false
	}
	r := &ErrorResponse{
		Status:     jsonInt(m["status"]),
		StatusText: jsonString(m["status_text"]),
		Code:       cmp.Or(jsonString(m["code"]), jsonString(m["error_code"])),
		Message:    jsonString(m["message"]),
		Errors:     jsonErrors(m["errors"]),
	}
	if r.Message == "" {
		r.Message = jsonString(m["error"])
		if r.Message == "" {
			// {"error": {"message": "…"}}
			var nested map[string]json.RawMessage
			if json.Unmarshal(m["error"], &nested) == nil {
				r.Message = jsonString(nested["message"])
			}
		}
	}
	if r.Status == 0 && r.StatusText == "" && r.Code == "" && r.Message == "" && len(r.Errors) == 0 {
		return nil, false // JSON, but not the API's error shape
	}
	const maxField = 512
	r.StatusText = redact.Truncate(r.StatusText, maxField)
	r.Code = redact.Truncate(r.Code, 128)
	r.Message = redact.Truncate(r.Message, maxField)
	return r, true
}

// jsonString returns a JSON string's value, or "" for anything else.
func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// jsonInt returns a JSON number or numeric string as an int in [0, 999], or
// 0.
func jsonInt(raw json.RawMessage) int {
	if len(raw) == 0 {
		return 0
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0
		}
		n = json.Number(strings.TrimSpace(s))
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || v < 0 || v > 999 {
		return 0
	}
	return int(v)
}

// jsonErrors reads errors as a list of strings, a list of objects with a
// message, a single string, or an object of field → message(s).
func jsonErrors(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && len(out) < maxErrors {
			out = append(out, redact.Truncate(s, 256))
		}
	}
	if s := jsonString(raw); s != "" {
		add(s)
		return out
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		for _, item := range list {
			if s := jsonString(item); s != "" {
				add(s)
				continue
			}
			var obj map[string]json.RawMessage
			if json.Unmarshal(item, &obj) == nil {
				add(cmp.Or(jsonString(obj["message"]), jsonString(obj["detail"])))
			}
		}
		return out
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) == nil {
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if redact.IsSensitive(k) {
				add(k + ": " + redact.Mask)
				continue
			}
			for _, msg := range jsonErrors(fields[k]) {
				add(k + ": " + msg)
			}
		}
	}
	return out
}

// inBand is the check New sets with SetInBand: the API repeats the status
// in its bodies, and a 2xx whose body says status 400 or more is treated as
// that failure (defensive: whether the API ever does this is not
// documented).
func inBand(tx *httpx.Client, op *httpx.Op, res *httpx.Result) error {
	if st := bodyStatus(res.Body); st >= 400 {
		return tx.BodyError(op, st, res.Header, res.Body)
	}
	return nil
}

// bodyStatus returns the status a JSON object body repeats, or 0.
func bodyStatus(body []byte) int {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return 0
	}
	var m struct {
		Status json.RawMessage `json:"status"`
	}
	if json.Unmarshal(body, &m) != nil {
		return 0
	}
	return jsonInt(m.Status)
}

// decodeObject decodes a 2xx body into T. An empty body gives the zero T
// when allowEmpty (for calls whose answer carries nothing the SDK needs);
// anything that is not a JSON object is an invalid response.
func decodeObject[T any](c *Client, op *httpx.Op, res *httpx.Result, allowEmpty bool) (*T, error) {
	trimmed := bytes.TrimSpace(res.Body)
	if len(trimmed) == 0 && allowEmpty {
		return new(T), nil
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, c.tx.InvalidResponse(op, res.Status, res.Body, errors.New("the body is not a JSON object"))
	}
	return httpx.Decode[T](c.tx, op, res)
}

// markCredential makes a 401 of a sign-in call match
// tokenkit.ErrInvalidCredential, whatever its body.
func markCredential(err error) error {
	var te *tokenkit.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusUnauthorized {
		return err
	}
	var er *ErrorResponse
	if errors.As(te.Err, &er) {
		er.credential = true
		return err
	}
	if te.Err == nil {
		te.Err = &ErrorResponse{Status: http.StatusUnauthorized, credential: true}
	}
	return err
}

// invalid builds the error of a 2xx answer that lacks what the call needs.
func (c *Client) invalid(op *httpx.Op, res *httpx.Result, why string) error {
	return c.tx.InvalidResponse(op, res.Status, res.Body, errors.New(why))
}
