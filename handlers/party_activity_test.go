package handlers_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"linli/internal/testenv"
)

// TestLeaderboardCountsAttendedActivities: the activity area credits the
// one ledger the Party area reads, so a Party member's attended activity
// shows on their community's leaderboard at once.
func TestLeaderboardCountsAttendedActivities(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	member(t, env, s.ResidentA, s.A1, s.StaffA.Token, "刘建国")
	board := func() (minutes int) { // through the service: the day's tokens expire over the three days
		b, err := env.App.Party.Leaderboard(context.Background(), actorOf(t, env, s.ResidentA.UserID), s.A.CommunityID, 2026, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range b.Items {
			if e.Member.UserID == s.ResidentA.UserID {
				minutes += e.Minutes
			}
		}
		return minutes
	}
	if m := board(); m != 0 {
		t.Fatalf("before any service the member has %d minutes on the board", m)
	}

	a := createActivity(t, env, s.StaffA.Token, nil) // 09:00–11:00 on 5 March
	env.Clock.Advance(72*time.Hour - 15*time.Minute)
	env.Post("/api/v1/staff/activities/"+a.ID+"/attendance/"+s.ResidentA.UserID, s.StaffA.Token, nil).Want(t, http.StatusOK)
	env.Clock.Advance(3 * time.Hour)
	if err := env.App.Activities.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := board(); m != 120 {
		t.Fatalf("after a two-hour activity attended the board shows %d minutes, want 120", m)
	}
}
