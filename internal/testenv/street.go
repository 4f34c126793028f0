package testenv

import "net/http"

// Street is a small street built through the admin API, known by
// construction: communities A and B, grids A1, A2 (A) and B1 (B), a building
// in each grid, staff of each community bound to their accounts, and
// residents with homes.
type Street struct {
	Admin string // admin token

	A, B       Place
	A1, A2, B1 Place // grids (CommunityID, GridID, BuildingID)
	// StaffA and StaffB are their community's secretaries (社区书记).
	StaffA, StaffB Person
	// StaffA2 is a second staff member of A, responsible for grid A2.
	StaffA2 Person
	// ResidentA lives in A1, ResidentA2 in A2, ResidentB in B1.
	ResidentA, ResidentA2, ResidentB Person
}

// Place is where something is.
type Place struct{ CommunityID, GridID, BuildingID string }

// Person is a logged-in person.
type Person struct {
	Token, UserID, StaffID, OpenID string
}

// Street builds the street.
func (env *Env) Street() *Street {
	t := env.T
	t.Helper()
	s := &Street{Admin: env.Login("dev-admin", "街道管理员")}
	id := func(r *Resp) string {
		t.Helper()
		var v struct{ ID string }
		r.Want(t, http.StatusCreated).Decode(t, &v)
		return v.ID
	}
	community := func(name string) string {
		return id(env.Post("/api/v1/admin/communities", s.Admin, map[string]string{"name": name, "street": "测试街道"}))
	}
	grid := func(c, name string) Place {
		g := id(env.Post("/api/v1/admin/communities/"+c+"/grids", s.Admin, map[string]string{"name": name}))
		b := id(env.Post("/api/v1/admin/grids/"+g+"/buildings", s.Admin, map[string]string{"name": name + "1号楼"}))
		return Place{CommunityID: c, GridID: g, BuildingID: b}
	}
	s.A.CommunityID, s.B.CommunityID = community("甲社区"), community("乙社区")
	s.A1, s.A2, s.B1 = grid(s.A.CommunityID, "甲一网格"), grid(s.A.CommunityID, "甲二网格"), grid(s.B.CommunityID, "乙一网格")
	s.StaffA = env.staff(s.Admin, "staff-a", "王红", "社区书记", s.A1, nil, true)
	s.StaffA2 = env.staff(s.Admin, "staff-a2", "李强", "网格员", s.A2, []string{s.A2.GridID}, false)
	s.StaffB = env.staff(s.Admin, "staff-b", "陈静", "社区书记", s.B1, nil, true)
	s.ResidentA = env.resident("resident-a", "赵大爷", s.A1)
	s.ResidentA2 = env.resident("resident-a2", "孙阿姨", s.A2)
	s.ResidentB = env.resident("resident-b", "周先生", s.B1)
	return s
}

func (env *Env) staff(admin, openID, name, position string, home Place, grids []string, secretary bool) Person {
	t := env.T
	t.Helper()
	if grids == nil {
		grids = []string{}
	}
	var created struct {
		Staff      struct{ ID string }
		InviteCode string
	}
	env.Post("/api/v1/admin/staff", admin, map[string]any{
		"name": name, "position": position, "communityId": home.CommunityID, "gridIds": grids,
		"secretary": secretary,
	}).Want(t, http.StatusCreated).Decode(t, &created)
	p := env.resident(openID, name, home)
	env.Post("/api/v1/me/staff-invites/redeem", p.Token, map[string]string{"code": created.InviteCode}).Want(t, http.StatusOK)
	p.StaffID = created.Staff.ID
	return p
}

func (env *Env) resident(openID, nickname string, home Place) Person {
	t := env.T
	t.Helper()
	tok := env.Login(openID, nickname)
	var me struct{ ID string }
	env.Put("/api/v1/me/home", tok, map[string]string{
		"communityId": home.CommunityID, "gridId": home.GridID, "buildingId": home.BuildingID,
	}).Want(t, http.StatusOK).Decode(t, &me)
	return Person{Token: tok, UserID: me.ID, OpenID: openID}
}

// AddStaff creates one more staff member of home's community through the
// admin API, bound to a new login (openID), with a home in home's grid.
func (env *Env) AddStaff(admin, openID, name, position string, home Place, grids []string) Person {
	env.T.Helper()
	return env.staff(admin, openID, name, position, home, grids, false)
}

// AddResident logs a new resident in and gives them a home.
func (env *Env) AddResident(openID, nickname string, home Place) Person {
	env.T.Helper()
	return env.resident(openID, nickname, home)
}
