package activity

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

// A community's activity feed is cached in Redis by feedcache, like the
// wish feed: a generation bumped by every change that the feed shows (a
// new activity, an edit, a cancellation, every sign-up and leave), one
// field per page served, filled only under the generation read before, and
// the cache epoch (cache.Epoch) so that a change made while Redis was
// unreachable is seen on the first read after it returns. A page also goes
// stale at its first time-driven change (sign-up opening or closing, the
// start, the end), and at most feedFresh ahead (which bounds how late a
// past page shows an activity that just ended).
const feedFresh = time.Minute

func newFeedCache(rdb redis.UniversalClient, log *slog.Logger, epoch *cache.Epoch) *feedcache.Cache {
	return feedcache.New(rdb, log, epoch, "linli:activity:feed:", "activity-feed")
}

// FeedPage is one page of a feed ({items, nextCursor} of Cards).
type FeedPage = feedcache.Page

// Feed returns a page of a community's public feed of activities,
// upcoming (soonest first; cancelled ones stay, marked, until their end) or
// past (latest first). It is served from Redis; when Redis fails, from
// MongoDB.
func (s *Service) Feed(ctx context.Context, communityID string, when When, cur page.Cursor, limit int) (FeedPage, error) {
	if when != Upcoming && when != Past {
		return FeedPage{}, errWhen()
	}
	field := string(when) + ":" + strconv.Itoa(limit)
	if cur.ID != "" {
		field += ":" + cur.Encode()
	}
	now := s.clock.Now()
	return s.feed.Page(ctx, communityID, field, now, func() (FeedPage, time.Time, error) {
		p, staleAt, err := s.buildFeed(ctx, communityID, when, cur, limit, now)
		if err == nil && s.beforeFill != nil {
			s.beforeFill()
		}
		return p, staleAt, err
	})
}

// buildFeed reads a page of the feed from MongoDB and reports when it goes stale.
func (s *Service) buildFeed(ctx context.Context, communityID string, when When, cur page.Cursor, limit int, now time.Time) (FeedPage, time.Time, error) {
	if _, err := s.places.Community(ctx, communityID); err != nil {
		return FeedPage{}, time.Time{}, err
	}
	list, err := s.store.inCommunities(ctx, []string{communityID}, when, now, cur, limit+1)
	if err != nil {
		return FeedPage{}, time.Time{}, err
	}
	staleAt := now.Add(feedFresh)
	cards := make([]Card, len(list))
	for i := range list {
		a := &list[i]
		cards[i] = cardOf(a, now)
		for _, t := range []time.Time{a.SignupOpensAt, a.SignupClosesAt, a.StartAt, a.EndAt} {
			if t.After(now) && t.Before(staleAt) {
				staleAt = t
			}
		}
	}
	pg := page.Of(cards, limit, cur, func(c Card) page.Cursor { return page.Cursor{Key: c.StartAt.UnixMilli(), ID: c.ID} })
	body, err := json.Marshal(pg)
	if err != nil {
		return FeedPage{}, time.Time{}, err
	}
	p, err := feedcache.Encode(body)
	return p, staleAt, err
}
