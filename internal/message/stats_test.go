package message

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"testing"
	"time"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"

	"linli/internal/platform/csvx"
)

func f(v float64) *float64 { return &v }
func n(v int) *int         { return &v }

// show prints a row's figures, rates and median for a failure message.
func show(r Row) string {
	p := func(x *float64) string {
		if x == nil {
			return "null"
		}
		return fmt.Sprint(*x)
	}
	m := "null"
	if r.MedianFirstResponseMinutes != nil {
		m = fmt.Sprint(*r.MedianFirstResponseMinutes)
	}
	return fmt.Sprintf("%s %s %+v rates %s %s %s median %s", r.Key, r.Name, r.Counts,
		p(r.ResponseRate), p(r.ResolutionRate), p(r.SatisfactionRate), m)
}

func sameRow(t *testing.T, got, want Row) {
	t.Helper()
	if show(got) != show(want) {
		t.Fatalf("row %s:\n got %s\nwant %s", want.Name, show(got), show(want))
	}
}

// statsStreet builds a data set whose figures are known by construction,
// in community A on 2 March 2026 (and one message on 5 March, one in B):
//
//	m1 ResA (A1)  accepted by 王红, answered at 20 min, resolved, solved & satisfied → closed
//	m2 ResA2 (A2) accepted by 李强, no answer in 24 h → overdue; answered at 30 h,
//	              resolved, rated not solved / basic → reopened
//	m3 ResA2 (A2) urgent, accepted by 李强, answered at 1 h (within 2 h),
//	              resolved, rated solved / unsatisfied → reopened
//	m4 ResA (A1)  nobody accepts it → overdue, counted under 未受理
//	m5 ResB (B1)  in B: never in A's figures
//	m6 ResA (A1)  on 5 March, accepted and answered by 王红 at 2 h
func statsStreet(t *testing.T) *harness {
	h := newHarness(t)
	ok3 := func(_ any, _ any, err error) { h.t.Helper(); h.must(err) }
	m1 := h.submit(h.ResA, "", "")
	m2 := h.submit(h.ResA2, "", "")
	m3 := h.submit(h.ResA2, "安全隐患", "")
	h.submit(h.ResA, "", "")
	h.submit(h.ResB, "", "")
	ok3(h.svc.Accept(h.ctx, h.SecA, m1.ID))
	ok3(h.svc.Accept(h.ctx, h.GridA2, m2.ID))
	ok3(h.svc.Accept(h.ctx, h.GridA2, m3.ID))
	h.clock.Advance(20 * time.Minute)
	ok3(h.svc.Reply(h.ctx, h.SecA, m1.ID, "马上派人", nil, false))
	ok3(h.svc.Resolve(h.ctx, h.SecA, m1.ID, "已更换灯泡"))
	ok3(h.svc.Rate(h.ctx, h.ResA, m1.ID, RatingInput{Solved: true, Satisfaction: Satisfied}))
	h.clock.Advance(40 * time.Minute) // 1 h
	ok3(h.svc.Reply(h.ctx, h.GridA2, m3.ID, "已设警戒线", nil, false))
	ok3(h.svc.Resolve(h.ctx, h.GridA2, m3.ID, "隐患已排除"))
	ok3(h.svc.Rate(h.ctx, h.ResA2, m3.ID, RatingInput{Solved: true, Satisfaction: Unsatisfied, Comment: "太慢"}))
	h.clock.Advance(23 * time.Hour) // 24 h
	h.must(h.svc.Sweep(h.ctx))
	h.clock.Advance(6 * time.Hour) // 30 h
	ok3(h.svc.Reply(h.ctx, h.GridA2, m2.ID, "抱歉久等", nil, false))
	ok3(h.svc.Resolve(h.ctx, h.GridA2, m2.ID, "已联系物业"))
	ok3(h.svc.Rate(h.ctx, h.ResA2, m2.ID, RatingInput{Solved: false, Satisfaction: Basic}))
	h.clock.Advance(48 * time.Hour) // 5 March, 15:00
	m6 := h.submit(h.ResA, "", "")
	ok3(h.svc.Accept(h.ctx, h.SecA, m6.ID))
	h.clock.Advance(2 * time.Hour)
	ok3(h.svc.Reply(h.ctx, h.SecA, m6.ID, "收到", nil, false))
	return h
}

