package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"linli/internal/actor"
	"linli/internal/testenv"
)

// regJSON is a registration as the API answers it.
type regJSON struct {
	ID, State, RealName, Phone, Reason, EndReason string
	Community                                     struct{ ID, Name string }
	Grid                                          *struct{ ID, Name string }
}

type checkinJSON struct {
	ID, State      string
	Minutes        int
	Flags          []string
	Flagged        bool
	DistanceMeters *int
	Reviews        []struct {
		Minutes, Previous int
		Note              string
		By                struct{ Name, StaffID string }
	}
}

// partyReg is a valid registration with p's community, changed by fields.
func partyReg(communityID string, fields map[string]any) map[string]any {
	r := map[string]any{"realName": "刘建国", "partyOrganization": "市交通局机关党委", "workUnit": "市交通局",
		"communityId": communityID, "phone": "13800138000", "skills": []string{"助老陪伴", "电脑维修"}}
	for k, v := range fields {
		if v == nil {
			delete(r, k)
		} else {
			r[k] = v
		}
	}
	return r
}

// member registers p with the place's community and has staff approve
// them into its grid; it returns the registration ID.
func member(t *testing.T, env *testenv.Env, p testenv.Person, place testenv.Place, staff, name string) string {
	t.Helper()
	var r regJSON
	env.Post("/api/v1/party/registration", p.Token, partyReg(place.CommunityID, map[string]any{"realName": name})).
		Want(t, http.StatusCreated).Decode(t, &r)
	env.Post("/api/v1/staff/party/registrations/"+r.ID+"/approve", staff, map[string]string{"gridId": place.GridID}).
		Want(t, http.StatusOK)
	return r.ID
}

// servicePoint opens a point at 幸福路 (39.9, 116.4) in the community.
func servicePoint(t *testing.T, env *testenv.Env, staff, communityID, name string) string {
	t.Helper()
	var p struct{ ID string }
	env.Post("/api/v1/staff/party/service-points", staff, map[string]any{
		"communityId": communityID, "name": name, "location": "幸福路12号楼道", "latitude": 39.9, "longitude": 116.4,
	}).Want(t, http.StatusCreated).Decode(t, &p)
	return p.ID
}

// codeOf is the point's current check-in code, as staff show it.
func codeOf(t *testing.T, env *testenv.Env, staff, pointID string) string {
	t.Helper()
	var c struct{ Code string }
	env.Get("/api/v1/staff/party/service-points/"+pointID+"/checkin-code", staff).Want(t, http.StatusOK).Decode(t, &c)
	return c.Code
}

func checkIn(t *testing.T, env *testenv.Env, token, code string, status int, errCode ...string) checkinJSON {
	t.Helper()
	var c checkinJSON
	r := env.Post("/api/v1/party/checkins", token, map[string]any{"code": code, "latitude": 39.9001, "longitude": 116.4001}).Want(t, status, errCode...)
	if status == http.StatusCreated {
		r.Decode(t, &c)
	}
	return c
}

func actorOf(t testing.TB, env *testenv.Env, userID string) actor.Actor {
	t.Helper()
	a, err := env.App.Accounts.Actor(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
