package party_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/notify"
	"linli/internal/party"
	"linli/internal/platform/store"
	"linli/internal/testenv"
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

// outboxWorld is a street with a member's registrations, an evaluation and
// a flagged check-in to review, and what reads notices and outboxes back.
type outboxWorld struct {
	env            *testenv.Env
	street         *testenv.Street
	staffA, staffB actor.Actor
	// member moves from B to A; other is refused; checker serves in A.
	member, other, checker actor.Actor
}

func newOutboxWorld(t *testing.T) *outboxWorld {
	env := testenv.New(t)
	s := env.Street()
	ctx := context.Background()
	w := &outboxWorld{env: env, street: s, member: actor.Actor{UserID: s.ResidentA.UserID}, other: actor.Actor{UserID: s.ResidentA2.UserID},
		checker: actor.Actor{UserID: s.ResidentB.UserID}}
	var err error
	if w.staffA, err = env.App.Accounts.Actor(ctx, s.StaffA.UserID); err != nil {
		t.Fatal(err)
	}
	if w.staffB, err = env.App.Accounts.Actor(ctx, s.StaffB.UserID); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *outboxWorld) register(t *testing.T, a actor.Actor, communityID string) string {
	t.Helper()
	r, err := w.env.App.Party.Register(context.Background(), a, party.Draft{RealName: "刘建国", PartyOrganization: "市交通局机关党委", CommunityID: communityID})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// flaggedCheckin is a closed, flagged check-in of a member of A (the
// resident of B, approved in A while the notifier works) at a point of A,
// closed by hand: the review is what is tested.
func (w *outboxWorld) flaggedCheckin(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	p := w.env.App.Party
	if _, err := p.Approve(ctx, w.staffA, w.register(t, w.checker, w.street.A.CommunityID), w.street.A1.GridID); err != nil {
		t.Fatal(err)
	}
	pt, err := p.CreatePoint(ctx, w.staffA, party.NewPoint{CommunityID: w.street.A.CommunityID, Name: "楼道长", Location: "1号楼"})
	if err != nil {
		t.Fatal(err)
	}
	code, err := p.CheckinCode(ctx, w.staffA, pt.ID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.CheckIn(ctx, w.checker, party.CheckinRequest{Code: code.Code})
	if err != nil {
		t.Fatal(err)
	}
	w.env.Clock.Advance(75 * time.Minute)
	if _, err := w.env.DB.Collection("party_checkins").UpdateOne(ctx, bson.M{"_id": c.ID}, bson.M{
		"$set":   bson.M{"state": party.Closed, "minutes": 75, "flagged": true, "checkedOutAt": w.env.Clock.Now()},
		"$unset": bson.M{"openSlot": ""}}); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// owed is the keys of the notices the document id of collection owes.
func (w *outboxWorld) owed(t *testing.T, collection, id string) []string {
	t.Helper()
	doc, err := store.FindOne[struct {
		party.Outbox `bson:",inline"`
	}](context.Background(), w.env.DB.Collection(collection), bson.M{"_id": id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, n := range doc.Notices {
		keys = append(keys, n.Key)
	}
	if doc.Size != len(keys) {
		t.Fatalf("%s %s: outboxSize %d, %d notices", collection, id, doc.Size, len(keys))
	}
	return keys
}

// told is how many notices are stored with key, and for whom.
func (w *outboxWorld) told(t *testing.T, key string) (int, string) {
	t.Helper()
	list, err := store.FindAll[notify.Notice](context.Background(), w.env.DB.Collection("notifications"), bson.M{"key": key})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		return 0, ""
	}
	return len(list), list[0].UserID
}

// owing counts the documents of the area that still owe a notice.
func (w *outboxWorld) owing(t *testing.T) int64 {
	t.Helper()
	var n int64
	for _, c := range []string{"party_registrations", "party_evaluations", "party_checkins"} {
		k, err := w.env.DB.Collection(c).CountDocuments(context.Background(), bson.M{"outboxSize": bson.M{"$gt": 0}})
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	return n
}

func (w *outboxWorld) sweepTwiceAtOnce(t *testing.T) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = w.env.App.Party.Sweep(context.Background()) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
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
	regB := w.register(t, w.member, s.B.CommunityID)
	if _, err := p.Approve(ctx, w.staffB, regB, s.B1.GridID); err != nil {
		t.Fatal(err)
	}
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
	regB := w.register(t, w.member, s.B.CommunityID)
	if _, err := p.Approve(ctx, w.staffB, regB, s.B1.GridID); err != nil {
		t.Fatal(err)
	}
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
	p, s := w.env.App.Party, w.street
	year := w.env.Clock.Now().Year()
	reg := w.register(t, w.member, s.A.CommunityID)
	if _, err := p.Approve(ctx, w.staffA, reg, s.A1.GridID); err != nil {
		t.Fatal(err)
	}
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
