package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/http"

	"github.com/labstack/echo/v4"

	"linli/internal/apperr"
)

// envelope is the one error shape of the API (DESIGN.md §3).
type envelope struct {
	Error envelopeBody `json:"error"`
}

type envelopeBody struct {
	Code      string              `json:"code"`
	Message   string              `json:"message"`
	Fields    []apperr.FieldError `json:"fields,omitempty"`
	Details   map[string]any      `json:"details,omitempty"`
	RequestID string              `json:"requestId"`
}

var statusOf = map[apperr.Kind]int{
	apperr.Internal:         http.StatusInternalServerError,
	apperr.Invalid:          http.StatusUnprocessableEntity,
	apperr.BadRequest:       http.StatusBadRequest,
	apperr.Unauthorized:     http.StatusUnauthorized,
	apperr.Forbidden:        http.StatusForbidden,
	apperr.NotFound:         http.StatusNotFound,
	apperr.Conflict:         http.StatusConflict,
	apperr.Gone:             http.StatusGone,
	apperr.TooLarge:         http.StatusRequestEntityTooLarge,
	apperr.RateLimited:      http.StatusTooManyRequests,
	apperr.Unavailable:      http.StatusServiceUnavailable,
	apperr.BadGateway:       http.StatusBadGateway,
	apperr.NotAllowed:       http.StatusMethodNotAllowed,
	apperr.UnsupportedMedia: http.StatusUnsupportedMediaType,
}

// statusClientClosed is what the access log records for a request whose
// client left before its answer (nobody receives it).
const statusClientClosed = 499

// StatusOf returns the HTTP status of an error kind.
func StatusOf(k apperr.Kind) int { return statusOf[k] }

// nothingDoneKey marks a request whose error said that it did nothing
// (apperr's NothingDone): the idempotency middleware then lets its key go
// instead of spending it on a server error.
const nothingDoneKey = "linli.nothingDone"

// nothingDone reports whether c's answer is an error that said the request
// did nothing.
func nothingDone(c echo.Context) bool {
	done, _ := c.Get(nothingDoneKey).(bool)
	return done
}

// errorHandler renders every error the handlers return, once: product
// errors as they are, Echo's own (404 route, 405, 413) as product errors,
// anything else as INTERNAL with its detail only logged. An error that
// says nothing was done (apperr's NothingDone) carries Retry-After (and
// details.retryAfterSeconds, as a rate limit does) and marks the request
// for the idempotency middleware.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
			// The client went away before its answer (a read: writes are
			// detached). Nothing failed on the server: no 500, no error log.
			log.DebugContext(c.Request().Context(), "client went away", "requestId", requestID(c), "path", c.Path())
			_ = c.NoContent(statusClientClosed)
			return
		}
		e := asAppError(err)
		status := statusOf[e.Kind]
		if status >= 500 {
			log.ErrorContext(c.Request().Context(), "request failed",
				"method", c.Request().Method, "path", c.Path(), "code", e.Code, "err", err)
		}
		details := e.Details
		// Nothing was done: the same request may be sent again. Asked of
		// err itself: a mark under a wrapper is not trusted.
		if wait, ok := apperr.RetryAfter(err); ok {
			c.Set(nothingDoneKey, true)
			if _, ok := details["retryAfterSeconds"]; !ok {
				details = maps.Clone(details)
				if details == nil {
					details = map[string]any{}
				}
				details["retryAfterSeconds"] = int(math.Ceil(wait.Seconds()))
			}
		}
		if ra, ok := details["retryAfterSeconds"]; ok {
			c.Response().Header().Set("Retry-After", fmt.Sprint(ra))
		}
		body := envelope{Error: envelopeBody{
			Code: e.Code, Message: e.Message, Fields: e.Fields, Details: details, RequestID: requestID(c),
		}}
		if c.Request().Method == http.MethodHead {
			err = c.NoContent(status)
		} else {
			err = c.JSON(status, body)
		}
		if err != nil {
			log.ErrorContext(c.Request().Context(), "writing error response", "err", err)
		}
	}
}

func asAppError(err error) *apperr.Error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return apperr.ErrRouteNotFound.New()
		case http.StatusMethodNotAllowed:
			return apperr.ErrMethod.New()
		case http.StatusRequestEntityTooLarge:
			return apperr.ErrBodyTooLarge.New()
		case http.StatusUnsupportedMediaType:
			return apperr.ErrContentType.New()
		case http.StatusBadRequest:
			return apperr.ErrMalformedJSON.Wrap(err)
		}
	}
	return apperr.ErrInternal.Wrap(err)
}

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}
