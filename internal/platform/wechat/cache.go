package wechat

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	wcache "github.com/silenceper/wechat/v2/cache"
)

// Cache stores silenceper's access token in our Redis, so that every server
// process shares one token (WeChat invalidates older ones when a new one is
// fetched). Values are strings, which is all silenceper stores.
//
// When Redis fails, what this process stored itself is answered from its
// memory until it expires, so WeChat keeps working through a Redis outage
// (each process then holds a token of its own) instead of every call
// failing on the token's cache. A token of one process is revoked five
// minutes after another fetches its own: the Client drops a token WeChat
// refuses (forgetRejectedToken) so the next call fetches a fresh one.
type Cache struct {
	rdb redis.UniversalClient

	mu    sync.Mutex
	local map[string]localValue
}

type localValue struct {
	val     any
	expires time.Time
}

var _ wcache.ContextCache = (*Cache)(nil)

// NewCache returns a cache over rdb.
func NewCache(rdb redis.UniversalClient) *Cache {
	return &Cache{rdb: rdb, local: map[string]localValue{}}
}

const keyPrefix = "linli:wechat:"

// GetContext returns the value, or nil when absent; when Redis fails,
// the value this process stored, until it expires.
func (c *Cache) GetContext(ctx context.Context, key string) any {
	v, err := c.rdb.Get(ctx, keyPrefix+key).Result()
	switch {
	case err == nil:
		return v
	case errors.Is(err, redis.Nil):
		return nil
	}
	l, _ := c.remembered(key)
	return l
}

// remembered is the value this process stored for key, while it has not
// expired: what answers while Redis fails.
func (c *Cache) remembered(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.local[key]; ok && time.Now().Before(l.expires) {
		return l.val, true
	}
	return nil, false
}

// SetContext stores val for timeout, in Redis and in this process's
// memory (read only while Redis fails).
func (c *Cache) SetContext(ctx context.Context, key string, val any, timeout time.Duration) error {
	c.mu.Lock()
	c.local[key] = localValue{val: val, expires: time.Now().Add(timeout)}
	c.mu.Unlock()
	_ = c.rdb.Set(ctx, keyPrefix+key, val, timeout).Err() // failing: the memory serves
	return nil
}

// IsExistContext reports whether key is present: in Redis, or, when Redis
// fails, in what this process stored (as GetContext answers).
func (c *Cache) IsExistContext(ctx context.Context, key string) bool {
	n, err := c.rdb.Exists(ctx, keyPrefix+key).Result()
	if err == nil {
		return n > 0
	}
	_, ok := c.remembered(key)
	return ok
}

// DeleteContext removes key.
func (c *Cache) DeleteContext(ctx context.Context, key string) error {
	c.mu.Lock()
	delete(c.local, key)
	c.mu.Unlock()
	err := c.rdb.Del(ctx, keyPrefix+key).Err()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}

// deleteIfScript removes a key only while it holds the value given.
var deleteIfScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// deleteIf removes key while it still holds val, in Redis and in this
// process's memory: what replaced val stays.
func (c *Cache) deleteIf(ctx context.Context, key, val string) error {
	c.mu.Lock()
	if l, ok := c.local[key]; ok && l.val == val {
		delete(c.local, key)
	}
	c.mu.Unlock()
	return deleteIfScript.Run(ctx, c.rdb, []string{keyPrefix + key}, val).Err()
}

// Get implements cache.Cache.
func (c *Cache) Get(key string) any { return c.GetContext(context.Background(), key) }

// Set implements cache.Cache.
func (c *Cache) Set(key string, val any, timeout time.Duration) error {
	return c.SetContext(context.Background(), key, val, timeout)
}

// IsExist implements cache.Cache.
func (c *Cache) IsExist(key string) bool { return c.IsExistContext(context.Background(), key) }

// Delete implements cache.Cache.
func (c *Cache) Delete(key string) error { return c.DeleteContext(context.Background(), key) }
