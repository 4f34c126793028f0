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
	"linli/internal/apperr"
	"linli/internal/person"
)

// 1,000 people sign up at once for 100 places: exactly 100 are confirmed
// and 900 wait with positions 1..900, no gaps, no duplicates, and a retry
// of each returns the same answer. Then ten confirmed people leave at once:
// exactly the first ten waiting move into their places, each told once,
// and the queue closes up.
//
// All 1,000 goroutines start together; at most inFlight of them are inside
// a write at a time. lungo runs one write at a time and gives up on a
// write that waited a minute for its turn, which 1,000 queued writers
// exceed under -race on a shared two-core machine; MongoDB has no such
// queue. The writes still race each other for the same document.
func TestThousandConcurrentSignupsForHundredPlaces(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(100)
	people := make([]actor.Actor, 1000)
	for i := range people {
		people[i] = resident(i)
	}
	answers := make([]activity.MySignup, len(people))
	const inFlight = 64
	slots := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	for i := range people {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			m, err := h.svc.SignUp(ctx, people[i], a.ID)
			if err != nil {
				t.Errorf("sign-up %d: %v", i, err)
				return
			}
			answers[i] = m
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for i := range people { // every phone retries at once: nothing changes
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			m := answers[i]
			again, err := h.svc.SignUp(ctx, people[i], a.ID)
			if err != nil || again.Status != m.Status || again.Position != m.Position || !again.SignedUpAt.Equal(*m.SignedUpAt) {
				t.Errorf("sign-up %d again: %+v, first %+v (%v)", i, again, m, err)
			}
		})
	}
	wg.Wait()
	confirmed, positions := 0, map[int]bool{}
	for _, m := range answers {
		switch m.Status {
		case "confirmed":
			confirmed++
		case "waitlisted":
			if positions[m.Position] {
				t.Fatalf("position %d given twice", m.Position)
			}
			positions[m.Position] = true
		default:
			t.Fatalf("status %q", m.Status)
		}
	}
	if confirmed != 100 || len(positions) != 900 || !positions[1] || !positions[900] {
		t.Fatalf("%d confirmed, %d positions (1: %v, 900: %v); want 100 and 1..900",
			confirmed, len(positions), positions[1], positions[900])
	}
	before := h.exact(a.ID)

	leavers := map[string]actor.Actor{}
	for _, e := range before.Confirmed[40:50] {
		for _, p := range people {
			if p.UserID == e.Person.UserID {
				leavers[p.UserID] = p
			}
		}
	}
	for _, p := range leavers {
		wg.Go(func() {
			if _, err := h.svc.Leave(ctx, p, a.ID); err != nil {
				t.Errorf("leave: %v", err)
			}
		})
	}
	wg.Wait()
	after := h.exact(a.ID)
	var want []string
	for _, id := range ids(before.Confirmed) {
		if _, gone := leavers[id]; !gone {
			want = append(want, id)
		}
	}
	promoted := ids(before.Waitlist[:10])
	want = append(want, promoted...)
	if got := ids(after.Confirmed); !slices.Equal(sorted(got), sorted(want)) {
		t.Fatalf("confirmed after ten leaves are not the others plus the first ten waiting")
	}
	if got := ids(after.Waitlist); !slices.Equal(got, ids(before.Waitlist[10:])) {
		t.Fatal("the waitlist did not close up in order")
	}
	if got := h.noticed(a.ID, "activity.promoted"); !slices.Equal(got, sorted(promoted)) {
		t.Fatalf("told of promotion: %d people, want exactly the first ten waiting", len(got))
	}
}

