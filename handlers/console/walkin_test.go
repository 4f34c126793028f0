package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"linli/internal/testenv"
)

// partyMember registers p with a community, phone given, and has staff
// approve them.
func partyMember(t *testing.T, env *testenv.Env, p testenv.Person, communityID, staffToken, name, phone string) {
	t.Helper()
	var r struct{ ID string }
	env.Post("/api/v1/party/registration", p.Token, map[string]any{"realName": name, "partyOrganization": "市交通局机关党委",
		"communityId": communityID, "phone": phone}).Want(t, http.StatusCreated).Decode(t, &r)
	env.Post("/api/v1/staff/party/registrations/"+r.ID+"/approve", staffToken, map[string]any{}).Want(t, http.StatusOK)
}

// Someone who came without signing up is looked up by phone on the
// activity page (the Party members of the activity's community, as the
// API's staff look-up by phone finds them), shown by name with the phone
// masked, and marked present: a walk-in. A phone that finds nobody says
// so; a bad phone is the service's refusal with what was typed kept;
// another community's staff and members are out of reach.
func TestActivityDeskRegistersAWalkIn(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var a struct{ ID string }
	env.Post("/api/v1/staff/activities", s.StaffA.Token, map[string]any{
		"title": "垃圾分类宣传", "description": "在小区门口宣传垃圾分类。", "location": "小区东门",
		"startAt": "2026-03-02T11:00:00+08:00", "endAt": "2026-03-02T12:00:00+08:00",
		"signupOpensAt": "2026-03-02T08:00:00+08:00", "signupClosesAt": "2026-03-02T10:30:00+08:00",
		"capacity": 5, "audience": "all",
	}).Want(t, http.StatusCreated).Decode(t, &a)
	env.Post("/api/v1/activities/"+a.ID+"/signup", s.ResidentA.Token, nil).Want(t, http.StatusOK)
	walker := env.AddResident("walker", "老刘", s.A1)
	partyMember(t, env, walker, s.A.CommunityID, s.StaffA.Token, "刘建国<b>", "13800138000")
	partyMember(t, env, s.ResidentB, s.B.CommunityID, s.StaffB.Token, "乙社区党员", "13900139000")
	env.Clock.Set(time.Date(2026, 3, 2, 11, 5, 0, 0, testenv.Start.Location()))

	walkIns := func() []string {
		var l struct{ WalkIns []map[string]any }
		env.Get("/api/v1/staff/activities/"+a.ID+"/attendance", env.Login(s.StaffA.OpenID, "王红")).Want(t, http.StatusOK).Decode(t, &l)
		var ids []string
		for _, e := range l.WalkIns {
			ids = append(ids, toString(e))
		}
		return ids
	}
	path := "/console/activities/" + a.ID + "/walk-in"

	other := newBrowser(t, env)
	other.signIn(s.StaffB.StaffID)
	other.get("/console/activities")
	p := other.post(path, url.Values{"phone": {"13800138000"}}, true)
	want(t, p, http.StatusNotFound, "ACTIVITY_NOT_FOUND")
	if strings.Contains(p.body, "刘建国") || strings.Contains(p.body, "8000") {
		t.Fatal("B's staff found A's member")
	}

	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	want(t, b.get("/console/activities/"+a.ID), http.StatusOK, `action="`+path+`#walk-in"`, "登记未报名到场的人")
	if p := b.post(path, url.Values{"phone": {"13800138000"}}, false); p.status != http.StatusForbidden {
		t.Fatalf("look-up without the token: %d", p.status)
	}
	want(t, b.post(path, url.Values{"phone": {"  "}}, true), http.StatusUnprocessableEntity, "VALIDATION_FAILED", "请填写手机号")
	want(t, b.post(path, url.Values{"phone": {"138<b>0013"}}, true), http.StatusUnprocessableEntity, "PHONE_INVALID",
		"手机号须为11位数字", `value="138&lt;b&gt;0013"`)
	for _, phone := range []string{"13700137000", "13900139000"} { // nobody; B's member
		p := b.post(path, url.Values{"phone": {phone}}, true)
		want(t, p, http.StatusOK, "没有找到用这个手机号报到的本社区党员", `value="`+phone+`"`)
		if strings.Contains(p.body, "乙社区党员") {
			t.Fatal("A's staff found B's member")
		}
	}

	p = b.post(path, url.Values{"phone": {"138 0013 8000"}}, true)
	mark := "/console/activities/" + a.ID + "/attendance/" + walker.UserID
	want(t, p, http.StatusOK, "刘建国&lt;b&gt;", "138****8000", `action="`+mark+`"`)
	if strings.Contains(p.body, "13800138000") || strings.Contains(p.body, "刘建国<b>") {
		t.Fatal("the phone shown whole, or the name unescaped")
	}
	if got := walkIns(); len(got) != 0 {
		t.Fatalf("a look-up marked someone present: %v", got)
	}
	want(t, b.post(mark, nil, true), http.StatusSeeOther)
	if got := walkIns(); len(got) != 1 || got[0] != walker.UserID {
		t.Fatalf("walk-ins after marking: %v", got)
	}
	p = b.get("/console/activities/" + a.ID + "?done=present")
	want(t, p, http.StatusOK, "已登记到场")
	if w := regexp.MustCompile(`(?s)<ul class="walkins">(.*?)</ul>`).FindStringSubmatch(p.body); w == nil || !strings.Contains(w[1], "老刘") {
		t.Fatalf("the walk-in is not listed as one: %v", w)
	}
	// Found again, typed without spaces: already present, no second mark;
	// the number is not left whole in the box beside the person.
	p = b.post(path, url.Values{"phone": {"13800138000"}}, true)
	want(t, p, http.StatusOK, "刘建国", `<span class="tag">已到场</span>`, "138****8000")
	if strings.Contains(p.body, "13800138000") {
		t.Fatal("the phone shown whole beside the person found")
	}
	if strings.Contains(p.body, `action="`+mark+`"`) {
		t.Fatal("a person present offered to be marked again")
	}
}
