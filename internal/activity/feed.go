package activity

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"linli/internal/platform/cache"
	"linli/internal/platform/page"
)

// A community's activity feed is cached in Redis as one hash, like the
// wish feed: field "gen", a generation bumped by every change that the feed
// shows (a new activity, an edit, a cancellation, every sign-up and leave),
// and one field per page served. A miss reads MongoDB and stores the page
// only if the generation is still the one read before (a Lua check), so a
// reader slower than a writer never puts back a page the writer made
// stale. A page also goes stale at its first time-driven change (sign-up
// opening or closing, the start, the end), and at most feedFresh ahead,
// which bounds staleness even when an invalidation was lost to a Redis
// failure (and how late a past page shows an activity that just ended).
const (
	feedFresh    = time.Minute
	feedKeyTTL   = time.Hour
	feedMaxPages = 256
)

type feedCache struct {
	rdb   redis.UniversalClient
	log   *slog.Logger
	plain plainMemo
}

func feedKey(communityID string) string { return "linli:activity:feed:" + communityID }

var errCorrupt = errors.New("activity: corrupt feed entry")

func (f *feedCache) get(ctx context.Context, communityID, field string, now time.Time) (p FeedPage, gen string, hit bool, err error) {
	vals, err := f.rdb.HMGet(ctx, feedKey(communityID), field, "gen").Result()
	if err != nil {
		return FeedPage{}, "", false, err
	}
	gen = "0"
	if g, ok := vals[1].(string); ok {
		gen = g
	}
	entry, ok := vals[0].(string)
	if !ok {
		return FeedPage{}, gen, false, nil
	}
	staleAt, p, err := decodeEntry(entry)
	if err != nil || !now.Before(staleAt) {
		return FeedPage{}, gen, false, nil
	}
	return p, gen, true, nil
}

var fillScript = redis.NewScript(`
if (redis.call('HGET', KEYS[1], 'gen') or '0') ~= ARGV[1] then return 0 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`)

func (f *feedCache) fill(ctx context.Context, communityID, gen, field string, staleAt time.Time, p FeedPage) error {
	return fillScript.Run(ctx, f.rdb, []string{feedKey(communityID)},
		gen, field, encodeEntry(staleAt, p), feedMaxPages, feedKeyTTL.Milliseconds()).Err()
}

var bumpScript = redis.NewScript(`
redis.call('HINCRBY', KEYS[1], 'gen', 1)
for _, k in ipairs(redis.call('HKEYS', KEYS[1])) do
  if k ~= 'gen' then redis.call('HDEL', KEYS[1], k) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`)

// invalidate drops every cached page of a community's feed. A failure is
// logged and counted: the pages go stale within feedFresh anyway.
func (f *feedCache) invalidate(ctx context.Context, communityID string) {
	if err := bumpScript.Run(ctx, f.rdb, []string{feedKey(communityID)}, feedKeyTTL.Milliseconds()).Err(); err != nil {
		cache.Fallback(ctx, f.log, "activity-feed-invalidate", err)
	}
}

func encodeEntry(staleAt time.Time, p FeedPage) string {
	return strconv.FormatInt(staleAt.UnixMilli(), 10) + "\n" + p.ETag + "\n" + string(p.Gzip)
}

func decodeEntry(s string) (time.Time, FeedPage, error) {
	head, rest, ok := strings.Cut(s, "\n")
	if !ok {
		return time.Time{}, FeedPage{}, errCorrupt
	}
	etag, gz, ok := strings.Cut(rest, "\n")
	ms, err := strconv.ParseInt(head, 10, 64)
	if !ok || err != nil || etag == "" {
		return time.Time{}, FeedPage{}, errCorrupt
	}
	return time.UnixMilli(ms), FeedPage{ETag: etag, Gzip: []byte(gz)}, nil
}

// FeedPage is one page of a feed ({items, nextCursor} of Cards), encoded
// once for every reader: gzip-compressed, as phones ask for it and as it is
// kept in Redis, with the weak ETag of its JSON.
type FeedPage struct {
	ETag string
	Gzip []byte
	memo *plainMemo
}

// JSON returns the page uncompressed, for a client that does not accept gzip.
func (p FeedPage) JSON() ([]byte, error) {
	if b, ok := p.memo.get(p.ETag); ok {
		return b, nil
	}
	r, err := gzip.NewReader(bytes.NewReader(p.Gzip))
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(r)
	if err == nil {
		p.memo.put(p.ETag, b)
	}
	return b, err
}

// plainMemo keeps the uncompressed form of recent pages by ETag (a hash of
// the JSON itself, never stale). Bounded: emptied when full.
type plainMemo struct {
	mu sync.Mutex
	m  map[string][]byte
}

const plainMemoSize = 256

func (m *plainMemo) get(etag string) ([]byte, bool) {
	if m == nil {
		return nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.m[etag]
	return b, ok
}

func (m *plainMemo) put(etag string, b []byte) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil || len(m.m) >= plainMemoSize {
		m.m = make(map[string][]byte, plainMemoSize)
	}
	m.m[etag] = b
}

func encodePage(body []byte) (FeedPage, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level never fails
	if _, err := zw.Write(body); err != nil {
		return FeedPage{}, err
	}
	if err := zw.Close(); err != nil {
		return FeedPage{}, err
	}
	return FeedPage{ETag: page.ETag(body), Gzip: buf.Bytes()}, nil
}

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
	p, gen, hit, err := s.feed.get(ctx, communityID, field, now)
	if hit {
		p.memo = &s.feed.plain
		return p, nil
	}
	cached := err == nil
	if err != nil {
		cache.Fallback(ctx, s.log, "activity-feed", err)
	}
	p, staleAt, err := s.buildFeed(ctx, communityID, when, cur, limit, now)
	if err != nil {
		return FeedPage{}, err
	}
	p.memo = &s.feed.plain
	if s.beforeFill != nil {
		s.beforeFill()
	}
	if cached {
		if err := s.feed.fill(ctx, communityID, gen, field, staleAt, p); err != nil {
			cache.Fallback(ctx, s.log, "activity-feed", err)
		}
	}
	return p, nil
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
	pg := page.Of(cards, limit, func(c Card) page.Cursor { return page.Cursor{Key: c.StartAt.UnixMilli(), ID: c.ID} })
	body, err := json.Marshal(pg)
	if err != nil {
		return FeedPage{}, time.Time{}, err
	}
	p, err := encodePage(body)
	return p, staleAt, err
}
