package activity_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/activity"
	"linli/internal/actor"
	"linli/internal/ledger"
	"linli/internal/platform/store"
)

func TestCheckinCodeExpiresAndCannotBeForged(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(1)
	other := h.create(1)
	in, waiting := resident(1), resident(2)
	h.signUp(a.ID, in, waiting)
	if _, err := h.svc.CheckinCode(ctx, h.staff, a.ID); !activity.ErrCheckinNotOpen.Is(err) {
		t.Fatalf("a code three days early: %v", err)
	}
	h.env.Clock.Advance(72*time.Hour - 20*time.Minute) // 20 minutes before the start: the door is open
	code := h.checkinCode(a.ID)
	otherCode := h.checkinCode(other.ID)
	if !code.ExpiresAt.After(h.env.Clock.Now()) {
		t.Fatalf("a fresh code expires at %v", code.ExpiresAt)
	}
	if len(code.Code) != 32 || code.ActivityID != a.ID || !code.RefreshAt.After(h.env.Clock.Now()) || !code.RefreshAt.Before(code.ExpiresAt) {
		t.Fatalf("a code of 32 characters, refreshed before it expires: %+v", code)
	}
	last := code.Code[31:]
	flip := "A"
	if last == "A" {
		flip = "B"
	}
	for name, forged := range map[string]string{
		"another activity's code": otherCode.Code,
		"a changed signature":     code.Code[:31] + flip,
		"a cut code":              code.Code[:24],
		"garbage":                 "签到",
		"a signed window ahead":   h.svc.CodeFor(a.ID, h.env.Clock.Now().Add(10*activity.CodePeriod)),
		"the next window":         h.svc.CodeFor(a.ID, code.RefreshAt),
	} {
		if _, err := h.svc.CheckIn(ctx, in, a.ID, forged); !activity.ErrCodeInvalid.Is(err) {
			t.Errorf("%s: %v, want CHECKIN_CODE_INVALID", name, err)
		}
	}
	if _, err := h.svc.CheckIn(ctx, waiting, a.ID, code.Code); !activity.ErrNotConfirmed.Is(err) {
		t.Fatalf("a waitlisted person checks in: %v", err)
	}
	h.env.Clock.Advance(2 * activity.CodePeriod) // the code shown is too old now
	if _, err := h.svc.CheckIn(ctx, in, a.ID, code.Code); !activity.ErrCodeExpired.Is(err) {
		t.Fatalf("an old code: %v", err)
	}
	fresh := h.checkinCode(a.ID)
	for range 2 {
		m, err := h.svc.CheckIn(ctx, in, a.ID, fresh.Code)
		if err != nil || m.CheckedInAt == nil || m.Status != "confirmed" {
			t.Fatalf("check-in: %+v %v", m, err)
		}
	}
	if st := h.stored(a.ID); len(st.Attended) != 1 || st.Unsettled != 1 {
		t.Fatalf("checking in twice must count once: %d present, %d unsettled", len(st.Attended), st.Unsettled)
	}
	if _, err := h.svc.Leave(ctx, in, a.ID); !activity.ErrCheckedIn.Is(err) {
		t.Fatalf("leaving after check-in: %v", err)
	}
	h.env.Clock.Advance(3 * time.Hour) // past the end
	if _, err := h.svc.CheckinCode(ctx, h.staff, a.ID); !activity.ErrCheckinNotOpen.Is(err) {
		t.Fatalf("a code after the end: %v", err)
	}
}

