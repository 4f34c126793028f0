package wish_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"linli/internal/platform/cache"
	"linli/internal/platform/page"
	"linli/internal/wish"
)

// Two processes share MongoDB and a Redis. Redis goes away (paused, or
// restarted from its saved data: what it holds is unchanged) while one of
// them approves a wish, so the feed's invalidation is lost. When Redis
// returns, the other process, which never saw the outage, serves the wish
// on its next read: the lost invalidation moved the cache epoch in MongoDB.
func TestAChangeMadeWhileRedisWasDownIsServedWhenItReturns(t *testing.T) {
	ctx := context.Background()
	m := miniredis.RunT(t)
	w := newWorld(t, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	process := func() (*wish.Service, *cache.Epoch) {
		rdb := cache.NewClient(&redis.Options{Addr: m.Addr()})
		t.Cleanup(func() { _ = rdb.Close() })
		e := cache.NewEpoch(ctx, w.env.DB, log)
		return wish.NewService(wish.Options{
			DB: w.env.DB, Redis: rdb, Clock: w.env.Clock, Log: log,
			Places: w.env.App.Communities, People: w.env.App.Accounts, Notifier: w.notifier, Epoch: e, Ledger: w.env.App.Ledger,
		}), e
	}
	a, epochA := process()
	b, epochB := process()
	run, stop := context.WithCancel(ctx)
	defer stop()
	go epochB.Run(run, 10*time.Millisecond)

	feed := func(s *wish.Service) string {
		t.Helper()
		p, err := s.Feed(ctx, w.s.A.CommunityID, page.Cursor{}, 20)
		if err != nil {
			t.Fatal(err)
		}
		body, err := p.JSON()
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	first := w.publish(t)
	pending, err := a.Post(ctx, w.resident, wish.Draft{Title: "轮椅", Description: "想借用一个月", Category: wish.CategoryItem})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*wish.Service{a, b, b} { // cached, and served from the cache
		if got := feed(s); !strings.Contains(got, first.ID) || strings.Contains(got, pending.ID) {
			t.Fatalf("feed before: %s", got)
		}
	}

	m.Close()
	if _, err := a.Approve(ctx, w.staff, pending.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for epochB.Current() != epochA.Current() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := feed(b); !strings.Contains(got, pending.ID) {
		t.Fatalf("the other process served a page from before the outage: %s", got)
	}
	if got := feed(b); !strings.Contains(got, pending.ID) {
		t.Fatalf("and cached it again stale: %s", got)
	}
}
