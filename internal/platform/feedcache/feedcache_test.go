package feedcache_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"linli/internal/platform/cache"
	"linli/internal/platform/feedcache"
	"linli/internal/platform/metrics"
	"linli/internal/platform/store/storetest"
	"linli/internal/testenv"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// store stands for MongoDB: a feed whose content is a version, moved by
// every write, and a count of the reads that reached it.
type store struct {
	version atomic.Int64
	reads   atomic.Int64
}

func (s *store) build(now time.Time) func() (feedcache.Page, time.Time, error) {
	return func() (feedcache.Page, time.Time, error) {
		s.reads.Add(1)
		p, err := feedcache.Encode([]byte(strconv.FormatInt(s.version.Load(), 10)))
		return p, now.Add(time.Minute), err
	}
}

func version(t *testing.T, p feedcache.Page) int64 {
	t.Helper()
	b, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		t.Fatalf("page %q: %v", b, err)
	}
	return n
}

func page(t *testing.T, c *feedcache.Cache, s *store, now time.Time) int64 {
	t.Helper()
	p, err := c.Page(context.Background(), "c1", "20", now, s.build(now))
	if err != nil {
		t.Fatal(err)
	}
	return version(t, p)
}

// A page is served from Redis until a write bumps the generation; the
// next read reaches the store and sees the write. Another community's
// pages stay cached, and a page past its stale time is not served.
func TestAGenerationBumpInvalidates(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	c := feedcache.New(rdb, discard, nil, "test:feed:", "test-feed")
	var s store
	now := time.Now()
	if got := page(t, c, &s, now); got != 0 || s.reads.Load() != 1 {
		t.Fatalf("first read: version %d, %d store reads", got, s.reads.Load())
	}
	s.version.Add(1) // written, not yet invalidated: the cached page stands
	if got := page(t, c, &s, now); got != 0 || s.reads.Load() != 1 {
		t.Fatalf("cached read: version %d, %d store reads (want 0, 1)", got, s.reads.Load())
	}
	other, err := c.Page(context.Background(), "c2", "20", now, s.build(now))
	if err != nil || version(t, other) != 1 {
		t.Fatalf("another community: %v", err)
	}
	c.Invalidate(context.Background(), "c1")
	if got := page(t, c, &s, now); got != 1 || s.reads.Load() != 3 {
		t.Fatalf("after the bump: version %d, %d store reads (want 1, 3)", got, s.reads.Load())
	}
	if got := page(t, c, &s, now); got != 1 || s.reads.Load() != 3 {
		t.Fatalf("cached again: version %d, %d store reads (want 1, 3)", got, s.reads.Load())
	}
	if _, _, hit, _ := c.Get(context.Background(), "c2", "20", now); !hit {
		t.Fatal("invalidating c1 dropped c2's page")
	}
	if _, _, hit, _ := c.Get(context.Background(), "c1", "20", now.Add(time.Minute)); hit {
		t.Fatal("a page past its stale time was served")
	}
}

// A write that lands while a reader builds its page (after the reader
// read the generation, before it fills): the reader's page is refused, and
// the next read sees the write.
func TestAFillRacingAWriteLeavesNoStalePage(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	c := feedcache.New(rdb, discard, nil, "test:feed:", "test-feed")
	ctx := context.Background()
	var s store
	now := time.Now()
	build := s.build(now)
	p, err := c.Page(ctx, "c1", "20", now, func() (feedcache.Page, time.Time, error) {
		p, staleAt, err := build() // read version 0
		s.version.Add(1)           // a writer slips in: writes, then invalidates
		c.Invalidate(ctx, "c1")
		return p, staleAt, err
	})
	if err != nil || version(t, p) != 0 {
		t.Fatalf("the racing reader gets what it read: %v", err)
	}
	if got := page(t, c, &s, now); got != 1 {
		t.Fatalf("after the write the feed shows version %d: a stale page was cached", got)
	}
}

// The same with real goroutines: readers and writers at once. Whatever a
// reader gets is never older than the last write that had finished
// (written and invalidated) before the read began.
func TestConcurrentReadersNeverSeeAFinishedWriteUndone(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	c := feedcache.New(rdb, discard, nil, "test:feed:", "test-feed")
	ctx := context.Background()
	var s store
	var done atomic.Int64 // the highest version written and invalidated
	now := time.Now()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				v := s.version.Add(1)
				c.Invalidate(ctx, "c1")
				for d := done.Load(); d < v && !done.CompareAndSwap(d, v); d = done.Load() {
				}
			}
		}()
	}
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				before := done.Load()
				p, err := c.Page(ctx, "c1", "20", now, s.build(now))
				if err != nil {
					errs <- err
					return
				}
				b, _ := p.JSON()
				if got, _ := strconv.ParseInt(string(b), 10, 64); got < before {
					errs <- errors.New("read version " + string(b) + " after version " + strconv.FormatInt(before, 10) + " was written and invalidated")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := page(t, c, &s, now); got != 100 {
		t.Fatalf("after every write the feed shows version %d, want 100", got)
	}
}

