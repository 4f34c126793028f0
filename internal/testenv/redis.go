// Package testenv builds the whole product for tests, from real parts: the
// lungo memory store (one per test), a Redis (miniredis, or a real
// redis-server when LINLI_TEST_REDIS_URL is set, as .ci/run does), the real
// services and the real Echo router behind httptest, and a fake WeChat.
package testenv

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"linli/internal/platform/cache"
)

// RealRedisURL names the real redis-server the Redis-touching tests use too.
const RealRedisURL = "LINLI_TEST_REDIS_URL"

// Redis returns a Redis for one test, empty, emptied again at the end: a
// logical database of the real server when LINLI_TEST_REDIS_URL is set (the
// server must have been started with enough databases: --databases 1024),
// otherwise a miniredis of its own. The miniredis is returned too (nil for a
// real server), for tests that stop it.
func Redis(t testing.TB) (*redis.Client, *miniredis.Miniredis) {
	t.Helper()
	url := os.Getenv(RealRedisURL)
	if url == "" {
		m := miniredis.RunT(t)
		c := cache.NewClient(&redis.Options{Addr: m.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		return c, m
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s: %v", RealRedisURL, err)
	}
	ctx := context.Background()
	control := redis.NewClient(opts)
	defer control.Close()
	// Tests of many packages run at once: each takes its own database.
	n, err := control.Incr(ctx, "linli:test:next-db").Result()
	if err != nil {
		t.Fatalf("real redis at %s: %v", url, err)
	}
	o := *opts
	o.DB = 1 + int(n%1023)
	c := cache.NewClient(&o)
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("real redis db %d: %v", o.DB, err)
	}
	t.Cleanup(func() {
		_ = c.FlushDB(context.Background()).Err()
		_ = c.Close()
	})
	t.Logf("using real redis %s db %d", opts.Addr, o.DB)
	return c, nil
}

// Real reports whether tests run against a real redis-server.
func Real() bool { return os.Getenv(RealRedisURL) != "" }

func mustf(t testing.TB, err error, format string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(format, args...), err)
	}
}
