package party_test

import (
	"context"
	"math"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/ledger"
	"linli/internal/party"
	"linli/internal/platform/clock"
	"linli/internal/testenv"
)

func TestHaversine(t *testing.T) {
	// 天安门 to 北京站: about 2.6 km.
	d := party.Haversine(39.9087, 116.3975, 39.9025, 116.4270)
	if math.Abs(d-2600) > 150 {
		t.Fatalf("distance %.0f m", d)
	}
	if party.Haversine(39.9, 116.4, 39.9, 116.4) != 0 {
		t.Fatal("the same point is 0 m away")
	}
	// 0.0045° of latitude is about 500 m.
	if d := party.Haversine(39.9, 116.4, 39.9045, 116.4); d < 495 || d > 505 {
		t.Fatalf("0.0045° north: %.1f m", d)
	}
}

func TestMasks(t *testing.T) {
	if party.MaskPhone("13800138000") != "138****8000" || party.MaskPhone("123") != "" {
		t.Fatal("phone mask")
	}
	if party.MaskName("刘建国") != "刘**" || party.MaskName("张") != "张*" || party.MaskName("") != "" {
		t.Fatalf("name mask: %q %q", party.MaskName("刘建国"), party.MaskName("张"))
	}
}

// TestSweepFinishesWhatAStoppedProcessOwed: a check-in closed but not
// credited (the process stopped between the two writes) is credited by the
// sweep, once, however often it runs.
func TestSweepFinishesWhatAStoppedProcessOwed(t *testing.T) {
	w := newOutboxWorld(t)
	env, member := w.env, w.member
	ctx := context.Background()
	w.approved(t, member)
	checkin := w.checkIn(t, member)
	// The close happened; the credit did not (as if the process stopped).
	env.Clock.Advance(75 * time.Minute)
	_, err := env.DB.Collection("party_checkins").UpdateOne(ctx, bson.M{"_id": checkin}, bson.M{
		"$set": bson.M{"state": party.Closed, "minutes": 75, "creditOwed": true, "checkedOutAt": env.Clock.Now()}, "$unset": bson.M{"openSlot": ""}})
	if err != nil {
		t.Fatal(err)
	}
	w.sweeps(t, 3)
	tot, err := env.App.Ledger.YearOf(ctx, member.UserID, env.Clock.Now().Year())
	if err != nil || tot.Minutes != 75 || tot.Count[ledger.Checkin] != 1 {
		t.Fatalf("credited once by the sweep: %+v %v", tot, err)
	}
	if n, _ := env.DB.Collection("party_checkins").CountDocuments(ctx, bson.M{"creditOwed": true}); n != 0 {
		t.Fatal("the mark is cleared")
	}
}