// A waiting person who leaves lets everyone behind move up; a confirmed
// person's place goes strictly to the first waiting; nobody is confirmed
// twice; raising the capacity by 2 confirms exactly the first 2 waiting at
// once; the capacity never drops below the confirmed.
func TestLeavesAndCapacityPromoteStrictlyInOrder(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(3)
	people := make([]actor.Actor, 9)
	for i := range people {
		people[i] = resident(i)
		if _, err := h.svc.SignUp(ctx, people[i], a.ID); err != nil {
			t.Fatal(err)
		}
	}
	order := func() []string {
		l := h.exact(a.ID)
		return append(ids(l.Confirmed), ids(l.Waitlist)...)
	}
	uid := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, people[i].UserID)
		}
		return out
	}
	if got := order(); !slices.Equal(got, uid(0, 1, 2, 3, 4, 5, 6, 7, 8)) {
		t.Fatal("sign-ups are not in order of arrival")
	}
	// Position 2 (people[4]) leaves: 5.. move up.
	if _, err := h.svc.Leave(ctx, people[4], a.ID); err != nil {
		t.Fatal(err)
	}
	if m, _ := h.svc.Get(ctx, people[5], a.ID); m.MySignup.Position != 2 {
		t.Fatalf("people[5] position %d, want 2", m.MySignup.Position)
	}
	// A confirmed one leaves: people[3] (first waiting) is promoted and told.
	if _, err := h.svc.Leave(ctx, people[1], a.ID); err != nil {
		t.Fatal(err)
	}
	if got := order(); !slices.Equal(got, uid(0, 2, 3, 5, 6, 7, 8)) {
		t.Fatalf("after a confirmed leave: %v", got)
	}
	if got := h.noticed(a.ID, "activity.promoted"); !slices.Equal(got, uid(3)) {
		t.Fatal("the first waiting was not told of the promotion (alone)")
	}
	// Leaving twice: not signed up any more.
	if _, err := h.svc.Leave(ctx, people[1], a.ID); !activity.ErrNotSignedUp.Is(err) {
		t.Fatalf("second leave: %v", err)
	}
	// Back again: at the end of the queue.
	if m, err := h.svc.SignUp(ctx, people[1], a.ID); err != nil || m.Status != "waitlisted" || m.Position != 5 {
		t.Fatalf("back again: %+v %v", m, err)
	}
	// Capacity 3 → 5: exactly the first two waiting (5, 6) confirmed and told.
	d := h.draft(5)
	v, err := h.svc.Edit(ctx, h.staff, a.ID, d)
	if err != nil || v.Confirmed != 5 || v.Waitlist != 3 || v.Remaining != 0 {
		t.Fatalf("raise: %+v %v", v.Card, err)
	}
	if got := h.noticed(a.ID, "activity.promoted"); !slices.Equal(got, sorted(uid(3, 5, 6))) {
		t.Fatal("raising the capacity by 2 must tell exactly the first 2 waiting")
	}
	if got := order(); !slices.Equal(got, uid(0, 2, 3, 5, 6, 7, 8, 1)) {
		t.Fatalf("after the raise: %v", got)
	}
	// With left entries in the queue, signing up again still answers each
	// person's own standing unchanged, as the activity shows it.
	for _, p := range people {
		if p.UserID == people[4].UserID {
			continue
		}
		v, _ := h.svc.Get(ctx, p, a.ID)
		again, err := h.svc.SignUp(ctx, p, a.ID)
		if err != nil || again.Status != v.MySignup.Status || again.Position != v.MySignup.Position || !again.SignedUpAt.Equal(*v.MySignup.SignedUpAt) {
			t.Fatalf("%s signs up again: %+v %v, shown %+v", p.Nickname, again, err, v.MySignup)
		}
	}
	// Never below the confirmed.
	if _, err := h.svc.Edit(ctx, h.staff, a.ID, h.draft(4)); !activity.ErrCapacityBelow.Is(err) {
		t.Fatalf("capacity below the confirmed: %v", err)
	}
	if got := h.noticed(a.ID, "activity.changed"); len(got) != 0 {
		t.Fatal("nobody is told of a change when time and place stay")
	}
	// The start moves an hour: everyone signed up, confirmed or waiting, is told once.
	later := h.draft(5, func(d *activity.Draft) { d.StartAt, d.EndAt = d.StartAt.Add(time.Hour), d.EndAt.Add(time.Hour) })
	if _, err := h.svc.Edit(ctx, h.staff, a.ID, later); err != nil {
		t.Fatal(err)
	}
	if got := h.noticed(a.ID, "activity.changed"); !slices.Equal(got, sorted(uid(0, 2, 3, 5, 6, 7, 8, 1))) {
		t.Fatalf("told of the new time: %d people, want the 8 signed up", len(got))
	}
}

func TestSignupRefusals(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	later := h.create(5, func(d *activity.Draft) { d.SignupOpensAt = d.SignupOpensAt.Add(48 * time.Hour) })
	partyOnly := h.create(5, func(d *activity.Draft) { d.Audience = activity.Party })
	volunteers := h.create(5, func(d *activity.Draft) { d.Audience = activity.Volunteers })
	cancelled := h.create(5)
	if _, err := h.svc.Cancel(ctx, h.staff, cancelled.ID, "场地临时维修"); err != nil {
		t.Fatal(err)
	}
	res, member, volunteer := resident(1), resident(2, actor.PartyMember), resident(3, actor.Volunteer)
	for _, tc := range []struct {
		name string
		who  actor.Actor
		id   string
		want string
	}{
		{"not open yet", res, later.ID, "SIGNUP_NOT_OPEN"},
		{"party only, not a member", res, partyOnly.ID, "ACTIVITY_AUDIENCE"},
		{"party only, a volunteer", volunteer, partyOnly.ID, "ACTIVITY_AUDIENCE"},
		{"volunteers only, a resident", res, volunteers.ID, "ACTIVITY_AUDIENCE"},
		{"cancelled", res, cancelled.ID, "ACTIVITY_CANCELLED"},
	} {
		_, err := h.svc.SignUp(ctx, tc.who, tc.id)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	for _, ok := range []struct {
		who actor.Actor
		id  string
	}{{member, partyOnly.ID}, {volunteer, volunteers.ID}, {member, volunteers.ID}} {
		if _, err := h.svc.SignUp(ctx, ok.who, ok.id); err != nil {
			t.Errorf("an admitted person: %v", err)
		}
	}
	open := h.create(5)
	h.env.Clock.Advance(72*time.Hour - 30*time.Minute) // past the close (an hour before the start)
	if _, err := h.svc.SignUp(ctx, res, open.ID); !activity.ErrSignupClosed.Is(err) {
		t.Fatalf("after the close: %v", err)
	}
	if n := h.stored(open.ID).Active; n != 0 {
		t.Fatalf("a refused sign-up was stored: %d", n)
	}
}

// A resident without a nickname is named in the sign-up list as in every
// other answer (person.Unnamed: 居民·XXXX, told apart from another such
// resident), not by a bare 居民 stored with the sign-up.
func TestASignupWithoutANicknameIsNamedAsEverywhere(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(5)
	anon := resident(0)
	anon.Nickname = ""
	if _, err := h.svc.SignUp(ctx, anon, a.ID); err != nil {
		t.Fatal(err)
	}
	l, err := h.svc.Signups(ctx, h.staff, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Confirmed) != 1 || l.Confirmed[0].Person.Name != person.Unnamed(anon.UserID) {
		t.Fatalf("confirmed %+v, want one named %q", l.Confirmed, person.Unnamed(anon.UserID))
	}
}
