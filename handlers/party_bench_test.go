package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"linli/internal/actor"
	"linli/internal/ledger"
	"linli/internal/party"
	"linli/internal/platform/clock"
	"linli/internal/testenv"
)

// BenchmarkPartyCheckins checks 1,000 members in and out at one service
// point concurrently (through party.Service, real goroutines), once per
// iteration with that window's code, and prints check-ins per second; in
// the same run it checks the result exactly (every member has one more
// check-in entry in the ledger: 1,000 new entries, no duplicates). Then it
// compares the leaderboard read (served from Redis) with GET /healthz
// through the same HTTP server, as the wish feed benchmark does:
//
//	go test ./handlers -run '^$' -bench PartyCheckins -benchtime 3x
func BenchmarkPartyCheckins(b *testing.B) {
	env := testenv.New(b)
	s := env.Street()
	ctx := context.Background()
	const members = 1000
	users := seedMembers(b, env, s, members)
	staff := actorOf(b, env, s.StaffA.UserID)
	pt, err := env.App.Party.CreatePoint(ctx, staff, party.NewPoint{CommunityID: s.A.CommunityID, Name: "垃圾分类督导", Location: "3号楼分类亭"})
	if err != nil {
		b.Fatal(err)
	}

	b.Run("checkins", func(b *testing.B) {
		var elapsed time.Duration
		rounds := 0
		for b.Loop() {
			env.Clock.Advance(party.CodeRotation)
			code, err := env.App.Party.CheckinCode(ctx, staff, pt.ID)
			if err != nil {
				b.Fatal(err)
			}
			var failed atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			for _, u := range users {
				wg.Go(func() {
					a := actor.Actor{UserID: u, Roles: []actor.Role{actor.Resident, actor.PartyMember}}
					c, err := env.App.Party.CheckIn(ctx, a, party.CheckinRequest{Code: code.Code})
					if err == nil {
						_, err = env.App.Party.Checkout(ctx, a, c.ID)
					}
					if err != nil {
						failed.Add(1)
						b.Error(err)
					}
				})
			}
			wg.Wait()
			elapsed += time.Since(start)
			rounds++
			// Exactness: each member has exactly `rounds` check-in entries.
			totals, err := env.App.Ledger.Community(ctx, s.A.CommunityID, env.Clock.Now().Year(), nil)
			if err != nil {
				b.Fatal(err)
			}
			entries := 0
			for _, u := range users {
				if got := totals[u].Count[ledger.Checkin]; got != rounds {
					b.Fatalf("member %s has %d check-in entries after %d rounds", u, got, rounds)
				}
				entries += totals[u].Count[ledger.Checkin]
			}
			if entries != members*rounds || failed.Load() != 0 {
				b.Fatalf("%d entries after %d rounds, %d failed", entries, rounds, failed.Load())
			}
		}
		perSec := float64(members*rounds) / elapsed.Seconds()
		b.ReportMetric(perSec, "checkins/s")
		b.Logf("%d rounds of %d members checking in and out at one point: %.0f check-ins/s (each with its check-out); %d ledger entries, none twice",
			rounds, members, perSec, members*rounds)
	})

	b.Run("leaderboard-vs-healthz", func(b *testing.B) {
		health, board := versusHealthz(b, env, "leaderboard", "/api/v1/communities/"+s.A.CommunityID+"/party/leaderboard",
			http.Header{"Authorization": {"Bearer " + s.ResidentA.Token}, "Accept-Encoding": {"gzip"}})
		b.Logf("%d requests each: healthz %.0f req/s, leaderboard (top 20 of %d, from Redis) %.0f req/s, ratio %.2f",
			b.N, health, members, board, board/health)
	})
}

// seedMembers stores n approved members of A (in grid A1) at once and
// returns their user IDs: approvals one by one would measure lungo's scans.
func seedMembers(b testing.TB, env *testenv.Env, s *testenv.Street, n int) []string {
	now := env.Clock.Now()
	docs, users := make([]any, 0, n), make([]string, 0, n)
	for i := range n {
		u := clock.NewID()
		users = append(users, u)
		docs = append(docs, party.Registration{ID: clock.NewID(), UserID: u, CommunityID: s.A.CommunityID, GridID: s.A1.GridID,
			RealName: fmt.Sprintf("党员%04d", i), PartyOrganization: "市交通局机关党委", Skills: []string{}, State: party.Approved,
			DecidedAt: &now, CreatedAt: now, UpdatedAt: now, Events: []party.Event{}})
	}
	if _, err := env.DB.Collection("party_registrations").InsertMany(context.Background(), docs); err != nil {
		b.Fatal(err)
	}
	return users
}
