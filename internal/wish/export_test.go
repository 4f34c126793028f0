package wish

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"linli/internal/platform/feedcache"
)

// FeedCache exposes the feed cache to the tests of package wish_test.
type FeedCache struct{ f *feedcache.Cache }

func NewFeedCache(rdb redis.UniversalClient) FeedCache {
	return FeedCache{newFeedCache(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)}
}

func (c FeedCache) Get(ctx context.Context, communityID, field string, now time.Time) ([]byte, string, bool, error) {
	p, gen, hit, err := c.f.Get(ctx, communityID, field, now)
	if !hit {
		return nil, gen, hit, err
	}
	b, err := p.JSON()
	return b, gen, hit, err
}

func (c FeedCache) Fill(ctx context.Context, communityID, gen, field string, staleAt time.Time, body []byte) error {
	p, err := feedcache.Encode(body)
	if err != nil {
		return err
	}
	return c.f.Fill(ctx, communityID, gen, field, staleAt, p)
}

func (c FeedCache) Invalidate(ctx context.Context, communityID string) {
	c.f.Invalidate(ctx, communityID)
}

// RemindStale is one sweeper's reminder step on what it read before
// another sweeper wrote: it reads the due wishes, then lets between run
// (the other sweeper), then reminds what it read.
func (s *Service) RemindStale(ctx context.Context, between func()) error {
	now := s.clock.Now()
	due, err := s.store.dueFulfilled(ctx, "fulfilment.remindAt", now, false, sweepBatch)
	if err != nil {
		return err
	}
	between()
	for i := range due {
		if err := s.remindOne(ctx, &due[i], now); err != nil {
			return err
		}
	}
	return nil
}
