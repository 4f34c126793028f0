package activity

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/notify"
	"linli/internal/platform/store"
)

// outboxStore is a Store over a fresh in-memory database holding one
// scheduled activity (capacity 5) with the given outbox and count.
func outboxStore(t *testing.T, outbox map[string]notify.Notice, size int) (*Store, Activity) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	a := Activity{ID: "a1", CommunityID: "c1", Title: "义诊", State: Scheduled, Capacity: 5,
		StartAt: now.Add(72 * time.Hour), EndAt: now.Add(74 * time.Hour), Outbox: outbox, OutboxSize: size}
	s := NewStore(db)
	if err := s.Insert(ctx, a); err != nil {
		t.Fatal(err)
	}
	return s, a
}

func keyed(key string) notify.Notice {
	return notify.Notice{UserID: "u-" + key, Kind: "activity.changed", Key: key}
}

// exactOutbox fails unless the stored count equals the stored outbox.
func exactOutbox(t *testing.T, s *Store, want int) Activity {
	t.Helper()
	a, err := s.Get(context.Background(), "a1")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Outbox) != want || a.OutboxSize != want {
		t.Fatalf("outbox holds %d, counted %d; want %d and %d", len(a.Outbox), a.OutboxSize, want, want)
	}
	return a
}

// outboxSize counts the notices an outbox holds whatever the keys: a key
// owed twice in one write, or owed again while an earlier copy waits, is
// one entry and counted once; a write decided from an outbox that changed
// meanwhile misses (the caller reads again) rather than count wrong; and
// once every notice is handed over the count is 0, so the sweep stops
// reading the activity.
func TestOutboxSizeIsExactWhateverTheKeys(t *testing.T) {
	ctx := context.Background()
	s, a := outboxStore(t, nil, 0)
	now := a.StartAt.Add(-48 * time.Hour)
	edit := func(old *Activity, owed ...notify.Notice) bool {
		t.Helper()
		_, ok, err := s.edit(ctx, old, bson.M{"capacity": old.Capacity}, now, false, owed)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !edit(&a, keyed("k1"), keyed("k1"), keyed("k2")) {
		t.Fatal("edit missed")
	}
	a = exactOutbox(t, s, 2)
	if !edit(&a, keyed("k2"), keyed("k3")) { // k2 still waits
		t.Fatal("edit owing a waiting key missed")
	}
	a = exactOutbox(t, s, 3)

	// A sweep hands k3 over after a was read: a write owing k3 again
	// from a misses, and from the outbox read again counts it.
	if err := s.delivered(ctx, "a1", "k3"); err != nil {
		t.Fatal(err)
	}
	if edit(&a, keyed("k3")) {
		t.Fatal("a write decided from an outbox that lost k3 meanwhile went through")
	}
	a = exactOutbox(t, s, 2)
	if !edit(&a, keyed("k3")) {
		t.Fatal("edit missed")
	}
	exactOutbox(t, s, 3)

	for _, k := range []string{"k1", "k2", "k3", "k3"} {
		if err := s.delivered(ctx, "a1", k); err != nil {
			t.Fatal(err)
		}
	}
	exactOutbox(t, s, 0)
	if owing, err := s.owing(ctx, 10); err != nil || len(owing) != 0 {
		t.Fatalf("owing after all handed over: %d (%v)", len(owing), err)
	}
}

// recorder stores every notice it is handed.
type recorder struct{ got []notify.Notice }

func (r *recorder) Notify(_ context.Context, n notify.Notice) error {
	r.got = append(r.got, n)
	return nil
}

// An activity whose count was left above its outbox (written before the
// count was exact) is repaired by the sweep once its outbox is handed
// over: it is not read every minute for ever.
func TestTheSweepRepairsAnOutboxCountedTooHigh(t *testing.T) {
	ctx := context.Background()
	s, _ := outboxStore(t, map[string]notify.Notice{outboxField("k1")[len("outbox."):]: keyed("k1")}, 3)
	r := &recorder{}
	svc := &Service{store: s, notifier: r, batch: sweepBatch, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := svc.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(r.got) != 1 || r.got[0].Key != "k1" {
		t.Fatalf("handed over %v, want k1", r.got)
	}
	exactOutbox(t, s, 0)
	if owing, err := s.owing(ctx, 10); err != nil || len(owing) != 0 {
		t.Fatalf("owing after the repair: %d (%v)", len(owing), err)
	}
}
