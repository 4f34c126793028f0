package party

import (
	"context"
	"strings"
	"time"

	"linli/internal/actor"

	"linli/internal/community"
	"linli/internal/person"
)

// Ref names something by ID and name.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// RegistrationView is a registration as the member and their community's
// staff see it.
type RegistrationView struct {
	ID     string      `json:"id"`
	State  State       `json:"state"`
	Person person.View `json:"person"`
	// RealName is shown whole to the member and their community's staff only.
	RealName          string       `json:"realName"`
	PartyOrganization string       `json:"partyOrganization"`
	WorkUnit          string       `json:"workUnit,omitempty"`
	Community         Ref          `json:"community"`
	Grid              *Ref         `json:"grid"`
	Phone             string       `json:"phone,omitempty"`
	Skills            []string     `json:"skills"`
	Reason            string       `json:"reason,omitempty"`
	EndReason         string       `json:"endReason,omitempty"`
	DecidedBy         *person.View `json:"decidedBy,omitempty"`
	DecidedAt         *time.Time   `json:"decidedAt,omitempty"`
	EndedAt           *time.Time   `json:"endedAt,omitempty"`
	CreatedAt         time.Time    `json:"createdAt"`
}

// view converts r for the member or their staff; wholePhone shows the
// phone whole (one registration), otherwise masked (lists).
func (s *Service) view(ctx context.Context, r Registration, wholePhone bool) (RegistrationView, error) {
	return s.viewIn(ctx, nil, r, wholePhone)
}

// viewIn is view naming places through names (nil: read each time), so
// that a list of one community reads its community and each grid once,
// not once per row.
func (s *Service) viewIn(ctx context.Context, names placeNames, r Registration, wholePhone bool) (RegistrationView, error) {
	place, err := names.placeOf(ctx, s, r.CommunityID, r.GridID)
	if err != nil {
		return RegistrationView{}, err
	}
	v := RegistrationView{
		ID: r.ID, State: r.State, Person: person.Resident(r.UserID, r.RealName), RealName: r.RealName,
		PartyOrganization: r.PartyOrganization, WorkUnit: r.WorkUnit,
		Community: Ref{ID: place.CommunityID, Name: place.CommunityName}, Skills: r.Skills,
		Reason: r.Reason, EndReason: r.EndReason, DecidedAt: r.DecidedAt, EndedAt: r.EndedAt, CreatedAt: r.CreatedAt,
	}
	if v.Skills == nil {
		v.Skills = []string{}
	}
	if place.GridID != "" {
		v.Grid = &Ref{ID: place.GridID, Name: place.GridName}
	}
	if r.DecidedBy != nil {
		p := r.DecidedBy.View()
		v.DecidedBy = &p
	}
	if phone := s.phoneOf(r.Phone); phone != "" {
		v.Phone = phone
		if !wholePhone {
			v.Phone = MaskPhone(phone)
		}
	}
	return v, nil
}

// placeNames are the places one request has named already, by community
// and grid.
type placeNames map[[2]string]community.Place

// placeOf is s.placeOf, read once per community and grid when names is
// not nil (a failed read is not kept: the next row reads again).
func (names placeNames) placeOf(ctx context.Context, s *Service, communityID, gridID string) (community.Place, error) {
	k := [2]string{communityID, gridID}
	if p, ok := names[k]; ok {
		return p, nil
	}
	p, err := s.placeOf(ctx, communityID, gridID)
	if err == nil && names != nil {
		names[k] = p
	}
	return p, err
}

// placeOf names a community and (when set) a grid.
func (s *Service) placeOf(ctx context.Context, communityID, gridID string) (community.Place, error) {
	if gridID != "" {
		if p, err := s.places.Resolve(ctx, communityID, gridID, ""); err == nil {
			return p, nil
		}
	}
	c, err := s.places.Community(ctx, communityID)
	if err != nil {
		return community.Place{}, err
	}
	return community.Place{CommunityID: c.ID, CommunityName: c.Name}, nil
}

