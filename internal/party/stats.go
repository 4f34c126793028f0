package party

import (
	"context"
	"time"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/platform/clock"
)

// Stats are a community's Party-member figures for a year.
type Stats struct {
	Community Ref `json:"community"`
	Year      int `json:"year"`
	// Registered is registrations filed in the year (any outcome).
	Registered  int64       `json:"registered"`
	Approved    int64       `json:"approved"`
	Pending     int64       `json:"pending"`
	BelowTarget int         `json:"belowTarget"`
	TargetHours int         `json:"targetHours"`
	Minutes     int         `json:"minutes"`
	Hours       float64     `json:"hours"`
	ByGrid      []GridStats `json:"byGrid"`
}

// GridStats are a grid's share (Grid nil: members not in a grid yet).
type GridStats struct {
	Grid        *Ref    `json:"grid"`
	Members     int     `json:"members"`
	BelowTarget int     `json:"belowTarget"`
	Minutes     int     `json:"minutes"`
	Hours       float64 `json:"hours"`
}

// Stats returns a community's figures for year.
func (s *Service) Stats(ctx context.Context, a actor.Actor, communityID string, year int) (Stats, error) {
	if err := a.RequireStaff(); err != nil {
		return Stats{}, err
	}
	c, err := s.scopedCommunity(ctx, a, communityID)
	if err != nil {
		return Stats{}, err
	}
	communityID = c.ID
	if year, err = s.year(year); err != nil {
		return Stats{}, err
	}
	st := Stats{Community: Ref{ID: c.ID, Name: c.Name}, Year: year, ByGrid: []GridStats{}}
	from, to := time.Date(year, 1, 1, 0, 0, 0, 0, clock.China), time.Date(year+1, 1, 1, 0, 0, 0, 0, clock.China)
	if st.Registered, err = s.store.filedIn(ctx, communityID, from, to); err != nil {
		return Stats{}, err
	}
	if st.Pending, err = s.store.inState(ctx, communityID, Pending); err != nil {
		return Stats{}, err
	}
	if st.TargetHours, err = s.store.targetOf(ctx, communityID); err != nil {
		return Stats{}, err
	}
	members, err := s.store.members(ctx, communityID)
	if err != nil {
		return Stats{}, err
	}
	st.Approved = int64(len(members))
	users := make([]string, len(members))
	for i, m := range members {
		users[i] = m.UserID
	}
	totals, err := s.ledger.Community(ctx, communityID, year, users)
	if err != nil {
		return Stats{}, err
	}
	byGrid, order := map[string]*GridStats{}, []string{}
	for _, m := range members {
		g, ok := byGrid[m.GridID]
		if !ok {
			g = &GridStats{}
			if m.GridID != "" {
				if p, err := s.places.Resolve(ctx, communityID, m.GridID, ""); err == nil {
					g.Grid = &Ref{ID: p.GridID, Name: p.GridName}
				}
			}
			byGrid[m.GridID], order = g, append(order, m.GridID)
		}
		min := totals[m.UserID].Minutes
		g.Members++
		g.Minutes += min
		st.Minutes += min
		if min < st.TargetHours*60 {
			g.BelowTarget++
			st.BelowTarget++
		}
	}
	st.Hours = hours(st.Minutes)
	for _, id := range order {
		g := byGrid[id]
		g.Hours = hours(g.Minutes)
		st.ByGrid = append(st.ByGrid, *g)
	}
	return st, nil
}

// SettingsView is a community's Party-member settings.
type SettingsView struct {
	CommunityID       string `json:"communityId"`
	YearlyTargetHours int    `json:"yearlyTargetHours"`
}

// Settings returns a community's settings (anyone signed in may read the target).
func (s *Service) Settings(ctx context.Context, communityID string) (SettingsView, error) {
	if _, err := s.places.Community(ctx, communityID); err != nil {
		return SettingsView{}, err
	}
	h, err := s.store.targetOf(ctx, communityID)
	return SettingsView{CommunityID: communityID, YearlyTargetHours: h}, err
}

// SetTarget sets a community's yearly target in hours (staff of it).
func (s *Service) SetTarget(ctx context.Context, a actor.Actor, communityID string, hours int) (SettingsView, error) {
	if err := a.RequireStaff(); err != nil {
		return SettingsView{}, err
	}
	if hours < 1 || hours > MaxTargetHours {
		return SettingsView{}, ErrTargetInvalid.WithFields(apperr.FieldError{Field: "yearlyTargetHours", Code: "range", Message: ErrTargetInvalid.Message})
	}
	if !a.StaffOf(communityID) {
		return SettingsView{}, community.ErrCommunityNotFound.New()
	}
	if _, err := s.places.Community(ctx, communityID); err != nil {
		return SettingsView{}, err
	}
	if err := s.store.setTarget(ctx, communityID, hours, s.clock.Now()); err != nil {
		return SettingsView{}, err
	}
	return SettingsView{CommunityID: communityID, YearlyTargetHours: hours}, nil
}
