// Package demo loads a demo street into an empty database, so that a new
// developer or a trial community sees a living product at once: two
// communities with grids and buildings, named staff bound to development
// logins, and some residents with homes. It goes through the services, as a
// person would, so that the demo obeys every rule the product has.
package demo

import (
	"context"
	"fmt"

	"linli/internal/account"
	"linli/internal/actor"
	"linli/internal/community"
)

// Street is the demo street's name.
const Street = "示范街道"

// Person is a demo login: dev-login with OpenID to act as them.
type Person struct {
	OpenID   string
	Nickname string
}

type staffSeed struct {
	Person
	Name, Position string
	Grids          []int // indexes into the community's grids
	Secretary      bool  // the community's secretary, told of overdue work
}

type residentSeed struct {
	Person
	Grid, Building int
}

type communitySeed struct {
	Name      string
	Grids     []string
	Buildings [][]string // per grid
	Staff     []staffSeed
	Residents []residentSeed
}

var seeds = []communitySeed{
	{
		Name:      "幸福里社区",
		Grids:     []string{"第一网格", "第二网格", "第三网格"},
		Buildings: [][]string{{"1号楼", "2号楼", "3号楼"}, {"4号楼", "5号楼"}, {"6号楼", "7号楼", "8号楼"}},
		Staff: []staffSeed{
			{Person{"dev-secretary-xfl", "王书记"}, "王秀英", "社区党委书记", nil, true},
			{Person{"dev-grid-xfl-1", "李网格员"}, "李建国", "网格员", []int{0}, false},
			{Person{"dev-grid-xfl-2", "张网格员"}, "张丽", "网格员", []int{1, 2}, false},
		},
		Residents: []residentSeed{
			{Person{"dev-resident-1", "赵大爷"}, 0, 0},
			{Person{"dev-resident-2", "孙阿姨"}, 1, 1},
			{Person{"dev-volunteer-1", "小刘"}, 2, 0},
		},
	},
	{
		Name:      "和平社区",
		Grids:     []string{"东区网格", "西区网格"},
		Buildings: [][]string{{"东1栋", "东2栋"}, {"西1栋", "西2栋"}},
		Staff: []staffSeed{
			{Person{"dev-secretary-hp", "陈书记"}, "陈明", "社区党委书记", nil, true},
			{Person{"dev-grid-hp-1", "刘网格员"}, "刘芳", "网格员", []int{0, 1}, false},
		},
		Residents: []residentSeed{
			{Person{"dev-resident-3", "周先生"}, 0, 1},
		},
	},
}

// Load fills an empty database with the demo street; it does nothing when
// any community exists. It reports whether it loaded.
func Load(ctx context.Context, communities *community.Service, s Services) (bool, error) {
	accounts := s.Accounts
	empty, err := communities.Empty(ctx)
	if err != nil || !empty {
		return false, err
	}
	admin := actor.Actor{UserID: "demo-loader", Roles: []actor.Role{actor.Admin}}
	for _, cs := range seeds {
		if err := loadCommunity(ctx, communities, accounts, admin, cs); err != nil {
			if community.ErrCommunityExists.Is(err) { // another process is loading it
				return false, nil
			}
			return false, fmt.Errorf("demo: %s: %w", cs.Name, err)
		}
	}
	if err := loadActivity(ctx, s); err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	if err := loadActivities(ctx, s); err != nil {
		return false, fmt.Errorf("demo: activities: %w", err)
	}
	if s.Party != nil {
		if err := loadParty(ctx, communities, s); err != nil {
			return false, fmt.Errorf("demo: party: %w", err)
		}
	}
	return true, nil
}

func loadCommunity(ctx context.Context, communities *community.Service, accounts *account.Service, admin actor.Actor, cs communitySeed) error {
	c, err := communities.CreateCommunity(ctx, admin, community.NewCommunity{Name: cs.Name, Street: Street})
	if err != nil {
		return err
	}
	grids := make([]community.Grid, len(cs.Grids))
	buildings := make([][]community.Building, len(cs.Grids))
	for i, name := range cs.Grids {
		if grids[i], err = communities.CreateGrid(ctx, admin, c.ID, name); err != nil {
			return err
		}
		for _, bname := range cs.Buildings[i] {
			b, err := communities.CreateBuilding(ctx, admin, grids[i].ID, bname)
			if err != nil {
				return err
			}
			buildings[i] = append(buildings[i], b)
		}
	}
	for _, st := range cs.Staff {
		gridIDs := []string{}
		for _, g := range st.Grids {
			gridIDs = append(gridIDs, grids[g].ID)
		}
		_, code, err := accounts.CreateStaff(ctx, admin, account.NewStaff{
			Name: st.Name, Position: st.Position, CommunityID: c.ID, GridIDs: gridIDs,
			Secretary: st.Secretary,
		})
		if err != nil {
			return err
		}
		a, err := accounts.EnsureUser(ctx, st.OpenID, st.Nickname)
		if err != nil {
			return err
		}
		if _, err := accounts.RedeemInvite(ctx, a, code); err != nil {
			return err
		}
		if _, err := accounts.SetHome(ctx, a, account.Home{CommunityID: c.ID, GridID: grids[0].ID}); err != nil {
			return err
		}
	}
	for _, r := range cs.Residents {
		a, err := accounts.EnsureUser(ctx, r.OpenID, r.Nickname)
		if err != nil {
			return err
		}
		home := account.Home{CommunityID: c.ID, GridID: grids[r.Grid].ID, BuildingID: buildings[r.Grid][r.Building].ID}
		if _, err := accounts.SetHome(ctx, a, home); err != nil {
			return err
		}
		if volunteers[r.OpenID] {
			if _, err := accounts.BecomeVolunteer(ctx, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// volunteers are the demo residents signed up as volunteers: they may
// claim micro-wishes at once.
var volunteers = map[string]bool{"dev-volunteer-1": true}
