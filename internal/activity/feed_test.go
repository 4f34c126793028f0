package activity_test

import (
	"context"
	"encoding/json"
	"testing"

	"linli/internal/activity"
	"linli/internal/actor"
	"linli/internal/platform/page"
)

func (h *harness) feed(when activity.When) []activity.Card {
	h.t.Helper()
	p, err := h.svc.Feed(context.Background(), h.communityID, when, page.Cursor{}, 20)
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := p.JSON()
	if err != nil {
		h.t.Fatal(err)
	}
	var pg struct{ Items []activity.Card }
	if err := json.Unmarshal(b, &pg); err != nil {
		h.t.Fatal(err)
	}
	return pg.Items
}

// The cached feed shows the right places after every change, including a
// change made while a reader was between MongoDB and the cache: the slow
// reader's page is refused and the next read is right.
func TestCachedFeedIsRightAfterEveryChange(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if got := h.feed(activity.Upcoming); len(got) != 0 {
		t.Fatalf("empty feed: %v", got)
	}
	a := h.create(2)
	want := func(remaining, waitlist int) {
		t.Helper()
		for range 2 { // the read that fills, then the cached one
			got := h.feed(activity.Upcoming)
			if len(got) != 1 || got[0].ID != a.ID || got[0].Remaining != remaining || got[0].Waitlist != waitlist {
				t.Fatalf("feed %+v, want remaining %d waitlist %d", got, remaining, waitlist)
			}
		}
	}
	want(2, 0)
	people := []actor.Actor{resident(1), resident(2), resident(3)}
	for i, w := range []struct{ remaining, waitlist int }{{1, 0}, {0, 0}, {0, 1}} {
		if _, err := h.svc.SignUp(ctx, people[i], a.ID); err != nil {
			t.Fatal(err)
		}
		want(w.remaining, w.waitlist)
	}
	if _, err := h.svc.Leave(ctx, people[0], a.ID); err != nil { // the waiting one moves in
		t.Fatal(err)
	}
	want(0, 0)
	if _, err := h.svc.Edit(ctx, h.staff, a.ID, h.draft(4)); err != nil {
		t.Fatal(err)
	}
	want(2, 0)

	// A sign-up lands while a reader is between MongoDB and the cache.
	raced := false
	h.svc.SetBeforeFill(func() {
		if !raced {
			raced = true
			if _, err := h.svc.SignUp(ctx, resident(4), a.ID); err != nil {
				t.Error(err)
			}
		}
	})
	if _, err := h.svc.Leave(ctx, people[1], a.ID); err != nil { // invalidates: the next read fills
		t.Fatal(err)
	}
	if got := h.feed(activity.Upcoming); got[0].Remaining != 3 {
		t.Fatalf("the racing reader read %d places before the sign-up", got[0].Remaining)
	}
	h.svc.SetBeforeFill(nil)
	want(2, 0) // not the racing reader's 3

	if _, err := h.svc.Cancel(ctx, h.staff, a.ID, "场地维修"); err != nil {
		t.Fatal(err)
	}
	if got := h.feed(activity.Upcoming); got[0].Phase != activity.PhaseCancelled || got[0].Signup != activity.SignupClosed {
		t.Fatalf("a cancelled activity in the feed: %+v", got[0])
	}
}
