// Package handlers is the HTTP layer: Echo handlers and middleware that
// decode a request, validate it, call a service and encode the answer. No
// business rule lives here, and nothing here knows MongoDB.
package handlers

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/redis/go-redis/v9"

	"linli/internal/app"
	"linli/internal/apperr"
	"linli/internal/platform/metrics"
)

// Deps is everything the HTTP layer calls.
type Deps struct {
	Log *slog.Logger
	// App is the product's services.
	App   *app.App
	Redis redis.UniversalClient
	// Ready are the dependencies /readyz asks.
	Ready []Check
	// RateLimit is write requests per minute per caller; LoginRateLimit is
	// logins per minute per client address.
	RateLimit      int
	LoginRateLimit int
	// OpenAPI is the served contract.
	OpenAPI []byte
	// Durable, when set, returns once every write made so far is on disk
	// (embedded mode); every answer waits for it before it is sent.
	Durable func() error
	// TrustedProxies are the load balancers whose X-Forwarded-For is
	// believed, besides loopback.
	TrustedProxies []*net.IPNet
	// Metrics counts requests by route and status, and travels in each
	// request's context (cache fallbacks); nil: metrics.Default().
	Metrics *metrics.Registry
}

// precompressed are the routes that send bodies they keep compressed (the
// wish feed is gzipped once, when cached, not on every read); the gzip
// middleware leaves them alone.
var precompressed = map[string]bool{"/api/v1/wishes": true, "/api/v1/activities": true}

// BodyLimit is the largest request body accepted.
const BodyLimit = "1M"

// New returns the whole HTTP server.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Log)
	e.IPExtractor = clientIP(d.TrustedProxies)
	if d.Metrics == nil {
		d.Metrics = metrics.Default()
	}
	// routes are the patterns of the routes registered below (filled
	// before the server serves, read-only after): what requests are counted
	// by. Echo's own not-found routes ("/api/v1/*") are not among them.
	routes := map[string]bool{}
	e.Use(
		middleware.RequestID(),
		requestContext(d.Metrics),
		accessLog(d.Log, d.Metrics, routes),
		durable(d.Durable, d.Log),
		methodNotAllowed(e),
		middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: logPanic(d.Log)}),
		middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024, Skipper: func(c echo.Context) bool {
			return precompressed[c.Path()]
		}}),
		middleware.BodyLimit(BodyLimit),
		detachWrites,
	)
	h := &server{Deps: d, limiter: redis_rate.NewLimiter(d.Redis)}
	h.routes(e)
	for _, r := range e.Routes() {
		if !strings.HasPrefix(r.Method, "echo_route") {
			routes[r.Path] = true
		}
	}
	return e
}

// writeTimeout bounds a write once its client has gone (see detachWrites).
const writeTimeout = 30 * time.Second

// detachWrites lets a write finish when its client goes away: a phone that
// loses its connection mid-post must not cut the work half-way (a message
// stored with its counters left for the sweep, or a 500 from a store that
// gave up waiting for its turn). The work is bounded by writeTimeout
// instead. Reads keep the client's context: nothing is left half-done.
func detachWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if isSafe(c.Request().Method) {
			return next(c)
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), writeTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// clientIP reads the client's address (what limits logins) as the last
// X-Forwarded-For entry that no trusted proxy added: the entries before it
// are the client's to write. Loopback is always trusted, the listed
// proxies too, and nothing else: a client on a private network cannot
// pick its address.
func clientIP(proxies []*net.IPNet) echo.IPExtractor {
	opts := []echo.TrustOption{echo.TrustLoopback(true), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range proxies {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

type server struct {
	Deps
	limiter *redis_rate.Limiter
}

func logPanic(log *slog.Logger) middleware.LogErrorFunc {
	return func(c echo.Context, err error, stack []byte) error {
		log.ErrorContext(c.Request().Context(), "panic", "err", err, "stack", string(stack))
		// A panic is answered INTERNAL whatever its value: a product error
		// panicked with (a NothingDone mark above all) may follow a write.
		return apperr.ErrInternal.Wrap(err)
	}
}

func (s *server) openapi(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", s.OpenAPI)
}
