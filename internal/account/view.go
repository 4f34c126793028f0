package account

import (
	"context"
	"time"

	"linli/internal/actor"
	"linli/internal/community"
)

// Profile is what a user sees of themself.
type Profile struct {
	ID       string `json:"id"`
	Nickname string `json:"nickname"`
	// PendingNickname is the caller's new name while WeChat's content
	// security could not check it yet (others still see nickname).
	PendingNickname string           `json:"pendingNickname,omitempty"`
	Roles           []actor.Role     `json:"roles"`
	Home            *community.Place `json:"home"`
	Staff           *StaffView       `json:"staff"`
}

// StaffView is a staff profile as the API shows it.
type StaffView struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Position    string    `json:"position"`
	CommunityID string    `json:"communityId"`
	GridIDs     []string  `json:"gridIds"`
	Secretary   bool      `json:"secretary"`
	Active      bool      `json:"active"`
	Bound       bool      `json:"bound"`
	CreatedAt   time.Time `json:"createdAt"`
}

func viewStaff(st Staff) StaffView {
	return StaffView{
		ID: st.ID, Name: st.Name, Position: st.Position, CommunityID: st.CommunityID,
		GridIDs: st.GridIDs, Secretary: st.Secretary, Active: st.Active, Bound: st.UserID != "", CreatedAt: st.CreatedAt,
	}
}

func (s *Service) profile(ctx context.Context, u User, a actor.Actor) (Profile, error) {
	p := Profile{ID: u.ID, Nickname: u.Nickname, PendingNickname: u.PendingNickname, Roles: a.Roles}
	if u.Home != nil {
		place, err := s.places.Resolve(ctx, u.Home.CommunityID, u.Home.GridID, u.Home.BuildingID)
		if err != nil {
			return Profile{}, err
		}
		p.Home = &place
	}
	if a.StaffID != "" {
		st, err := s.store.Staff(ctx, a.StaffID)
		if err != nil {
			return Profile{}, err
		}
		v := viewStaff(st)
		p.Staff = &v
	}
	return p, nil
}
