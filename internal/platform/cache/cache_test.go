package cache

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"linli/internal/platform/metrics"
)

func TestEmbeddedRedisAnswers(t *testing.T) {
	ctx := context.Background()
	r, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := r.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("get: %q %v", v, err)
	}
}

// The embedded Redis listens on loopback: a local process that connects
// without the process's password can neither read nor write.
func TestEmbeddedRedisRefusesAClientWithoutItsPassword(t *testing.T) {
	ctx := context.Background()
	r, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Set(ctx, "linli:feed", "moderated", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"", "guess"} {
		stranger := redis.NewClient(&redis.Options{Addr: r.Options().Addr, Password: pw, MaxRetries: -1})
		if v, err := stranger.Get(ctx, "linli:feed").Result(); err == nil {
			t.Fatalf("password %q: a stranger read %q", pw, v)
		}
		if err := stranger.Set(ctx, "linli:feed", "forged", time.Minute).Err(); err == nil {
			t.Fatalf("password %q: a stranger wrote", pw)
		}
		_ = stranger.Close()
	}
	if v, _ := r.Get(ctx, "linli:feed").Result(); v != "moderated" {
		t.Fatalf("the feed page changed: %q", v)
	}
}

func TestOpenRefusesAnUnreachableRedis(t *testing.T) {
	if _, err := Open(context.Background(), "redis://"+deadAddr(t)); err == nil {
		t.Fatal("an unreachable LINLI_REDIS_URL must stop start-up")
	}
	if _, err := Open(context.Background(), "http://nope"); err == nil {
		t.Fatal("a malformed LINLI_REDIS_URL must stop start-up")
	}
}

// After a failed dial the client answers at once for a while instead of
// dialling again, so that requests falling back to MongoDB pay nothing.
func TestBreakerFailsFastAfterADialFailure(t *testing.T) {
	c := NewClient(&redis.Options{Addr: deadAddr(t)})
	defer c.Close()
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("a dead redis must fail")
	}
	if err := c.Ping(ctx).Err(); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("second call must fail fast with the breaker open: %v", err)
	}
}

// Every fallback is counted in the registry of the context it happens in
// (this test's own: no other test can add to it).
func TestFallbackCountsEveryMiss(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := metrics.New(nil)
	ctx := metrics.With(context.Background(), reg)
	for range 3 {
		Fallback(ctx, log, "test-area", errors.New("down"))
	}
	if got := reg.Value("linli_cache_fallbacks_total", "area", "test-area"); got != 3 {
		t.Fatalf("counted %v misses, want 3", got)
	}
}

func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
