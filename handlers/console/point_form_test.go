package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"linli/internal/party"
	"linli/internal/testenv"
)

// pointsOf are the service points the API lists to token, by name.
func pointsOf(t *testing.T, env *testenv.Env, token string) map[string]map[string]any {
	t.Helper()
	var l struct{ Items []map[string]any }
	env.Get("/api/v1/staff/party/service-points?limit=50", token).Want(t, http.StatusOK).Decode(t, &l)
	out := map[string]map[string]any{}
	for _, p := range l.Items {
		out[p["name"].(string)] = p
	}
	return out
}

// A service point is added on the Party desk through party.CreatePoint,
// as the API adds one: with the form's token only; the service's refusals
// shown on the form in Chinese with what was typed kept, nothing created;
// another community's staff add to their own community, never to A.
func TestPartyDeskAddsAServicePoint(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	p := b.get("/console/party")
	want(t, p, http.StatusOK, `action="/console/party/service-points"`, "添加服务岗", "本社区还没有服务岗")

	good := url.Values{"name": {"楼道长"}, "location": {"幸福路12号楼道"}, "latitude": {" 39.9 "}, "longitude": {"116.4"}}
	if p := b.post("/console/party/service-points", good, false); p.status != http.StatusForbidden {
		t.Fatalf("without the token: %d", p.status)
	}
	for _, tc := range []struct {
		name      string
		form      url.Values
		code, msg string
	}{
		{"blank name", url.Values{"name": {" \u200b "}, "location": {"幸福路12号<b>楼道"}}, "VALIDATION_FAILED", "请填写服务岗名称"},
		{"blank place", url.Values{"name": {"垃圾分类<督导>"}, "location": {""}}, "VALIDATION_FAILED", "请填写地点"},
		{"latitude alone", url.Values{"name": {"楼道长"}, "location": {"幸福路12号"}, "latitude": {"39.9"}}, "LOCATION_INVALID", "须同时填写"},
		{"not a number", url.Values{"name": {"楼道长"}, "location": {"幸福路12号"}, "latitude": {"北纬39度"}, "longitude": {"116.4"}}, "LOCATION_INVALID", "纬度须在-90到90之间"},
		{"not a finite number", url.Values{"name": {"楼道长"}, "location": {"幸福路12号"}, "latitude": {"NaN"}, "longitude": {"NaN"}}, "LOCATION_INVALID", "纬度须在-90到90之间"},
		{"infinite", url.Values{"name": {"楼道长"}, "location": {"幸福路12号"}, "latitude": {"-Inf"}, "longitude": {"Inf"}}, "LOCATION_INVALID", "纬度须在-90到90之间"},
		{"name too long", url.Values{"name": {strings.Repeat("岗", party.MaxPointName+1)}, "location": {"幸福路12号"}}, "VALIDATION_FAILED", fmt.Sprintf("服务岗名称不能超过%d个字", party.MaxPointName)},
		{"place too long", url.Values{"name": {"楼道长"}, "location": {strings.Repeat("路", party.MaxPointLocation+1)}}, "VALIDATION_FAILED", fmt.Sprintf("地点不能超过%d个字", party.MaxPointLocation)},
		{"out of range", url.Values{"name": {"楼道长"}, "location": {"幸福路12号"}, "latitude": {"91"}, "longitude": {"116.4"}}, "LOCATION_INVALID", "纬度须在-90到90之间"},
	} {
		p := b.post("/console/party/service-points", tc.form, true)
		want(t, p, http.StatusUnprocessableEntity, tc.code, tc.msg, `<p class="error" role="alert">`)
		for k, v := range tc.form { // what was typed is kept, escaped
			if strings.Trim(v[0], " \u200b") == "" {
				continue
			}
			esc := strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(v[0])
			if !strings.Contains(p.body, `name="`+k+`"`) || !strings.Contains(p.body, `value="`+esc+`"`) {
				t.Fatalf("%s: the form lost %s %q:\n%s", tc.name, k, esc, p.body)
			}
		}
		if n := len(pointsOf(t, env, s.StaffA.Token)); n != 0 {
			t.Fatalf("%s: %d points after a refusal", tc.name, n)
		}
	}

	p = b.post("/console/party/service-points", good, true)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/console/party?done=point") {
		t.Fatalf("add: %d %s", p.status, p.header.Get("Location"))
	}
	got := pointsOf(t, env, s.StaffA.Token)["楼道长"]
	if got == nil || got["location"] != "幸福路12号楼道" || got["latitude"] != 39.9 || got["longitude"] != 116.4 {
		t.Fatalf("the point through the API: %v", got)
	}
	want(t, b.get("/console/party?done=point"), http.StatusOK, "已添加服务岗", "point-"+got["id"].(string), "幸福路12号楼道")
	// Without a location: both coordinates empty is a point without one.
	want(t, b.post("/console/party/service-points", url.Values{"name": {"助老服务"}, "location": {"党群服务中心"}, "latitude": {" "}, "longitude": {""}}, true), http.StatusSeeOther)
	if np := pointsOf(t, env, s.StaffA.Token)["助老服务"]; np == nil || np["latitude"] != nil {
		t.Fatalf("a point without a location: %v", np)
	}

	// At the limits, padded with spaces: accepted as the API accepts it,
	// stored trimmed.
	full := strings.Repeat("岗", party.MaxPointName)
	want(t, b.post("/console/party/service-points", url.Values{"name": {"  " + full + "  "}, "location": {" " + strings.Repeat("路", party.MaxPointLocation) + "\t"}}, true), http.StatusSeeOther)
	if _, ok := pointsOf(t, env, s.StaffA.Token)[full]; !ok {
		t.Fatal("a name at the limit, padded, was not stored trimmed")
	}

	// Staff of B add to B, whatever community the address names; A's
	// points are not theirs to see or add to.
	other := newBrowser(t, env)
	other.signIn(s.StaffB.StaffID)
	other.get("/console/party")
	want(t, other.post("/console/party/service-points?communityId="+s.A.CommunityID, url.Values{"name": {"乙社区楼道长"}, "location": {"乙社区1号楼"}}, true), http.StatusSeeOther)
	if _, ok := pointsOf(t, env, s.StaffA.Token)["乙社区楼道长"]; ok {
		t.Fatal("B's staff added a point to A")
	}
	if _, ok := pointsOf(t, env, s.StaffB.Token)["乙社区楼道长"]; !ok {
		t.Fatal("B's point is not in B")
	}
	if p := other.get("/console/party"); strings.Contains(p.body, got["id"].(string)) || strings.Contains(p.body, "助老服务") {
		t.Fatal("B's desk lists A's point")
	}
}
