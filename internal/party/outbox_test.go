package party_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/notify"
	"linli/internal/party"
	"linli/internal/platform/store"
)

// stopped is a process that stops at the moment it would hand a notice
// over: the change is written, the notifier is never called.
type stopped struct{}

type stop struct{}

func (stopped) Notify(context.Context, notify.Notice) error { panic(stop{}) }

// crash runs f, a request that "stops" at its hand-over (see stopped).
func crash(t *testing.T, what string, f func()) {
	t.Helper()
	stoppedThere := false
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stop); !ok {
					panic(r)
				}
				stoppedThere = true
			}
		}()
		f()
	}()
	if !stoppedThere {
		t.Fatalf("%s: the request never came to hand its notice over", what)
	}
}

// The notices of approve, reject, the move, evaluate and review are
// written with their change: with the notifier failing each succeeds and
// its notice is owed in the changed document; two sweeps at once with the
// notifier back tell each person each notice once and leave no outbox.
func TestPartyNoticesAreOwedInTheDocumentWhenTheNotifierFails(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	p, s := w.env.App.Party, w.street
	year := w.env.Clock.Now().Year()

	// The member first served in B (approved there while the notifier
	// worked), then registers in A: approving A ends B (moving home).
	regB := w.servedInB(t)
	if n, _ := w.told(t, "party:approved:"+regB); n != 1 {
		t.Fatalf("with the notifier up the approval is told at once: %d", n)
	}
	if got := w.owed(t, "party_registrations", regB); len(got) != 0 {
		t.Fatalf("handed over, yet owed: %v", got)
	}
	regA := w.register(t, w.member, s.A.CommunityID)
	regOther := w.register(t, w.other, s.A.CommunityID)
	checkin := w.flaggedCheckin(t)

	up := p.SetNotifier(down{})
	if _, err := p.Approve(ctx, w.staffA, regA, s.A1.GridID); err != nil {
		t.Fatalf("approve with the notifier failing: %v", err)
	}
	if _, err := p.Reject(ctx, w.staffA, regOther, "不是本社区居民"); err != nil {
		t.Fatalf("reject with the notifier failing: %v", err)
	}
	for _, g := range []party.Grade{party.Qualified, party.Excellent} {
		if _, err := p.Evaluate(ctx, w.staffA, regA, year, g, "积极参加楼道服务"); err != nil {
			t.Fatalf("evaluate with the notifier failing: %v", err)
		}
	}
	if _, err := p.Review(ctx, w.staffA, checkin, 60, "实际服务一小时"); err != nil {
		t.Fatalf("review with the notifier failing: %v", err)
	}

	evalID := fmt.Sprintf("%s:%d", regA, year)
	want := []struct {
		collection, id string
		keys           []string
		user           string
	}{
		{"party_registrations", regA, []string{"party:approved:" + regA}, w.member.UserID},
		{"party_registrations", regB, []string{"party:moved:" + regB}, w.member.UserID},
		{"party_registrations", regOther, []string{"party:rejected:" + regOther}, w.other.UserID},
		{"party_evaluations", evalID, []string{fmt.Sprintf("party:evaluated:%s:%d:1", regA, year), fmt.Sprintf("party:evaluated:%s:%d:2", regA, year)}, w.member.UserID},
		{"party_checkins", checkin, []string{"party:reviewed:" + checkin + ":1"}, w.checker.UserID},
	}
	for _, d := range want {
		if got := w.owed(t, d.collection, d.id); !slices.Equal(got, d.keys) {
			t.Fatalf("%s %s owes %v, want %v", d.collection, d.id, got, d.keys)
		}
		for _, k := range d.keys {
			if n, _ := w.told(t, k); n != 0 {
				t.Fatalf("%s stored with the notifier failing", k)
			}
		}
	}
	// A sweep while the notifier still fails says so and keeps them owed.
	if err := p.Sweep(ctx); err == nil {
		t.Fatal("the sweep reports no error though nothing was handed over")
	}
	if n := w.owing(t); n != 5 {
		t.Fatalf("%d documents owe after a failed sweep, want 5", n)
	}

	p.SetNotifier(up)
	w.sweepTwiceAtOnce(t)
	for _, d := range want {
		for _, k := range d.keys {
			if n, user := w.told(t, k); n != 1 || user != d.user {
				t.Fatalf("%s: stored %d times for %q, want once for %q", k, n, user, d.user)
			}
		}
		if got := w.owed(t, d.collection, d.id); len(got) != 0 {
			t.Fatalf("%s %s still owes %v", d.collection, d.id, got)
		}
	}
	if n := w.owing(t); n != 0 {
		t.Fatalf("%d documents still owe after the sweeps", n)
	}
	w.sweepTwiceAtOnce(t) // nothing owed: nothing told again
	if n, _ := w.told(t, "party:approved:"+regA); n != 1 {
		t.Fatalf("told again: %d", n)
	}
}

