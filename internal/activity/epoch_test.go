package activity_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"linli/internal/activity"
	"linli/internal/platform/cache"
)

// Two processes share MongoDB and a Redis. Redis goes away (paused, or
// restarted from its saved data: what it holds is unchanged) while one of
// them creates an activity, so the feed's invalidation is lost. When Redis
// returns, the other process, which never saw the outage, shows the new
// activity on its next read: the lost invalidation moved the cache epoch
// in MongoDB. (The clock stands still: no page goes stale by itself.)
func TestAnActivityCreatedWhileRedisWasDownIsServedWhenItReturns(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	m := miniredis.RunT(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	process := func() (*activity.Service, *cache.Epoch) {
		rdb := cache.NewClient(&redis.Options{Addr: m.Addr()})
		t.Cleanup(func() { _ = rdb.Close() })
		e := cache.NewEpoch(ctx, h.env.DB, log)
		return activity.NewService(activity.Options{
			DB: h.env.DB, Redis: rdb, Clock: h.env.Clock, Log: log, Places: h.env.App.Communities,
			People: h.env.App.Accounts, Ledger: h.env.App.Ledger, Notifier: h.env.App.Inbox,
			CheckinKey: []byte("test"), Epoch: e,
		}), e
	}
	a, epochA := process()
	b, epochB := process()
	run, stop := context.WithCancel(ctx)
	defer stop()
	go epochB.Run(run, 10*time.Millisecond)

	feed := func(s *activity.Service) map[string]bool { // the IDs s serves
		t.Helper()
		h.svc = s
		ids := map[string]bool{}
		for _, c := range h.feed(activity.Upcoming) {
			ids[c.ID] = true
		}
		return ids
	}
	h.svc = a
	first := h.create(10)
	for _, s := range []*activity.Service{a, b, b} { // cached, and served from the cache
		if got := feed(s); !got[first.ID] || len(got) != 1 {
			t.Fatalf("feed before: %v", got)
		}
	}

	m.Close()
	h.svc = a
	second := h.create(10)
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for epochB.Current() != epochA.Current() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	for _, try := range []string{"the first read", "the cached read"} {
		if got := feed(b); !got[second.ID] {
			t.Fatalf("%s of the other process served a page from before the outage: %v", try, got)
		}
	}
}
