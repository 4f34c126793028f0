package party_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/notify"
	"linli/internal/party"
	"linli/internal/platform/store"
	"linli/internal/testenv"
)

type down struct{}

func (down) Notify(context.Context, notify.Notice) error {
	return errors.New("notices store unreachable")
}

// A check-in left open past its day is closed by the sweep and its member
// told; when the notice cannot be stored the check-in stays owed, and a
// later sweep tells the member, once, however often it runs.
func TestTheAutoCloseNoticeSurvivesAFailingNotifier(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	ctx := context.Background()
	staff, err := env.App.Accounts.Actor(ctx, s.StaffA.UserID)
	if err != nil {
		t.Fatal(err)
	}
	member := actor.Actor{UserID: s.ResidentA.UserID}
	r, err := env.App.Party.Register(ctx, member, party.Draft{RealName: "刘建国", PartyOrganization: "市交通局机关党委", CommunityID: s.A.CommunityID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Party.Approve(ctx, staff, r.ID, s.A1.GridID); err != nil {
		t.Fatal(err)
	}
	pt, err := env.App.Party.CreatePoint(ctx, staff, party.NewPoint{CommunityID: s.A.CommunityID, Name: "楼道长", Location: "1号楼"})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := env.App.Party.CheckinCode(ctx, staff, pt.ID)
	c, err := env.App.Party.CheckIn(ctx, member, party.CheckinRequest{Code: code.Code})
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(30 * time.Hour) // past the end of its day, never checked out
	told := func() int {
		t.Helper()
		n, err := env.DB.Collection("notifications").CountDocuments(ctx, bson.M{"kind": "party.checkin.autoclosed", "refId": c.ID})
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	stored := func() party.Checkin {
		t.Helper()
		got, err := store.FindOne[party.Checkin](ctx, env.DB.Collection("party_checkins"), bson.M{"_id": c.ID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	up := env.App.Party.SetNotifier(down{})
	if err := env.App.Party.Sweep(ctx); err == nil {
		t.Fatal("the sweep reports no error though the notice was not stored")
	}
	if got := stored(); got.State != party.Closed || !got.CreditOwed {
		t.Fatalf("after the failed notice: state %s, owed %v; want closed and still owed", got.State, got.CreditOwed)
	}
	if n := told(); n != 0 {
		t.Fatalf("told %d times with the store down", n)
	}
	env.App.Party.SetNotifier(up)
	for range 3 {
		if err := env.App.Party.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := told(); n != 1 {
		t.Fatalf("the member was told %d times, want once", n)
	}
	if stored().CreditOwed {
		t.Fatal("told and credited, but the mark stays")
	}
}
