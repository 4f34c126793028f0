package party

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/ledger"
	"linli/internal/notify"
	"linli/internal/person"
	"linli/internal/platform/clock"
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

// Evaluate records the caller's evaluation (评议) of a member for a year:
// one per member per year, each change kept in its history.
func (s *Service) Evaluate(ctx context.Context, a actor.Actor, memberID string, year int, grade Grade, comment string) (EvaluationView, error) {
	if _, ok := Grades[grade]; !ok {
		return EvaluationView{}, ErrGradeInvalid.WithFields(apperr.FieldError{Field: "grade", Code: "oneof", Message: ErrGradeInvalid.Message})
	}
	y, err := s.year(year)
	if err != nil || year == 0 {
		return EvaluationView{}, ErrYearInvalid.New()
	}
	r, err := s.staffRegistration(ctx, a, memberID, ErrMemberNotFound)
	if err != nil {
		return EvaluationView{}, err
	}
	if r.State != Approved && r.State != Ended {
		return EvaluationView{}, ErrMemberNotFound.New()
	}
	e, err := s.store.evaluate(ctx, r, y, EvaluationVersion{Grade: grade, Comment: strings.TrimSpace(comment), By: byOf(a), At: s.clock.Now()})
	if err != nil {
		return EvaluationView{}, err
	}
	s.tell(ctx, r.UserID, notify.Notice{
		Kind: "party.evaluated", Key: fmt.Sprintf("party:evaluated:%s:%d:%d", r.ID, y, len(e.History)),
		RefType: "partyRegistration", RefID: r.ID, Title: fmt.Sprintf("%d年度社区评议结果", y),
		Body: "社区对您的评议等次为：" + Grades[grade],
	})
	return evaluationView(memberID, e), nil
}

// EvaluationView is an evaluation as staff see it.
type EvaluationView struct {
	MemberID string                  `json:"memberId"`
	Year     int                     `json:"year"`
	Grade    Grade                   `json:"grade"`
	Comment  string                  `json:"comment"`
	By       person.View             `json:"by"`
	At       time.Time               `json:"at"`
	History  []EvaluationVersionView `json:"history"`
}

// EvaluationVersionView is one version of an evaluation.
type EvaluationVersionView struct {
	Grade   Grade       `json:"grade"`
	Comment string      `json:"comment"`
	By      person.View `json:"by"`
	At      time.Time   `json:"at"`
}

func evaluationView(memberID string, e Evaluation) EvaluationView {
	v := EvaluationView{MemberID: memberID, Year: e.Year, Grade: e.Grade, Comment: e.Comment, By: e.By.View(), At: e.At, History: []EvaluationVersionView{}}
	for _, h := range e.History {
		v.History = append(v.History, EvaluationVersionView{Grade: h.Grade, Comment: h.Comment, By: h.By.View(), At: h.At})
	}
	return v
}

// MemberRow is one member on the roster for their work unit.
type MemberRow struct {
	ID                string      `json:"id"`
	Member            person.View `json:"member"`
	Phone             string      `json:"phone,omitempty"`
	PartyOrganization string      `json:"partyOrganization"`
	WorkUnit          string      `json:"workUnit,omitempty"`
	Grid              *Ref        `json:"grid"`
	ApprovedAt        *time.Time  `json:"approvedAt"`
	Year              int         `json:"year"`
	Minutes           int         `json:"minutes"`
	Hours             float64     `json:"hours"`
	Checkins          int         `json:"checkins"`
	WishesFulfilled   int         `json:"wishesFulfilled"`
	Activities        int         `json:"activitiesAttended"`
	LastServiceAt     *time.Time  `json:"lastServiceAt"`
	BelowTarget       bool        `json:"belowTarget"`
	Evaluation        *Grading    `json:"evaluation"`
}

// Grading is an evaluation's result on the roster.
type Grading struct {
	Grade   Grade  `json:"grade"`
	Comment string `json:"comment"`
}

// RosterQuery selects a roster.
type RosterQuery struct {
	CommunityID, PartyOrganization string
	Year                           int
}

// Members returns one page of a community's members (by ID) with their
// year's service and evaluation; phones masked.
func (s *Service) Members(ctx context.Context, a actor.Actor, q RosterQuery, afterID string, limit int) ([]MemberRow, error) {
	communityID, err := s.scope(ctx, a, q.CommunityID)
	if err != nil {
		return nil, err
	}
	if q.Year, err = s.year(q.Year); err != nil {
		return nil, err
	}
	regs, err := s.store.listRegistrations(ctx, communityID, Approved, q.PartyOrganization, afterID, limit)
	if err != nil {
		return nil, err
	}
	return s.rows(ctx, communityID, q.Year, regs)
}

