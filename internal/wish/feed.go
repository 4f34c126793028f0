package wish

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"linli/internal/platform/cache"
	"linli/internal/platform/feedcache"
	"linli/internal/platform/page"
)

// The feed of a community is cached in Redis by feedcache: a generation
// bumped by every change that affects the feed, one field per page served
// (limit and cursor), filled only under the generation read before, and
// the cache epoch (cache.Epoch) so that a change made while Redis was
// unreachable is seen on the first read after it returns. Each page goes
// stale at the earliest expiry of its wishes, at most feedFresh ahead.
const feedFresh = 2 * time.Minute

// feedKeyPrefix names a community's cached feed. The "v2" is the shape of
// a card (categories became {id, label}): a process of this version never
// serves pages cached in the old shape; they expire unread.
const feedKeyPrefix = "linli:wish:feed:v2:"

func newFeedCache(rdb redis.UniversalClient, log *slog.Logger, epoch *cache.Epoch) *feedcache.Cache {
	return feedcache.New(rdb, log, epoch, feedKeyPrefix, "wish-feed")
}

// FeedPage is one page of the feed ({items, nextCursor} of Cards).
type FeedPage = feedcache.Page

// Feed returns a page of a community's public feed: approved, unclaimed,
// unexpired wishes, newest published first. It is served from Redis; when
// Redis fails it is read from MongoDB.
func (s *Service) Feed(ctx context.Context, communityID string, cur page.Cursor, limit int) (FeedPage, error) {
	field := strconv.Itoa(limit)
	if cur.ID != "" {
		field += ":" + cur.Encode()
	}
	now := s.clock.Now()
	return s.feed.Page(ctx, communityID, field, now, func() (FeedPage, time.Time, error) {
		return s.buildFeed(ctx, communityID, cur, limit, now)
	})
}

// buildFeed reads a page of the feed from MongoDB and reports when it goes stale.
func (s *Service) buildFeed(ctx context.Context, communityID string, cur page.Cursor, limit int, now time.Time) (FeedPage, time.Time, error) {
	if _, err := s.places.Community(ctx, communityID); err != nil {
		return FeedPage{}, time.Time{}, err
	}
	list, err := s.store.Feed(ctx, communityID, now, cur, limit+1)
	if err != nil {
		return FeedPage{}, time.Time{}, err
	}
	staleAt := now.Add(feedFresh)
	cards := make([]Card, len(list))
	for i := range list {
		cards[i] = cardOf(&list[i])
		if list[i].ExpiresAt.Before(staleAt) {
			staleAt = list[i].ExpiresAt
		}
	}
	pg := page.Of(cards, limit, cur, func(c Card) page.Cursor { return page.Cursor{Key: c.PublishedAt.UnixMilli(), ID: c.ID} })
	body, err := json.Marshal(pg)
	if err != nil {
		return FeedPage{}, time.Time{}, err
	}
	p, err := feedcache.Encode(body)
	return p, staleAt, err
}
