package party_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/party"
	"linli/internal/platform/store"
)

// A check-in left open past its day is closed by the sweep and its member
// told; when the notice cannot be stored the check-in stays owed, and a
// later sweep tells the member, once, however often it runs.
func TestTheAutoCloseNoticeSurvivesAFailingNotifier(t *testing.T) {
	w := newOutboxWorld(t)
	env, member := w.env, w.member
	ctx := context.Background()
	w.approved(t, member)
	checkin := w.checkIn(t, member)
	env.Clock.Advance(30 * time.Hour) // past the end of its day, never checked out
	told := func() int {
		t.Helper()
		n, err := env.DB.Collection("notifications").CountDocuments(ctx, bson.M{"kind": "party.checkin.autoclosed", "refId": checkin})
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	stored := func() party.Checkin {
		t.Helper()
		got, err := store.FindOne[party.Checkin](ctx, env.DB.Collection("party_checkins"), bson.M{"_id": checkin}, nil)
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
	w.sweeps(t, 3)
	if n := told(); n != 1 {
		t.Fatalf("the member was told %d times, want once", n)
	}
	if stored().CreditOwed {
		t.Fatal("told and credited, but the mark stays")
	}
}