// PointView is a service point as answers show it.
type PointView struct {
	ID        string    `json:"id"`
	Community Ref       `json:"community"`
	Name      string    `json:"name"`
	Location  string    `json:"location"`
	Latitude  *float64  `json:"latitude,omitempty"`
	Longitude *float64  `json:"longitude,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

func pointView(p Point, communityName string) PointView {
	return PointView{
		ID: p.ID, Community: Ref{ID: p.CommunityID, Name: communityName}, Name: p.Name, Location: p.Location,
		Latitude: p.Latitude, Longitude: p.Longitude, CreatedAt: p.CreatedAt,
	}
}

// CheckinView is a check-in as the member and staff see it.
type CheckinView struct {
	ID             string       `json:"id"`
	State          string       `json:"state"`
	Member         person.View  `json:"member"`
	Community      Ref          `json:"community"`
	Point          Ref          `json:"point"`
	CheckedInAt    time.Time    `json:"checkedInAt"`
	CheckedOutAt   *time.Time   `json:"checkedOutAt"`
	Minutes        int          `json:"minutes"`
	DistanceMeters *int         `json:"distanceMeters,omitempty"`
	Flags          []string     `json:"flags"`
	Flagged        bool         `json:"flagged"`
	Reviews        []ReviewView `json:"reviews"`
}

// ReviewView is one adjustment of a flagged check-in.
type ReviewView struct {
	Minutes  int         `json:"minutes"`
	Previous int         `json:"previous"`
	Note     string      `json:"note"`
	By       person.View `json:"by"`
	At       time.Time   `json:"at"`
}

func (s *Service) checkinView(ctx context.Context, c Checkin) CheckinView {
	return s.checkinViewIn(ctx, nil, c)
}

// checkinViewIn is checkinView naming the community through names (nil:
// read each time): a page of one community's check-ins reads it once.
func (s *Service) checkinViewIn(ctx context.Context, names map[string]string, c Checkin) CheckinView {
	name, ok := names[c.CommunityID]
	if !ok {
		name = c.CommunityID
		if cm, err := s.places.Community(ctx, c.CommunityID); err == nil {
			name = cm.Name
			if names != nil {
				names[c.CommunityID] = name
			}
		}
	}
	v := CheckinView{
		ID: c.ID, State: c.State, Member: person.Resident(c.UserID, c.MemberName), Community: Ref{ID: c.CommunityID, Name: name},
		Point: Ref{ID: c.PointID, Name: c.PointName}, CheckedInAt: c.CheckedInAt, CheckedOutAt: c.CheckedOutAt,
		Minutes: c.Minutes, DistanceMeters: c.DistanceMeters, Flags: c.Flags, Flagged: c.Flagged, Reviews: []ReviewView{},
	}
	if v.Flags == nil {
		v.Flags = []string{}
	}
	for _, r := range c.Reviews {
		v.Reviews = append(v.Reviews, ReviewView{Minutes: r.Minutes, Previous: r.Previous, Note: r.Note, By: r.By.View(), At: r.At})
	}
	return v
}

func byOf(a actor.Actor) By {
	if a.StaffID != "" {
		return By{UserID: a.UserID, StaffID: a.StaffID, Name: a.StaffName, Position: a.StaffPosition}
	}
	return By{UserID: a.UserID, Name: a.Nickname}
}

// phoneOf opens a sealed phone; one that cannot be opened (another key)
// shows as unknown rather than failing the answer.
func (s *Service) phoneOf(sealed string) string {
	p, err := s.box.Open(sealed)
	if err != nil {
		s.log.Warn("party: a phone cannot be opened with the configured LINLI_FIELD_KEY")
		return ""
	}
	return p
}

// MaskPhone shows a phone as 138****8000.
func MaskPhone(p string) string {
	if len(p) != 11 {
		return ""
	}
	return p[:3] + "****" + p[7:]
}

// MaskName shows a real name as the public sees it: 张** (the family name).
func MaskName(name string) string {
	r := []rune(name)
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", max(len(r)-1, 1))
}