func TestLedgerCreditsOnceAndRevises(t *testing.T) {
	env := testenv.New(t)
	ctx := context.Background()
	l := env.App.Ledger
	var told int
	l.Watch(func(context.Context, string, int) { told++ })
	e := ledger.Entry{UserID: "u1", CommunityID: "c1", Source: ledger.Activity, SourceID: "a1", Title: "敬老", Minutes: 90,
		At: time.Date(2026, 12, 31, 23, 30, 0, 0, clock.China)}
	for range 3 {
		if err := l.Credit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	tot, _ := l.YearOf(ctx, "u1", 2026)
	if tot.Minutes != 90 || told != 1 {
		t.Fatalf("stored once, told once: %+v %d", tot, told)
	}
	if ok, err := l.Revise(ctx, ledger.EntryID(ledger.Activity, "a1", "u1"), 30); !ok || err != nil {
		t.Fatalf("revise: %v %v", ok, err)
	}
	if ok, _ := l.Revise(ctx, ledger.EntryID(ledger.Activity, "a1", "u1"), 30); !ok || told != 2 {
		t.Fatalf("revising to the same minutes is no change: %d", told)
	}
	if ok, _ := l.Revise(ctx, "activity:none:u1", 30); ok {
		t.Fatal("no entry, nothing revised")
	}
	if err := l.Credit(ctx, ledger.Entry{UserID: "u1", CommunityID: "c1", Source: ledger.Activity, SourceID: "a2", Minutes: -1, At: e.At}); err == nil {
		t.Fatal("negative minutes refused")
	}
	if tot, _ := l.YearOf(ctx, "u1", 2027); tot.Minutes != 0 {
		t.Fatal("23:30 on 31 December China time counts for 2026")
	}
	if tot, _ := l.YearOf(ctx, "u1", 2026); tot.Minutes != 30 {
		t.Fatalf("revised: %+v", tot)
	}
}

// TestCheckoutCreditsAtOnceAndTheSweepSettles: a check-out credits the
// ledger at once (three writes: check-in, close, entry) and leaves the
// mark for the sweep, which clears it in one batch; a review whose credit
// was lost (the ledger says other minutes) is revised by the sweep first.
func TestCheckoutCreditsAtOnceAndTheSweepSettles(t *testing.T) {
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
	var ids []string
	for range 2 {
		env.Clock.Advance(party.CodeRotation)
		code, _ := env.App.Party.CheckinCode(ctx, staff, pt.ID)
		c, err := env.App.Party.CheckIn(ctx, member, party.CheckinRequest{Code: code.Code})
		if err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(40 * time.Minute)
		if _, err := env.App.Party.Checkout(ctx, member, c.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	year := env.Clock.Now().Year()
	if tot, _ := env.App.Ledger.YearOf(ctx, member.UserID, year); tot.Minutes != 80 {
		t.Fatalf("credited at check-out: %+v", tot)
	}
	checkins := env.DB.Collection("party_checkins")
	if n, _ := checkins.CountDocuments(ctx, bson.M{"creditOwed": true}); n != 2 {
		t.Fatalf("marks left for the sweep: %d", n)
	}
	// A review stored, its credit lost.
	if _, err := checkins.UpdateOne(ctx, bson.M{"_id": ids[1]}, bson.M{"$set": bson.M{"minutes": 25},
		"$push": bson.M{"reviews": party.Review{Minutes: 25, Previous: 40, At: env.Clock.Now()}}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := env.App.Party.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	tot, _ := env.App.Ledger.YearOf(ctx, member.UserID, year)
	if tot.Minutes != 65 || tot.Count[ledger.Checkin] != 2 {
		t.Fatalf("the sweep revised the lost review: %+v", tot)
	}
	if n, _ := checkins.CountDocuments(ctx, bson.M{"creditOwed": true}); n != 0 {
		t.Fatalf("marks cleared: %d left", n)
	}
}

// TestPartyCommunityIsTheNewestApproval: while a move completes two
// approved registrations exist for a moment; the newest decides, whatever
// order the store holds them in.
func TestPartyCommunityIsTheNewestApproval(t *testing.T) {
	env := testenv.New(t)
	ctx := context.Background()
	older, newer := env.Clock.Now(), env.Clock.Now().Add(time.Minute)
	for i, order := range [][]*time.Time{{&newer, &older}, {&older, &newer}} {
		user := clock.NewID()
		for j, at := range order {
			c := "old"
			if at == &newer {
				c = "new"
			}
			_, err := env.DB.Collection("party_registrations").InsertOne(ctx, party.Registration{ID: clock.NewID(), UserID: user,
				CommunityID: c, RealName: "刘建国", State: party.Approved, DecidedAt: at, CreatedAt: older, UpdatedAt: older,
				Skills: []string{}, Events: []party.Event{}, PartyOrganization: "党委" + itoa(i*2+j)})
			if err != nil {
				t.Fatal(err)
			}
		}
		if got, err := env.App.Party.Memberships().PartyCommunityOf(ctx, user); err != nil || got != "new" {
			t.Fatalf("order %d: %q %v", i, got, err)
		}
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// TestSweepEndsTheHomeMovedFrom: an approval of a move that stopped after
// its own write (the old registration not ended yet) is finished by the
// sweep: the old one ends as moved, once, and the mark is cleared.
func TestSweepEndsTheHomeMovedFrom(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	ctx := context.Background()
	staffA, err := env.App.Accounts.Actor(ctx, s.StaffA.UserID)
	if err != nil {
		t.Fatal(err)
	}
	member := actor.Actor{UserID: s.ResidentA.UserID}
	old, err := env.App.Party.Register(ctx, member, party.Draft{RealName: "刘建国", PartyOrganization: "市交通局机关党委", CommunityID: s.A.CommunityID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Party.Approve(ctx, staffA, old.ID, s.A1.GridID); err != nil {
		t.Fatal(err)
	}
	moved, err := env.App.Party.Register(ctx, member, party.Draft{RealName: "刘建国", PartyOrganization: "市交通局机关党委", CommunityID: s.B.CommunityID})
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Minute)
	now := env.Clock.Now()
	regs := env.DB.Collection("party_registrations")
	// The approval's own write, as Approve makes it; then the process stopped.
	if _, err := regs.UpdateOne(ctx, bson.M{"_id": moved.ID}, bson.M{
		"$set":   bson.M{"state": party.Approved, "decidedAt": now, "updatedAt": now, "supersedeOwed": true},
		"$unset": bson.M{"pendingSlot": ""}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := env.App.Party.Memberships().PartyCommunityOf(ctx, member.UserID); c != s.B.CommunityID {
		t.Fatalf("the newest approval decides at once: %q", c)
	}
	for range 2 {
		if err := env.App.Party.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var o party.Registration
	if err := regs.FindOne(ctx, bson.M{"_id": old.ID}).Decode(&o); err != nil || o.State != party.Ended || o.EndReason != "moved" {
		t.Fatalf("the old registration ended as moved: %+v %v", o, err)
	}
	ends := 0
	for _, e := range o.Events {
		if e.Type == "ended" {
			ends++
		}
	}
	if n, _ := regs.CountDocuments(ctx, bson.M{"supersedeOwed": true}); n != 0 || ends != 1 {
		t.Fatalf("mark cleared (%d left), ended once (%d)", n, ends)
	}
}
