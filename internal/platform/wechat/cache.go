package wechat

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	wcache "github.com/silenceper/wechat/v2/cache"
)

// Cache stores silenceper's access token in our Redis, so that every server
// process shares one token (WeChat invalidates older ones when a new one is
// fetched). Values are strings, which is all silenceper stores.
type Cache struct {
	rdb redis.UniversalClient
}

var _ wcache.ContextCache = (*Cache)(nil)

// NewCache returns a cache over rdb.
func NewCache(rdb redis.UniversalClient) *Cache { return &Cache{rdb: rdb} }

const keyPrefix = "linli:wechat:"

// GetContext returns the value, or nil when absent or Redis fails.
func (c *Cache) GetContext(ctx context.Context, key string) any {
	v, err := c.rdb.Get(ctx, keyPrefix+key).Result()
	if err != nil {
		return nil
	}
	return v
}

// SetContext stores val for timeout.
func (c *Cache) SetContext(ctx context.Context, key string, val any, timeout time.Duration) error {
	return c.rdb.Set(ctx, keyPrefix+key, val, timeout).Err()
}

// IsExistContext reports whether key is present.
func (c *Cache) IsExistContext(ctx context.Context, key string) bool {
	n, err := c.rdb.Exists(ctx, keyPrefix+key).Result()
	return err == nil && n > 0
}

// DeleteContext removes key.
func (c *Cache) DeleteContext(ctx context.Context, key string) error {
	err := c.rdb.Del(ctx, keyPrefix+key).Err()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
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
