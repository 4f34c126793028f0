package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// durable holds the answer to every write request until the writes made
// before it are on disk (embedded mode flushes its writes in the
// background, several at once): an acknowledged write is never lost. The
// wait happens when the answer's first byte is about to leave, once per
// request, so the writes a request made share one flush. When the flush
// failed the answer is replaced by 503: whatever the handler says was done
// is not safely stored. Reads do not wait: like a read on MongoDB's
// primary, one may see a write whose own answer has not left yet.
func durable(wait func() error) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if wait == nil {
			return next
		}
		return func(c echo.Context) error {
			if isSafe(c.Request().Method) {
				return next(c)
			}
			c.Response().Writer = &durableWriter{ResponseWriter: c.Response().Writer, wait: wait}
			return next(c)
		}
	}
}

type durableWriter struct {
	http.ResponseWriter
	wait    func() error
	checked bool
	failed  bool
}

var unavailable = []byte(`{"error":{"code":"SERVICE_UNAVAILABLE","message":"服务暂时不可用，请稍后再试","requestId":""}}`)

func (w *durableWriter) check() {
	if w.checked {
		return
	}
	w.checked = true
	if err := w.wait(); err != nil {
		w.failed = true
		w.Header().Del("Content-Encoding")
		w.Header().Del("ETag")
		w.Header().Set("Content-Type", echo.MIMEApplicationJSON)
		w.ResponseWriter.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.ResponseWriter.Write(unavailable)
	}
}

func (w *durableWriter) WriteHeader(code int) {
	w.check()
	if !w.failed {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *durableWriter) Write(b []byte) (int, error) {
	w.check()
	if w.failed {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *durableWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.failed {
		f.Flush()
	}
}

func (w *durableWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
