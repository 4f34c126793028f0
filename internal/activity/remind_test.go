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
	// The store takes people[1]'s reminder but refuses people[2]'s, at
	// the next try (2 minutes after the first failure).
	h.svc.SetNotifier(refusing{next: up, refused: map[string]bool{people[2].UserID: true}})
	h.env.Clock.Advance(2 * time.Minute)
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
	h.env.Clock.Advance(4 * time.Minute) // the next try after a second failure
	for range 2 {                        // two rounds of two sweeps at once
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

// counting stores through next except the notices of the people in
// refused, and counts the reminders attempted per activity.
type counting struct {
	next    activity.Notifier
	refused map[string]bool
	mu      sync.Mutex
	tries   map[string]int
}

func (c *counting) Notify(ctx context.Context, n notify.Notice) error {
	c.mu.Lock()
	c.tries[n.RefID]++
	refused := c.refused[n.UserID]
	c.mu.Unlock()
	if refused {
		return errors.New("notices store refuses this one")
	}
	return c.next.Notify(ctx, n)
}

func (c *counting) attempts(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tries[id]
}

// More activities whose reminders keep failing than a sweep takes never
// hold back another's reminder: a failing activity waits (2, 4, 8, then
// every 10 minutes) and those not tried yet come first. The good activity
// comes within the hour at the very sweep where the failing ones (starting
// sooner, more than the batch) are due again, and is reminded in it; the
// failing ones are still retried and reminded once the store takes them.
func TestFailingRemindersDoNotStarveOtherActivities(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.svc.SetSweepBatch(2)
	shift := func(by time.Duration) func(*activity.Draft) {
		return func(d *activity.Draft) {
			d.StartAt, d.EndAt, d.SignupClosesAt = d.StartAt.Add(by), d.EndAt.Add(by), d.SignupClosesAt.Add(by)
		}
	}
	var bad []activity.View
	refused := map[string]bool{}
	for i := range 3 { // more than the batch, all starting sooner than the good one
		a := h.create(5, shift(-10*time.Minute))
		p := resident(i)
		h.signUp(a.ID, p)
		refused[p.UserID] = true
		bad = append(bad, a)
	}
	// Starts 62 minutes after the first sweep: within the hour at minute 2.
	good := h.create(5, shift(3*time.Minute))
	fine := resident(9)
	h.signUp(good.ID, fine)

	c := &counting{next: h.svc.SetNotifier(nil), refused: refused, tries: map[string]int{}}
	h.svc.SetNotifier(c)
	h.env.Clock.Advance(72*time.Hour - 59*time.Minute) // the failing ones within the hour before their start
	sweep := func() {
		t.Helper()
		_ = h.svc.Sweep(ctx) // the failing reminders are reported; what matters is who was told
		h.env.Clock.Advance(time.Minute)
	}
	sweep() // minute 0: two failing ones tried
	sweep() // minute 1: the third; the first two wait
	for i, a := range bad {
		if n := c.attempts(a.ID); n != 1 {
			t.Fatalf("failing activity %d tried %d times in minutes 0 and 1, want once (it waits 2 minutes)", i, n)
		}
	}
	sweep() // minute 2: the good one is due, and so are two failing ones again
	if got := h.noticed(good.ID, "activity.reminder"); !equalSets(got, []string{fine.UserID}) {
		t.Fatalf("the good activity's reminder at the sweep it came due: %v; failing activities took its place", got)
	}
	for i, a := range bad {
		if h.stored(a.ID).Reminded {
			t.Fatalf("failing activity %d marked reminded though its reminder failed", i)
		}
	}

	clear(refused) // the notices store takes them again
	for range 10 {
		sweep()
	}
	for i, a := range bad {
		if got := h.noticed(a.ID, "activity.reminder"); len(got) != 1 || !h.stored(a.ID).Reminded {
			t.Fatalf("failing activity %d not reminded once the store recovered: %v", i, got)
		}
	}
	if got := h.noticed(good.ID, "activity.reminder"); len(got) != 1 {
		t.Fatalf("the good activity reminded %d times", len(got))
	}
}

// A moved start gets its own reminder at once: the wait a failure left on
// the old start does not carry over.
func TestAMovedStartIsRemindedWithoutTheOldWait(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(5)
	p := resident(0)
	h.signUp(a.ID, p)
	h.env.Clock.Advance(72*time.Hour - 59*time.Minute)
	inbox := h.svc.SetNotifier(down{})
	if err := h.svc.Sweep(ctx); err == nil {
		t.Fatal("the sweep reports no error though no reminder was stored")
	}
	if st := h.stored(a.ID); st.RemindFailures != 1 || st.RemindRetryAt == nil {
		t.Fatalf("failure not recorded: %d %v", st.RemindFailures, st.RemindRetryAt)
	}
	h.svc.SetNotifier(inbox)
	d := h.draft(5)
	d.StartAt, d.EndAt, d.SignupClosesAt = d.StartAt.Add(-20*time.Minute), d.EndAt.Add(-20*time.Minute), d.SignupClosesAt.Add(-20*time.Minute)
	if _, err := h.svc.Edit(ctx, h.staff, a.ID, d); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Sweep(ctx); err != nil { // same minute: the old wait is not over
		t.Fatal(err)
	}
	if got := h.noticed(a.ID, "activity.reminder"); !equalSets(got, []string{p.UserID}) || !h.stored(a.ID).Reminded {
		t.Fatalf("the moved start's reminder: %v", got)
	}
}
