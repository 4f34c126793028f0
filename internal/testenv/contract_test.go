package testenv

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The contract check is what holds every answer of the suite to the
// document: it must refuse an answer the document does not allow.
func TestCheckResponse(t *testing.T) {
	json := http.Header{"Content-Type": {"application/json"}}
	me := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
	if err := CheckResponse(me, http.StatusOK, json, []byte(`{}`)); err == nil {
		t.Error("an empty profile passed as GET /api/v1/me 200")
	}
	if err := CheckResponse(me, http.StatusTeapot, json, []byte(`{"status":"ok"}`)); err == nil {
		t.Error("a 418 without the error envelope passed")
	}
	envelope := []byte(`{"error":{"code":"AUTH_REQUIRED","message":"请先登录","requestId":"x"}}`)
	if err := CheckResponse(me, http.StatusUnauthorized, json, envelope); err != nil {
		t.Errorf("the error envelope was refused: %v", err)
	}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte(`{"status":"nope"}`))
	_ = zw.Close()
	hz := http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}
	if err := CheckResponse(httptest.NewRequest(http.MethodGet, "/healthz", nil), http.StatusOK, hz, zipped.Bytes()); err == nil {
		t.Error("a gzipped answer outside its enum passed")
	}
	if err := CheckResponse(httptest.NewRequest(http.MethodGet, "/no/such/path", nil), http.StatusNotFound, json, []byte(`x`)); err != nil {
		t.Errorf("an undocumented path was checked: %v", err)
	}
}
