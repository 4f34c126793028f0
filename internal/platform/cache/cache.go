// Package cache opens the product's Redis: a real server when LINLI_REDIS_URL
// is set, otherwise an in-process miniredis so that the same go-redis code
// runs in embedded mode. Redis only ever holds copies and short-lived state;
// Fallback lets a caller note that Redis failed and go on without it.
package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"linli/internal/platform/metrics"
)

// Redis is an open Redis client and what must be stopped with it.
type Redis struct {
	*redis.Client
	embedded *miniredis.Miniredis
}

// Open connects to url, or starts an embedded server when url is empty.
func Open(ctx context.Context, url string) (*Redis, error) {
	if url == "" {
		// The embedded server listens on loopback, where any local process
		// could otherwise read stored logins or write a forged feed page:
		// it takes only the password generated here, which never leaves
		// the process.
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("cache: embedded redis password: %w", err)
		}
		password := hex.EncodeToString(raw)
		m := miniredis.NewMiniRedis()
		m.RequireAuth(password)
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("cache: embedded redis: %w", err)
		}
		return &Redis{Client: NewClient(&redis.Options{Addr: m.Addr(), Password: password}), embedded: m}, nil
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("cache: LINLI_REDIS_URL: %w", err)
	}
	c := NewClient(opts)
	pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := c.Ping(pingCtx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("cache: ping %s: %w", opts.Addr, err)
	}
	return &Redis{Client: c}, nil
}

// NewClient returns a client with the product's options: calls are kept
// short and a Redis that cannot be reached is not dialled again for a few
// seconds (see breaker), because a cache that hangs is worse than a miss.
func NewClient(o *redis.Options) *redis.Client {
	c := redis.NewClient(clientOptions(o))
	c.AddHook(&breaker{})
	return c
}

func clientOptions(o *redis.Options) *redis.Options {
	o.DialTimeout = time.Second
	o.DialerRetries = 1
	o.ReadTimeout = 500 * time.Millisecond
	o.WriteTimeout = 500 * time.Millisecond
	o.MaxRetries = 1
	return o
}

// breaker fails dials at once for a while after a dial failed, so that
// while Redis is down each request pays no dial time-out: every caller
// falls back to MongoDB immediately.
type breaker struct {
	mu        sync.Mutex
	openUntil time.Time
}

// breakerPause is how long a failed dial keeps the breaker open.
const breakerPause = 3 * time.Second

// ErrBreakerOpen is returned instead of dialling a Redis that just failed.
var ErrBreakerOpen = errors.New("cache: redis unreachable, not retried yet")

func (b *breaker) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		b.mu.Lock()
		open := time.Now().Before(b.openUntil)
		b.mu.Unlock()
		if open {
			return nil, ErrBreakerOpen
		}
		conn, err := next(ctx, network, addr)
		if err != nil {
			b.mu.Lock()
			b.openUntil = time.Now().Add(breakerPause)
			b.mu.Unlock()
		}
		return conn, err
	}
}

func (b *breaker) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (b *breaker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func init() {
	// go-redis logs every failed dial; while Redis is down that floods the
	// log. Fallback logs the outage once a minute instead.
	redis.SetLogger(quiet{})
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// Close stops the client and an embedded server.
func (r *Redis) Close() error {
	err := r.Client.Close()
	if r.embedded != nil {
		r.embedded.Close()
	}
	return err
}

// Fallback notes that Redis failed for area: the failure is counted every
// time (linli_cache_fallbacks_total{area}, in the metrics registry ctx
// carries) and logged at most once a minute per area, so that an outage
// neither floods the log nor passes unseen.
func Fallback(ctx context.Context, log *slog.Logger, area string, err error) {
	if metrics.From(ctx).CacheFallback(area) {
		log.WarnContext(ctx, "redis unavailable, falling back", "area", area, "err", err)
	}
}
