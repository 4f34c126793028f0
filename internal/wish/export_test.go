package wish

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// FeedCache exposes the feed cache to the tests of package wish_test.
type FeedCache struct{ f *feedCache }

func NewFeedCache(rdb redis.UniversalClient) FeedCache {
	return FeedCache{&feedCache{rdb: rdb, log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
}

func (c FeedCache) Get(ctx context.Context, communityID, field string, now time.Time) ([]byte, string, bool, error) {
	return c.f.get(ctx, communityID, field, now)
}

func (c FeedCache) Fill(ctx context.Context, communityID, gen, field string, staleAt time.Time, body []byte) error {
	return c.f.fill(ctx, communityID, gen, field, staleAt, body)
}

func (c FeedCache) Invalidate(ctx context.Context, communityID string) {
	c.f.invalidate(ctx, communityID)
}
