package fakekit

import (
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"strconv"
)

// WriteJSON writes v as a JSON response with status, one value followed by
// a newline. The headers in extra are added first; Content-Type is
// application/json unless extra sets another. It panics if v cannot be
// encoded: the fakes only encode their own types.
func WriteJSON(w http.ResponseWriter, status int, extra http.Header, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	maps.Copy(w.Header(), extra)
	if extra.Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// MediaType returns the lower-case media type of a Content-Type value, or
// "" if it does not parse.
func MediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}

// HTMLPage returns the error page of an HTML fault with status, in the
// style of an nginx gateway, signed with name.
func HTMLPage(name string, status int) string {
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	return fmt.Sprintf("<!DOCTYPE html>\n<html><head><title>%s</title></head>\n"+
		"<body><center><h1>%s</h1></center><hr><center>%s</center></body></html>\n", text, text, name)
}
