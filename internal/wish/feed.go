package wish

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

// The feed of a community is cached in Redis as one hash: field "gen", a
// generation bumped by every change that affects the feed, and one field
// per page served (limit and cursor). A read is one HMGET of the page and
// the generation. A miss reads MongoDB and stores the page only if the
// generation is still the one read before (a Lua check), so that a reader
// slower than a writer can never put back a page the writer made stale.
// Each page also carries the instant it goes stale: the earliest expiry of
// its wishes, at most feedFresh ahead. The hash also carries the cache
// epoch its pages were filled under (field "epoch", see cache.Epoch): an
// invalidation lost to a Redis failure moves the epoch in MongoDB, and
// pages of another epoch are not served, so a change made while Redis was
// unreachable is seen on the first read after it returns.
const (
	feedFresh    = 2 * time.Minute
	feedKeyTTL   = time.Hour
	feedMaxPages = 256 // fields per community hash: odd cursors cannot grow it without bound
)

type feedCache struct {
	rdb   redis.UniversalClient
	log   *slog.Logger
	epoch *cache.Epoch // nil: pages of epoch 0 only
	plain plainMemo
}

// feedKey names a community's cached feed. The "v2" is the shape of a
// card (categories became {id, label}): a process of this version never
// serves pages cached in the old shape; they expire unread.
func feedKey(communityID string) string { return "linli:wish:feed:v2:" + communityID }

// errCorrupt is a cached entry that cannot be read; it is replaced.
var errCorrupt = errors.New("wish: corrupt feed entry")

// get returns the cached page (hit) and the generation to fill under on a miss.
func (f *feedCache) get(ctx context.Context, communityID, field string, now time.Time) (p FeedPage, gen string, hit bool, err error) {
	vals, err := f.rdb.HMGet(ctx, feedKey(communityID), field, "gen", "epoch").Result()
	if err != nil {
		f.epoch.Failed()
		return FeedPage{}, "", false, err
	}
	f.epoch.Seen(ctx)
	gen = "0"
	if g, ok := vals[1].(string); ok {
		gen = g
	}
	epoch := "0"
	if e, ok := vals[2].(string); ok {
		epoch = e
	}
	entry, ok := vals[0].(string)
	if !ok || epoch != strconv.FormatInt(f.epoch.Current(), 10) {
		return FeedPage{}, gen, false, nil
	}
	staleAt, p, err := decodeEntry(entry)
	if err != nil || !now.Before(staleAt) {
		return FeedPage{}, gen, false, nil
	}
	return p, gen, true, nil
}

var fillScript = redis.NewScript(`
local epoch = redis.call('HGET', KEYS[1], 'epoch') or '0'
if epoch ~= ARGV[6] then
  if tonumber(epoch) > tonumber(ARGV[6]) then return 0 end
  for _, k in ipairs(redis.call('HKEYS', KEYS[1])) do
    if k ~= 'gen' then redis.call('HDEL', KEYS[1], k) end
  end
  redis.call('HSET', KEYS[1], 'epoch', ARGV[6])
end
if (redis.call('HGET', KEYS[1], 'gen') or '0') ~= ARGV[1] then return 0 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`)

// fill stores a page read under generation gen.
func (f *feedCache) fill(ctx context.Context, communityID, gen, field string, staleAt time.Time, p FeedPage) error {
	return fillScript.Run(ctx, f.rdb, []string{feedKey(communityID)},
		gen, field, encodeEntry(staleAt, p), feedMaxPages, feedKeyTTL.Milliseconds(), f.epoch.Current()).Err()
}

var bumpScript = redis.NewScript(`
redis.call('HINCRBY', KEYS[1], 'gen', 1)
for _, k in ipairs(redis.call('HKEYS', KEYS[1])) do
  if k ~= 'gen' and k ~= 'epoch' then redis.call('HDEL', KEYS[1], k) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`)

// invalidate drops every cached page of a community's feed. A failure is
// logged and counted, and moves the cache epoch: no page cached before it
// is served again.
func (f *feedCache) invalidate(ctx context.Context, communityID string) {
	err := bumpScript.Run(ctx, f.rdb, []string{feedKey(communityID)}, feedKeyTTL.Milliseconds()).Err()
	if err != nil {
		cache.Fallback(ctx, f.log, "wish-feed-invalidate", err)
		f.epoch.Lost(ctx)
	}
}

// An entry is "staleAtMillis\netag\n" then the gzip-compressed page.
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

// FeedPage is one page of a feed, encoded once for every reader: the JSON
// ({items, nextCursor} of Cards) gzip-compressed, which is how almost every
// phone asks for it and how it is kept in Redis, and the weak ETag of the
// JSON (the same recipe as every other GET of the API).
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

// plainMemo keeps the uncompressed form of recent pages, by ETag (a hash of
// the JSON itself, so an entry can never be stale), so that clients without
// gzip do not cost an unzip per read. Bounded: it is emptied when full.
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

// Feed returns a page of a community's public feed: approved, unclaimed,
// unexpired wishes, newest published first. It is served from Redis; when
// Redis fails it is read from MongoDB.
func (s *Service) Feed(ctx context.Context, communityID string, cur page.Cursor, limit int) (FeedPage, error) {
	field := strconv.Itoa(limit)
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
		cache.Fallback(ctx, s.log, "wish-feed", err)
	}
	p, staleAt, err := s.buildFeed(ctx, communityID, cur, limit, now)
	if err != nil {
		return FeedPage{}, err
	}
	p.memo = &s.feed.plain
	if cached {
		if err := s.feed.fill(ctx, communityID, gen, field, staleAt, p); err != nil {
			cache.Fallback(ctx, s.log, "wish-feed", err)
		}
	}
	return p, nil
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
	pg := page.Of(cards, limit, func(c Card) page.Cursor { return page.Cursor{Key: c.PublishedAt.UnixMilli(), ID: c.ID} })
	body, err := json.Marshal(pg)
	if err != nil {
		return FeedPage{}, time.Time{}, err
	}
	p, err := encodePage(body)
	return p, staleAt, err
}
