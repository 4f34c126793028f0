package party_test

import (
	"context"
	"errors"
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

// down is a notifier whose store cannot be reached: every notice fails.
type down struct{}

func (down) Notify(context.Context, notify.Notice) error {
	return errors.New("notices store unreachable")
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
	w.approved(t, w.checker)
	id := w.checkIn(t, w.checker)
	w.env.Clock.Advance(75 * time.Minute)
	if _, err := w.env.DB.Collection("party_checkins").UpdateOne(ctx, bson.M{"_id": id}, bson.M{
		"$set":   bson.M{"state": party.Closed, "minutes": 75, "flagged": true, "checkedOutAt": w.env.Clock.Now()},
		"$unset": bson.M{"openSlot": ""}}); err != nil {
		t.Fatal(err)
	}
	return id
}

// approved is a's registration in A, approved by staff of A into grid A1
// (with whatever notifier is set); it answers the registration's ID.
func (w *outboxWorld) approved(t *testing.T, a actor.Actor) string {
	t.Helper()
	reg := w.register(t, a, w.street.A.CommunityID)
	if _, err := w.env.App.Party.Approve(context.Background(), w.staffA, reg, w.street.A1.GridID); err != nil {
		t.Fatal(err)
	}
	return reg
}

// servedInB is the member's registration in B, approved there by staff of
// B (with whatever notifier is set): a later approval in A moves them home.
func (w *outboxWorld) servedInB(t *testing.T) string {
	t.Helper()
	reg := w.register(t, w.member, w.street.B.CommunityID)
	if _, err := w.env.App.Party.Approve(context.Background(), w.staffB, reg, w.street.B1.GridID); err != nil {
		t.Fatal(err)
	}
	return reg
}

// checkIn is a's open check-in at a new service point of A, by the code
// staff of A show there; it answers the check-in's ID.
func (w *outboxWorld) checkIn(t *testing.T, a actor.Actor) string {
	t.Helper()
	ctx := context.Background()
	p := w.env.App.Party
	pt, err := p.CreatePoint(ctx, w.staffA, party.NewPoint{CommunityID: w.street.A.CommunityID, Name: "楼道长", Location: "1号楼"})
	if err != nil {
		t.Fatal(err)
	}
	code, err := p.CheckinCode(ctx, w.staffA, pt.ID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.CheckIn(ctx, a, party.CheckinRequest{Code: code.Code})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// sweeps runs the sweep n times, one after another, each without error.
func (w *outboxWorld) sweeps(t *testing.T, n int) {
	t.Helper()
	for range n {
		if err := w.env.App.Party.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
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
