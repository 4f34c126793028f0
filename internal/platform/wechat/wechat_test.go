package wechat_test

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"linli/internal/platform/cache"
	"linli/internal/platform/wechat"
	"linli/internal/platform/wechat/wechattest"
	"linli/internal/testenv"
)

func newClient(t *testing.T) (*wechat.Client, *wechattest.Server, redisClient) {
	t.Helper()
	fake := wechattest.New(t)
	rdb, _ := testenv.Redis(t)
	return wechat.New("wxtest", "secret", rdb, fake.HTTPClient()), fake, rdb
}

func TestCode2Session(t *testing.T) {
	c, fake, _ := newClient(t)
	ctx := context.Background()
	fake.AddCode("good", "openid-1")

	s, err := c.Code2Session(ctx, "good")
	if err != nil || s.OpenID != "openid-1" {
		t.Fatalf("login = %+v, %v", s, err)
	}
	if _, err := c.Code2Session(ctx, "good"); !wechat.ErrBadCode.Is(err) {
		t.Fatalf("a used code must be WECHAT_CODE_INVALID, got %v", err)
	}
	if _, err := c.Code2Session(ctx, "unknown"); !wechat.ErrBadCode.Is(err) {
		t.Fatalf("errcode 40029 must be WECHAT_CODE_INVALID, got %v", err)
	}
	fake.FailNext(45011)
	if _, err := c.Code2Session(ctx, "x"); !wechat.ErrRateLimited.Is(err) {
		t.Fatalf("errcode 45011 must be WECHAT_BUSY, got %v", err)
	}
	fake.FailNext(-1000)
	if _, err := c.Code2Session(ctx, "x"); !wechat.ErrUpstream.Is(err) {
		t.Fatalf("an unknown errcode must be WECHAT_UNAVAILABLE, got %v", err)
	}
}

func TestCode2SessionTimeoutIsUpstreamError(t *testing.T) {
	c, fake, _ := newClient(t)
	fake.SetDelay(3 * time.Second) // the client gives up after 2 s
	fake.AddCode("slow", "openid-1")
	if _, err := c.Code2Session(context.Background(), "slow"); !wechat.ErrUpstream.Is(err) {
		t.Fatalf("a time-out must be WECHAT_UNAVAILABLE, got %v", err)
	}
}

func TestCheckTextCachesTheAccessTokenInRedis(t *testing.T) {
	c, fake, rdb := newClient(t)
	ctx := context.Background()
	fake.Risky("赌博")
	if err := c.CheckText(ctx, "o1", "台灯", "需要一盏台灯"); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckText(ctx, "o1", "", "来赌博吧"); !wechat.ErrRisky.Is(err) {
		t.Fatalf("risky text must be CONTENT_REJECTED, got %v", err)
	}
	if fake.TokenCalls() != 1 || fake.Checks() != 2 {
		t.Fatalf("token calls %d (want 1, cached), checks %d", fake.TokenCalls(), fake.Checks())
	}
	keys, err := rdb.Keys(ctx, "linli:wechat:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("the access token must live in redis: %v %v", keys, err)
	}
}

type redisClient interface {
	Keys(ctx context.Context, pattern string) *redis.StringSliceCmd
}

// With Redis down WeChat still works: the access token this process
// fetched is kept in its memory (fetched once, not on every call).
func TestWeChatWorksWithRedisDown(t *testing.T) {
	fake := wechattest.New(t)
	dead := cache.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // nothing listens there
	t.Cleanup(func() { _ = dead.Close() })
	c := wechat.New("wxtest", "secret", dead, fake.HTTPClient())
	ctx := context.Background()
	for range 3 {
		if _, err := c.WXACodeUnlimit(ctx, "pages/party/checkin", "awJ7LrINuW7P70tWAJWyP1Bz-0_r7Xs9", 430); err != nil {
			t.Fatalf("Redis down: %v", err)
		}
	}
	if n := fake.TokenCalls(); n != 1 {
		t.Fatalf("access token fetched %d times for three calls", n)
	}
	tokens := wechat.NewCache(dead)
	if err := tokens.SetContext(ctx, "k", "v", time.Minute); err != nil || tokens.GetContext(ctx, "k") != "v" {
		t.Fatal("a value this process stored is not answered while Redis is down")
	}
	if err := tokens.SetContext(ctx, "gone", "v", -time.Second); err != nil || tokens.GetContext(ctx, "gone") != nil {
		t.Fatal("an expired value is answered")
	}
	if err := tokens.DeleteContext(ctx, "k"); tokens.GetContext(ctx, "k") != nil {
		t.Fatalf("a deleted value is answered (%v)", err)
	}
}