func TestCancelledActivityRefusesCheckinAndTellsEveryone(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(1)
	p1, p2 := resident(1), resident(2)
	h.signUp(a.ID, p1, p2)
	h.env.Clock.Advance(72*time.Hour - 10*time.Minute)
	code := h.checkinCode(a.ID)
	if _, err := h.svc.Cancel(ctx, h.staff, a.ID, "暴雨预警"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.CheckIn(ctx, p1, a.ID, code.Code); !activity.ErrCancelled.Is(err) {
		t.Fatalf("check-in on a cancelled activity: %v", err)
	}
	if _, err := h.svc.Cancel(ctx, h.staff, a.ID, "again"); !activity.ErrCancelled.Is(err) {
		t.Fatalf("cancelling twice: %v", err)
	}
	if got := h.noticed(a.ID, "activity.cancelled"); len(got) != 2 {
		t.Fatalf("told of the cancellation: %d, want the confirmed and the waiting", len(got))
	}
}

// The sweep reminds each confirmed person once an hour before the start,
// and after the end credits an attended volunteer or Party member once in
// the service record (a walk-in marked by staff too), and nobody else.
func TestSweepRemindsOnceAndCreditsOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(2, func(d *activity.Draft) { d.ServiceMinutes = 90 })
	vol, err := h.env.App.Accounts.BecomeVolunteer(ctx, mustActor(t, h, h.street.ResidentA.UserID))
	if err != nil {
		t.Fatal(err)
	}
	volunteer := mustActor(t, h, vol.ID)
	plain := mustActor(t, h, h.street.ResidentA2.UserID)
	waiting := resident(9)
	h.signUp(a.ID, volunteer, plain, waiting)
	h.env.Clock.Advance(72*time.Hour - 59*time.Minute)
	for range 2 {
		if err := h.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.noticed(a.ID, "activity.reminder"); !equalSets(got, []string{volunteer.UserID, plain.UserID}) {
		t.Fatalf("reminded: %v, want the two confirmed, once each", got)
	}
	if !h.stored(a.ID).Reminded { // else every sweep would read it again
		t.Fatal("the reminder went out but the activity is not marked reminded")
	}
	h.env.Clock.Advance(30 * time.Minute) // the door opens
	code := h.checkinCode(a.ID)
	for _, p := range []actor.Actor{volunteer, plain} {
		if _, err := h.svc.CheckIn(ctx, p, a.ID, code.Code); err != nil {
			t.Fatal(err)
		}
	}
	walkIn := mustActor(t, h, h.street.ResidentB.UserID)
	if _, err := h.env.App.Accounts.BecomeVolunteer(ctx, walkIn); err != nil {
		t.Fatal(err)
	}
	h.env.App.Accounts.Forget(walkIn.UserID)
	if l, err := h.svc.MarkPresent(ctx, h.staff, a.ID, walkIn.UserID); err != nil || len(l.WalkIns) != 1 || len(l.Present) != 2 {
		t.Fatalf("walk-in: %+v %v", l, err)
	}
	if err := h.svc.Sweep(ctx); err != nil { // not ended: no credit yet
		t.Fatal(err)
	}
	if n := credits(t, h, a.ID); len(n) != 0 {
		t.Fatalf("credited before the end: %v", n)
	}
	h.env.Clock.Advance(3 * time.Hour)
	for range 2 {
		if err := h.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := credits(t, h, a.ID)
	if len(got) != 2 || got[volunteer.UserID] != 90 || got[walkIn.UserID] != 90 {
		t.Fatalf("credits: %v, want 90 minutes for the volunteer and the volunteer walk-in only", got)
	}
	if st := h.stored(a.ID); st.Unsettled != 0 || len(st.Settled) != 3 {
		t.Fatalf("settled %v, unsettled %d", st.Settled, st.Unsettled)
	}
}

func mustActor(t *testing.T, h *harness, userID string) actor.Actor {
	t.Helper()
	h.env.App.Accounts.Forget(userID)
	a, err := h.env.App.Accounts.Actor(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func credits(t *testing.T, h *harness, activityID string) map[string]int {
	t.Helper()
	es, err := store.FindAll[ledger.Entry](context.Background(), h.env.DB.Collection(ledger.Collection), bson.M{"sourceId": activityID})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range es {
		if e.ID != "activity:"+activityID+":"+e.UserID || e.Source != ledger.Activity {
			t.Fatalf("entry %+v", e)
		}
		out[e.UserID] = e.Minutes
	}
	return out
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, s := range a {
		m[s] = true
	}
	for _, s := range b {
		if !m[s] {
			return false
		}
	}
	return true
}

// Whatever slips in between a check-in's read and its write, the write's
// own filter keeps the rules: a second check-in of the same person landing
// there counts once, and a leave landing there loses to the check-in (or
// the check-in to the leave), never both.
func TestCheckinRacesKeepTheRules(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(2)
	p1, p2 := resident(1), resident(2)
	h.signUp(a.ID, p1, p2)
	h.env.Clock.Advance(72*time.Hour - 20*time.Minute)
	code := h.checkinCode(a.ID)
	// p1's check-in read sees them absent; their other phone checks in first.
	once := true
	h.svc.SetBeforeWrite(func(op string) {
		if op == "checkin" && once {
			once = false
			if _, err := h.svc.CheckIn(ctx, p1, a.ID, code.Code); err != nil {
				t.Errorf("the other phone: %v", err)
			}
		}
	})
	if m, err := h.svc.CheckIn(ctx, p1, a.ID, code.Code); err != nil || m.CheckedInAt == nil {
		t.Fatalf("check-in: %+v %v", m, err)
	}
	if st := h.stored(a.ID); len(st.Attended) != 1 || st.Unsettled != 1 {
		t.Fatalf("a check-in racing another of the same person: %d present, %d unsettled", len(st.Attended), st.Unsettled)
	}
	// p2's leave reads them not present; they check in before its write.
	once = true
	h.svc.SetBeforeWrite(func(op string) {
		if op == "leave" && once {
			once = false
			if _, err := h.svc.CheckIn(ctx, p2, a.ID, code.Code); err != nil {
				t.Errorf("check-in during the leave: %v", err)
			}
		}
	})
	_, leaveErr := h.svc.Leave(ctx, p2, a.ID)
	h.svc.SetBeforeWrite(nil)
	st := h.stored(a.ID)
	_, present := attendance(st, p2.UserID)
	active := false
	for _, s := range st.Signups {
		active = active || (s.UserID == p2.UserID && s.Active)
	}
	if !present || !active || !activity.ErrCheckedIn.Is(leaveErr) {
		t.Fatalf("a leave racing a check-in: present %v, still signed up %v, leave: %v", present, active, leaveErr)
	}
}

// A code read at the door just before the end is still within its period
// after the end, but the door is closed: the check-in is refused.
func TestCheckinClosesAtTheEnd(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(1)
	p := resident(1)
	h.signUp(a.ID, p)
	h.env.Clock.Advance(72*time.Hour + 2*time.Hour - time.Minute) // a minute before the end
	code := h.checkinCode(a.ID)
	h.env.Clock.Advance(2 * time.Minute)
	if _, err := h.svc.CheckIn(ctx, p, a.ID, code.Code); !activity.ErrCheckinNotOpen.Is(err) {
		t.Fatalf("a check-in after the end with a code still in its period: %v", err)
	}
	if n := len(h.stored(a.ID).Attended); n != 0 {
		t.Fatalf("%d present after a refused check-in", n)
	}
}

func attendance(a activity.Activity, userID string) (activity.Attendance, bool) {
	for _, at := range a.Attended {
		if at.UserID == userID {
			return at, true
		}
	}
	return activity.Attendance{}, false
}

// A scanned code names its activity: checking in by the code alone marks
// the person present there and says which activity it was; the code is
// good in its window and the next, not a moment longer, and a code of
// another activity is no good on this one's path.
func TestCheckInByCodeNamesTheActivityAndKeepsTheWindows(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a, other := h.create(1), h.create(1)
	p := resident(1)
	h.signUp(a.ID, p)
	h.env.Clock.Advance(72*time.Hour - 20*time.Minute)
	code := h.checkinCode(a.ID)
	if _, err := h.svc.CheckIn(ctx, p, other.ID, code.Code); !activity.ErrCodeInvalid.Is(err) {
		t.Fatalf("a's code on other's path: %v", err)
	}
	h.env.Clock.Set(code.ExpiresAt) // the first moment it is too old
	if _, err := h.svc.CheckInByCode(ctx, p, code.Code); !activity.ErrCodeExpired.Is(err) {
		t.Fatalf("at its expiry: %v", err)
	}
	h.env.Clock.Set(code.ExpiresAt.Add(-time.Millisecond)) // the last moment of the next window
	got, err := h.svc.CheckInByCode(ctx, p, code.Code)
	if err != nil {
		t.Fatal(err)
	}
	if got.Activity.ID != a.ID || got.Activity.Title != a.Title || got.MySignup.Status != "confirmed" || got.MySignup.CheckedInAt == nil {
		t.Fatalf("checked in: %+v", got)
	}
	if _, err := h.svc.CheckInByCode(ctx, resident(2), code.Code); !activity.ErrNotConfirmed.Is(err) {
		t.Fatalf("someone not signed up: %v", err)
	}
}
