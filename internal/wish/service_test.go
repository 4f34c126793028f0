package wish_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/notify"
	"linli/internal/platform/cache"
	"linli/internal/platform/page"
	"linli/internal/testenv"
	"linli/internal/wish"
)

// world is the product with a wish service of the test's own making.
type world struct {
	env                        *testenv.Env
	s                          *testenv.Street
	svc                        *wish.Service
	resident, staff, volunteer actor.Actor
	notifier                   *flakyNotifier
}

// flakyNotifier fails while down is set, then delivers to the real inbox.
type flakyNotifier struct {
	next notify.Notifier
	down atomic.Bool
}

func (f *flakyNotifier) Notify(ctx context.Context, n notify.Notice) error {
	if f.down.Load() {
		return errors.New("inbox unavailable")
	}
	return f.next.Notify(ctx, n)
}

func newWorld(t *testing.T, rdb redis.UniversalClient) *world {
	t.Helper()
	env := testenv.New(t)
	w := &world{env: env, s: env.Street(), notifier: &flakyNotifier{next: env.App.Inbox}}
	if rdb == nil {
		rdb = env.Redis
	}
	w.svc = wish.NewService(wish.Options{
		DB: env.DB, Redis: rdb, Clock: env.Clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Places: env.App.Communities, People: env.App.Accounts, Notifier: w.notifier, Ledger: env.App.Ledger,
	})
	ctx := context.Background()
	vol := env.Login("vol-1", "小刘")
	env.Post("/api/v1/me/volunteer", vol, nil).Want(t, 200)
	var me struct{ ID string }
	env.Get("/api/v1/me", vol).Decode(t, &me)
	for _, p := range []struct {
		a  *actor.Actor
		id string
	}{{&w.resident, w.s.ResidentA.UserID}, {&w.staff, w.s.StaffA.UserID}, {&w.volunteer, me.ID}} {
		a, err := env.App.Accounts.Actor(ctx, p.id)
		if err != nil {
			t.Fatal(err)
		}
		*p.a = a
	}
	return w
}

func (w *world) publish(t *testing.T) wish.View {
	t.Helper()
	ctx := context.Background()
	v, err := w.svc.Post(ctx, w.resident, wish.Draft{Title: "老花镜", Description: "看报纸看不清字", Category: wish.CategoryItem})
	if err != nil {
		t.Fatal(err)
	}
	if v, err = w.svc.Approve(ctx, w.staff, v.ID); err != nil {
		t.Fatal(err)
	}
	return v
}

func (w *world) feed(t *testing.T) string {
	t.Helper()
	p, err := w.svc.Feed(context.Background(), w.s.A.CommunityID, page.Cursor{}, 20)
	if err != nil {
		t.Fatalf("feed: %v", err)
	}
	b, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Redis stops while the feed is cached: reads and writes go on, from and
// to MongoDB, and the feed stays right.
func TestFeedSurvivesRedisStopping(t *testing.T) {
	m := miniredis.RunT(t) // our own, so that stopping it works with a real redis-server too
	rdb := cache.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	w := newWorld(t, rdb)
	first := w.publish(t)
	if !strings.Contains(w.feed(t), first.ID) {
		t.Fatal("not in the feed")
	}
	if keys := m.Keys(); len(keys) != 1 || !strings.HasPrefix(keys[0], "linli:wish:feed:") {
		t.Fatalf("the feed is cached in redis: %v", keys)
	}
	m.Close()
	second := w.publish(t) // its invalidation fails: logged and counted
	got := w.feed(t)
	if !strings.Contains(got, first.ID) || !strings.Contains(got, second.ID) {
		t.Fatalf("feed with redis stopped must come from MongoDB: %s", got)
	}
	if _, err := w.svc.Claim(context.Background(), w.volunteer, second.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(w.feed(t), second.ID) {
		t.Fatal("claimed wish still listed with redis stopped")
	}
}

// Effects a transition could not deliver (the inbox was down) stay on the
// wish and are delivered by the sweeper, exactly once, however often it runs.
func TestUndeliveredEffectsAreDeliveredOnce(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	w.notifier.down.Store(true)
	v := w.publish(t)
	if _, err := w.svc.Claim(ctx, w.volunteer, v.ID); err != nil {
		t.Fatalf("a transition stands when its notices cannot be sent: %v", err)
	}
	if _, err := w.svc.Fulfil(ctx, w.volunteer, v.ID, wish.FulfilmentReport{Note: "已送达"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Confirm(ctx, w.resident, v.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Sweep(ctx); err == nil {
		t.Fatal("the sweeper reports what it could not deliver")
	}
	w.notifier.down.Store(false)
	var wg sync.WaitGroup
	for range 3 { // three processes' sweepers at once
		wg.Go(func() {
			if err := w.svc.Sweep(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n, _ := w.env.DB.Collection("notifications").CountDocuments(ctx, bson.M{"userId": w.resident.UserID, "kind": bson.M{"$in": bson.A{"wish.approved", "wish.claimed", "wish.fulfilled"}}})
	if n != 3 {
		t.Fatalf("poster has %d notices, want exactly 3", n)
	}
	rec, err := w.svc.RecordOf(ctx, w.volunteer)
	if err != nil || rec.Confirmed != 1 {
		t.Fatalf("credit: %+v %v", rec, err)
	}
	owing, _ := w.env.DB.Collection("wishes").CountDocuments(ctx, bson.M{"outboxSize": bson.M{"$gt": 0}})
	if owing != 0 {
		t.Fatalf("%d wishes still owe effects", owing)
	}
}

// Several processes releasing due claims at once release each once and
// tell the claimer once.
func TestConcurrentSweepersReleaseOnce(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	v := w.publish(t)
	if _, err := w.svc.Claim(ctx, w.volunteer, v.ID); err != nil {
		t.Fatal(err)
	}
	w.env.Clock.Advance(wish.ClaimPeriod + time.Second)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := w.svc.Sweep(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := w.svc.Get(ctx, w.staff, v.ID)
	if err != nil || got.State != wish.Open {
		t.Fatalf("after the sweep: %+v %v", got.State, err)
	}
	released := 0
	for _, e := range got.Events {
		if e.Type == wish.EvAutoReleased {
			released++
		}
	}
	n, _ := w.env.DB.Collection("notifications").CountDocuments(ctx, bson.M{"userId": w.volunteer.UserID, "kind": "wish.auto_released"})
	if released != 1 || n != 1 {
		t.Fatalf("%d releases, %d notices: want 1 and 1", released, n)
	}
	if _, err := w.svc.Claim(ctx, w.volunteer, v.ID); err != nil {
		t.Fatalf("the released claimer may claim again: %v", err)
	}
}
