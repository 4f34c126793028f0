package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/labstack/echo/v4"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/cache"
	"linli/internal/platform/logging"
	"linli/internal/platform/metrics"
)

// Authenticator turns a bearer token into the caller.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (actor.Actor, error)
}

const actorKey = "linli.actor"

// requireAuth admits only requests with a valid bearer token and puts the
// caller in the context for the handlers.
func requireAuth(auth Authenticator) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Request().Header.Get(echo.HeaderAuthorization)
			scheme, token, ok := strings.Cut(h, " ")
			if h == "" {
				return apperr.ErrAuthRequired.New()
			}
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
				return apperr.ErrTokenInvalid.New()
			}
			a, err := auth.Authenticate(c.Request().Context(), strings.TrimSpace(token))
			if err != nil {
				return err
			}
			c.Set(actorKey, a)
			return next(c)
		}
	}
}

// callerOf returns the authenticated caller; only under requireAuth.
func callerOf(c echo.Context) actor.Actor {
	a, _ := c.Get(actorKey).(actor.Actor)
	return a
}

// rateLimit allows perMinute requests per key (the caller, or the client
// address before login), shared by every process through Redis. When Redis
// fails the request is let through: a missing limit is better than a
// resident who cannot post.
func rateLimit(limiter *redis_rate.Limiter, log *slog.Logger, name string, perMinute int, writesOnly bool) echo.MiddlewareFunc {
	limit := redis_rate.PerMinute(perMinute)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if writesOnly && isSafe(c.Request().Method) {
				return next(c)
			}
			key := "linli:rl:" + name + ":"
			if a := callerOf(c); a.UserID != "" {
				key += "u:" + a.UserID
			} else {
				key += "ip:" + c.RealIP()
			}
			ctx := c.Request().Context()
			res, err := limiter.Allow(ctx, key, limit)
			if err != nil {
				cache.Fallback(ctx, log, "ratelimit", err)
				return next(c)
			}
			if res.Allowed == 0 {
				secs := int(res.RetryAfter.Seconds() + 0.999)
				if secs < 1 {
					secs = 1
				}
				return apperr.ErrRateLimited.WithDetails(map[string]any{"retryAfterSeconds": secs})
			}
			return next(c)
		}
	}
}

func isSafe(method string) bool {
	return method == "GET" || method == "HEAD" || method == "OPTIONS"
}

// requestContext puts the request ID (for every log line the request
// causes) and the metrics registry (for what it counts deep down) in the
// request's context.
func requestContext(reg *metrics.Registry) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			ctx := logging.WithRequestID(metrics.With(req.Context(), reg), requestID(c))
			c.SetRequest(req.WithContext(ctx))
			return next(c)
		}
	}
}

// accessLog writes one structured line per request and counts it by route
// pattern and status (never by path: IDs would each become a series).
// A path no route knows (Echo's own not-found routes included) is counted
// as "unmatched", so that neither a scanner's paths nor its methods grow
// the series.
func accessLog(log *slog.Logger, reg *metrics.Registry, routes map[string]bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			defer func() {
				// Only http.ErrAbortHandler gets past Recover: an answer
				// broken off on purpose (a CSV file cut short) still gets
				// its line and its count.
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						logRequest(log, reg, routes, c, start, errAborted)
					}
					panic(p)
				}
			}()
			err := next(c)
			if err != nil {
				c.Error(err) // render now, so that the logged status is the one sent
			}
			logRequest(log, reg, routes, c, start, err)
			return nil
		}
	}
}

// errAborted is what the access log says of an answer broken off.
var errAborted = errors.New("answer broken off")

// logRequest writes a request's line and counts it.
func logRequest(log *slog.Logger, reg *metrics.Registry, routes map[string]bool, c echo.Context, start time.Time, err error) {
	req, res := c.Request(), c.Response()
	level := slog.LevelInfo
	switch {
	case res.Status >= 500:
		level = slog.LevelError
	case errors.Is(err, errAborted): // its cause is logged where it was met
		level = slog.LevelWarn
	}
	took := time.Since(start)
	route := c.Path()
	if !routes[route] {
		route = "unmatched"
	}
	reg.Request(route, req.Method, res.Status, took)
	attrs := []any{
		"method", req.Method, "route", c.Path(), "path", req.URL.Path,
		"status", res.Status, "bytes", res.Size, "ms", took.Milliseconds(), "remote", c.RealIP(),
	}
	if a := callerOf(c); a.UserID != "" {
		attrs = append(attrs, "user", a.UserID)
	}
	if err != nil {
		attrs = append(attrs, "err", err.Error())
	}
	log.Log(req.Context(), level, "http", attrs...)
}
