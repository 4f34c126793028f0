package message

import (
	"slices"
	"sync"
	"testing"
	"time"
)

const day = 24 * time.Hour

// count is how many events of type t the thread has.
func count(m Message, t EventType) int {
	n := 0
	for _, e := range m.Events {
		if e.Type == t {
			n++
		}
	}
	return n
}

// sweepTwice runs two sweepers at once (two processes).
func (h *harness) sweepTwice(other *Service) {
	h.t.Helper()
	var wg sync.WaitGroup
	for _, s := range []*Service{h.svc, other} {
		wg.Go(func() {
			if err := s.Sweep(h.ctx); err != nil {
				h.t.Error(err)
			}
		})
	}
	wg.Wait()
}

// A question the resident never answers: reminded on day 3, back to the
// owner on day 7 flagged resident_silent with a fresh resolution clock,
// and still not resolvable without a named answer.
func TestUnansweredQuestionGoesBackToItsOwnerOnDay7(t *testing.T) {
	h := newHarness(t)
	other := h.service()
	m := h.submit(h.ResA2, "", "")
	_, _, err := h.svc.Accept(h.ctx, h.GridA2, m.ID)
	h.must(err)
	_, _, err = h.svc.Reply(h.ctx, h.GridA2, m.ID, "请问是几号楼？", nil, true)
	h.must(err)
	asked := h.clock.Now()

	h.clock.Advance(3*day - time.Minute)
	h.sweepTwice(other)
	if got := h.get(m.ID); count(got, EvResidentReminder) != 0 {
		t.Fatal("reminded before day 3")
	}
	h.clock.Advance(time.Minute)
	h.sweepTwice(other)
	h.sweepTwice(other)
	if got := h.get(m.ID); count(got, EvResidentReminder) != 1 || got.State != AwaitingResident {
		t.Fatalf("day 3: %v", types(got))
	}
	if n := h.notices(h.ResA2.UserID, m.ID); !slices.Equal(n, []string{"message.accepted", "message.reply", "message.awaiting_reminder"}) {
		t.Fatalf("resident: %v", n)
	}
	h.at(asked.Add(6 * day))
	h.sweepTwice(other)
	if got := h.get(m.ID); got.State != AwaitingResident || count(got, EvResidentSilent) != 0 {
		t.Fatalf("day 6: nothing more: %s %v", got.State, types(got))
	}
	h.at(asked.Add(7 * day))
	h.sweepTwice(other)
	h.sweepTwice(other)
	got := h.get(m.ID)
	if got.State != Accepted || !got.ResidentSilent || got.Answered || count(got, EvResidentSilent) != 1 {
		t.Fatalf("day 7: %s silent %v answered %v %v", got.State, got.ResidentSilent, got.Answered, types(got))
	}
	if !got.Deadlines.CycleStartedAt.Equal(h.clock.Now()) || !got.Deadlines.ResolveDueAt.Equal(h.clock.Now().Add(7*day)) {
		t.Fatalf("resolution clock restarts: %+v", got.Deadlines)
	}
	if n := h.notices(h.GridA2.UserID, m.ID); !slices.Equal(n, []string{"message.new", "message.resident_silent"}) {
		t.Fatalf("owner: %v", n)
	}
	if _, _, err := h.svc.Resolve(h.ctx, h.GridA2, m.ID, "已处理"); !ErrNotAnswered.Is(err) {
		t.Fatalf("resolve after silence without a named answer: %v", err)
	}
	if v := Summarise(got, h.clock.Now()); !v.ResidentSilent {
		t.Fatal("the queue shows the flag")
	}
	_, _, err = h.svc.Reply(h.ctx, h.GridA2, m.ID, "已电话联系居民，明天上门", nil, false)
	h.must(err)
	if got := h.get(m.ID); got.ResidentSilent {
		t.Fatal("a named answer clears the flag")
	}
	_, _, err = h.svc.Resolve(h.ctx, h.GridA2, m.ID, "已处理")
	h.must(err)
}

