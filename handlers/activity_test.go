package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/activity"
	"linli/internal/testenv"
)

// anActivity is a valid activity three days after testenv.Start, sign-up
// open now, changed by the given fields (nil deletes one).
func anActivity(fields map[string]any) map[string]any {
	a := map[string]any{
		"title": "重阳节包饺子", "description": "社区党群服务中心一起包饺子，给独居老人送去。", "location": "党群服务中心一楼活动室",
		"startAt": "2026-03-05T09:00:00+08:00", "endAt": "2026-03-05T11:00:00+08:00",
		"signupOpensAt": "2026-03-02T08:00:00+08:00", "signupClosesAt": "2026-03-05T00:00:00Z",
		"capacity": 2, "audience": "all",
	}
	for k, v := range fields {
		if v == nil {
			delete(a, k)
		} else {
			a[k] = v
		}
	}
	return a
}

type activityJSON struct {
	ID, Phase, Signup, CommunityName, StartAt string
	Capacity, Confirmed, Remaining, Waitlist  int
	Actions                                   []string
	MySignup                                  *struct {
		Status      string
		Position    int
		CheckedInAt *string
	}
}

func createActivity(t *testing.T, env *testenv.Env, token string, fields map[string]any) activityJSON {
	t.Helper()
	var a activityJSON
	env.Post("/api/v1/staff/activities", token, anActivity(fields)).Want(t, http.StatusCreated).Decode(t, &a)
	return a
}

