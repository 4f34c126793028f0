package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"linli/internal/testenv"
)

func registerParty(t testing.TB, env *testenv.Env, token, communityID, name string) string {
	t.Helper()
	var r struct{ ID string }
	env.Post("/api/v1/party/registration", token, map[string]any{"realName": name, "partyOrganization": "区教委机关党支部",
		"communityId": communityID}).Want(t, http.StatusCreated).Decode(t, &r)
	return r.ID
}

func registrationState(t testing.TB, env *testenv.Env, token string) (state, grid string) {
	t.Helper()
	type reg struct {
		State string
		Grid  *struct{ ID string }
	}
	var m struct {
		Current *reg
		History []reg
	}
	env.Get("/api/v1/party/registration", token).Want(t, http.StatusOK).Decode(t, &m)
	r := m.Current
	if r == nil && len(m.History) > 0 {
		r = &m.History[0]
	}
	if r == nil {
		t.Fatal("no registration")
	}
	if r.Grid != nil {
		grid = r.Grid.ID
	}
	return r.State, grid
}

// The Party desk: staff of A see A's pending registrations (residents'
// text escaped), approve one into a grid and reject one with a reason;
// staff of B see none of it and are refused on A's IDs; nothing passes
// without the form's token.
func TestPartyDesk(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	keep := registerParty(t, env, s.ResidentA.Token, s.A.CommunityID, "张建国")
	drop := registerParty(t, env, s.ResidentA2.Token, s.A.CommunityID, "<script>李四")

	other := newBrowser(t, env)
	other.signIn(s.StaffB.StaffID)
	p := other.get("/console/party")
	want(t, p, http.StatusOK, "没有待审核的报到", "没有需复核的签到")
	for _, secret := range []string{"张建国", "李四", keep, drop} {
		if strings.Contains(p.body, secret) {
			t.Fatalf("B's desk shows A's %q", secret)
		}
	}
	want(t, other.post("/console/party/registrations/"+keep+"/approve", url.Values{"gridId": {s.B1.GridID}}, true), http.StatusNotFound, "PARTY_REGISTRATION_NOT_FOUND")
	want(t, other.post("/console/party/registrations/"+drop+"/reject", url.Values{"reason": {"越权驳回"}}, true), http.StatusNotFound, "PARTY_REGISTRATION_NOT_FOUND")
	want(t, other.post("/console/party/checkins/"+keep+"/review", url.Values{"minutes": {"60"}, "note": {"越权复核"}}, true), http.StatusNotFound, "CHECKIN_NOT_FOUND")

	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	p = b.get("/console/party")
	want(t, p, http.StatusOK, "张建国", "&lt;script&gt;李四", "甲二网格")
	if strings.Contains(p.body, "<script>李四") {
		t.Fatal("a resident's script is on the page")
	}
	// Without the token: refused, nothing changes.
	if p := b.post("/console/party/registrations/"+keep+"/approve", nil, false); p.status != http.StatusForbidden {
		t.Fatalf("approve without the token: %d", p.status)
	}
	// A rejection needs a reason: refused with the code, the text kept.
	want(t, b.post("/console/party/registrations/"+drop+"/reject", url.Values{"reason": {"  "}}, true), http.StatusUnprocessableEntity, "VALIDATION_FAILED", "李四")
	for _, tok := range []string{s.ResidentA.Token, s.ResidentA2.Token} {
		if st, _ := registrationState(t, env, tok); st != "pending" {
			t.Fatalf("a refused action changed a registration: %s", st)
		}
	}

	want(t, b.post("/console/party/registrations/"+keep+"/approve", url.Values{"gridId": {s.A2.GridID}}, true), http.StatusSeeOther)
	want(t, b.post("/console/party/registrations/"+drop+"/reject", url.Values{"reason": {"<b>组织关系</b>不在本区"}}, true), http.StatusSeeOther)
	want(t, b.get("/console/party?done=approve"), http.StatusOK, "已通过", "没有待审核的报到")
	if st, grid := registrationState(t, env, s.ResidentA.Token); st != "approved" || grid != s.A2.GridID {
		t.Fatalf("approved registration: %s in grid %s", st, grid)
	}
	if st, _ := registrationState(t, env, s.ResidentA2.Token); st != "rejected" {
		t.Fatalf("rejected registration: %s", st)
	}
	// Approving twice is the service's conflict, shown with its code.
	want(t, b.post("/console/party/registrations/"+keep+"/approve", nil, true), http.StatusConflict, "PARTY_REGISTRATION_NOT_PENDING", "该报到申请已处理过")

	// The approved member checks in far from a service point: flagged.
	ck := flaggedCheckout(t, env, s)
	minutes := func() float64 {
		var l struct {
			Items []struct {
				ID      string
				Minutes float64
			}
		}
		env.Get("/api/v1/staff/party/checkins?flagged=true", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &l)
		for _, c := range l.Items {
			if c.ID == ck {
				return c.Minutes
			}
		}
		t.Fatal("the flagged check-in is not listed")
		return 0
	}
	before := minutes()

	p = other.get("/console/party")
	if strings.Contains(p.body, ck) || strings.Contains(p.body, "楼道长") {
		t.Fatal("B's desk shows A's check-in")
	}
	want(t, other.post("/console/party/checkins/"+ck+"/review", url.Values{"minutes": {"600"}, "note": {"越权复核"}}, true), http.StatusNotFound, "CHECKIN_NOT_FOUND")
	want(t, b.get("/console/party"), http.StatusOK, "checkin-"+ck, "楼道长", "签到位置离服务点较远")
	// A review needs minutes that are a number, and a note.
	want(t, b.post("/console/party/checkins/"+ck+"/review", url.Values{"minutes": {"很多"}, "note": {"x"}}, true), http.StatusUnprocessableEntity, "SERVICE_MINUTES_OUT_OF_RANGE")
	want(t, b.post("/console/party/checkins/"+ck+"/review", url.Values{"minutes": {"45"}, "note": {" "}}, true), http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	if got := minutes(); got != before {
		t.Fatalf("refused reviews changed the minutes: %v → %v", before, got)
	}
	want(t, b.post("/console/party/checkins/"+ck+"/review", url.Values{"minutes": {"45"}, "note": {"核实在楼道服务<script>"}}, true), http.StatusSeeOther)
	if got := minutes(); got != 45 {
		t.Fatalf("reviewed minutes: %v", got)
	}
	want(t, b.get("/console/party?done=review"), http.StatusOK, "已复核", "核实在楼道服务&lt;script&gt;")
}
