package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"linli/internal/apperr"
	"linli/internal/platform/cache"
)

// Idempotency-Key handling (DESIGN.md §3): a phone on a weak network retries
// a POST whose answer it never saw; with the same key it gets the first
// answer back and nothing is done twice. The first request takes the key
// (SET NX) while it runs; its answer is then kept for a day. A key reused
// for a different request is refused; a retry while the first still runs
// is told to wait. Server errors and rate-limit answers release the key, so
// that the retry really runs.
const (
	idemHeader     = "Idempotency-Key"
	idemReplayed   = "Idempotent-Replayed"
	idemPendingTTL = time.Minute
	idemDoneTTL    = 24 * time.Hour
	idemMaxKeyLen  = 128
)

type idemRecord struct {
	Pending     bool   `json:"pending,omitempty"`
	Fingerprint string `json:"fp"`
	Status      int    `json:"status,omitempty"`
	ContentType string `json:"ct,omitempty"`
	Body        []byte `json:"body,omitempty"`
}

func idempotency(rdb redis.UniversalClient, log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := c.Request().Header.Get(idemHeader)
			if key == "" || isSafe(c.Request().Method) {
				return next(c)
			}
			if len(key) > idemMaxKeyLen {
				return apperr.ErrValidation.WithFields(apperr.FieldError{
					Field: idemHeader, Code: "max", Message: "请求标识过长",
				})
			}
			body, err := readBody(c.Request())
			if err != nil {
				if tooLarge(err) {
					return apperr.ErrBodyTooLarge.New()
				}
				return apperr.ErrMalformedJSON.Wrap(err)
			}
			scope := "anon"
			if a := callerOf(c); a.UserID != "" {
				scope = a.UserID
			}
			fp := fingerprint(c.Request().Method, c.Request().URL.Path, body)
			rkey := "linli:idem:" + scope + ":" + key
			ctx := c.Request().Context()

			pending, _ := json.Marshal(idemRecord{Pending: true, Fingerprint: fp})
			took, err := rdb.SetNX(ctx, rkey, pending, idemPendingTTL).Result()
			if err != nil {
				cache.Fallback(ctx, log, "idempotency", err)
				return next(c)
			}
			if !took {
				return replay(c, rdb, rkey, fp)
			}

			// The client that goes away meanwhile (its request context is
			// then cancelled) is the one that will retry: the work is not
			// cut short half-way by its leaving, and its answer is kept. The
			// work is bounded by the pending key's lifetime instead, so that
			// a retry never runs beside it.
			keep := context.WithoutCancel(ctx)
			work, cancel := context.WithTimeout(keep, idemPendingTTL)
			defer cancel()
			c.SetRequest(c.Request().WithContext(work))
			defer func() {
				if p := recover(); p != nil { // answered 500 by the recover middleware
					rdb.Del(keep, rkey)
					panic(p)
				}
			}()
			rec := &recorder{ResponseWriter: c.Response().Writer}
			c.Response().Writer = rec
			if err := next(c); err != nil {
				c.Error(err)
			}
			status := c.Response().Status
			if status >= 500 || status == http.StatusTooManyRequests {
				if err := rdb.Del(keep, rkey).Err(); err != nil {
					cache.Fallback(keep, log, "idempotency", err)
				}
				return nil
			}
			done, _ := json.Marshal(idemRecord{
				Fingerprint: fp, Status: status,
				ContentType: c.Response().Header().Get(echo.HeaderContentType), Body: rec.buf.Bytes(),
			})
			if err := rdb.Set(keep, rkey, done, idemDoneTTL).Err(); err != nil {
				cache.Fallback(keep, log, "idempotency", err)
			}
			return nil
		}
	}
}

func replay(c echo.Context, rdb redis.UniversalClient, rkey, fp string) error {
	ctx := c.Request().Context()
	raw, err := rdb.Get(ctx, rkey).Bytes()
	if errors.Is(err, redis.Nil) { // the first attempt failed and let go meanwhile
		return apperr.ErrIdemInProgress.New()
	}
	if err != nil {
		return apperr.ErrUnavailable.Wrap(err)
	}
	var rec idemRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return apperr.ErrInternal.Wrap(err)
	}
	switch {
	case rec.Fingerprint != fp:
		return apperr.ErrIdemMismatch.New()
	case rec.Pending:
		return apperr.ErrIdemInProgress.New()
	}
	c.Response().Header().Set(idemReplayed, "true")
	if rec.ContentType == "" {
		return c.NoContent(rec.Status)
	}
	return c.Blob(rec.Status, rec.ContentType, rec.Body)
}

func fingerprint(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// recorder keeps a copy of what the handler writes.
type recorder struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
