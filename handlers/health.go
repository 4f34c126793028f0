package handlers

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/platform/cache"
	"linli/internal/platform/store"
)

// Check is one dependency that readiness asks.
type Check struct {
	Name string
	Ping func(context.Context) error
}

func healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when every dependency answers within two seconds, and
// 503 naming those that did not.
func readyz(checks []Check) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		results := make(map[string]string, len(checks))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, ch := range checks {
			wg.Go(func() {
				status := "ok"
				if err := ch.Ping(ctx); err != nil {
					status = "unavailable"
				}
				mu.Lock()
				results[ch.Name] = status
				mu.Unlock()
			})
		}
		wg.Wait()
		code, status := http.StatusOK, "ok"
		failed := []string{}
		for _, ch := range checks {
			if results[ch.Name] != "ok" {
				failed = append(failed, ch.Name)
			}
		}
		if len(failed) > 0 {
			code, status = http.StatusServiceUnavailable, "unavailable"
		}
		return c.JSON(code, map[string]any{"status": status, "checks": results, "failed": failed})
	}
}

// metrics answers the product's own counters (Redis fallbacks by area, the
// embedded store's commits).
func metrics(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON,
		[]byte(`{"cacheFallbacks":`+cache.Misses.String()+`,"storeCommits":`+store.Commits.String()+`}`))
}
