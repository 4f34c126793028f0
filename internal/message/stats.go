package message

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"time"

	"linli/internal/account"
	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/platform/clock"
	"linli/internal/platform/csvx"
)

// GroupBy is how the figures are grouped.
type GroupBy string

// The groupings.
const (
	ByStaffMember GroupBy = "staff"
	ByGrid        GroupBy = "grid"
	ByCommunity   GroupBy = "community"
)

// StatsQuery asks for the three rates of a period.
type StatsQuery struct {
	// CommunityID: empty means the caller's communities (admins: all).
	CommunityID string
	// From and To are days (2006-01-02), inclusive; empty From is the first
	// of the current month, empty To is today.
	From, To string
	GroupBy  GroupBy
}

// maxStatsDays bounds a period: a year and a day.
const maxStatsDays = 366

// Row is the figures of one group.
type Row struct {
	// Key is the staff, grid or community ID; "" is "not yet accepted".
	Key      string `json:"key"`
	Name     string `json:"name"`
	Position string `json:"position,omitempty"`
	Counts
	// ResponseRate is first responses within the deadline / received.
	ResponseRate *float64 `json:"responseRate"`
	// ResolutionRate is rated as solved / rated.
	ResolutionRate *float64 `json:"resolutionRate"`
	// SatisfactionRate is (satisfied + basic) / rated.
	SatisfactionRate *float64 `json:"satisfactionRate"`
	// MedianFirstResponseMinutes: half of the first responses came within
	// this many minutes (the upper bound of the histogram bin of the median).
	MedianFirstResponseMinutes *int `json:"medianFirstResponseMinutes"`
	hist                       []int64
}

// Report is the three rates of a period.
type Report struct {
	CommunityID string  `json:"communityId"`
	From        string  `json:"from"`
	To          string  `json:"to"`
	GroupBy     GroupBy `json:"groupBy"`
	Rows        []Row   `json:"rows"`
	Total       Row     `json:"total"`
}

func rate(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	r := math.Round(float64(num)/float64(den)*10000) / 10000
	return &r
}

func (r *Row) add(d counterDoc) {
	r.Counts.Add(d.Counts)
	if r.hist == nil {
		r.hist = make([]int64, Bins)
	}
	for i := range Bins {
		r.hist[i] += d.RT[binKeys[i]]
	}
}

func (r *Row) finish() {
	r.ResponseRate = rate(r.RespondedInTime, r.Received)
	r.ResolutionRate = rate(r.RatedSolved, r.Rated)
	r.SatisfactionRate = rate(r.Satisfied+r.Basic, r.Rated)
	if m, ok := median(r.hist); ok {
		r.MedianFirstResponseMinutes = &m
	}
}

func statsError(field, msg string) error {
	return ErrStatsQuery.WithFields(fieldError(field, "invalid", msg))
}

func parseDay(field, s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, clock.China)
	if err != nil {
		label := map[string]string{"from": "开始日期", "to": "结束日期"}[field]
		return time.Time{}, statsError(field, label+"格式应为 2026-03-01")
	}
	return t, nil
}

