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
	"linli/internal/platform/clock"
	"linli/internal/platform/idem"
)

// Idempotency-Key handling (DESIGN.md §3): a phone on a weak network retries
// a POST whose answer it never saw; with the same key it gets the first
// answer back and nothing is done twice. A key reused for a different
// request is refused; a retry while the first still runs is told to wait.
//
// For a signed-in caller the key is kept in the database (idem.Store), so
// that it holds across restarts, Redis outages and processes, and its
// outcome is decided once: an answer below 500 is kept and replayed; a
// server error (or a panic, or a process that died meanwhile) may have
// followed a committed write, so the request never runs again and retries
// are told IDEMPOTENCY_OUTCOME_UNKNOWN. Two answers let the key go, so that
// a retry with it runs: a rate-limit answer, and a server error that says
// nothing was done (an apperr marked NothingDone, e.g. the staff to tell
// of a message could not be looked up, an evaluation lost its races, this
// middleware's own record store was down; the error handler marks the
// request and sends Retry-After). An unmarked server error stays Unknown:
// the default is never to run twice. Redis holds a copy of decided
// answers, the fast path.
//
// Logins (no caller yet) keep their key in Redis only: their writes are
// idempotent by themselves (one user per openId, a unique index), and their
// answers carry a token that is not to be written into the database. There
// a server error lets the key go, as nothing is lost by running again.
const (
	idemHeader     = "Idempotency-Key"
	idemReplayed   = "Idempotent-Replayed"
	idemPendingTTL = time.Minute
	idemDoneTTL    = idem.Keep
	idemMaxKeyLen  = 128
	// idemRetryAfter is the wait told with a 503 said before the request
	// ran (the records could not be read).
	idemRetryAfter = 5 * time.Second
)

type idemRecord struct {
	Pending     bool   `json:"pending,omitempty"`
	Fingerprint string `json:"fp"`
	Status      int    `json:"status,omitempty"`
	ContentType string `json:"ct,omitempty"`
	Body        []byte `json:"body,omitempty"`
}

func idempotency(rdb redis.UniversalClient, records *idem.Store, now func() time.Time, log *slog.Logger) echo.MiddlewareFunc {
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
			fp := fingerprint(c.Request().Method, c.Request().URL.Path, body)
			if a := callerOf(c); a.UserID != "" && records != nil {
				k := keyed{rdb: rdb, records: records, log: log, id: a.UserID + ":" + key, fp: fp}
				return k.serve(c, next, now())
			}
			return redisOnly(c, next, rdb, log, "linli:idem:anon:"+key, fp)
		}
	}
}

// keyed is one signed-in caller's keyed request.
type keyed struct {
	rdb     redis.UniversalClient
	records *idem.Store
	log     *slog.Logger
	id, fp  string
}

func (k keyed) rkey() string { return "linli:idem:" + k.id }

func (k keyed) serve(c echo.Context, next echo.HandlerFunc, now time.Time) error {
	ctx := c.Request().Context()
	// Fast path: a decided answer copied into Redis.
	raw, err := k.rdb.Get(ctx, k.rkey()).Bytes()
	switch {
	case err == nil:
		var rec idemRecord
		if json.Unmarshal(raw, &rec) == nil && !rec.Pending {
			return answer(c, rec, k.fp)
		}
	case !errors.Is(err, redis.Nil):
		cache.Fallback(ctx, k.log, "idempotency", err)
	}

	owner := clock.NewID()
	rec, took, err := k.records.Take(ctx, k.id, k.fp, owner, now, idemPendingTTL)
	if err != nil {
		// Nothing done: without the record, nothing may be.
		return apperr.ErrUnavailable.Wrap(err).NothingDone(idemRetryAfter)
	}
	if !took {
		return k.decided(c, rec)
	}

	// The client that goes away meanwhile (its request context is then
	// cancelled) is the one that will retry: the work is not cut short
	// half-way by its leaving, and its answer is kept. The work is bounded
	// by the record's lease instead, after which a retry hears the outcome
	// is unknown.
	keep := context.WithoutCancel(ctx)
	work, cancel := context.WithTimeout(keep, idemPendingTTL)
	defer cancel()
	c.SetRequest(c.Request().WithContext(work))
	// The answer is held until its outcome is recorded, so that whoever
	// received it finds it kept: the record's write is queued before the
	// answer leaves (embedded mode waits for the disk then), and a
	// process that dies after answering leaves a record to replay.
	w := &holder{ResponseWriter: c.Response().Writer}
	c.Response().Writer = w
	defer func() {
		if p := recover(); p != nil { // answered 500 by the recover middleware
			w.discard(c.Response())
			if err := k.records.Fail(keep, k.id, owner); err != nil {
				k.log.ErrorContext(keep, "idempotency record not decided", "err", err)
			}
			panic(p)
		}
	}()
	if err := next(c); err != nil {
		c.Error(err)
	}
	defer w.send(c.Response())
	status := c.Response().Status
	switch {
	case status == http.StatusTooManyRequests, status >= 500 && nothingDone(c):
		err = k.records.Release(keep, k.id, owner) // nothing was done: a retry runs
	case status >= 500:
		err = k.records.Fail(keep, k.id, owner)
	default:
		ct := c.Response().Header().Get(echo.HeaderContentType)
		err = k.records.Finish(keep, k.id, owner, status, ct, w.buf.Bytes())
		if err == nil {
			done, _ := json.Marshal(idemRecord{Fingerprint: k.fp, Status: status, ContentType: ct, Body: w.buf.Bytes()})
			if rerr := k.rdb.Set(keep, k.rkey(), done, idemDoneTTL).Err(); rerr != nil {
				cache.Fallback(keep, k.log, "idempotency", rerr)
			}
		}
	}
	if err != nil {
		// The record stays pending; when its lease ends a retry hears the
		// outcome is unknown. Never twice.
		k.log.ErrorContext(keep, "idempotency record not decided", "err", err)
	}
	return nil
}