// Redis stops: pages come from the store, every fallback is counted under
// the cache's area (an invalidation's under area-invalidate), and the
// feed stays right.
func TestRedisDownFallsBackToTheStoreAndCountsIt(t *testing.T) {
	m := miniredis.RunT(t) // our own, so that stopping it works with a real redis-server too
	rdb := cache.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	c := feedcache.New(rdb, discard, nil, "test:feed:", "test-feed")
	reg := metrics.New(nil)
	ctx := metrics.With(context.Background(), reg)
	var s store
	now := time.Now()
	if _, err := c.Page(ctx, "c1", "20", now, s.build(now)); err != nil {
		t.Fatal(err)
	}
	m.Close()
	s.version.Add(1)
	c.Invalidate(ctx, "c1") // lost
	for range 3 {
		p, err := c.Page(ctx, "c1", "20", now, s.build(now))
		if err != nil || version(t, p) != 1 {
			t.Fatalf("with redis down the page must come from the store: %v", err)
		}
	}
	if s.reads.Load() != 4 {
		t.Fatalf("%d store reads, want 4", s.reads.Load())
	}
	if got := reg.Value("linli_cache_fallbacks_total", "area", "test-feed"); got != 3 {
		t.Fatalf("counted %v read fallbacks, want 3", got)
	}
	if got := reg.Value("linli_cache_fallbacks_total", "area", "test-feed-invalidate"); got != 1 {
		t.Fatalf("counted %v invalidation fallbacks, want 1", got)
	}
	wantErr := errors.New("store down")
	if _, err := c.Page(ctx, "c1", "20", now, func() (feedcache.Page, time.Time, error) {
		return feedcache.Page{}, time.Time{}, wantErr
	}); !errors.Is(err, wantErr) {
		t.Fatalf("the store's error: %v", err)
	}
}

// With an epoch: an invalidation lost while Redis was away moves the
// epoch, so the page Redis still holds when it returns (restarted from
// its saved data) is not served; the next fill, under the new epoch, is.
func TestALostInvalidationVoidsThePagesRedisKept(t *testing.T) {
	ctx := context.Background()
	m := miniredis.RunT(t)                                 // our own, so that it can stop and return with its data
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()}) // no breaker: Redis answers again at once
	t.Cleanup(func() { _ = rdb.Close() })
	c := feedcache.New(rdb, discard, cache.NewEpoch(ctx, storetest.DB(t), discard), "test:feed:", "test-feed")
	var s store
	now := time.Now()
	if got := page(t, c, &s, now); got != 0 {
		t.Fatalf("first read: version %d", got)
	}
	m.Close()
	s.version.Add(1)
	c.Invalidate(ctx, "c1") // lost
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := page(t, c, &s, now); got != 1 {
		t.Fatalf("after Redis returned the feed shows version %d: a page from before the lost invalidation", got)
	}
	if got := page(t, c, &s, now); got != 1 || s.reads.Load() != 2 {
		t.Fatalf("the page filled under the new epoch: version %d, %d store reads (want 1, 2)", got, s.reads.Load())
	}
}

// pageOf reads the page named field of c1.
func pageOf(t *testing.T, c *feedcache.Cache, s *store, field string, now time.Time) int64 {
	t.Helper()
	p, err := c.Page(context.Background(), "c1", field, now, s.build(now))
	if err != nil {
		t.Fatal(err)
	}
	return version(t, p)
}

// The first fill under a new epoch empties the hash of the pages of the
// old one: a page Redis kept under another field (another limit or
// cursor) is not served under the new epoch either.
func TestAFillUnderANewEpochDropsEveryPageOfTheOld(t *testing.T) {
	ctx := context.Background()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()}) // no breaker: Redis answers again at once
	t.Cleanup(func() { _ = rdb.Close() })
	c := feedcache.New(rdb, discard, cache.NewEpoch(ctx, storetest.DB(t), discard), "test:feed:", "test-feed")
	var s store
	now := time.Now()
	for _, field := range []string{"20", "10"} {
		if got := pageOf(t, c, &s, field, now); got != 0 {
			t.Fatalf("first read of %s: version %d", field, got)
		}
	}
	m.Close()
	s.version.Add(1)
	c.Invalidate(ctx, "c1") // lost: the epoch moves
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := pageOf(t, c, &s, "20", now); got != 1 { // fills under the new epoch
		t.Fatalf("page 20 after Redis returned: version %d", got)
	}
	if got := pageOf(t, c, &s, "10", now); got != 1 {
		t.Fatalf("page 10 after page 20 was filled under the new epoch: version %d, a page of the old epoch", got)
	}
}

