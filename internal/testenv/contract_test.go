package testenv

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
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

// recorder is a testing.TB that counts what Do calls on it.
type recorder struct {
	testing.TB
	errors, fatals int
}

func (r *recorder) Helper()               { r.TB.Helper() }
func (r *recorder) Errorf(string, ...any) { r.errors++ }
func (r *recorder) Fatalf(string, ...any) { r.fatals++ }
func (r *recorder) Fatal(...any)          { r.fatals++ }
func (r *recorder) FailNow()              { r.fatals++ }

// Do is called from goroutines (races of concurrent requests), where
// Fatal must not be called: a request that cannot be sent is an Errorf and
// an answer with status 0.
func TestDoNeverFatal(t *testing.T) {
	rec := &recorder{TB: t}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	env := &Env{T: rec, Server: srv}
	var r *Resp
	done := make(chan struct{})
	go func() { defer close(done); r = env.Get("/healthz", "") }()
	<-done
	if rec.fatals != 0 || rec.errors != 1 {
		t.Fatalf("fatals %d, errors %d: want 0 and 1", rec.fatals, rec.errors)
	}
	if r == nil || r.Status != 0 {
		t.Fatalf("answer %+v, want status 0", r)
	}
	env.Post("/x", "", map[string]any{"f": func() {}}) // cannot be encoded
	if rec.fatals != 0 || rec.errors != 2 {
		t.Fatalf("an unencodable body: fatals %d, errors %d", rec.fatals, rec.errors)
	}
}

// New wires the check: an answer of the product's server that the document
// does not allow fails the test that caused it (here, a /healthz answer
// outside its enum, put in place of the real handler).
func TestEveryAnswerOfTheServerIsChecked(t *testing.T) {
	rec := &recorder{TB: t}
	env := New(rec)
	env.Echo.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "nope"})
	})
	env.Get("/healthz", "")
	if rec.errors != 1 {
		t.Fatalf("an undocumented answer of the server was reported %d times, want 1", rec.errors)
	}
	env.Get("/readyz", "")
	if rec.errors != 1 || rec.fatals != 0 {
		t.Fatalf("a documented answer was reported: errors %d, fatals %d", rec.errors, rec.fatals)
	}
}
