package demo

import (
	"context"
	"fmt"
	"time"

	"linli/internal/actor"
	"linli/internal/community"
	"linli/internal/party"
	"linli/internal/platform/clock"
)

// partySeed is a demo Party member (dev-login with OpenID).
type partySeed struct {
	Person
	RealName, Organization, WorkUnit, Phone string
	Community, Grid                         int // indexes into seeds and the community's grids
	// State is where their registration ends up: approved, pending,
	// rejected, ended (withdrawn) or moving (approved in one community,
	// pending in the other).
	State string
}

var partySeeds = []partySeed{
	{Person{"dev-party-1", "刘建国"}, "刘建国", "市交通局机关党委", "市交通局", "13800138001", 0, 0, "approved"},
	{Person{"dev-party-2", "陈红梅"}, "陈红梅", "区人民医院党总支", "区人民医院", "13800138002", 0, 1, "approved"},
	{Person{"dev-party-3", "张伟"}, "张伟", "市第一中学党支部", "市第一中学", "13800138003", 0, 2, "approved"},
	{Person{"dev-party-4", "李娜"}, "李娜", "区税务局党委", "区税务局", "13800138004", 0, 0, "pending"},
	{Person{"dev-party-5", "王磊"}, "王磊", "某科技公司党支部", "某科技公司", "13800138005", 0, 1, "rejected"},
	{Person{"dev-party-6", "赵敏"}, "赵敏", "区图书馆党支部", "区图书馆", "13800138006", 1, 0, "ended"},
	{Person{"dev-party-7", "孙涛"}, "孙涛", "市水务集团党委", "市水务集团", "13800138007", 1, 1, "moving"},
}

// pointSeed is a service point (服务岗) of a demo community.
type pointSeed struct {
	Community           int
	Name, Location      string
	Latitude, Longitude float64
}

var pointSeeds = []pointSeed{
	{0, "楼道长", "幸福里1号楼", 39.9087, 116.3975},
	{0, "垃圾分类督导", "幸福里东门分类亭", 39.9091, 116.3981},
	{0, "助老陪伴", "幸福里党群服务中心", 39.9083, 116.3969},
	{1, "文明劝导", "和平社区南门", 39.9150, 116.4050},
}

// seasonWeeks is how far back the demo's check-ins go; members serve
// every serviceEvery weeks of it (the demo loads at every fresh start:
// it stays small).
const (
	seasonWeeks  = 12
	serviceEvery = 4
)