func countActivities(t *testing.T, env *testenv.Env) int64 {
	t.Helper()
	n, err := env.DB.Collection("activities").CountDocuments(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestActivityBadInputGetsItsOwnCodeAndStoresNothing(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"end before start", anActivity(map[string]any{"endAt": "2026-03-05T08:00:00+08:00"}), 422, "ACTIVITY_END_BEFORE_START"},
		{"sign-up closing after the start", anActivity(map[string]any{"signupClosesAt": "2026-03-05T10:00:00+08:00"}), 422, "ACTIVITY_SIGNUP_WINDOW"},
		{"sign-up closing before it opens", anActivity(map[string]any{"signupClosesAt": "2026-03-01T10:00:00+08:00"}), 422, "ACTIVITY_SIGNUP_WINDOW"},
		{"capacity 0", anActivity(map[string]any{"capacity": 0}), 422, "ACTIVITY_CAPACITY_INVALID"},
		{"capacity negative", anActivity(map[string]any{"capacity": -3}), 422, "ACTIVITY_CAPACITY_INVALID"},
		{"capacity missing", anActivity(map[string]any{"capacity": nil}), 422, "ACTIVITY_CAPACITY_INVALID"},
		{"capacity over the limit", anActivity(map[string]any{"capacity": activity.MaxCapacity + 1}), 422, "ACTIVITY_CAPACITY_INVALID"},
		{"capacity not a number", anActivity(map[string]any{"capacity": "十"}), 422, "VALIDATION_FAILED"},
		{"unknown audience", anActivity(map[string]any{"audience": "everyone"}), 422, "ACTIVITY_AUDIENCE_INVALID"},
		{"two days long", anActivity(map[string]any{"endAt": "2026-03-07T09:00:00+08:00"}), 422, "ACTIVITY_TIME_OUT_OF_RANGE"},
		{"not a time", anActivity(map[string]any{"startAt": "3月5日上午9点"}), 422, "VALIDATION_FAILED"},
		{"no title", anActivity(map[string]any{"title": "  "}), 422, "VALIDATION_FAILED"},
		{"title too long", anActivity(map[string]any{"title": strings.Repeat("长", 41)}), 422, "VALIDATION_FAILED"},
		{"http image", anActivity(map[string]any{"images": []string{"http://img.example.cn/a.jpg"}}), 422, "VALIDATION_FAILED"},
		{"unknown field", anActivity(map[string]any{"price": 10}), 400, "UNKNOWN_FIELD"},
		{"not JSON", `{"title": `, 400, "MALFORMED_JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.Do(testenv.Req{Method: http.MethodPost, Path: "/api/v1/staff/activities", Token: s.StaffA.Token, Body: tc.body}).
				Want(t, tc.status, tc.code)
		})
	}
	// A number the service holds in a range says the range, whichever end
	// is broken: the API does not answer one end with words of its own.
	for _, minutes := range []int{-1, activity.MaxServiceMinutes + 1} {
		r := env.Post("/api/v1/staff/activities", s.StaffA.Token, anActivity(map[string]any{"serviceMinutes": minutes})).
			Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
		want := "服务时长须为0到" + strconv.Itoa(activity.MaxServiceMinutes) + "分钟"
		if e := errorOf(t, r); len(e.Error.Fields) != 1 || e.Error.Fields[0].Code != "range" || e.Error.Fields[0].Message != want {
			t.Errorf("serviceMinutes %d: %s", minutes, r.Body)
		}
	}
	env.Post("/api/v1/staff/activities", s.ResidentA.Token, anActivity(nil)).Want(t, http.StatusForbidden, "FORBIDDEN")
	env.Post("/api/v1/staff/activities", s.StaffA.Token, anActivity(map[string]any{"communityId": s.B.CommunityID})).
		Want(t, http.StatusNotFound, "COMMUNITY_NOT_FOUND")
	if n := countActivities(t, env); n != 0 {
		t.Fatalf("bad input stored %d activities", n)
	}

	a := createActivity(t, env, s.StaffA.Token, nil)
	for _, bad := range []struct{ path, code string }{
		{"/api/v1/activities/" + a.ID + "/checkin", "VALIDATION_FAILED"},
	} {
		env.Post(bad.path, s.ResidentA.Token, map[string]any{"code": ""}).Want(t, 422, bad.code)
	}
	env.Get("/api/v1/activities?communityId="+s.A.CommunityID+"&when=soon", "").Want(t, 422, "VALIDATION_FAILED")
	env.Get("/api/v1/activities?communityId=nope", "").Want(t, 404, "INVALID_ID") // a malformed ID names nothing, as everywhere
	env.Get("/api/v1/staff/activities/"+a.ID+"/attendance?format=xlsx", s.StaffA.Token).Want(t, 422, "VALIDATION_FAILED")
	// Another community's staff: not found, whatever they try.
	env.Get("/api/v1/staff/activities/"+a.ID+"/signups", s.StaffB.Token).Want(t, 404, "ACTIVITY_NOT_FOUND")
	env.Put("/api/v1/staff/activities/"+a.ID, s.StaffB.Token, anActivity(nil)).Want(t, 404, "ACTIVITY_NOT_FOUND")
	env.Post("/api/v1/staff/activities/"+a.ID+"/cancel", s.StaffB.Token, map[string]string{"reason": "x"}).Want(t, 404, "ACTIVITY_NOT_FOUND")
	env.Get("/api/v1/staff/activities/"+a.ID+"/checkin-code", s.StaffB.Token).Want(t, 404, "ACTIVITY_NOT_FOUND")
	env.Post("/api/v1/staff/activities/"+a.ID+"/attendance/"+s.ResidentA.UserID, s.StaffB.Token, nil).Want(t, 404, "ACTIVITY_NOT_FOUND")
	env.Get("/api/v1/staff/activities/"+a.ID+"/attendance", s.StaffB.Token).Want(t, 404, "ACTIVITY_NOT_FOUND")
	// A resident of the same community cannot reach the staff's side:
	// forbidden (as every area's staff routes), the activity unchanged.
	env.Get("/api/v1/staff/activities?communityId="+s.A.CommunityID, s.ResidentA.Token).Want(t, 403, "FORBIDDEN")
	for _, r := range []testenv.Req{
		{Method: http.MethodGet, Path: "/api/v1/staff/activities/" + a.ID + "/signups"},
		{Method: http.MethodPut, Path: "/api/v1/staff/activities/" + a.ID, Body: anActivity(nil)},
		{Method: http.MethodPost, Path: "/api/v1/staff/activities/" + a.ID + "/cancel", Body: map[string]string{"reason": "x"}},
		{Method: http.MethodGet, Path: "/api/v1/staff/activities/" + a.ID + "/checkin-code"},
		{Method: http.MethodGet, Path: "/api/v1/staff/activities/" + a.ID + "/attendance"},
		{Method: http.MethodPost, Path: "/api/v1/staff/activities/" + a.ID + "/attendance/" + s.ResidentA.UserID},
	} {
		r.Token = s.ResidentA.Token
		env.Do(r).Want(t, 403, "FORBIDDEN")
	}
	if v := env.Get("/api/v1/activities/"+a.ID, s.ResidentA.Token).Want(t, 200).Map(t); v["phase"] != "upcoming" || v["capacity"] != 2.0 {
		t.Fatalf("refused staff requests changed the activity: %v %v", v["phase"], v["capacity"])
	}
	env.Get("/api/v1/activities/0123456789abcdef01234567", s.ResidentA.Token).Want(t, 404, "ACTIVITY_NOT_FOUND")
	// Sign-up after the close.
	env.Clock.Advance(72*time.Hour - 30*time.Minute)
	env.Post("/api/v1/activities/"+a.ID+"/signup", s.ResidentA.Token, nil).Want(t, 409, "SIGNUP_CLOSED")
}