func (s *Service) rows(ctx context.Context, communityID string, year int, regs []Registration) ([]MemberRow, error) {
	users, ids := make([]string, len(regs)), make([]string, len(regs))
	for i, r := range regs {
		users[i], ids[i] = r.UserID, r.ID
	}
	totals, err := s.ledger.Community(ctx, communityID, year, users)
	if err != nil {
		return nil, err
	}
	evals, err := s.store.evaluations(ctx, ids, year)
	if err != nil {
		return nil, err
	}
	target, err := s.store.targetOf(ctx, communityID)
	if err != nil {
		return nil, err
	}
	grids := map[string]*Ref{}
	out := make([]MemberRow, 0, len(regs))
	for _, r := range regs {
		t := totals[r.UserID]
		row := MemberRow{
			ID: r.ID, Member: person.Resident(r.UserID, r.RealName), PartyOrganization: r.PartyOrganization, WorkUnit: r.WorkUnit,
			ApprovedAt: r.DecidedAt, Year: year, Minutes: t.Minutes, Hours: hours(t.Minutes),
			Checkins: t.Count[ledger.Checkin], WishesFulfilled: t.Count[ledger.Wish], Activities: t.Count[ledger.Activity],
			BelowTarget: t.Minutes < target*60,
		}
		if phone := s.phoneOf(r.Phone); phone != "" {
			row.Phone = MaskPhone(phone)
		}
		if !t.Last.IsZero() {
			last := t.Last
			row.LastServiceAt = &last
		}
		if r.GridID != "" {
			g, ok := grids[r.GridID]
			if !ok {
				if p, err := s.places.Resolve(ctx, communityID, r.GridID, ""); err == nil {
					g = &Ref{ID: p.GridID, Name: p.GridName}
				}
				grids[r.GridID] = g
			}
			row.Grid = g
		}
		if e, ok := evals[r.ID]; ok {
			row.Evaluation = &Grading{Grade: e.Grade, Comment: e.Comment}
		}
		out = append(out, row)
	}
	return out, nil
}

// csvBatch is how many members the roster reads at a time.
const csvBatch = 200

// csvHeader is the roster's header row, for a work unit's spreadsheet.
var csvHeader = []string{"姓名", "手机号", "所在党组织", "工作单位", "社区", "网格", "报到时间", "年度", "服务时长（小时）",
	"服务岗签到（次）", "完成微心愿（个）", "参加活动（次）", "最近服务日期", "是否达标", "评议等次", "评议意见"}

// WriteRoster writes the whole roster of a year as CSV to w, streamed
// batch by batch (never one page, never all in memory): UTF-8 with a BOM
// so that a spreadsheet reads the Chinese, cells that a spreadsheet would
// run as a formula neutralised. It checks scope before writing anything.
func (s *Service) WriteRoster(ctx context.Context, a actor.Actor, q RosterQuery, w io.Writer, started func()) error {
	communityID, err := s.scope(ctx, a, q.CommunityID)
	if err != nil {
		return err
	}
	if q.Year, err = s.year(q.Year); err != nil {
		return err
	}
	c, err := s.places.Community(ctx, communityID)
	if err != nil {
		return err
	}
	started()
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	after := ""
	for {
		regs, err := s.store.listRegistrations(ctx, communityID, Approved, q.PartyOrganization, after, csvBatch)
		if err != nil {
			return err
		}
		rows, err := s.rows(ctx, communityID, q.Year, regs)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := cw.Write(csvRecord(r, c.Name)); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if f, ok := w.(interface{ Flush() }); ok {
			f.Flush()
		}
		if len(regs) < csvBatch {
			return nil
		}
		after = regs[len(regs)-1].ID
	}
}

func csvRecord(r MemberRow, communityName string) []string {
	day := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(clock.China).Format("2006-01-02")
	}
	grid, grade, comment := "", "", ""
	if r.Grid != nil {
		grid = r.Grid.Name
	}
	if r.Evaluation != nil {
		grade, comment = Grades[r.Evaluation.Grade], r.Evaluation.Comment
	}
	met := "是"
	if r.BelowTarget {
		met = "否"
	}
	rec := []string{r.Member.Name, r.Phone, r.PartyOrganization, r.WorkUnit, communityName, grid, day(r.ApprovedAt),
		fmt.Sprint(r.Year), fmt.Sprintf("%.1f", r.Hours), fmt.Sprint(r.Checkins), fmt.Sprint(r.WishesFulfilled),
		fmt.Sprint(r.Activities), day(r.LastServiceAt), met, grade, comment}
	for i := range rec {
		rec[i] = CSVSafe(rec[i])
	}
	return rec
}

// CSVSafe neutralises a cell a spreadsheet would run as a formula (one
// starting with = + - @, a tab or a carriage return) by prefixing a quote.
func CSVSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

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
	communityID, err := s.scope(ctx, a, communityID)
	if err != nil {
		return Stats{}, err
	}
	if year, err = s.year(year); err != nil {
		return Stats{}, err
	}
	c, err := s.places.Community(ctx, communityID)
	if err != nil {
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
