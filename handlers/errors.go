package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// errorHandler renders every error the handlers return, once: product
// errors as they are, Echo's own (404 route, 405, 413) as product errors,
// anything else as INTERNAL with its detail only logged.
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
		if ra, ok := e.Details["retryAfterSeconds"]; ok {
			c.Response().Header().Set("Retry-After", fmt.Sprint(ra))
		}
		body := envelope{Error: envelopeBody{
			Code: e.Code, Message: e.Message, Fields: e.Fields, Details: e.Details, RequestID: requestID(c),
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