// The whole day through the API: the feed (cached, 304), sign-ups and the
// waitlist, my activities, the staff's list, the code at the door, check-in,
// a walk-in marked by hand, the attendance as JSON and as a spreadsheet.
func TestActivityThroughTheAPI(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	a := createActivity(t, env, s.StaffA.Token, map[string]any{"capacity": 1})
	feed := "/api/v1/activities?communityId=" + s.A.CommunityID
	var f struct{ Items []activityJSON }
	r := env.Get(feed, "").Want(t, http.StatusOK)
	r.Decode(t, &f)
	if len(f.Items) != 1 || f.Items[0].Remaining != 1 || f.Items[0].Signup != "open" {
		t.Fatalf("feed: %+v", f.Items)
	}
	env.Do(testenv.Req{Method: http.MethodGet, Path: feed, Header: map[string]string{"If-None-Match": r.Header.Get("ETag")}}).
		Want(t, http.StatusNotModified)

	tricky := env.AddResident("tricky", "=HYPERLINK(\"http://x\")", s.A1)
	var m struct {
		Status   string
		Position int
	}
	env.Post("/api/v1/activities/"+a.ID+"/signup", tricky.Token, nil).Want(t, 200).Decode(t, &m)
	if m.Status != "confirmed" {
		t.Fatalf("first sign-up: %+v", m)
	}
	env.Post("/api/v1/activities/"+a.ID+"/signup", s.ResidentA.Token, nil).Want(t, 200).Decode(t, &m)
	if m.Status != "waitlisted" || m.Position != 1 {
		t.Fatalf("second sign-up: %+v", m)
	}
	env.Get(feed, "").Want(t, http.StatusOK).Decode(t, &f)
	if f.Items[0].Remaining != 0 || f.Items[0].Waitlist != 1 {
		t.Fatalf("feed after two sign-ups: %+v", f.Items[0])
	}
	var mine struct{ Items []activityJSON }
	env.Get("/api/v1/activities/mine", s.ResidentA.Token).Want(t, 200).Decode(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].MySignup == nil || mine.Items[0].MySignup.Position != 1 {
		t.Fatalf("mine: %+v", mine.Items)
	}
	var staffList struct{ Items []activityJSON }
	env.Get("/api/v1/staff/activities", s.StaffA.Token).Want(t, 200).Decode(t, &staffList)
	if len(staffList.Items) != 1 || staffList.Items[0].Confirmed != 1 {
		t.Fatalf("staff list: %+v", staffList.Items)
	}
	var signups struct {
		Confirmed, Waitlist []struct {
			Person   struct{ UserID, Name string }
			Position int
		}
	}
	env.Get("/api/v1/staff/activities/"+a.ID+"/signups", s.StaffA.Token).Want(t, 200).Decode(t, &signups)
	if len(signups.Confirmed) != 1 || signups.Confirmed[0].Person.UserID != tricky.UserID ||
		len(signups.Waitlist) != 1 || signups.Waitlist[0].Person.Name != "赵大爷" || signups.Waitlist[0].Position != 1 {
		t.Fatalf("signups: %+v", signups)
	}

	env.Clock.Advance(72*time.Hour - 15*time.Minute)
	var code struct{ Code, ExpiresAt string }
	env.Get("/api/v1/staff/activities/"+a.ID+"/checkin-code", s.StaffA.Token).Want(t, 200).Decode(t, &code)
	tricky.Token = env.Login("tricky", "")
	s.ResidentA.Token = env.Login("resident-a", "")
	env.Post("/api/v1/activities/"+a.ID+"/checkin", s.ResidentA.Token, map[string]string{"code": code.Code}).
		Want(t, 403, "SIGNUP_NOT_CONFIRMED")
	env.Post("/api/v1/activities/"+a.ID+"/checkin", tricky.Token, map[string]string{"code": code.Code + "X"}).
		Want(t, 422, "CHECKIN_CODE_INVALID")
	for range 2 {
		env.Post("/api/v1/activities/"+a.ID+"/checkin", tricky.Token, map[string]string{"code": code.Code}).Want(t, 200)
	}
	staffTok := env.Login("staff-a", "")
	walkIn := env.AddResident("walk-in", "+钱奶奶", s.A2)
	env.Post("/api/v1/staff/activities/"+a.ID+"/attendance/"+walkIn.UserID, staffTok, nil).Want(t, 200)
	env.Post("/api/v1/staff/activities/"+a.ID+"/attendance/0123456789abcdef01234567", staffTok, nil).Want(t, 404, "PERSON_NOT_FOUND")
	var att struct{ Present, Absent, WalkIns []struct{ By string } }
	env.Get("/api/v1/staff/activities/"+a.ID+"/attendance", staffTok).Want(t, 200).Decode(t, &att)
	if len(att.Present) != 1 || att.Present[0].By != "checkin" || len(att.Absent) != 0 || len(att.WalkIns) != 1 || att.WalkIns[0].By != "staff" {
		t.Fatalf("attendance: %+v", att)
	}
	res := env.Get("/api/v1/staff/activities/"+a.ID+"/attendance?format=csv", staffTok).Want(t, 200)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	if !bytes.HasPrefix(res.Body, []byte("\xEF\xBB\xBF")) {
		t.Fatal("the CSV has no BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(res.Body[3:])).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("csv: %v %q", err, rows)
	}
	if rows[0][0] != "出席情况" || rows[0][1] != "姓名" {
		t.Fatalf("headers %q", rows[0])
	}
	if rows[1][0] != "出席" || rows[1][1] != `'=HYPERLINK("http://x")` || rows[2][0] != "未报名到场" || rows[2][1] != "'+钱奶奶" {
		t.Fatalf("rows are not neutralised against formulas: %q", rows[1:])
	}
}

// With Redis down the feed is read from MongoDB, and sign-ups go on.
func TestActivityFeedWithRedisDown(t *testing.T) {
	env := testenv.New(t, testenv.WithDeadRedis())
	s := env.Street()
	a := createActivity(t, env, s.StaffA.Token, nil)
	env.Post("/api/v1/activities/"+a.ID+"/signup", s.ResidentA.Token, nil).Want(t, 200)
	var f struct{ Items []activityJSON }
	env.Get("/api/v1/activities?communityId="+s.A.CommunityID, "").Want(t, 200).Decode(t, &f)
	if len(f.Items) != 1 || f.Items[0].Remaining != 1 {
		t.Fatalf("feed without Redis: %+v", f.Items)
	}
}