// Stats computes the three rates of a period from the per-day counters:
// staff of the community and admins. Its cost depends on the period and
// the number of grids and staff, not on how many messages exist.
func (s *Service) Stats(ctx context.Context, a actor.Actor, q StatsQuery) (Report, error) {
	if err := a.RequireStaff(); err != nil {
		return Report{}, err
	}
	switch q.GroupBy {
	case "":
		q.GroupBy = ByStaffMember
	case ByStaffMember, ByGrid, ByCommunity:
	default:
		return Report{}, statsError("groupBy", "请选择统计方式：按工作人员、按网格或按社区")
	}
	var scope []string
	switch {
	case q.CommunityID != "":
		if !a.StaffOf(q.CommunityID) {
			return Report{}, community.ErrCommunityNotFound.New()
		}
		scope = []string{q.CommunityID}
	case !a.IsAdmin():
		scope = a.CommunityIDs
	}
	now := s.clock.Now()
	if q.From == "" {
		q.From = now.Format("2006-01") + "-01"
	}
	if q.To == "" {
		q.To = now.Format(time.DateOnly)
	}
	from, err := parseDay("from", q.From)
	if err != nil {
		return Report{}, err
	}
	to, err := parseDay("to", q.To)
	if err != nil {
		return Report{}, err
	}
	if to.Before(from) || to.Sub(from) > maxStatsDays*24*time.Hour {
		return Report{}, statsError("to", "结束日期不能早于开始日期，统计区间不超过一年")
	}
	docs, err := s.store.counts(ctx, scope, q.From, q.To)
	if err != nil {
		return Report{}, err
	}
	groups := map[string]*Row{}
	total := Row{Key: "", Name: "合计"}
	for _, d := range docs {
		key := d.StaffID
		switch q.GroupBy {
		case ByGrid:
			key = d.GridID
		case ByCommunity:
			key = d.CommunityID
		}
		g := groups[key]
		if g == nil {
			g = &Row{Key: key}
			groups[key] = g
		}
		g.add(d)
		total.add(d)
	}
	rep := Report{CommunityID: q.CommunityID, From: q.From, To: q.To, GroupBy: q.GroupBy, Rows: []Row{}}
	for _, g := range groups {
		if g.Received == 0 { // every message it counted moved to its owner
			continue
		}
		if err := s.name(ctx, q.GroupBy, g); err != nil {
			return Report{}, err
		}
		g.finish()
		rep.Rows = append(rep.Rows, *g)
	}
	// Most received first; "not yet accepted" last.
	unaccepted := func(r Row) int {
		if r.Key == "" {
			return 1
		}
		return 0
	}
	slices.SortFunc(rep.Rows, func(x, y Row) int {
		return cmp.Or(cmp.Compare(unaccepted(x), unaccepted(y)), cmp.Compare(y.Received, x.Received),
			cmp.Compare(x.Name, y.Name), cmp.Compare(x.Key, y.Key))
	})
	total.finish()
	rep.Total = total
	return rep, nil
}

// name names a group: staff by name and position (as they are now),
// grids and communities by name.
func (s *Service) name(ctx context.Context, by GroupBy, r *Row) error {
	if r.Key == "" {
		r.Name = "未受理"
		return nil
	}
	var err error
	switch by {
	case ByStaffMember:
		var st account.Staff
		if st, err = s.directory.Staff(ctx, r.Key); err == nil {
			r.Name, r.Position = st.Name, st.Position
		}
	case ByGrid:
		var g community.Grid
		if g, err = s.places.Grid(ctx, r.Key); err == nil {
			r.Name = g.Name
		}
	case ByCommunity:
		var c community.Community
		if c, err = s.places.Community(ctx, r.Key); err == nil {
			r.Name = c.Name
		}
	}
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind == apperr.NotFound {
		r.Name, err = r.Key, nil // removed since: the figures stay
	}
	return err
}

// WriteCSV writes a report as a street office reads it (see csvx: UTF-8
// with a byte order mark so that Excel shows the Chinese): a header, one
// row per group and a total, each row with the period (so that files can
// be pasted together), rates as percentages.
func WriteCSV(cw *csvx.Writer, r Report) error {
	cw.Write([]string{"起始日期", "截止日期", "编号", "名称", "职务", "受理量", "已响应", "按时响应", "已办结", "已评价", "评价已解决",
		"满意", "基本满意", "不满意", "超期", "重新打开", "吹哨", "部门超期", "逾期未评价",
		"响应率", "解决率", "满意率", "首次响应中位时长(分钟)"}...)
	pct := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p*100, 'f', 1, 64) + "%"
	}
	row := func(x Row) []string {
		med := ""
		if x.MedianFirstResponseMinutes != nil {
			med = strconv.Itoa(*x.MedianFirstResponseMinutes)
		}
		n := func(v int64) string { return strconv.FormatInt(v, 10) }
		return []string{r.From, r.To, x.Key, x.Name, x.Position, n(x.Received), n(x.Responded), n(x.RespondedInTime), n(x.Resolved),
			n(x.Rated), n(x.RatedSolved), n(x.Satisfied), n(x.Basic), n(x.Unsatisfied), n(x.Overdue), n(x.Reopened),
			n(x.Escalated), n(x.DeptOverdue), n(x.ClosedUnrated), pct(x.ResponseRate), pct(x.ResolutionRate), pct(x.SatisfactionRate), med}
	}
	for _, x := range r.Rows {
		cw.Write(row(x)...)
	}
	cw.Write(row(r.Total)...)
	return cw.Flush()
}

// Filename is the report file's name: "三率统计-2026-03-01-2026-03-31.csv"
// ("linli-stats-…" in the plain name), the same from the API and the desk.
func (r Report) Filename() csvx.Filename {
	return csvx.Filename{Name: "三率统计-" + r.From + "-" + r.To + ".csv", ASCII: "linli-stats-" + r.From + "-" + r.To + ".csv"}
}