// loadParty registers the demo Party members in every state, opens
// service points and walks a season of weekly check-ins through a clock
// set in the past: one left open and closed by the end-of-day rule, one
// far from its point; staff review it, and evaluate a member.
func loadParty(ctx context.Context, communities *community.Service, s Services) error {
	trees, err := communities.List(ctx, "", 50)
	if err != nil {
		return err
	}
	byName := map[string]community.Tree{}
	for _, t := range trees {
		byName[t.Name] = t
	}
	places := make([]community.Tree, len(seeds))
	for i, cs := range seeds {
		places[i] = byName[cs.Name]
	}
	secretaries := make([]actor.Actor, len(seeds))
	for i, id := range []string{"dev-secretary-xfl", "dev-secretary-hp"} {
		if secretaries[i], err = s.Accounts.EnsureUser(ctx, id, ""); err != nil {
			return err
		}
	}
	now := clock.System{}.Now()
	past := clock.NewManual(now.AddDate(0, 0, -7*seasonWeeks))
	ps := s.Party.WithClock(past)

	members := map[string]actor.Actor{}
	for _, m := range partySeeds {
		a, err := s.Accounts.EnsureUser(ctx, m.OpenID, m.Nickname)
		if err != nil {
			return err
		}
		home := places[m.Community]
		r, err := ps.Register(ctx, a, party.Draft{RealName: m.RealName, PartyOrganization: m.Organization, WorkUnit: m.WorkUnit,
			CommunityID: home.ID, GridID: home.Grids[m.Grid].ID, Phone: m.Phone, Skills: []string{"助老陪伴", "政策宣传"}})
		if err != nil {
			return fmt.Errorf("party %s: %w", m.OpenID, err)
		}
		staff := secretaries[m.Community]
		switch m.State {
		case "approved", "ended", "moving":
			if _, err := ps.Approve(ctx, staff, r.ID, ""); err != nil {
				return err
			}
			members[m.OpenID] = a
		case "rejected":
			if _, err := ps.Reject(ctx, staff, r.ID, "请填写完整的所在党组织名称（如：某科技公司党支部第一党小组）"); err != nil {
				return err
			}
		}
		switch m.State {
		case "ended":
			if _, err := ps.Withdraw(ctx, a); err != nil {
				return err
			}
			delete(members, m.OpenID)
		case "moving":
			other := places[0]
			if _, err := ps.Register(ctx, a, party.Draft{RealName: m.RealName, PartyOrganization: m.Organization, WorkUnit: m.WorkUnit,
				CommunityID: other.ID, GridID: other.Grids[0].ID, Phone: m.Phone}); err != nil {
				return err
			}
		}
	}

	points := make([]party.PointView, len(pointSeeds))
	for i, p := range pointSeeds {
		lat, lng := p.Latitude, p.Longitude
		if points[i], err = ps.CreatePoint(ctx, secretaries[p.Community], party.NewPoint{
			CommunityID: places[p.Community].ID, Name: p.Name, Location: p.Location, Latitude: &lat, Longitude: &lng,
		}); err != nil {
			return err
		}
	}

	// A season: every fourth week, each approved member serves at a point
	// of their community for 45 to 150 minutes, in the morning.
	start := past.Now()
	for week := 0; week < seasonWeeks; week += serviceEvery {
		past.Set(start.AddDate(0, 0, 7*week))
		if err := ps.Sweep(ctx); err != nil { // closes what a past day left open
			return err
		}
		for i, m := range partySeeds {
			a, ok := members[m.OpenID]
			if !ok {
				continue
			}
			pi := (week + i) % 3
			if m.Community == 1 {
				pi = 3
			}
			day := time.Date(start.Year(), start.Month(), start.Day(), 9+i%3, 0, 0, 0, clock.China).AddDate(0, 0, 7*week)
			past.Set(day)
			code, err := ps.CheckinCode(ctx, secretaries[m.Community], points[pi].ID)
			if err != nil {
				return err
			}
			lat, lng := pointSeeds[pi].Latitude+0.0002, pointSeeds[pi].Longitude
			if week == 4 && i == 1 {
				lat += 0.01 // a check-in about a kilometre away: flagged
			}
			c, err := ps.CheckIn(ctx, a, party.CheckinRequest{Code: code.Code, Latitude: &lat, Longitude: &lng})
			if err != nil {
				return fmt.Errorf("check-in %s week %d: %w", m.OpenID, week, err)
			}
			if week == 8 && i == 2 {
				continue // left open: the end of the day closes it, capped and flagged
			}
			past.Advance(time.Duration(45+(week*17+i*29)%106) * time.Minute)
			if _, err := ps.Checkout(ctx, a, c.ID); err != nil {
				return err
			}
			if week == 4 && i == 1 {
				if _, err := ps.Review(ctx, secretaries[0], c.ID, 60, "电话核实：当天在东门外协助分类宣传，按1小时计"); err != nil {
					return err
				}
			}
		}
	}
	past.Set(now)
	if err := ps.Sweep(ctx); err != nil {
		return err
	}
	if _, err := ps.Evaluate(ctx, secretaries[0], mustMember(ctx, ps, members["dev-party-1"]), now.Year(), party.Excellent,
		"服务积极，楼道事务办理及时，居民认可度高"); err != nil {
		return err
	}
	return nil
}

// mustMember is the ID of a's approved registration ("" when none).
func mustMember(ctx context.Context, ps *party.Service, a actor.Actor) string {
	m, err := ps.Mine(ctx, a)
	if err != nil || m.Current == nil {
		return ""
	}
	return m.Current.ID
}