func TestStatsOfADataSetKnownByConstruction(t *testing.T) {
	h := statsStreet(t)
	stats := func(a actor.Actor, by GroupBy, from, to string) Report {
		t.Helper()
		r, err := h.svc.Stats(h.ctx, a, StatsQuery{CommunityID: h.A, From: from, To: to, GroupBy: by})
		h.must(err)
		return r
	}
	r := stats(h.GridA2, ByStaffMember, "2026-03-01", "2026-03-04")
	if len(r.Rows) != 3 {
		t.Fatalf("rows: %d", len(r.Rows))
	}
	sameRow(t, r.Rows[0], Row{Key: h.GridA2.StaffID, Name: "李强",
		Counts: Counts{Received: 2, Responded: 2, RespondedInTime: 1, Rated: 2, RatedSolved: 1, Basic: 1,
			Unsatisfied: 1, Overdue: 1, Reopened: 2},
		ResponseRate: f(0.5), ResolutionRate: f(0.5), SatisfactionRate: f(0.5), MedianFirstResponseMinutes: n(60)})
	sameRow(t, r.Rows[1], Row{Key: h.SecA.StaffID, Name: "王红",
		Counts:       Counts{Received: 1, Responded: 1, RespondedInTime: 1, Resolved: 1, Rated: 1, RatedSolved: 1, Satisfied: 1},
		ResponseRate: f(1), ResolutionRate: f(1), SatisfactionRate: f(1), MedianFirstResponseMinutes: n(30)})
	sameRow(t, r.Rows[2], Row{Key: "", Name: "未受理", Counts: Counts{Received: 1, Overdue: 1}, ResponseRate: f(0)})
	sameRow(t, r.Total, Row{Key: "", Name: "合计",
		Counts: Counts{Received: 4, Responded: 3, RespondedInTime: 2, Resolved: 1, Rated: 3, RatedSolved: 2,
			Satisfied: 1, Basic: 1, Unsatisfied: 1, Overdue: 2, Reopened: 2},
		ResponseRate: f(0.5), ResolutionRate: f(0.6667), SatisfactionRate: f(0.6667), MedianFirstResponseMinutes: n(60)})

	g := stats(h.SecA, ByGrid, "2026-03-01", "2026-03-31")
	if len(g.Rows) != 2 || g.Rows[0].Name != "甲一网格" || g.Rows[0].Received != 3 || g.Rows[1].Name != "甲二网格" || g.Rows[1].Received != 2 {
		t.Fatalf("by grid: %s / %s", show(g.Rows[0]), show(g.Rows[1]))
	}
	sameRow(t, g.Rows[0], Row{Key: h.A1, Name: "甲一网格",
		Counts:       Counts{Received: 3, Responded: 2, RespondedInTime: 2, Resolved: 1, Rated: 1, RatedSolved: 1, Satisfied: 1, Overdue: 1},
		ResponseRate: f(0.6667), ResolutionRate: f(1), SatisfactionRate: f(1), MedianFirstResponseMinutes: n(30)})
	c := stats(h.SecA, ByCommunity, "2026-03-05", "2026-03-05")
	sameRow(t, c.Rows[0], Row{Key: h.A, Name: "甲社区", Counts: Counts{Received: 1, Responded: 1, RespondedInTime: 1},
		ResponseRate: f(1), MedianFirstResponseMinutes: n(120)})

	// B's staff do not see A's figures; an admin sees every community.
	if _, err := h.svc.Stats(h.ctx, h.SB, StatsQuery{CommunityID: h.A}); !community.ErrCommunityNotFound.Is(err) {
		t.Fatalf("B's secretary on A: %v", err)
	}
	all, err := h.svc.Stats(h.ctx, h.Admin, StatsQuery{From: "2026-03-01", To: "2026-03-31", GroupBy: ByCommunity})
	h.must(err)
	if len(all.Rows) != 2 || all.Total.Received != 6 {
		t.Fatalf("street: %d rows, %d received", len(all.Rows), all.Total.Received)
	}
	if _, err := h.svc.Stats(h.ctx, h.ResA, StatsQuery{}); !apperr.ErrForbidden.Is(err) {
		t.Fatalf("a resident: %v", err)
	}
	for _, q := range []StatsQuery{
		{From: "2026-3-1"}, {From: "2026-03-05", To: "2026-03-01"}, {From: "2025-01-01", To: "2026-03-01"}, {GroupBy: "day"},
	} {
		if _, err := h.svc.Stats(h.ctx, h.SecA, q); !ErrStatsQuery.Is(err) {
			t.Errorf("%+v: %v", q, err)
		}
	}

	var buf bytes.Buffer
	h.must(WriteCSV(csvx.NewWriter(&buf), r))
	if !bytes.HasPrefix(buf.Bytes(), []byte("\uFEFF")) {
		t.Fatal("CSV without a byte order mark: Excel shows the Chinese garbled")
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	h.must(err)
	if len(recs) != 1+3+1 || recs[0][3] != "名称" || recs[1][0] != "2026-03-01" || recs[1][3] != "李强" || recs[1][5] != "2" ||
		recs[1][19] != "50.0%" || recs[4][3] != "合计" || recs[4][22] != "60" {
		t.Fatalf("csv: %q", recs)
	}
}
