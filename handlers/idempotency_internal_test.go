package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/redis/go-redis/v9"

	"linli/internal/platform/metrics"
)

// idemServer is an Echo with the idempotency middleware in the server's
// order (recover outside it) over a miniredis, and one POST route.
func idemServer(t *testing.T, h echo.HandlerFunc) *echo.Echo {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(log)
	e.Use(middleware.RequestID(), accessLog(log, metrics.New(nil), map[string]bool{"/things": true}), middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: logPanic(log)}))
	e.POST("/things", h, idempotency(rdb, log))
	return e
}

func idemPost(e *echo.Echo, ctx context.Context) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/things", strings.NewReader(`{"n":1}`)).WithContext(ctx)
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	req.Header.Set(idemHeader, "k-1")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// The phone whose connection dropped is the one the key exists for: its
// request context ends while the handler works, and the answer must still
// be kept, so that the retry replays it instead of doing the work again;
// and the work itself must not be cut short half-way by that cancellation.
func TestIdempotencyKeepsTheAnswerOfADroppedConnection(t *testing.T) {
	var runs atomic.Int32
	e := idemServer(t, func(c echo.Context) error {
		runs.Add(1)
		if cancel, ok := c.Get("cancel").(context.CancelFunc); ok {
			cancel() // the client goes away while the work is done
		}
		if err := c.Request().Context().Err(); err != nil {
			return err // what MongoDB's driver does with a cancelled context
		}
		return c.JSON(http.StatusCreated, map[string]int{"n": 1})
	})
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, cancel := context.WithCancel(c.Request().Context())
			c.SetRequest(c.Request().WithContext(ctx))
			c.Set("cancel", cancel)
			return next(c)
		}
	})
	idemPost(e, context.Background())
	again := idemPost(e, context.Background())
	if runs.Load() != 1 || again.Code != http.StatusCreated || again.Header().Get(idemReplayed) != "true" {
		t.Fatalf("retry after a dropped connection: %d runs, status %d, replayed %q, body %s",
			runs.Load(), again.Code, again.Header().Get(idemReplayed), again.Body)
	}
}

// A handler that panics answers 500; the key must be let go like any 5xx,
// so that the retry runs instead of being told to wait for a minute.
func TestIdempotencyReleasesTheKeyOfAPanic(t *testing.T) {
	var runs atomic.Int32
	e := idemServer(t, func(c echo.Context) error {
		if runs.Add(1) == 1 {
			panic("boom")
		}
		return c.JSON(http.StatusCreated, map[string]int{"n": 1})
	})
	if first := idemPost(e, context.Background()); first.Code != http.StatusInternalServerError {
		t.Fatalf("a panic answers 500, got %d %s", first.Code, first.Body)
	}
	again := idemPost(e, context.Background())
	if again.Code != http.StatusCreated || runs.Load() != 2 {
		t.Fatalf("the retry after a panic must run: status %d, %d runs, body %s", again.Code, runs.Load(), again.Body)
	}
}