// decided answers a retry from the record another attempt took.
func (k keyed) decided(c echo.Context, rec idem.Record) error {
	if rec.Fingerprint != k.fp {
		return apperr.ErrIdemMismatch.New()
	}
	switch rec.Outcome {
	case idem.Done:
		ir := idemRecord{Fingerprint: rec.Fingerprint, Status: rec.Status, ContentType: rec.ContentType, Body: rec.Body}
		if done, err := json.Marshal(ir); err == nil {
			if err := k.rdb.Set(c.Request().Context(), k.rkey(), done, idemDoneTTL).Err(); err != nil {
				cache.Fallback(c.Request().Context(), k.log, "idempotency", err)
			}
		}
		return answer(c, ir, k.fp)
	case idem.Unknown:
		return apperr.ErrIdemUnknown.New()
	}
	return apperr.ErrIdemInProgress.New()
}

// redisOnly is the key kept in Redis alone (logins): the first request
// takes it (SET NX) while it runs; its answer is then kept for a day; a
// server error or a rate-limit answer lets it go.
func redisOnly(c echo.Context, next echo.HandlerFunc, rdb redis.UniversalClient, log *slog.Logger, rkey, fp string) error {
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

func replay(c echo.Context, rdb redis.UniversalClient, rkey, fp string) error {
	ctx := c.Request().Context()
	raw, err := rdb.Get(ctx, rkey).Bytes()
	if errors.Is(err, redis.Nil) { // the first attempt failed and let go meanwhile
		return apperr.ErrIdemInProgress.New()
	}
	if err != nil {
		return apperr.ErrUnavailable.Wrap(err).NothingDone(idemRetryAfter)
	}
	var rec idemRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return apperr.ErrInternal.Wrap(err)
	}
	if rec.Pending && rec.Fingerprint == fp {
		return apperr.ErrIdemInProgress.New()
	}
	return answer(c, rec, fp)
}

// answer replays a kept answer to a request with fingerprint fp.
func answer(c echo.Context, rec idemRecord, fp string) error {
	if rec.Fingerprint != fp {
		return apperr.ErrIdemMismatch.New()
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

// holder keeps what the handler writes and sends it only when told.
type holder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (h *holder) WriteHeader(code int) { h.status = code }

func (h *holder) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.buf.Write(b)
}

// Flush sends nothing: the answer is held.
func (h *holder) Flush() {}

// send writes the held answer and gives the response its writer back.
func (h *holder) send(r *echo.Response) {
	r.Writer = h.ResponseWriter
	if h.status == 0 {
		return
	}
	h.ResponseWriter.WriteHeader(h.status)
	_, _ = h.ResponseWriter.Write(h.buf.Bytes())
}

// discard drops the held answer and undoes its commit, so that the error
// handler can answer instead (a panic after the handler wrote).
func (h *holder) discard(r *echo.Response) {
	r.Writer = h.ResponseWriter
	r.Committed, r.Status, r.Size = false, 0, 0
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