// An access token WeChat refuses (another process fetched a new one while
// each held its own through a Redis outage; Redis came back with an old
// one) is dropped at once, from Redis and from the process's memory: the
// next call fetches a fresh token instead of failing until the refused
// one would have expired.
func TestARefusedAccessTokenIsFetchedAgain(t *testing.T) {
	ctx := context.Background()
	redisUpAndDown(t, func(t *testing.T, fake *wechattest.Server, c *wechat.Client) {
		code := func() error {
			_, err := c.WXACodeUnlimit(ctx, "pages/party/checkin", "awJ7LrINuW7P70tWAJWyP1Bz-0_r7Xs9", 430)
			return err
		}
		if err := code(); err != nil {
			t.Fatal(err)
		}
		for _, refused := range []int{40001, 42001} {
			before := fake.TokenCalls()
			fake.FailNext(refused)
			if err := code(); err != nil { // tried again with a fresh token
				t.Fatalf("token refused (%d): %v", refused, err)
			}
			if err := code(); err != nil {
				t.Fatal(err)
			}
			if n := fake.TokenCalls() - before; n != 1 {
				t.Fatalf("after errcode %d the token was fetched %d times, want once", refused, n)
			}
		}

		before := fake.TokenCalls()
		fake.FailNext(45009) // busy: the token is good
		_ = code()
		fake.Risky("赌博")
		fake.FailNext(40001)
		_ = c.CheckText(ctx, "o1", "台灯", "需要一盏台灯")
		if err := code(); err != nil {
			t.Fatal(err)
		}
		if n := fake.TokenCalls() - before; n != 1 {
			t.Fatalf("a busy answer kept the token and a refused one in content security dropped it: %d fetches, want 1", n)
		}
		// Refused again with the fresh token (the queue: the code, the
		// token fetch, the code again): one retry only, then the error.
		fake.FailNext(40001)
		fake.FailNext(0)
		fake.FailNext(40001)
		if err := code(); !wechat.ErrUpstream.Is(err) {
			t.Fatalf("refused again after a fresh token: %v", err)
		}
	})
}

// A refusal drops only the token the refused call used: when a fresh one
// already replaced it (another call was refused first and fetched again),
// the fresh one stays — dropping it would fetch yet another, and each fetch
// revokes the token before it.
func TestALateRefusalKeepsTheFreshToken(t *testing.T) {
	ctx := context.Background()
	redisUpAndDown(t, func(t *testing.T, fake *wechattest.Server, c *wechat.Client) {
		code := func() {
			t.Helper()
			if _, err := c.WXACodeUnlimit(ctx, "pages/party/checkin", "awJ7LrINuW7P70tWAJWyP1Bz-0_r7Xs9", 430); err != nil {
				t.Fatal(err)
			}
		}
		code()
		c.ForgetRejectedToken(ctx, 40001, "a-token-already-replaced")
		code()
		if n := fake.TokenCalls(); n != 1 {
			t.Fatalf("a refusal of an old token dropped the current one: %d fetches", n)
		}
		c.ForgetRejectedToken(ctx, 40001, "fake-access-token") // the fake's current token
		code()
		if n := fake.TokenCalls(); n != 2 {
			t.Fatalf("a refusal of the current token: %d fetches, want 2", n)
		}
	})
}

// IsExist answers as Get does: from Redis while it answers (the memory
// then says nothing: a token Redis no longer holds is gone), and from what
// this process stored while Redis is down (miniredis closed mid-test).
func TestTokenCacheIsExistFallsBackToMemoryWithRedisDown(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := cache.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	tokens := wechat.NewCache(rdb)
	ctx := context.Background()
	agree := func(key string, want bool) {
		t.Helper()
		if got := tokens.IsExistContext(ctx, key); got != want || (tokens.GetContext(ctx, key) != nil) != want {
			t.Fatalf("%s: IsExist %v, Get %v; want present %v", key, got, tokens.GetContext(ctx, key), want)
		}
	}
	if err := tokens.SetContext(ctx, "k", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := tokens.SetContext(ctx, "dropped", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	m.Del("linli:wechat:dropped") // gone from Redis (another process deleted it)
	agree("k", true)
	agree("dropped", false)

	m.Close()
	if err := rdb.Ping(ctx).Err(); err == nil {
		t.Fatal("Redis still answers after miniredis closed")
	}
	agree("k", true)
	agree("dropped", true) // Redis cannot say otherwise: the memory answers
	agree("never", false)
	if err := tokens.SetContext(ctx, "gone", "v", -time.Second); err != nil {
		t.Fatal(err)
	}
	agree("gone", false)
	_ = tokens.DeleteContext(ctx, "k")
	agree("k", false)
	if !tokens.IsExist("dropped") || tokens.IsExist("k") {
		t.Fatal("IsExist (no context) does not answer as IsExistContext")
	}
}

// redisUpAndDown runs f on a client of a fake WeChat twice: with Redis up
// and with Redis down (nothing listens where it points).
func redisUpAndDown(t *testing.T, f func(t *testing.T, fake *wechattest.Server, c *wechat.Client)) {
	live, _ := testenv.Redis(t)
	dead := cache.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // nothing listens there
	t.Cleanup(func() { _ = dead.Close() })
	for name, rdb := range map[string]redis.UniversalClient{"redis up": live, "redis down": dead} {
		t.Run(name, func(t *testing.T) {
			fake := wechattest.New(t)
			f(t, fake, wechat.New("wxtest", "secret", rdb, fake.HTTPClient()))
		})
	}
}
