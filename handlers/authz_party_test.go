package handlers_test

import (
	"net/http"

	"linli/internal/testenv"
)

// The Party-members and activities areas' objects for the authorization matrix, all in
// community A and made afresh for each call.

// partyMember registers a new resident of A1 with community A and has the
// secretary approve them into grid A1; it returns their token and the
// registration (member) ID.
func (f *authzFixture) partyMember() (token, regID string) {
	p := f.env.AddResident(f.uniq("party-"), "党员", f.s.A1)
	return p.Token, f.approvedRegistration(p)
}

func (f *authzFixture) approvedRegistration(p testenv.Person) string {
	t := f.env.T
	id := f.pendingRegistration(p.Token)
	f.env.Post("/api/v1/staff/party/registrations/"+id+"/approve", f.s.StaffA.Token, map[string]string{"gridId": f.s.A1.GridID}).
		Want(t, http.StatusOK)
	return id
}

// pendingRegistration registers token's person with community A.
func (f *authzFixture) pendingRegistration(token string) string {
	var r struct{ ID string }
	f.env.Post("/api/v1/party/registration", token, partyReg(f.s.A.CommunityID, map[string]any{"realName": "刘建国"})).
		Want(f.env.T, http.StatusCreated).Decode(f.env.T, &r)
	return r.ID
}

// partyNewRegistration is a pending registration of a new resident of A1.
func (f *authzFixture) partyNewRegistration() string {
	return f.pendingRegistration(f.env.AddResident(f.uniq("applicant-"), "申请人", f.s.A1).Token)
}

// servicePoint opens a new service point in A; it returns its ID.
func (f *authzFixture) servicePoint() string {
	var p struct{ ID string }
	f.env.Post("/api/v1/staff/party/service-points", f.s.StaffA.Token, map[string]any{
		"communityId": f.s.A.CommunityID, "name": f.uniq("楼道长"), "location": "幸福路12号楼道", "latitude": 39.9, "longitude": 116.4,
	}).Want(f.env.T, http.StatusCreated).Decode(f.env.T, &p)
	return p.ID
}

// checkinCode is the current code of a new service point in A.
func (f *authzFixture) checkinCode() string {
	var c struct{ Code string }
	f.env.Get("/api/v1/staff/party/service-points/"+f.servicePoint()+"/checkin-code", f.s.StaffA.Token).
		Want(f.env.T, http.StatusOK).Decode(f.env.T, &c)
	return c.Code
}

// partyCheckin checks token's member in at a new point of A, at (lat, lon).
func (f *authzFixture) partyCheckin(token string, lat, lon float64) string {
	var c struct{ ID string }
	f.env.Post("/api/v1/party/checkins", token, map[string]any{"code": f.checkinCode(), "latitude": lat, "longitude": lon}).
		Want(f.env.T, http.StatusCreated).Decode(f.env.T, &c)
	return c.ID
}

// flaggedCheckin is a closed check-in of a new member, made far from its
// point, so flagged for review.
func (f *authzFixture) flaggedCheckin() string {
	token, _ := f.partyMember()
	id := f.partyCheckin(token, 31.2, 121.5)
	f.env.Post("/api/v1/party/checkins/"+id+"/checkout", token, nil).Want(f.env.T, http.StatusOK)
	return id
}
