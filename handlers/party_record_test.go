package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"linli/internal/actor"
	"linli/internal/ledger"
	"linli/internal/party"
	"linli/internal/platform/clock"
	"linli/internal/testenv"
	"linli/internal/wish"
)

type partyMeJSON struct {
	Hours struct {
		Year, Minutes, CheckinMinutes, WishMinutes, ActivityMinutes int
		Hours                                                       float64
	}
	TargetHours, Progress int
	Entries               []struct {
		Source  string
		Minutes int
	}
}

// TestHoursAddUpExactlyOverAYear walks a year with the manual clock: a
// check-in every week of known length, one left open that the end-of-day
// rule closes at the cap, one far away that staff review, a wish fulfilled
// and an activity credited through the ledger; /party/me says the sum.
func TestHoursAddUpExactlyOverAYear(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	member(t, env, s.ResidentA, s.A1, s.StaffA.Token, "刘建国")
	pt := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "楼道长")
	// Tokens last 72 hours: log in again as the clock moves on.
	relogin := func() {
		s.ResidentA.Token, s.StaffA.Token = env.Login("resident-a", "赵大爷"), env.Login("staff-a", "王红")
		s.ResidentA2.Token = env.Login("resident-a2", "孙阿姨")
	}
	want := 0
	for week := range 40 {
		env.Clock.Set(time.Date(2026, 3, 3, 8, 0, 0, 0, clock.China).AddDate(0, 0, 7*week))
		relogin()
		c := checkIn(t, env, s.ResidentA.Token, codeOf(t, env, s.StaffA.Token, pt), http.StatusCreated)
		d := time.Duration(30+week) * time.Minute
		env.Clock.Advance(d)
		env.Post("/api/v1/party/checkins/"+c.ID+"/checkout", s.ResidentA.Token, nil).Want(t, http.StatusOK)
		want += 30 + week
	}
	// Left open at 21:00 on a day: closed at midnight with 3 h (under the cap);
	// left open at 09:00: closed with the 4 h cap. Both flagged.
	for _, at := range []time.Time{time.Date(2026, 12, 21, 21, 0, 0, 0, clock.China), time.Date(2026, 12, 22, 9, 0, 0, 0, clock.China)} {
		env.Clock.Set(at)
		relogin()
		checkIn(t, env, s.ResidentA.Token, codeOf(t, env, s.StaffA.Token, pt), http.StatusCreated)
		env.Clock.Set(time.Date(at.Year(), at.Month(), at.Day()+1, 0, 1, 0, 0, clock.China))
		if err := env.App.Party.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want += 180 + 240
	var flagged struct{ Items []checkinJSON }
	env.Get("/api/v1/staff/party/checkins?flagged=true", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &flagged)
	if len(flagged.Items) != 2 || flagged.Items[0].Minutes != 240 || flagged.Items[1].Minutes != 180 ||
		flagged.Items[0].Flags[0] != "auto_closed" {
		t.Fatalf("the end of the day closed both, capped and flagged: %+v", flagged.Items)
	}
	// A far check-in (2 km away) is flagged; staff review it down to 20 minutes.
	env.Clock.Set(time.Date(2026, 12, 28, 10, 0, 0, 0, clock.China))
	relogin()
	var far checkinJSON
	env.Post("/api/v1/party/checkins", s.ResidentA.Token, map[string]any{"code": codeOf(t, env, s.StaffA.Token, pt), "latitude": 39.918, "longitude": 116.4}).
		Want(t, http.StatusCreated).Decode(t, &far)
	if !far.Flagged || far.Flags[0] != "far" || *far.DistanceMeters < 1900 {
		t.Fatalf("far: %+v", far)
	}
	env.Clock.Advance(90 * time.Minute)
	env.Post("/api/v1/party/checkins/"+far.ID+"/checkout", s.ResidentA.Token, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/staff/party/checkins/"+far.ID+"/review", s.StaffA.Token, map[string]any{"minutes": 20, "note": "电话核实，实际服务20分钟"}).
		Want(t, http.StatusOK).Decode(t, &far)
	if far.Minutes != 20 || len(far.Reviews) != 1 || far.Reviews[0].Previous != 90 || far.Reviews[0].By.Name != "王红" {
		t.Fatalf("the adjustment and who made it stay: %+v", far)
	}
	want += 20
	// A wish and an activity count too.
	w := fulfilledWish(t, env, s, s.ResidentA.Token)
	if err := env.App.Ledger.Credit(context.Background(), ledger.Entry{UserID: s.ResidentA.UserID, CommunityID: s.A.CommunityID,
		Source: ledger.Activity, SourceID: clock.NewID(), Title: "重阳节敬老活动", Minutes: 120, At: env.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	want += wish.CreditMinutes + 120
	var me partyMeJSON
	env.Get("/api/v1/party/me", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &me)
	if me.Hours.Minutes != want || me.Hours.WishMinutes != wish.CreditMinutes || me.Hours.ActivityMinutes != 120 ||
		me.Hours.CheckinMinutes != want-wish.CreditMinutes-120 || me.Hours.Year != 2026 {
		t.Fatalf("hours %+v, want %d minutes (wish %s)", me.Hours, want, w)
	}
	if me.TargetHours != party.DefaultTargetHours || me.Progress != 100 {
		t.Fatalf("target and progress: %d %d", me.TargetHours, me.Progress)
	}
	// The next year starts at zero.
	env.Clock.Set(time.Date(2027, 1, 1, 9, 0, 0, 0, clock.China))
	relogin()
	env.Get("/api/v1/party/me", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &me)
	if me.Hours.Minutes != 0 || me.Hours.Year != 2027 {
		t.Fatalf("a new year: %+v", me.Hours)
	}
}

// fulfilledWish has member claim, fulfil and the poster confirm a wish;
// confirming again changes nothing.
func fulfilledWish(t *testing.T, env *testenv.Env, s *testenv.Street, member string) string {
	t.Helper()
	var w struct{ ID string }
	env.Post("/api/v1/wishes", s.ResidentA2.Token, aWish(nil)).Want(t, http.StatusCreated).Decode(t, &w)
	env.Post("/api/v1/staff/wishes/"+w.ID+"/approve", s.StaffA.Token, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+w.ID+"/claim", member, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+w.ID+"/fulfil", member, map[string]any{"note": "已送到"}).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+w.ID+"/confirm", s.ResidentA2.Token, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+w.ID+"/confirm", s.StaffA.Token, nil).Want(t, http.StatusConflict)
	return w.ID
}

func TestAWishConfirmedTwiceCreditsOnceAndOldCreditsMigrate(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	vol := env.Login("vol-1", "小刘")
	env.Post("/api/v1/me/volunteer", vol, nil).Want(t, http.StatusOK)
	id := fulfilledWish(t, env, s, vol)
	ctx := context.Background()
	// The wish sweeper delivers owed effects again: still one entry.
	if err := env.App.Wishes.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	var me struct{ ID string }
	env.Get("/api/v1/me", vol).Decode(t, &me)
	if n, _ := env.App.Ledger.Count(ctx, me.ID, ledger.Wish); n != 1 {
		t.Fatalf("%d wish entries, want 1", n)
	}
	// Credits kept before the ledger (service_credits) are copied once, however often start-up runs.
	_, err := env.DB.Collection(wish.LegacyCredits).InsertMany(ctx, []any{
		wish.Credit{ID: "wish:" + id, UserID: me.ID, Kind: "wish", WishID: id, CommunityID: s.A.CommunityID, Title: "想要一副老花镜", At: env.Clock.Now()},
		wish.Credit{ID: "wish:5f0000000000000000000001", UserID: me.ID, Kind: "wish", WishID: "5f0000000000000000000001", // a wish of before: IDs are ObjectIDs
			CommunityID: s.A.CommunityID, Title: "修台灯", At: env.Clock.Now().Add(-time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := wish.MigrateCredits(ctx, env.DB, env.App.Ledger); err != nil {
			t.Fatal(err)
		}
	}
	var rec struct {
		Wishes struct {
			Confirmed int
			Recent    []struct{ WishID string }
		}
		ThisYear struct{ Minutes, WishMinutes int }
	}
	env.Get("/api/v1/me/service-record", vol).Want(t, http.StatusOK).Decode(t, &rec)
	if rec.Wishes.Confirmed != 2 || len(rec.Wishes.Recent) != 2 || rec.ThisYear.Minutes != 2*wish.CreditMinutes {
		t.Fatalf("service record: %+v", rec)
	}
}

// TestLeaderboardIsTheSameAfterRedisIsFlushed compares the board served
// from Redis with the one rebuilt from MongoDB after FLUSHALL, and checks
// that residents see names masked and staff see them whole.
func TestLeaderboardIsTheSameAfterRedisIsFlushed(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	pt := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "文明劝导")
	names := []string{"刘建国", "陈红梅", "张伟", "李娜"}
	for i, n := range names {
		p := env.AddResident(fmt.Sprintf("m-%d", i), "居民"+n, s.A1)
		member(t, env, p, s.A1, s.StaffA.Token, n)
		for range i + 1 {
			c := checkIn(t, env, p.Token, codeOf(t, env, s.StaffA.Token, pt), http.StatusCreated)
			env.Clock.Advance(time.Duration(20+i) * time.Minute)
			env.Post("/api/v1/party/checkins/"+c.ID+"/checkout", p.Token, nil).Want(t, http.StatusOK)
			env.Clock.Advance(party.CodeRotation)
		}
	}
	path := "/api/v1/communities/" + s.A.CommunityID + "/party/leaderboard"
	type boardJSON struct {
		Items []struct {
			Rank, Minutes int
			Member        struct{ UserID, Name string }
		}
	}
	var before, after, public boardJSON
	env.Get(path, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &before)
	if len(before.Items) != 4 || before.Items[0].Member.Name != "李娜" || before.Items[0].Minutes != 4*23 || before.Items[0].Member.UserID == "" {
		t.Fatalf("staff see full names, most hours first: %+v", before)
	}
	if err := env.Redis.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	env.Get(path, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &after)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatalf("after FLUSHALL:\n%+v\nwant\n%+v", after, before)
	}
	env.Get(path, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &after) // from Redis again
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatalf("rebuilt board:\n%+v\nwant\n%+v", after, before)
	}
	env.Get(path, s.ResidentB.Token).Want(t, http.StatusOK).Decode(t, &public)
	if public.Items[0].Member.Name != "李*" || public.Items[0].Member.UserID != "" || strings.Contains(string(env.Get(path, s.ResidentB.Token).Body), "陈红梅") {
		t.Fatalf("residents see masked names: %+v", public)
	}
	// A new credit is seen on the next read (the board is rebuilt).
	if err := env.App.Ledger.Credit(context.Background(), ledger.Entry{UserID: before.Items[3].Member.UserID, CommunityID: s.A.CommunityID,
		Source: ledger.Activity, SourceID: "act1", Title: "敬老", Minutes: 500, At: env.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	env.Get(path, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &after)
	if after.Items[0].Member.UserID != before.Items[3].Member.UserID || after.Items[0].Minutes != 500+before.Items[3].Minutes {
		t.Fatalf("a credit moves the board: %+v", after)
	}
}

// TestRosterCSVOf2000MembersStreamsAndParses seeds 2,000 members through
// the service and reads the year's roster as CSV.
func TestRosterCSVOf2000MembersStreamsAndParses(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 members")
	}
	env := testenv.New(t)
	s := env.Street()
	ctx := context.Background()
	staff := actorOf(t, env, s.StaffA.UserID)
	const n = 2000
	// Two through the service (a phone sealed, a name a spreadsheet would
	// run), the rest stored at once as approved registrations: seeding
	// 2,000 through approvals would test lungo's scans, not the roster.
	for i, name := range []string{"刘建国", "=HYPERLINK(\"x\")"} {
		a := actor.Actor{UserID: clock.NewID(), Roles: []actor.Role{actor.Resident}}
		r, err := env.App.Party.Register(ctx, a, party.Draft{RealName: name, PartyOrganization: "@SUM(A1)", CommunityID: s.A.CommunityID, Phone: fmt.Sprintf("1390000000%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.App.Party.Approve(ctx, staff, r.ID, s.A1.GridID); err != nil {
			t.Fatal(err)
		}
	}
	docs := make([]any, 0, n-2)
	now := env.Clock.Now()
	for i := range n - 2 {
		docs = append(docs, party.Registration{ID: clock.NewID(), UserID: clock.NewID(), CommunityID: s.A.CommunityID, GridID: s.A2.GridID,
			RealName: fmt.Sprintf("党员%04d", i), PartyOrganization: "市交通局机关党委", Skills: []string{}, State: party.Approved,
			DecidedAt: &now, CreatedAt: now, UpdatedAt: now, Events: []party.Event{}})
	}
	if _, err := env.DB.Collection("party_registrations").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	res := env.Do(testenv.Req{Method: http.MethodGet, Path: "/api/v1/staff/party/members?year=2026", Token: s.StaffA.Token, Header: map[string]string{"Accept": "text/csv"}})
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("status %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	if !bytes.HasPrefix(res.Body, []byte("\xEF\xBB\xBF")) {
		t.Fatal("UTF-8 BOM missing")
	}
	rows, err := csv.NewReader(bytes.NewReader(res.Body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 || rows[0][0] != "姓名" || rows[0][8] != "服务时长（小时）" {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if seen[r[0]] {
			t.Fatalf("member twice: %s", r[0])
		}
		seen[r[0]] = true
		if r[1] != "" && (strings.Count(r[1], "*") != 4 || len(r[1]) != 11) {
			t.Fatalf("phone not masked: %q", r[1])
		}
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Fatalf("a cell a spreadsheet would run: %q", cell)
			}
		}
	}
	if !seen[`'=HYPERLINK("x")`] || !seen["刘建国"] || !bytes.Contains(res.Body, []byte("139****0000")) {
		t.Fatal("the formula name is kept, neutralised")
	}
	// format=csv says the same; the JSON list is paged.
	if r := env.Get("/api/v1/staff/party/members?format=csv", s.StaffA.Token); !bytes.Equal(r.Body, res.Body) {
		t.Fatal("format=csv differs")
	}
	var page struct {
		Items      []struct{ ID string }
		NextCursor string
	}
	env.Get("/api/v1/staff/party/members?limit=50", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &page)
	if len(page.Items) != 50 || page.NextCursor == "" {
		t.Fatalf("JSON page: %d %q", len(page.Items), page.NextCursor)
	}
	_ = io.Discard
}

func TestEvaluationKeepsItsHistoryAndStatsAddUp(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	env.Put("/api/v1/staff/communities/"+s.A.CommunityID+"/party-settings", s.StaffA.Token, map[string]any{"yearlyTargetHours": 1}).Want(t, http.StatusOK)
	id1 := member(t, env, s.ResidentA, s.A1, s.StaffA.Token, "刘建国")
	member(t, env, s.ResidentA2, s.A2, s.StaffA.Token, "孙丽")
	env.Post("/api/v1/party/registration", s.ResidentB.Token, partyReg(s.A.CommunityID, nil)).Want(t, http.StatusCreated)
	pt := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "助老陪伴")
	c := checkIn(t, env, s.ResidentA.Token, codeOf(t, env, s.StaffA.Token, pt), http.StatusCreated)
	env.Clock.Advance(70 * time.Minute)
	env.Post("/api/v1/party/checkins/"+c.ID+"/checkout", s.ResidentA.Token, nil).Want(t, http.StatusOK)

	var st struct {
		Registered, Approved, Pending, BelowTarget, TargetHours, Minutes int
		ByGrid                                                           []struct {
			Grid                          *struct{ Name string }
			Members, BelowTarget, Minutes int
		}
	}
	env.Get("/api/v1/staff/party/stats", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &st)
	if st.Registered != 3 || st.Approved != 2 || st.Pending != 1 || st.BelowTarget != 1 || st.TargetHours != 1 || st.Minutes != 70 || len(st.ByGrid) != 2 {
		t.Fatalf("stats: %+v", st)
	}
	for _, g := range st.ByGrid {
		if g.Grid.Name == "甲一网格" && (g.Members != 1 || g.Minutes != 70 || g.BelowTarget != 0) ||
			g.Grid.Name == "甲二网格" && (g.Members != 1 || g.Minutes != 0 || g.BelowTarget != 1) {
			t.Fatalf("by grid: %+v", st.ByGrid)
		}
	}

	var ev struct {
		Grade   string
		History []struct {
			Grade string
			By    struct{ Name string }
		}
	}
	env.Put("/api/v1/staff/party/members/"+id1+"/evaluations/2026", s.StaffA.Token, map[string]string{"grade": "qualified", "comment": "按时参加服务"}).Want(t, http.StatusOK)
	env.Put("/api/v1/staff/party/members/"+id1+"/evaluations/2026", s.StaffA2.Token, map[string]string{"grade": "excellent", "comment": "复议后改为优秀"}).
		Want(t, http.StatusOK).Decode(t, &ev)
	if ev.Grade != "excellent" || len(ev.History) != 2 || ev.History[0].Grade != "qualified" || ev.History[1].By.Name != "李强" {
		t.Fatalf("one evaluation a year, its history kept: %+v", ev)
	}
	var rows struct {
		Items []struct {
			ID         string
			Minutes    int
			Checkins   int
			Evaluation *struct{ Grade string }
		}
	}
	env.Get("/api/v1/staff/party/members?year=2026", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &rows)
	for _, r := range rows.Items {
		if r.ID == id1 && (r.Minutes != 70 || r.Checkins != 1 || r.Evaluation == nil || r.Evaluation.Grade != "excellent") {
			t.Fatalf("roster row: %+v", r)
		}
	}
	if got := noticeKinds(inboxOf(t, env, s.ResidentA.Token)); got["party.evaluated"] != 2 {
		t.Fatalf("the member is told of each evaluation: %v", got)
	}
}

func TestLeaderboardAnswersFromMongoDBWhenRedisIsDown(t *testing.T) {
	env := testenv.New(t, testenv.WithDeadRedis())
	s := env.Street()
	member(t, env, s.ResidentA, s.A1, s.StaffA.Token, "刘建国")
	pt := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "楼道长")
	c := checkIn(t, env, s.ResidentA.Token, codeOf(t, env, s.StaffA.Token, pt), http.StatusCreated)
	env.Clock.Advance(42 * time.Minute)
	env.Post("/api/v1/party/checkins/"+c.ID+"/checkout", s.ResidentA.Token, nil).Want(t, http.StatusOK)
	var lb struct {
		Items []struct {
			Minutes int
			Member  struct{ Name string }
		}
	}
	env.Get("/api/v1/communities/"+s.A.CommunityID+"/party/leaderboard", s.ResidentB.Token).Want(t, http.StatusOK).Decode(t, &lb)
	if len(lb.Items) != 1 || lb.Items[0].Minutes != 42 || lb.Items[0].Member.Name != "刘**" {
		t.Fatalf("Redis down, the board is read from MongoDB: %+v", lb)
	}
}

// TestManyMembersCheckInAtOnePointConcurrently is the benchmark's
// exactness check at test size: 100 members check in and out at once,
// twice; each has exactly two ledger entries.
func TestManyMembersCheckInAtOnePointConcurrently(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	ctx := context.Background()
	users := seedMembers(t, env, s, 100)
	staff := actorOf(t, env, s.StaffA.UserID)
	pt, err := env.App.Party.CreatePoint(ctx, staff, party.NewPoint{CommunityID: s.A.CommunityID, Name: "文明劝导", Location: "南门"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		env.Clock.Advance(party.CodeRotation)
		code, _ := env.App.Party.CheckinCode(ctx, staff, pt.ID)
		var wg sync.WaitGroup
		for _, u := range users {
			wg.Go(func() {
				a := actor.Actor{UserID: u}
				c, err := env.App.Party.CheckIn(ctx, a, party.CheckinRequest{Code: code.Code})
				if err == nil {
					_, err = env.App.Party.Checkout(ctx, a, c.ID)
				}
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	totals, err := env.App.Ledger.Community(ctx, s.A.CommunityID, env.Clock.Now().Year(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if totals[u].Count[ledger.Checkin] != 2 {
			t.Fatalf("member %s: %d entries, want 2", u, totals[u].Count[ledger.Checkin])
		}
	}
	if len(totals) != 100 {
		t.Fatalf("%d people in the ledger, want 100", len(totals))
	}
}

// TestLeaderboardKeepsWhoMovedAway: hours belong to the year and the
// community they were served in, so a member who moved home stays on the
// board of the community they served (and FLUSHALL changes nothing);
// someone who withdrew without serving is not on it.
func TestLeaderboardKeepsWhoMovedAway(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	pt := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "助老陪伴")
	mover := env.AddResident("mover", "居民刘建国", s.A1)
	member(t, env, mover, s.A1, s.StaffA.Token, "刘建国")
	c := checkIn(t, env, mover.Token, codeOf(t, env, s.StaffA.Token, pt), http.StatusCreated)
	env.Clock.Advance(45 * time.Minute)
	env.Post("/api/v1/party/checkins/"+c.ID+"/checkout", mover.Token, nil).Want(t, http.StatusOK)
	quitter := env.AddResident("quitter", "居民陈红梅", s.A1)
	member(t, env, quitter, s.A1, s.StaffA.Token, "陈红梅")
	env.Post("/api/v1/party/registration/withdraw", quitter.Token, nil).Want(t, http.StatusOK)

	var r regJSON
	env.Post("/api/v1/party/registration", mover.Token, partyReg(s.B.CommunityID, nil)).Want(t, http.StatusCreated).Decode(t, &r)
	env.Post("/api/v1/staff/party/registrations/"+r.ID+"/approve", s.StaffB.Token, map[string]string{"gridId": s.B1.GridID}).Want(t, http.StatusOK)

	type boardJSON struct {
		Items []struct {
			Minutes int
			Member  struct{ UserID, Name string }
		}
	}
	year := fmt.Sprint(env.Clock.Now().Year())
	pathA := "/api/v1/communities/" + s.A.CommunityID + "/party/leaderboard?year=" + year
	for range 2 {
		var a boardJSON
		env.Get(pathA, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &a)
		if len(a.Items) != 1 || a.Items[0].Member.UserID != mover.UserID || a.Items[0].Minutes != 45 {
			t.Fatalf("A's board keeps the member who moved away, not the one who never served: %+v", a)
		}
		if err := env.Redis.FlushAll(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var other boardJSON
	env.Get(pathA, s.StaffB.Token).Want(t, http.StatusOK).Decode(t, &other)
	if len(other.Items) != 1 || other.Items[0].Member.Name != "刘**" || other.Items[0].Member.UserID != "" {
		t.Fatalf("another community's staff see A's board as residents do: %+v", other)
	}
	var b boardJSON
	env.Get("/api/v1/communities/"+s.B.CommunityID+"/party/leaderboard?year="+year, s.StaffB.Token).Want(t, http.StatusOK).Decode(t, &b)
	if len(b.Items) != 1 || b.Items[0].Member.UserID != mover.UserID || b.Items[0].Minutes != 0 {
		t.Fatalf("B's board: its member, with the hours served in B: %+v", b)
	}
}
