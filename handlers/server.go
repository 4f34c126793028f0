// Package handlers is the HTTP layer: Echo handlers and middleware that
// decode a request, validate it, call a service and encode the answer. No
// business rule lives here, and nothing here knows MongoDB.
package handlers

import (
	"log/slog"
	"net"
	"net/http"

	"github.com/go-redis/redis_rate/v10"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/redis/go-redis/v9"

	"linli/internal/app"
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
	// TrustedProxies are the load balancers whose X-Forwarded-For is
	// believed; nil: loopback, link-local and private networks.
	TrustedProxies []*net.IPNet
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
	e.Use(
		middleware.RequestID(),
		accessLog(d.Log),
		middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: logPanic(d.Log)}),
		middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024, Skipper: func(c echo.Context) bool {
			return precompressed[c.Path()]
		}}),
		middleware.BodyLimit(BodyLimit),
	)
	h := &server{Deps: d, limiter: redis_rate.NewLimiter(d.Redis)}
	h.routes(e)
	return e
}

// clientIP reads the client's address (what limits logins) as the last
// X-Forwarded-For entry that no trusted proxy added: the entries before it
// are the client's to write. Loopback is always trusted; proxies, when
// given, replace the default trust of link-local and private networks.
func clientIP(proxies []*net.IPNet) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPFromXFFHeader(echo.TrustLoopback(true), echo.TrustLinkLocal(true), echo.TrustPrivateNet(true))
	}
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
		log.ErrorContext(c.Request().Context(), "panic", "requestId", requestID(c), "err", err, "stack", string(stack))
		return err
	}
}

func (s *server) openapi(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", s.OpenAPI)
}