// A process that stops between the write and the hand-over (the notifier
// never called) loses nothing: the next sweep tells each person once.
func TestPartyNoticesSurviveAProcessStoppingAfterTheWrite(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	p, s := w.env.App.Party, w.street
	year := w.env.Clock.Now().Year()
	regB := w.servedInB(t)
	regA := w.register(t, w.member, s.A.CommunityID)
	regOther := w.register(t, w.other, s.A.CommunityID)
	checkin := w.flaggedCheckin(t)

	up := p.SetNotifier(stopped{})
	crash(t, "approve", func() { _, _ = p.Approve(ctx, w.staffA, regA, s.A1.GridID) })
	crash(t, "reject", func() { _, _ = p.Reject(ctx, w.staffA, regOther, "不是本社区居民") })
	crash(t, "evaluate", func() { _, _ = p.Evaluate(ctx, w.staffA, regA, year, party.Basic, "") })
	crash(t, "review", func() { _, _ = p.Review(ctx, w.staffA, checkin, 60, "实际服务一小时") })
	p.SetNotifier(up)

	// The approval stopped at the move's notice: the approval is written,
	// the old registration ended; the sweep finishes both and tells.
	keys := map[string]string{
		"party:approved:" + regA:                           w.member.UserID,
		"party:moved:" + regB:                              w.member.UserID,
		"party:rejected:" + regOther:                       w.other.UserID,
		fmt.Sprintf("party:evaluated:%s:%d:1", regA, year): w.member.UserID,
		"party:reviewed:" + checkin + ":1":                 w.checker.UserID,
	}
	for k := range keys {
		if n, _ := w.told(t, k); n != 0 {
			t.Fatalf("%s stored though the process stopped before the hand-over", k)
		}
	}
	w.sweepTwiceAtOnce(t)
	for k, user := range keys {
		if n, got := w.told(t, k); n != 1 || got != user {
			t.Fatalf("%s: stored %d times for %q, want once for %q", k, n, got, user)
		}
	}
	if n := w.owing(t); n != 0 {
		t.Fatalf("%d documents still owe", n)
	}
	mine, err := p.Mine(ctx, w.member)
	if err != nil || mine.Current == nil || mine.Current.ID != regA || mine.Current.State != party.Approved {
		t.Fatalf("the approval the stopped process wrote: %+v %v", mine.Current, err)
	}
}

// Staff evaluating one member at the same moment each write a version of
// their own: the history holds every one, and each version's notice (keyed
// by its number) is owed and told once.
func TestPartyConcurrentEvaluationsEachOweTheirOwnNotice(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	p := w.env.App.Party
	year := w.env.Clock.Now().Year()
	reg := w.approved(t, w.member)
	up := p.SetNotifier(down{})
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = p.Evaluate(ctx, w.staffA, reg, year, party.Qualified, fmt.Sprintf("第%d位评议人", i+1))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%s:%d", reg, year)
	var want []string
	for v := 1; v <= n; v++ {
		want = append(want, fmt.Sprintf("party:evaluated:%s:%d:%d", reg, year, v))
	}
	got := w.owed(t, "party_evaluations", id)
	if !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		t.Fatalf("owed %v, want %v", got, want)
	}
	e, err := store.FindOne[party.Evaluation](ctx, w.env.DB.Collection("party_evaluations"), bson.M{"_id": id}, nil)
	if err != nil || len(e.History) != n {
		t.Fatalf("history of %d versions, want %d: %v", len(e.History), n, err)
	}
	p.SetNotifier(up)
	w.sweepTwiceAtOnce(t)
	for _, k := range want {
		if c, user := w.told(t, k); c != 1 || user != w.member.UserID {
			t.Fatalf("%s told %d times to %q", k, c, user)
		}
	}
}
