package activity_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"linli/internal/activity"
	"linli/internal/actor"
	"linli/internal/notify"
)

// refusing stores through next except the notices of the people in
// refused: the notices store failing for some writes.
type refusing struct {
	next    activity.Notifier
	refused map[string]bool
}

func (r refusing) Notify(ctx context.Context, n notify.Notice) error {
	if r.refused[n.UserID] {
		return errors.New("notices store unreachable")
	}
	return r.next.Notify(ctx, n)
}

// A reminder that cannot be stored is not lost: the activity stays
// unmarked while any confirmed person's reminder is missing, and a later
// sweep (two at once) tells each person confirmed then exactly once; one
// who left meanwhile is not reminded, one promoted meanwhile is.
func TestRemindersSurviveAFailingNotifierAndAreToldOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(2)
	people := make([]actor.Actor, 3)
	for i := range people {
		people[i] = resident(i)
		if _, err := h.svc.SignUp(ctx, people[i], a.ID); err != nil {
			t.Fatal(err)
		}
	}
	h.env.Clock.Advance(72*time.Hour - 59*time.Minute) // within the hour before the start
	up := h.svc.SetNotifier(down{})

	if err := h.svc.Sweep(ctx); err == nil {
		t.Fatal("the sweep reports no error though no reminder was stored")
	}
	if h.stored(a.ID).Reminded {
		t.Fatal("marked reminded with no reminder stored: nobody would ever be reminded")
	}
	// people[0] leaves before the next sweep; people[2] moves into the place.
	if _, err := h.svc.Leave(ctx, people[0], a.ID); err != nil {
		t.Fatal(err)
	}
	// The store takes people[1]'s reminder but refuses people[2]'s.
	h.svc.SetNotifier(refusing{next: up, refused: map[string]bool{people[2].UserID: true}})
	if err := h.svc.Sweep(ctx); err == nil {
		t.Fatal("the sweep reports no error though a reminder was refused")
	}
	if h.stored(a.ID).Reminded {
		t.Fatal("marked reminded with people[2]'s reminder missing")
	}
	if got := h.noticed(a.ID, "activity.reminder"); !equalSets(got, []string{people[1].UserID}) {
		t.Fatalf("reminded so far: %v, want people[1]", got)
	}

	h.svc.SetNotifier(up)
	for range 2 { // two rounds of two sweeps at once
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
	// noticed fails on a person told twice.
	if got := h.noticed(a.ID, "activity.reminder"); !equalSets(got, []string{people[1].UserID, people[2].UserID}) {
		t.Fatalf("reminded: %v, want people[1] and people[2] (people[0] left)", got)
	}
	if !h.stored(a.ID).Reminded {
		t.Fatal("every reminder stored but the activity is not marked reminded")
	}
}

// leaving makes people[0] leave the first time a reminder is handed over,
// as if they left while the sweep was telling the others.
type leaving struct {
	next activity.Notifier
	once *atomic.Bool
	do   func()
}

func (l leaving) Notify(ctx context.Context, n notify.Notice) error {
	if n.Kind == "activity.reminder" && l.once.CompareAndSwap(false, true) {
		l.do()
	}
	return l.next.Notify(ctx, n)
}

// Someone who leaves while the sweep reminds the others moves a waiting
// person into the place: the sweep read the activity before, so it does
// not mark it reminded, and the next sweep reminds the promoted person.
func TestAPersonPromotedDuringTheReminderSweepIsReminded(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(1)
	people := []actor.Actor{resident(0), resident(1)}
	h.signUp(a.ID, people...)
	h.env.Clock.Advance(72*time.Hour - 59*time.Minute)
	inbox := h.svc.SetNotifier(nil)
	h.svc.SetNotifier(leaving{next: inbox, once: new(atomic.Bool), do: func() {
		if _, err := h.svc.Leave(ctx, people[0], a.ID); err != nil {
			t.Error(err)
		}
	}})
	for range 2 {
		if err := h.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.noticed(a.ID, "activity.reminder"); !equalSets(got, []string{people[0].UserID, people[1].UserID}) {
		t.Fatalf("reminded: %v, want people[0] (told before leaving) and people[1] (promoted meanwhile)", got)
	}
	if !h.stored(a.ID).Reminded {
		t.Fatal("not marked reminded once the people confirmed were told")
	}
}
