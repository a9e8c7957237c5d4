package csp_test

import (
	"net/http"
	"net/http/httptest"
)

type responseRecorder struct{ *httptest.ResponseRecorder }

func newRecorder() *responseRecorder { return &responseRecorder{httptest.NewRecorder()} }

func (r *responseRecorder) result(req *http.Request) *http.Response {
	resp := r.Result()
	resp.Request = req
	return resp
}
