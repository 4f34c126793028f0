package activity_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"linli/internal/activity"
	"linli/internal/actor"
	"linli/internal/notify"
)

// down is a notifier that stores nothing: the process stopped, or the
// notices store was unreachable, right after the change was written.
type down struct{}

func (down) Notify(context.Context, notify.Notice) error { return errors.New("notifier down") }

// The notices a change owes are written with the change: with the notifier
// down, promotion (leave and capacity raise), the time moved and the
// cancellation all succeed, the notices wait in the activity's outbox, and
// the next sweeps (two at once) hand each over exactly once.
func TestNoticesSurviveANotifierDownAndTheSweepTellsOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(2)
	people := make([]actor.Actor, 5)
	for i := range people {
		people[i] = resident(i)
		if _, err := h.svc.SignUp(ctx, people[i], a.ID); err != nil {
			t.Fatal(err)
		}
	}
	uid := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, people[i].UserID)
		}
		return sorted(out)
	}
	kinds := []string{"activity.promoted", "activity.changed", "activity.cancelled"}
	told := func() map[string][]string {
		m := map[string][]string{}
		for _, k := range kinds {
			m[k] = h.noticed(a.ID, k)
		}
		return m
	}
	sweepTwice := func() {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = h.svc.Sweep(ctx) }()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
	}
	up := h.svc.SetNotifier(down{})

	// people[0] (confirmed) leaves: people[2] takes the place.
	if _, err := h.svc.Leave(ctx, people[0], a.ID); err != nil {
		t.Fatalf("leave with the notifier down: %v", err)
	}
	// Capacity raised to 3 and the start moved an hour: people[3] promoted,
	// everyone signed up (1, 2, 3, 4) told of the change.
	d := h.draft(3)
	d.StartAt, d.EndAt = d.StartAt.Add(time.Hour), d.EndAt.Add(time.Hour)
	if _, err := h.svc.Edit(ctx, h.staff, a.ID, d); err != nil {
		t.Fatalf("edit with the notifier down: %v", err)
	}
	if got := told(); len(got["activity.promoted"])+len(got["activity.changed"]) != 0 {
		t.Fatalf("told with the notifier down: %v", got)
	}
	if st := h.stored(a.ID); st.OutboxSize != 6 || len(st.Outbox) != 6 {
		t.Fatalf("outbox holds %d (size %d), want the 2 promotions and 4 changes", len(st.Outbox), st.OutboxSize)
	}

	h.svc.SetNotifier(up)
	sweepTwice()
	sweepTwice() // nothing left: nothing told again
	got := told()
	if !slices.Equal(got["activity.promoted"], uid(2, 3)) {
		t.Fatalf("promoted told %v, want people 2 and 3", got["activity.promoted"])
	}
	if !slices.Equal(got["activity.changed"], uid(1, 2, 3, 4)) {
		t.Fatalf("changed told %v, want people 1..4", got["activity.changed"])
	}
	if st := h.stored(a.ID); st.OutboxSize != 0 || len(st.Outbox) != 0 {
		t.Fatalf("outbox not emptied: %d (size %d)", len(st.Outbox), st.OutboxSize)
	}

	// Cancelled with the notifier down: everyone signed up is owed a notice.
	h.svc.SetNotifier(down{})
	if _, err := h.svc.Cancel(ctx, h.staff, a.ID, "暴雨预警"); err != nil {
		t.Fatalf("cancel with the notifier down: %v", err)
	}
	if st := h.stored(a.ID); st.OutboxSize != 4 || st.State != activity.Cancelled {
		t.Fatalf("after cancel: outbox %d, state %s", st.OutboxSize, st.State)
	}
	h.svc.SetNotifier(up)
	sweepTwice()
	if got := h.noticed(a.ID, "activity.cancelled"); !slices.Equal(got, uid(1, 2, 3, 4)) {
		t.Fatalf("cancelled told %v, want people 1..4", got)
	}
	if st := h.stored(a.ID); st.OutboxSize != 0 || len(st.Outbox) != 0 {
		t.Fatalf("outbox not emptied after cancel: %d", st.OutboxSize)
	}
}
