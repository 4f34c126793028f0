package handlers

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// The answer to a write leaves only once the writes before it are on disk;
// when they could not be written, the answer says so (503) instead of what
// the handler believed was done. A read does not wait.
func TestAnswersWaitForDurableWrites(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{{"flushed", nil, http.StatusCreated}, {"flush failed", errors.New("disk full"), http.StatusServiceUnavailable}} {
		t.Run(tc.name, func(t *testing.T) {
			waited := 0
			e := echo.New()
			e.Use(middleware.RequestID(), durable(func() error { waited++; return tc.err }, nil))
			e.POST("/x", func(c echo.Context) error { return c.JSON(http.StatusCreated, map[string]string{"id": "1"}) })
			e.GET("/y", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"id": "1"}) })
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", nil))
			if rec.Code != tc.want || waited != 1 {
				t.Fatalf("status %d after %d waits, want %d after 1", rec.Code, waited, tc.want)
			}
			get := httptest.NewRecorder()
			e.ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/y", nil))
			if waited != 1 {
				t.Fatal("a read waited for the disk")
			}
			if tc.err != nil && (strings.Contains(rec.Body.String(), `"id"`) || !strings.Contains(rec.Body.String(), "SERVICE_UNAVAILABLE") ||
				!strings.Contains(rec.Body.String(), `"requestId":"`+rec.Header().Get(echo.HeaderXRequestID)+`"`) || rec.Header().Get(echo.HeaderXRequestID) == "") {
				t.Fatalf("body %s", rec.Body)
			}
		})
	}
}

// A handler that flushes before it writes sends the status line: that
// waits for the disk too, and a failed flush still answers 503.
func TestAFlushWaitsForDurableWrites(t *testing.T) {
	waited := 0
	e := echo.New()
	e.Use(durable(func() error { waited++; return errors.New("disk full") }, nil))
	e.POST("/x", func(c echo.Context) error {
		c.Response().Flush()
		return c.JSON(http.StatusCreated, map[string]string{"id": "1"})
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", nil))
	if rec.Code != http.StatusServiceUnavailable || waited != 1 || strings.Contains(rec.Body.String(), `"id"`) {
		t.Fatalf("status %d after %d waits, body %s", rec.Code, waited, rec.Body)
	}
}
