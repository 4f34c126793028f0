package console_test

import (
	"net/http"
	"testing"

	"linli/internal/testenv"
)

// createPoint is a service point staff (token) create through the API
// with the given fields; it answers the point's ID.
func createPoint(t testing.TB, env *testenv.Env, token string, fields map[string]any) string {
	t.Helper()
	var pt struct{ ID string }
	env.Post("/api/v1/staff/party/service-points", token, fields).Want(t, http.StatusCreated).Decode(t, &pt)
	return pt.ID
}

// flaggedCheckout is a flagged check-in to review: A's resident, already
// an approved member of A, checks in far from a new service point of A
// (楼道长 at 幸福路12号楼道) and checks out. It answers the check-in's ID.
func flaggedCheckout(t testing.TB, env *testenv.Env, s *testenv.Street) string {
	t.Helper()
	point := createPoint(t, env, s.StaffA.Token, map[string]any{
		"communityId": s.A.CommunityID, "name": "楼道长", "location": "幸福路12号楼道", "latitude": 39.9, "longitude": 116.4,
	})
	var code, ck struct{ ID, Code string }
	env.Get("/api/v1/staff/party/service-points/"+point+"/checkin-code", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &code)
	env.Post("/api/v1/party/checkins", s.ResidentA.Token, map[string]any{"code": code.Code, "latitude": 31.2, "longitude": 121.5}).
		Want(t, http.StatusCreated).Decode(t, &ck)
	env.Post("/api/v1/party/checkins/"+ck.ID+"/checkout", s.ResidentA.Token, nil).Want(t, http.StatusOK)
	return ck.ID
}

// dumplings is an activity of A with one place (its title carries markup
// to escape): A's resident (赵大爷) has it, A's second resident (孙阿姨) is
// first on the waitlist. It answers the activity's ID.
func dumplings(t testing.TB, env *testenv.Env, s *testenv.Street) string {
	t.Helper()
	var a struct{ ID string }
	env.Post("/api/v1/staff/activities", s.StaffA.Token, map[string]any{
		"title": "重阳节包饺子<script>", "description": "社区党群服务中心一起包饺子，给独居老人送去。", "location": "党群服务中心一楼活动室",
		"startAt": "2026-03-02T11:00:00+08:00", "endAt": "2026-03-02T12:00:00+08:00",
		"signupOpensAt": "2026-03-02T08:00:00+08:00", "signupClosesAt": "2026-03-02T10:30:00+08:00",
		"capacity": 1, "audience": "all",
	}).Want(t, http.StatusCreated).Decode(t, &a)
	for _, tok := range []string{s.ResidentA.Token, s.ResidentA2.Token} { // one confirmed, one waitlisted
		env.Post("/api/v1/activities/"+a.ID+"/signup", tok, nil).Want(t, http.StatusOK)
	}
	return a.ID
}
