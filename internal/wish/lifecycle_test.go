package wish_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/platform/page"
	"linli/internal/wish"
)

const day = 24 * time.Hour

// kinds counts a user's notices about a wish by kind.
func (w *world) kinds(t *testing.T, userID, wishID string) map[string]int {
	t.Helper()
	list, err := w.env.App.Inbox.List(context.Background(), userID, page.Cursor{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, n := range list {
		if n.RefID == wishID {
			out[n.Kind]++
		}
	}
	return out
}

// sweep runs two sweepers at once (two processes).
func (w *world) sweep(t *testing.T, other *wish.Service) {
	t.Helper()
	var wg sync.WaitGroup
	for _, s := range []*wish.Service{w.svc, other} {
		wg.Go(func() {
			if err := s.Sweep(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func (w *world) fulfilled(t *testing.T) wish.View {
	t.Helper()
	ctx := context.Background()
	v := w.publish(t)
	if _, err := w.svc.Claim(ctx, w.volunteer, v.ID); err != nil {
		t.Fatal(err)
	}
	v, err := w.svc.Fulfil(ctx, w.volunteer, v.ID, wish.FulfilmentReport{Note: "已送到家中"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A fulfilled wish nobody confirms: the poster is reminded on day 3, and on
// day 7 the system confirms it, through the normal path (the claimer is
// credited once), with two sweepers running.
func TestFulfilledWishIsConfirmedBySystemOnDay7(t *testing.T) {
	w := newWorld(t, nil)
	other := wish.NewService(wish.Options{
		DB: w.env.DB, Redis: w.env.Redis, Clock: w.env.Clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Places: w.env.App.Communities, People: w.env.App.Accounts, Notifier: w.env.App.Inbox, Ledger: w.env.App.Ledger,
	})
	ctx := context.Background()
	v := w.fulfilled(t)
	start := w.env.Clock.Now()
	at := func(d time.Duration) { w.env.Clock.Advance(start.Add(d).Sub(w.env.Clock.Now())) }

	at(3*day - time.Minute)
	w.sweep(t, other)
	if n := w.kinds(t, w.resident.UserID, v.ID)["wish.confirm_reminder"]; n != 0 {
		t.Fatal("reminded before day 3")
	}
	at(3 * day)
	w.sweep(t, other)
	w.sweep(t, other)
	if n := w.kinds(t, w.resident.UserID, v.ID)["wish.confirm_reminder"]; n != 1 {
		t.Fatalf("day 3: %d reminders", n)
	}
	at(7*day - time.Minute)
	w.sweep(t, other)
	got, err := w.svc.Get(ctx, w.staff, v.ID)
	if err != nil || got.State != wish.Fulfilled {
		t.Fatalf("day 6: %s %v", got.State, err)
	}
	at(7 * day)
	w.sweep(t, other)
	w.sweep(t, other)
	got, err = w.svc.Get(ctx, w.staff, v.ID)
	if err != nil || got.State != wish.Confirmed || got.Confirmation == nil || !got.Confirmation.Auto {
		t.Fatalf("day 7: %+v %v", got.Confirmation, err)
	}
	autos := 0
	for _, e := range got.Events {
		if e.Type == wish.EvAutoConfirmed {
			autos++
		}
	}
	if autos != 1 {
		t.Fatalf("%d auto confirmations", autos)
	}
	rec, err := w.svc.RecordOf(ctx, w.volunteer)
	if err != nil || rec.Confirmed != 1 {
		t.Fatalf("claimer credited once: %+v %v", rec, err)
	}
	if k := w.kinds(t, w.volunteer.UserID, v.ID); k["wish.confirmed"] != 1 {
		t.Fatalf("claimer: %v", k)
	}
	if k := w.kinds(t, w.resident.UserID, v.ID); k["wish.auto_confirmed"] != 1 || k["wish.fulfilled"] != 1 {
		t.Fatalf("poster: %v", k)
	}
}

// The poster confirming in time ends it: no reminder, no system confirmation.
func TestConfirmedWishIsLeftAlone(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	v := w.fulfilled(t)
	w.env.Clock.Advance(day)
	if _, err := w.svc.Confirm(ctx, w.resident, v.ID); err != nil {
		t.Fatal(err)
	}
	w.env.Clock.Advance(10 * day)
	if err := w.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := w.svc.Get(ctx, w.staff, v.ID)
	if got.Confirmation == nil || got.Confirmation.Auto {
		t.Fatalf("%+v", got.Confirmation)
	}
	if k := w.kinds(t, w.resident.UserID, v.ID); k["wish.confirm_reminder"] != 0 || k["wish.auto_confirmed"] != 0 {
		t.Fatalf("poster: %v", k)
	}
}

// A community's own periods.
func TestConfirmPeriodsArePerCommunity(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	if _, err := w.svc.SetSettings(ctx, w.staff, w.s.A.CommunityID, wish.SettingsChange{ValueCap: 200, ConfirmReminderDays: 1, ConfirmDays: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SetSettings(ctx, w.staff, w.s.A.CommunityID, wish.SettingsChange{ValueCap: 200, ConfirmReminderDays: 3, ConfirmDays: 3}); err == nil {
		t.Fatal("a reminder on the day of the end was accepted")
	}
	v := w.fulfilled(t)
	w.env.Clock.Advance(3 * day)
	if err := w.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.svc.Get(ctx, w.staff, v.ID); got.State != wish.Confirmed {
		t.Fatalf("day 3 of 3: %s", got.State)
	}
}

// Two sweepers that both read the wish before either wrote remind the
// poster once: the write is conditional on "not reminded yet".
func TestTwoSweepersThatReadTogetherRemindOnce(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	v := w.fulfilled(t)
	w.env.Clock.Advance(3 * day)
	err := w.svc.RemindStale(ctx, func() {
		if err := w.svc.RemindStale(ctx, func() {}); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Sweep(ctx); err != nil { // delivers what is owed
		t.Fatal(err)
	}
	if n := w.kinds(t, w.resident.UserID, v.ID)["wish.confirm_reminder"]; n != 1 {
		t.Fatalf("%d reminders", n)
	}
	got, err := w.svc.Get(ctx, w.staff, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range got.Events {
		if e.Type == wish.EvConfirmReminder {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d reminder events", n)
	}
}

// A wish fulfilled before the confirmation periods existed (no dates on
// its fulfilment) still ends: the sweep dates it from its fulfilment, so
// that one fulfilled 2 days ago is reminded on day 3 and confirmed on day
// 7, and one fulfilled 10 days ago is confirmed at once, not reminded.
func TestWishesFulfilledBeforeThePeriodsStillEnd(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	legacy := func(v wish.View) {
		t.Helper()
		_, err := w.env.DB.Collection("wishes").UpdateOne(ctx, bson.M{"_id": v.ID},
			bson.M{"$unset": bson.M{"fulfilment.remindAt": "", "fulfilment.confirmBy": "", "fulfilment.reminded": ""}})
		if err != nil {
			t.Fatal(err)
		}
	}
	old := w.fulfilled(t)
	legacy(old)
	start := w.env.Clock.Now()
	w.env.Clock.Advance(8 * day)
	recent := w.fulfilled(t)
	legacy(recent)
	w.env.Clock.Advance(2 * day) // old: day 10; recent: day 2
	sweep := func() {
		t.Helper()
		if err := w.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sweep()
	sweep()
	got, err := w.svc.Get(ctx, w.staff, old.ID)
	if err != nil || got.State != wish.Confirmed || got.Confirmation == nil || !got.Confirmation.Auto {
		t.Fatalf("fulfilled 10 days ago: %s %+v %v", got.State, got.Confirmation, err)
	}
	if k := w.kinds(t, w.resident.UserID, old.ID); k["wish.confirm_reminder"] != 0 || k["wish.auto_confirmed"] != 1 {
		t.Fatalf("old: %v", k)
	}
	if got, _ := w.svc.Get(ctx, w.staff, recent.ID); got.State != wish.Fulfilled {
		t.Fatalf("fulfilled 2 days ago: %s", got.State)
	}
	recentAt := start.Add(8 * day)
	w.env.Clock.Advance(recentAt.Add(3 * day).Sub(w.env.Clock.Now()))
	sweep()
	if k := w.kinds(t, w.resident.UserID, recent.ID); k["wish.confirm_reminder"] != 1 {
		t.Fatalf("recent, day 3: %v", k)
	}
	w.env.Clock.Advance(recentAt.Add(7 * day).Sub(w.env.Clock.Now()))
	sweep()
	if got, _ := w.svc.Get(ctx, w.staff, recent.ID); got.State != wish.Confirmed {
		t.Fatalf("recent, day 7: %s", got.State)
	}
}
