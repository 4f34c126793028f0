package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"linli/internal/testenv"
)

// Staff of community B try every console URL on community A's things:
// each is refused as not found, nothing changes, and no page of theirs
// shows A's message, wish or people.
func TestStaffOfAnotherCommunityReachNothing(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var dept struct{ ID string }
	env.Post("/api/v1/admin/departments", s.Admin, map[string]any{"name": "区住建委", "liaisonName": "刘建平", "liaisonPhone": "010-85551234"}).
		Want(t, http.StatusCreated).Decode(t, &dept)
	id := postMessage(t, env, s.ResidentA.Token, "甲社区的私事：3号楼漏水")
	env.Post("/api/v1/staff/messages/"+id+"/accept", s.StaffA.Token, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/staff/messages/"+id+"/escalate", s.StaffA.Token, map[string]any{
		"departmentId": dept.ID, "note": "请协调", "dueAt": testenv.Start.Add(48 * time.Hour).Format(time.RFC3339)}).Want(t, http.StatusCreated)
	var m struct {
		Version     int
		Escalations []struct{ ID string }
	}
	env.Get("/api/v1/staff/messages/"+id, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &m)
	var w struct{ ID string }
	env.Post("/api/v1/wishes", s.ResidentA.Token, map[string]any{"category": "item", "title": "甲社区的心愿：老花镜",
		"description": "看报纸看不清字，想要一副300度的老花镜。", "estimatedValue": 80}).Want(t, http.StatusCreated).Decode(t, &w)

	b := newBrowser(t, env)
	b.signIn(s.StaffB.StaffID)
	b.get("/console/queue")
	for action, form := range map[string]url.Values{
		"accept":   nil,
		"reply":    {"content": {"越权答复"}},
		"resolve":  {"resolution": {"越权办结"}},
		"transfer": {"staffId": {s.StaffB.StaffID}, "reason": {"越权转交"}},
		"escalate": {"departmentId": {dept.ID}, "note": {"越权吹哨"}, "dueAt": {testenv.Start.Add(48 * time.Hour).Format("2006-01-02T15:04")}},
		"answer":   {"escalationId": {m.Escalations[0].ID}, "content": {"越权答复部门"}},
		"complex":  {"reason": {"越权标记"}},
	} {
		p := b.post("/console/messages/"+id+"/"+action, form, true)
		want(t, p, http.StatusNotFound, "MESSAGE_NOT_FOUND")
		if strings.Contains(p.body, "3号楼漏水") {
			t.Fatalf("%s: the refusal shows A's message", action)
		}
	}
	want(t, b.get("/console/messages/"+id), http.StatusNotFound, "MESSAGE_NOT_FOUND")
	want(t, b.post("/console/wishes/"+w.ID+"/approve", nil, true), http.StatusNotFound)
	want(t, b.post("/console/wishes/"+w.ID+"/reject", url.Values{"reason": {"越权驳回"}}, true), http.StatusNotFound)

	// No list of theirs names A's things, whatever the query asks.
	a1 := s.A1.CommunityID
	for _, path := range []string{
		"/console/queue?scope=community&communityId=" + a1, "/console/queue/live?scope=community&communityId=" + a1,
		"/console/queue?scope=grid", "/console/queue?scope=mine", "/console/wishes",
		"/console/figures?groupBy=staff", "/console/figures?groupBy=grid", "/console/figures.csv?groupBy=staff",
	} {
		p := b.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.status)
		}
		for _, secret := range []string{"3号楼漏水", id, "老花镜", w.ID, "王红", "甲一网格"} {
			if strings.Contains(p.body, secret) {
				t.Fatalf("%s shows A's %q", path, secret)
			}
		}
	}

	// Nothing changed.
	var after struct {
		Version int
		State   string
	}
	env.Get("/api/v1/staff/messages/"+id, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &after)
	if after.Version != m.Version || after.State != "accepted" {
		t.Fatalf("A's message changed: version %d→%d, %s", m.Version, after.Version, after.State)
	}
	if st := env.Get("/api/v1/wishes/"+w.ID, s.ResidentA.Token).Map(t)["state"]; st != "pending_review" {
		t.Fatalf("A's wish is %v", st)
	}
}
