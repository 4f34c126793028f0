package demo_test

import (
	"context"
	"go.mongodb.org/mongo-driver/bson"
	"strings"
	"testing"
	"time"

	"linli/internal/actor"
	"linli/internal/app"
	"linli/internal/testenv"
)

func TestDemoStreetLoadsOnceWithBoundStaffAndHomes(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	rdb, _ := testenv.Redis(t)
	a, err := app.New(ctx, app.Options{DB: db, Redis: rdb, JWTSecret: []byte(strings.Repeat("k", 32)), TokenTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := a.LoadDemo(ctx)
	if err != nil || !loaded {
		t.Fatalf("first load: %v %v", loaded, err)
	}
	if loaded, err := a.LoadDemo(ctx); err != nil || loaded {
		t.Fatalf("a second load must do nothing: %v %v", loaded, err)
	}
	trees, err := a.Communities.List(ctx, "", 50)
	if err != nil || len(trees) != 2 {
		t.Fatalf("communities: %d %v", len(trees), err)
	}
	secretary, err := a.Accounts.EnsureUser(ctx, "dev-secretary-xfl", "")
	if err != nil {
		t.Fatal(err)
	}
	if !secretary.Has(actor.Staff) || secretary.StaffName != "王秀英" || secretary.StaffPosition != "社区党委书记" {
		t.Fatalf("secretary: %+v", secretary)
	}
	resident, err := a.Accounts.EnsureUser(ctx, "dev-resident-1", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Accounts.Me(ctx, resident)
	if err != nil || p.Home == nil || p.Home.CommunityName != "幸福里社区" || p.Home.BuildingName != "1号楼" {
		t.Fatalf("resident home: %+v %v", p.Home, err)
	}
	if vol, err := a.Accounts.EnsureUser(ctx, "dev-volunteer-1", ""); err != nil || !vol.CanClaim() {
		t.Fatalf("the demo volunteer may claim wishes: %+v %v", vol.Roles, err)
	}

	for state, want := range map[string]int64{"pending_review": 1, "open": 1, "claimed": 1} {
		if n, err := db.Collection("wishes").CountDocuments(ctx, bson.M{"state": state}); err != nil || n != want {
			t.Errorf("demo wishes in state %s: %d, want %d (%v)", state, n, want, err)
		}
	}
	// Activities: upcoming with free places, full with a waitlist, past with attendance.
	for name, filter := range map[string]bson.M{
		"upcoming with free places": {"capacity": 20, "active": 2},
		"full with a waitlist":      {"capacity": 2, "active": 4},
		"past with attendance":      {"attended.2": bson.M{"$exists": true}, "unsettled": 0},
	} {
		if n, err := db.Collection("activities").CountDocuments(ctx, filter); err != nil || n != 1 {
			t.Errorf("demo activity %s: %d (%v)", name, n, err)
		}
	}
	if n, err := db.Collection("service_record").CountDocuments(ctx, bson.M{"source": "activity", "minutes": 120}); err != nil || n != 1 {
		t.Errorf("the demo volunteer's credit for the past activity: %d (%v)", n, err)
	}
	for state, want := range map[string]int64{"submitted": 1, "accepted": 1, "closed": 1} {
		if n, err := db.Collection("messages").CountDocuments(ctx, bson.M{"state": state}); err != nil || n != want {
			t.Errorf("demo messages in state %s: %d, want %d (%v)", state, n, want, err)
		}
	}
}
