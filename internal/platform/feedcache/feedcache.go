// Package feedcache is the Redis cache of a community's public feed (the
// wish feed, the activity feed): pages encoded once, gzip-compressed, and
// never served after a change they do not show.
//
// A community's feed is one hash: field "gen", a generation bumped by every
// change the feed shows (Invalidate), and one field per page served (the
// caller names it: limit, cursor…). A read is one HMGET of the page, the
// generation and the epoch. A miss builds the page from the store and
// stores it only if the generation is still the one read before (a Lua
// check), so a reader slower than a writer never puts back a page the
// writer made stale. Each page also carries the instant it goes stale,
// which its builder reports (the earliest time-driven change it shows).
//
// With a cache.Epoch the hash also carries the epoch its pages were filled
// under (field "epoch"): an invalidation lost to a Redis failure moves the
// epoch in MongoDB, and pages of another epoch are not served, so a change
// made while Redis was unreachable is seen on the first read after it
// returns. Without one, pages are of epoch 0 and a lost invalidation lasts
// until the page's stale time.
//
// When Redis fails the page is built from the store, and the fallback is
// counted and logged (cache.Fallback) under the cache's area name.
package feedcache

import (
	"bytes"
	"compress/gzip"
	"context"
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

const (
	keyTTL   = time.Hour
	maxPages = 256 // fields per community hash: odd cursors cannot grow it without bound
)

// Cache is one feed's cache.
type Cache struct {
	rdb    redis.UniversalClient
	log    *slog.Logger
	epoch  *cache.Epoch // nil: pages of epoch 0 only
	prefix string
	area   string
	plain  plainMemo
}

// New returns the cache of a feed whose hashes are keyPrefix+communityID;
// area names its fallbacks in metrics and logs ("wish-feed"; an
// invalidation's are area+"-invalidate"). epoch may be nil.
func New(rdb redis.UniversalClient, log *slog.Logger, epoch *cache.Epoch, keyPrefix, area string) *Cache {
	return &Cache{rdb: rdb, log: log, epoch: epoch, prefix: keyPrefix, area: area}
}

// Page returns the page named field of a community's feed: from Redis
// while fresh, else from build (the page and when it goes stale), which is
// then offered to the cache. When Redis fails, the page comes from build.
func (c *Cache) Page(ctx context.Context, communityID, field string, now time.Time, build func() (Page, time.Time, error)) (Page, error) {
	p, gen, hit, err := c.Get(ctx, communityID, field, now)
	if hit {
		p.memo = &c.plain
		return p, nil
	}
	cached := err == nil
	if err != nil {
		cache.Fallback(ctx, c.log, c.area, err)
	}
	p, staleAt, err := build()
	if err != nil {
		return Page{}, err
	}
	p.memo = &c.plain
	if cached {
		if err := c.Fill(ctx, communityID, gen, field, staleAt, p); err != nil {
			cache.Fallback(ctx, c.log, c.area, err)
		}
	}
	return p, nil
}

func (c *Cache) key(communityID string) string { return c.prefix + communityID }

// errCorrupt is a cached entry that cannot be read; it is replaced.
var errCorrupt = errors.New("feedcache: corrupt entry")

// Get returns the cached page (hit) and the generation to fill under on a
// miss. Page is Get, a build and Fill.
func (c *Cache) Get(ctx context.Context, communityID, field string, now time.Time) (p Page, gen string, hit bool, err error) {
	vals, err := c.rdb.HMGet(ctx, c.key(communityID), field, "gen", "epoch").Result()
	if err != nil {
		c.epoch.Failed()
		return Page{}, "", false, err
	}
	c.epoch.Seen(ctx)
	gen = "0"
	if g, ok := vals[1].(string); ok {
		gen = g
	}
	epoch := "0"
	if e, ok := vals[2].(string); ok {
		epoch = e
	}
	entry, ok := vals[0].(string)
	if !ok || epoch != strconv.FormatInt(c.epoch.Current(), 10) {
		return Page{}, gen, false, nil
	}
	staleAt, p, err := decodeEntry(entry)
	if err != nil || !now.Before(staleAt) {
		return Page{}, gen, false, nil
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

// Fill stores a page read under generation gen, unless the generation moved.
func (c *Cache) Fill(ctx context.Context, communityID, gen, field string, staleAt time.Time, p Page) error {
	return fillScript.Run(ctx, c.rdb, []string{c.key(communityID)},
		gen, field, encodeEntry(staleAt, p), maxPages, keyTTL.Milliseconds(), c.epoch.Current()).Err()
}

var bumpScript = redis.NewScript(`
redis.call('HINCRBY', KEYS[1], 'gen', 1)
for _, k in ipairs(redis.call('HKEYS', KEYS[1])) do
  if k ~= 'gen' and k ~= 'epoch' then redis.call('HDEL', KEYS[1], k) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`)

// Invalidate drops every cached page of a community's feed. A failure is
// logged and counted, and moves the cache epoch (when there is one): no
// page cached before it is served again.
func (c *Cache) Invalidate(ctx context.Context, communityID string) {
	err := bumpScript.Run(ctx, c.rdb, []string{c.key(communityID)}, keyTTL.Milliseconds()).Err()
	if err != nil {
		cache.Fallback(ctx, c.log, c.area+"-invalidate", err)
		c.epoch.Lost(ctx)
	}
}

// An entry is "staleAtMillis\netag\n" then the gzip-compressed page.
func encodeEntry(staleAt time.Time, p Page) string {
	return strconv.FormatInt(staleAt.UnixMilli(), 10) + "\n" + p.ETag + "\n" + string(p.Gzip)
}

func decodeEntry(s string) (time.Time, Page, error) {
	head, rest, ok := strings.Cut(s, "\n")
	if !ok {
		return time.Time{}, Page{}, errCorrupt
	}
	etag, gz, ok := strings.Cut(rest, "\n")
	ms, err := strconv.ParseInt(head, 10, 64)
	if !ok || err != nil || etag == "" {
		return time.Time{}, Page{}, errCorrupt
	}
	return time.UnixMilli(ms), Page{ETag: etag, Gzip: []byte(gz)}, nil
}

// Page is one page of a feed, encoded once for every reader: the JSON
// gzip-compressed, which is how almost every phone asks for it and how it
// is kept in Redis, and the weak ETag of the JSON (the same recipe as
// every other GET of the API).
type Page struct {
	ETag string
	Gzip []byte
	memo *plainMemo
}

// Encode makes a page of a JSON body.
func Encode(body []byte) (Page, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level never fails
	if _, err := zw.Write(body); err != nil {
		return Page{}, err
	}
	if err := zw.Close(); err != nil {
		return Page{}, err
	}
	return Page{ETag: page.ETag(body), Gzip: buf.Bytes()}, nil
}

// JSON returns the page uncompressed, for a client that does not accept gzip.
func (p Page) JSON() ([]byte, error) {
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
