package demo_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/app"
	"linli/internal/platform/metrics"
	"linli/internal/testenv"
)

func TestDemoStreetHasPartyMembersInEveryStateAndASeasonOfService(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	rdb, _ := testenv.Redis(t)
	a, err := app.New(ctx, app.Options{DB: db, Redis: rdb, JWTSecret: []byte(strings.Repeat("k", 32)), TokenTTL: time.Hour,
		Metrics: metrics.New(slog.New(slog.DiscardHandler))}) // its own: the process-wide one has demo_test's gauges
	if err != nil {
		t.Fatal(err)
	}
	if loaded, err := a.LoadDemo(ctx); err != nil || !loaded {
		t.Fatalf("load: %v %v", loaded, err)
	}
	for state, want := range map[string]int64{"approved": 4, "pending": 2, "rejected": 1, "ended": 1} {
		if n, err := db.Collection("party_registrations").CountDocuments(ctx, bson.M{"state": state}); err != nil || n != want {
			t.Errorf("registrations %s: %d, want %d (%v)", state, n, want, err)
		}
	}
	if n, _ := db.Collection("party_points").CountDocuments(ctx, bson.M{}); n != 4 {
		t.Errorf("service points: %d", n)
	}
	open, _ := db.Collection("party_checkins").CountDocuments(ctx, bson.M{"state": "open"})
	closed, _ := db.Collection("party_checkins").CountDocuments(ctx, bson.M{"state": "closed"})
	flagged, _ := db.Collection("party_checkins").CountDocuments(ctx, bson.M{"flagged": true})
	if open != 0 || closed != 4*3 || flagged != 2 {
		t.Errorf("check-ins: %d open, %d closed, %d flagged", open, closed, flagged)
	}
	if n, _ := db.Collection("service_record").CountDocuments(ctx, bson.M{"source": "checkin"}); n != 4*3 {
		t.Errorf("ledger check-in entries: %d", n)
	}
	member, err := a.Accounts.EnsureUser(ctx, "dev-party-1", "")
	if err != nil || !member.CanClaim() || member.PartyCommunityID == "" {
		t.Fatalf("an approved demo member is a Party member and may claim wishes: %+v %v", member, err)
	}
}
