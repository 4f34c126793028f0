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
	id := dumplings(t, env, s)

	other := newBrowser(t, env)
	other.signIn(s.StaffB.StaffID)
	p := other.get("/console/activities")
	want(t, p, http.StatusOK, "没有活动")
	if strings.Contains(p.body, id) || strings.Contains(p.body, "包饺子") {
		t.Fatal("B's desk lists A's activity")
	}
	want(t, other.get("/console/activities/"+id), http.StatusNotFound, "ACTIVITY_NOT_FOUND")
	if p := other.get("/console/activities/" + id + "/attendance.csv"); p.status != http.StatusNotFound || strings.Contains(p.body, "赵大爷") {
		t.Fatalf("B's CSV of A's activity: %d", p.status)
	}

	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	want(t, b.get("/console/activities"), http.StatusOK, "重阳节包饺子&lt;script&gt;", "/console/activities/"+id)
	p = b.get("/console/activities/" + id)
	want(t, p, http.StatusOK, "重阳节包饺子&lt;script&gt;", "赵大爷", "第 1 位 · 孙阿姨", "/console/activities/"+id+"/attendance.csv")
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
	mark := "/console/activities/" + id + "/attendance/" + s.ResidentA.UserID
	want(t, other.post(mark, nil, true), http.StatusNotFound, "ACTIVITY_NOT_FOUND")
	if p := b.post(mark, nil, false); p.status != http.StatusForbidden {
		t.Fatalf("mark present without the token: %d", p.status)
	}
	present := func() []any {
		var l struct{ Present []any }
		env.Get("/api/v1/staff/activities/"+id+"/attendance", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &l)
		return l.Present
	}
	if n := len(present()); n != 0 {
		t.Fatalf("%d present before anyone was marked", n)
	}
	want(t, b.get("/console/activities/"+id), http.StatusOK, `action="`+mark+`"`)
	want(t, b.post(mark, nil, true), http.StatusSeeOther)
	if got := present(); len(got) != 1 || !strings.Contains(toString(got[0]), s.ResidentA.UserID) {
		t.Fatalf("present after marking: %v", got)
	}
	want(t, b.get("/console/activities/"+id+"?done=present"), http.StatusOK, "已登记到场", "工作人员登记")
	csv := b.get("/console/activities/" + id + "/attendance.csv")
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
