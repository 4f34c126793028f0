package party

import (
	"context"
	"fmt"
	"time"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/ledger"
	"linli/internal/person"
)

// EntryView is one entry of a service record.
type EntryView struct {
	Source      ledger.Source `json:"source"`
	SourceID    string        `json:"sourceId"`
	CommunityID string        `json:"communityId"`
	Title       string        `json:"title"`
	Minutes     int           `json:"minutes"`
	At          time.Time     `json:"at"`
}

func entryViews(list []ledger.Entry) []EntryView {
	out := make([]EntryView, 0, len(list))
	for _, e := range list {
		out = append(out, EntryView{Source: e.Source, SourceID: e.SourceID, CommunityID: e.CommunityID, Title: e.Title, Minutes: e.Minutes, At: e.At})
	}
	return out
}

// Hours are a year's service in minutes and hours, by source.
type Hours struct {
	Year       int     `json:"year"`
	Minutes    int     `json:"minutes"`
	Hours      float64 `json:"hours"`
	Checkins   int     `json:"checkinMinutes"`
	Wishes     int     `json:"wishMinutes"`
	Activities int     `json:"activityMinutes"`
}

func hoursOf(year int, t ledger.Totals) Hours {
	return Hours{Year: year, Minutes: t.Minutes, Hours: hours(t.Minutes),
		Checkins: t.BySource[ledger.Checkin], Wishes: t.BySource[ledger.Wish], Activities: t.BySource[ledger.Activity]}
}

// hours is minutes as hours with one decimal.
func hours(minutes int) float64 { return float64(minutes*10/60) / 10 }

// HoursOf returns userID's service this year, from every source.
func (s *Service) HoursOf(ctx context.Context, userID string) (Hours, error) {
	year := s.clock.Now().Year()
	t, err := s.ledger.YearOf(ctx, userID, year)
	if err != nil {
		return Hours{}, err
	}
	return hoursOf(year, t), nil
}

// Me is a member's own page: registration, this year's service, target.
type Me struct {
	Registration *RegistrationView `json:"registration"`
	Hours        Hours             `json:"hours"`
	TargetHours  int               `json:"targetHours"`
	// Progress is this year's hours as a percentage of the target (0–100).
	Progress    int          `json:"progress"`
	OpenCheckin *CheckinView `json:"openCheckin"`
	Entries     []EntryView  `json:"entries"`
}

// maxEntries bounds the entries a page shows.
const maxEntries = 50

// Me returns the caller's registration, this year's hours and entries,
// and their progress towards their community's yearly target.
func (s *Service) Me(ctx context.Context, a actor.Actor) (Me, error) {
	mine, err := s.Mine(ctx, a)
	if err != nil {
		return Me{}, err
	}
	year := s.clock.Now().Year()
	t, err := s.ledger.YearOf(ctx, a.UserID, year)
	if err != nil {
		return Me{}, err
	}
	entries, err := s.ledger.InYear(ctx, a.UserID, year, maxEntries)
	if err != nil {
		return Me{}, err
	}
	m := Me{Registration: mine.Current, Hours: hoursOf(year, t), TargetHours: DefaultTargetHours, Entries: entryViews(entries)}
	if mine.Current != nil {
		if m.TargetHours, err = s.store.targetOf(ctx, mine.Current.Community.ID); err != nil {
			return Me{}, err
		}
	}
	m.Progress = min(100, t.Minutes*100/(m.TargetHours*60))
	if c, err := s.store.openOf(ctx, a.UserID); err != nil {
		return Me{}, err
	} else if c != nil {
		v := s.checkinView(ctx, *c)
		m.OpenCheckin = &v
	}
	return m, nil
}

// Leaderboard is a community's top members by hours in one year.
type Leaderboard struct {
	Community Ref          `json:"community"`
	Year      int          `json:"year"`
	Items     []BoardEntry `json:"items"`
}

// BoardEntry is one place on a leaderboard.
type BoardEntry struct {
	Rank    int         `json:"rank"`
	Member  person.View `json:"member"`
	Minutes int         `json:"minutes"`
	Hours   float64     `json:"hours"`
}

// Leaderboard returns the top n members of a community in year (this
// year when 0). Residents see names masked (张**); the community's staff
// see them whole, with the user ID.
func (s *Service) Leaderboard(ctx context.Context, a actor.Actor, communityID string, year, n int) (Leaderboard, error) {
	c, err := s.places.Community(ctx, communityID)
	if err != nil {
		return Leaderboard{}, err
	}
	if year, err = s.year(year); err != nil {
		return Leaderboard{}, err
	}
	rows, err := s.board.top(ctx, communityID, year, n)
	if err != nil {
		return Leaderboard{}, err
	}
	staff := a.StaffOf(communityID)
	lb := Leaderboard{Community: Ref{ID: c.ID, Name: c.Name}, Year: year, Items: make([]BoardEntry, 0, len(rows))}
	for i, r := range rows {
		p := person.Resident(r.UserID, r.Name)
		if !staff {
			p = person.View{Name: MaskName(r.Name)}
			if r.UserID == a.UserID {
				p = person.Resident(r.UserID, r.Name) // one's own name, whole
			}
		}
		lb.Items = append(lb.Items, BoardEntry{Rank: i + 1, Member: p, Minutes: r.Minutes, Hours: hours(r.Minutes)})
	}
	return lb, nil
}

// year checks a requested year: 0 is this one; none before 2000 or after this one.
func (s *Service) year(y int) (int, error) {
	now := s.clock.Now().Year()
	if y == 0 {
		return now, nil
	}
	if y < 2000 || y > now {
		return 0, ErrYearInvalid.WithFields(apperr.FieldError{Field: "year", Code: "range", Message: fmt.Sprintf("年度须在2000到%d之间", now)})
	}
	return y, nil
}