// A process whose epoch is behind (it has not re-read it yet) neither
// serves nor fills over the pages of the newer epoch: its fill is refused.
func TestAFillUnderAnOlderEpochIsRefused(t *testing.T) {
	ctx := context.Background()
	rdb, _ := testenv.Redis(t)
	db := storetest.DB(t)
	behind := cache.NewEpoch(ctx, db, discard)
	ahead := cache.NewEpoch(ctx, db, discard)
	ahead.Lost(ctx) // moves the epoch; behind has not re-read it
	if ahead.Current() <= behind.Current() {
		t.Fatalf("epochs %d and %d", ahead.Current(), behind.Current())
	}
	a := feedcache.New(rdb, discard, ahead, "test:feed:", "test-feed")
	b := feedcache.New(rdb, discard, behind, "test:feed:", "test-feed")
	var s store
	now := time.Now()
	pageOf(t, a, &s, "20", now)
	pageOf(t, b, &s, "20", now)
	if s.reads.Load() != 2 {
		t.Fatalf("%d store reads, want 2 (the process behind is not served the newer epoch's page)", s.reads.Load())
	}
	if _, _, hit, err := a.Get(ctx, "c1", "20", now); !hit || err != nil {
		t.Fatalf("the page of the newer epoch was dropped by a fill under an older one: hit %v, %v", hit, err)
	}
}

// A process that saw Redis fail moves the epoch when Redis answers again:
// a Redis restarted from older saved data may hold a page from before a
// change it heard of (here: put back by hand), and that page is not served.
func TestRedisBackFromAFailureVoidsThePagesItHolds(t *testing.T) {
	ctx := context.Background()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()}) // no breaker: Redis answers again at once
	t.Cleanup(func() { _ = rdb.Close() })
	c := feedcache.New(rdb, discard, cache.NewEpoch(ctx, storetest.DB(t), discard), "test:feed:", "test-feed")
	var s store
	now := time.Now()
	pageOf(t, c, &s, "20", now)
	saved, err := rdb.HGetAll(ctx, "test:feed:c1").Result() // a snapshot of version 0
	if err != nil || len(saved) == 0 {
		t.Fatalf("snapshot %v: %v", saved, err)
	}
	s.version.Add(1)
	c.Invalidate(ctx, "c1") // heard
	if got := pageOf(t, c, &s, "20", now); got != 1 {
		t.Fatalf("after the invalidation: version %d", got)
	}
	m.Close()
	if got := pageOf(t, c, &s, "20", now); got != 1 { // Redis fails in this process
		t.Fatalf("with Redis down: version %d", got)
	}
	m.Del("test:feed:c1") // Redis comes back from its older saved data
	for f, v := range saved {
		m.HSet("test:feed:c1", f, v)
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := pageOf(t, c, &s, "20", now); got != 1 {
		t.Fatalf("after Redis returned with older data the feed shows version %d", got)
	}
}

// The hash is keyPrefix+communityID, lives keyTTL (an hour) from its last
// fill (c1) or invalidation (c2), and holds at most maxPages fields however many
// pages are asked for; the pages it cannot hold are still served.
func TestTheHashIsNamedBoundedAndExpires(t *testing.T) {
	ctx := context.Background()
	rdb, _ := testenv.Redis(t)
	c := feedcache.New(rdb, discard, nil, "test:feed:", "test-feed")
	var s store
	now := time.Now()
	for i := range 300 {
		if got := pageOf(t, c, &s, "20:"+strconv.Itoa(i), now); got != 0 {
			t.Fatalf("page %d: version %d", i, got)
		}
	}
	if n, err := rdb.HLen(ctx, "test:feed:c1").Result(); err != nil || n == 0 || n > 256 {
		t.Fatalf("the hash test:feed:c1 holds %d fields (%v), want 1..256", n, err)
	}
	c.Invalidate(ctx, "c2") // a community with no hash yet
	for _, key := range []string{"test:feed:c1", "test:feed:c2"} {
		if ttl, err := rdb.PTTL(ctx, key).Result(); err != nil || ttl < 59*time.Minute || ttl > time.Hour {
			t.Fatalf("the hash %s expires in %v (%v), want an hour", key, ttl, err)
		}
	}
}
