package console_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"linli/internal/testenv"
)

// The activity desk: staff of A see A's activity, its sign-ups (the
// waitlist in order) and attendance, and mark a sign-up present by hand;
// staff of B see none of it and are refused on A's IDs.
func TestActivityDesk(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var a struct{ ID string }
	env.Post("/api/v1/staff/activities", s.StaffA.Token, map[string]any{
		"title": "重阳节包饺子<script>", "description": "社区党群服务中心一起包饺子，给独居老人送去。", "location": "党群服务中心一楼活动室",
		"startAt": "2026-03-02T11:00:00+08:00", "endAt": "2026-03-02T12:00:00+08:00",
		"signupOpensAt": "2026-03-02T08:00:00+08:00", "signupClosesAt": "2026-03-02T10:30:00+08:00",
		"capacity": 1, "audience": "all",
	}).Want(t, http.StatusCreated).Decode(t, &a)
	for _, tok := range []string{s.ResidentA.Token, s.ResidentA2.Token} {
		env.Post("/api/v1/activities/"+a.ID+"/signup", tok, nil).Want(t, http.StatusOK)
	}

	other := newBrowser(t, env)
	other.signIn(s.StaffB.StaffID)
	p := other.get("/console/activities")
	want(t, p, http.StatusOK, "没有活动")
	if strings.Contains(p.body, a.ID) || strings.Contains(p.body, "包饺子") {
		t.Fatal("B's desk lists A's activity")
	}
	want(t, other.get("/console/activities/"+a.ID), http.StatusNotFound, "ACTIVITY_NOT_FOUND")
	if p := other.get("/console/activities/" + a.ID + "/attendance.csv"); p.status != http.StatusNotFound || strings.Contains(p.body, "赵大爷") {
		t.Fatalf("B's CSV of A's activity: %d", p.status)
	}

	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	want(t, b.get("/console/activities"), http.StatusOK, "重阳节包饺子&lt;script&gt;", "/console/activities/"+a.ID)
	p = b.get("/console/activities/" + a.ID)
	want(t, p, http.StatusOK, "重阳节包饺子&lt;script&gt;", "赵大爷", "第 1 位 · 孙阿姨", "/console/activities/"+a.ID+"/attendance.csv")
	if strings.Contains(p.body, "包饺子<script>") {
		t.Fatal("an unescaped title")
	}

	// At the activity: B is refused and changes nothing; A without the
	// token is refused; A marks the confirmed resident present.
	env.Clock.Set(time.Date(2026, 3, 2, 10, 45, 0, 0, testenv.Start.Location()))
	other.signIn(s.StaffB.StaffID) // fresh sessions at the door
	b.signIn(s.StaffA.StaffID)
	other.get("/console/activities")
	b.get("/console/activities")
	mark := "/console/activities/" + a.ID + "/attendance/" + s.ResidentA.UserID
	want(t, other.post(mark, nil, true), http.StatusNotFound, "ACTIVITY_NOT_FOUND")
	if p := b.post(mark, nil, false); p.status != http.StatusForbidden {
		t.Fatalf("mark present without the token: %d", p.status)
	}
	present := func() []any {
		var l struct{ Present []any }
		env.Get("/api/v1/staff/activities/"+a.ID+"/attendance", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &l)
		return l.Present
	}
	if n := len(present()); n != 0 {
		t.Fatalf("%d present before anyone was marked", n)
	}
	want(t, b.get("/console/activities/"+a.ID), http.StatusOK, `action="`+mark+`"`)
	want(t, b.post(mark, nil, true), http.StatusSeeOther)
	if got := present(); len(got) != 1 || !strings.Contains(toString(got[0]), s.ResidentA.UserID) {
		t.Fatalf("present after marking: %v", got)
	}
	want(t, b.get("/console/activities/"+a.ID+"?done=present"), http.StatusOK, "已登记到场", "工作人员登记")
	csv := b.get("/console/activities/" + a.ID + "/attendance.csv")
	want(t, csv, http.StatusOK, "出席", "赵大爷")
	if ct := csv.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("CSV content type %q", ct)
	}
}

func toString(v any) string {
	m, _ := v.(map[string]any)
	p, _ := m["person"].(map[string]any)
	s, _ := p["userId"].(string)
	return s
}