// A resolution never rated: reminded on day 2, closed on day 7 (not
// rated), counted as closed unrated, never in the satisfaction rate.
func TestUnratedResolutionClosesOnDay7(t *testing.T) {
	h := newHarness(t)
	other := h.service()
	m := h.submit(h.ResA2, "", "")
	_, _, err := h.svc.Accept(h.ctx, h.GridA2, m.ID)
	h.must(err)
	_, _, err = h.svc.Reply(h.ctx, h.GridA2, m.ID, "明天修", nil, false)
	h.must(err)
	_, _, err = h.svc.Resolve(h.ctx, h.GridA2, m.ID, "已修好")
	h.must(err)
	resolved := h.clock.Now()

	h.at(resolved.Add(2*day - time.Minute))
	h.sweepTwice(other)
	if got := h.get(m.ID); count(got, EvRateReminder) != 0 {
		t.Fatal("reminded before day 2")
	}
	h.at(resolved.Add(2 * day))
	h.sweepTwice(other)
	h.sweepTwice(other)
	if got := h.get(m.ID); count(got, EvRateReminder) != 1 {
		t.Fatalf("day 2: %v", types(got))
	}
	h.at(resolved.Add(6 * day))
	h.sweepTwice(other)
	if got := h.get(m.ID); got.State != Resolved {
		t.Fatalf("day 6: %s", got.State)
	}
	h.at(resolved.Add(7 * day))
	h.sweepTwice(other)
	h.sweepTwice(other)
	got := h.get(m.ID)
	if got.State != Closed || !got.RatingExpired || got.Rating != nil || count(got, EvRatingExpired) != 1 || got.NextCheckAt != Never {
		t.Fatalf("day 7: %s %v", got.State, types(got))
	}
	if n := h.notices(h.ResA2.UserID, m.ID); !slices.Equal(n, []string{"message.accepted", "message.reply", "message.resolved",
		"message.rate_reminder", "message.closed"}) {
		t.Fatalf("resident: %v", n)
	}
	if _, _, err := h.svc.Rate(h.ctx, h.ResA2, m.ID, RatingInput{Solved: true, Satisfaction: Satisfied}); !ErrNotResolved.Is(err) {
		t.Fatalf("rating after the window: %v", err)
	}
	if got.Figures.Counts.ClosedUnrated != 1 || got.Figures.Counts.Rated != 0 || got.Figures.Counts.Resolved != 1 {
		t.Fatalf("figures: %+v", got.Figures.Counts)
	}
	h.countersMatchMessages()
}

// Periods are the community's: a community that waits 10 days on its
// residents does nothing on day 7.
func TestLifecyclePeriodsArePerCommunity(t *testing.T) {
	h := newHarness(t)
	cfg := DefaultConfig(h.A)
	cfg.Lifecycle = Lifecycle{ResidentReminderDays: 5, ResidentSilentDays: 10, RateReminderDays: 2, RateWindowDays: 7}
	_, err := h.svc.SetConfig(h.ctx, h.SecA, h.A, cfg)
	h.must(err)
	m := h.submit(h.ResA2, "", "")
	_, _, err = h.svc.Accept(h.ctx, h.GridA2, m.ID)
	h.must(err)
	_, _, err = h.svc.Reply(h.ctx, h.GridA2, m.ID, "请问是几号楼？", nil, true)
	h.must(err)
	h.clock.Advance(7 * day)
	h.must(h.svc.Sweep(h.ctx))
	if got := h.get(m.ID); got.State != AwaitingResident || count(got, EvResidentReminder) != 1 {
		t.Fatalf("day 7 of 10: %s %v", got.State, types(got))
	}
	h.clock.Advance(3 * day)
	h.must(h.svc.Sweep(h.ctx))
	if got := h.get(m.ID); got.State != Accepted || !got.ResidentSilent {
		t.Fatalf("day 10: %s", got.State)
	}
	bad := cfg
	bad.Lifecycle.ResidentReminderDays = 10
	if _, err := h.svc.SetConfig(h.ctx, h.SecA, h.A, bad); !ErrConfigInvalid.Is(err) {
		t.Fatalf("reminder not before the end: %v", err)
	}
}

// at moves the clock to t.
func (h *harness) at(t time.Time) { h.clock.Advance(t.Sub(h.clock.Now())) }
