package handlers

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/labstack/echo/v4"

	"linli/internal/apperr"
)

// durable holds the answer to every write request until the writes made
// before it are on disk (embedded mode flushes its writes in the
// background, several at once): an acknowledged write is never lost. The
// wait happens when the answer's first byte is about to leave, once per
// request, so the writes a request made share one flush. When the flush
// failed the answer is replaced by 503: whatever the handler says was done
// is not safely stored. Reads do not wait: like a read on MongoDB's
// primary, one may see a write whose own answer has not left yet.
// The first failure is logged (the store refuses every write after it, so
// later ones say nothing new).
func durable(wait func() error, log *slog.Logger) echo.MiddlewareFunc {
	var logged atomic.Bool
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if wait == nil {
			return next
		}
		return func(c echo.Context) error {
			if isSafe(c.Request().Method) {
				return next(c)
			}
			c.Response().Writer = &durableWriter{ResponseWriter: c.Response().Writer, wait: func() error {
				err := wait()
				if err != nil && log != nil && logged.CompareAndSwap(false, true) {
					log.ErrorContext(c.Request().Context(), "writes not stored; every write now answers 503 until a restart",
						"requestId", requestID(c), "err", err)
				}
				return err
			}}
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
		_, _ = w.ResponseWriter.Write(unavailable(w.Header().Get(echo.HeaderXRequestID)))
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
	w.check() // a flush sends the status line: it waits like a write
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.failed {
		f.Flush()
	}
}

func (w *durableWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// unavailable is the error envelope of SERVICE_UNAVAILABLE.
func unavailable(requestID string) []byte {
	body, _ := json.Marshal(envelope{Error: envelopeBody{
		Code: apperr.ErrUnavailable.Code, Message: apperr.ErrUnavailable.Message, RequestID: requestID,
	}})
	return body
}
