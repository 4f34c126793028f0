package party

import (
	"context"
	"fmt"
	"strings"
	"time"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/ledger"
	"linli/internal/notify"
	"linli/internal/person"
	"linli/internal/platform/clock"
	"linli/internal/platform/csvx"
	plain "linli/internal/platform/text"
)

// Evaluate records the caller's evaluation (评议) of a member for a year:
// one per member per year, each change kept in its history.
func (s *Service) Evaluate(ctx context.Context, a actor.Actor, memberID string, year int, grade Grade, comment string) (EvaluationView, error) {
	if err := a.RequireStaff(); err != nil {
		return EvaluationView{}, err
	}
	comment = plain.Body(comment)
	if long := apperr.TooLong(nil, "comment", "评议意见", comment, MaxCommentRunes); long != nil {
		return EvaluationView{}, apperr.ErrValidation.WithFields(long...)
	}
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
	at := s.clock.Now()
	e, err := s.store.evaluate(ctx, r, y, EvaluationVersion{Grade: grade, Comment: strings.TrimSpace(comment), By: byOf(a), At: at},
		func(n int) notify.Notice {
			return notify.Notice{
				UserID: r.UserID, Kind: "party.evaluated", Key: fmt.Sprintf("party:evaluated:%s:%d:%d", r.ID, y, n),
				RefType: refRegistration, RefID: r.ID, CreatedAt: at, Title: fmt.Sprintf("%d年度社区评议结果", y),
				Body: "社区对您的评议等次为：" + Grades[grade],
			}
		})
	if err != nil {
		return EvaluationView{}, err
	}
	s.handOver(ctx, s.store.evals, e.ID, &e.Outbox)
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
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
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

// WriteRoster writes the whole roster of a year as CSV, streamed batch by
// batch (never one page, never all in memory) to the writer start gives
// (csvx: UTF-8 with a BOM so that a spreadsheet reads the Chinese, cells
// that a spreadsheet would run as a formula neutralised), with the file's
// name ("党员名册-<社区>-<年度>.csv"). It checks scope and reads the first
// batch before it calls start; an error after that comes with the file
// cut short, for the caller to tell (see csvx.Writer.Cut).
func (s *Service) WriteRoster(ctx context.Context, a actor.Actor, q RosterQuery, start func(csvx.Filename) *csvx.Writer) error {
	if err := a.RequireStaff(); err != nil {
		return err
	}
	c, err := s.scopedCommunity(ctx, a, q.CommunityID)
	if err != nil {
		return err
	}
	communityID := c.ID
	if q.Year, err = s.year(q.Year); err != nil {
		return err
	}
	// The first batch is read before the header goes out: a store that
	// fails now is an error answer, not an empty file.
	regs, err := s.store.listRegistrations(ctx, communityID, Approved, q.PartyOrganization, "", csvBatch)
	if err != nil {
		return err
	}
	rows, err := s.rows(ctx, communityID, q.Year, regs)
	if err != nil {
		return err
	}
	cw := start(csvx.Filename{
		Name:  fmt.Sprintf("党员名册-%s-%d.csv", c.Name, q.Year),
		ASCII: fmt.Sprintf("party-members-%d.csv", q.Year),
	})
	cw.Write(csvHeader...)
	for {
		for _, r := range rows {
			cw.Write(csvRecord(r, c.Name)...)
		}
		if err := cw.Flush(); err != nil { // each batch goes out as it is read
			return err
		}
		if len(regs) < csvBatch {
			return nil
		}
		if regs, err = s.store.listRegistrations(ctx, communityID, Approved, q.PartyOrganization, regs[len(regs)-1].ID, csvBatch); err != nil {
			return err
		}
		if rows, err = s.rows(ctx, communityID, q.Year, regs); err != nil {
			return err
		}
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
	return []string{r.Member.Name, r.Phone, r.PartyOrganization, r.WorkUnit, communityName, grid, day(r.ApprovedAt),
		fmt.Sprint(r.Year), fmt.Sprintf("%.1f", r.Hours), fmt.Sprint(r.Checkins), fmt.Sprint(r.WishesFulfilled),
		fmt.Sprint(r.Activities), day(r.LastServiceAt), met, grade, comment}
}
