package message

import (
	"testing"
	"time"
)

var (
	secretary = StaffRef{StaffID: "s1", UserID: "u1", Name: "王红", Position: "社区书记"}
	gridStaff = StaffRef{StaffID: "s2", UserID: "u2", Name: "李强", Position: "网格员"}
)

func draft(category string, u Urgency) Draft {
	return Draft{Category: category, Content: "楼道灯坏了", Urgency: u}
}

func fresh(t *testing.T, category string, u Urgency) Message {
	t.Helper()
	m, err := newMessage(Author{UserID: "r1", Nickname: "赵大爷"}, Home{CommunityID: "c", GridID: "g"}, draft(category, u), DefaultConfig("c"), start)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func apply(t *testing.T, m *Message, at time.Duration, f func(now time.Time) (Event, error)) Event {
	t.Helper()
	now := start.Add(at)
	ev, err := f(now)
	if err != nil {
		t.Fatalf("at +%s: %v", at, err)
	}
	m.finish(ev, now)
	return ev
}

func TestNewMessageTakesDeadlinesFromUrgency(t *testing.T) {
	cases := []struct {
		category         string
		asked            Urgency
		urgency          Urgency
		confirmed        bool
		response, resolv time.Duration
	}{
		{"物业维修", "", Normal, true, 24 * time.Hour, 7 * 24 * time.Hour},
		{"物业维修", Normal, Normal, true, 24 * time.Hour, 7 * 24 * time.Hour},
		{"物业维修", Urgent, Urgent, false, 2 * time.Hour, 24 * time.Hour}, // asked: urgent until staff decide
		{"安全隐患", "", Urgent, true, 2 * time.Hour, 24 * time.Hour},
		{"安全隐患", Normal, Urgent, true, 2 * time.Hour, 24 * time.Hour}, // a resident cannot lower it
	}
	for _, c := range cases {
		m := fresh(t, c.category, c.asked)
		d := m.Deadlines
		if m.Urgency != c.urgency || m.UrgencyConfirmed != c.confirmed || m.State != Submitted ||
			d.ResponseDueAt != start.Add(c.response) || d.ResolveDueAt != start.Add(c.resolv) ||
			d.ResponseWarnAt != start.Add(c.response*3/4) || d.ResolveWarnAt != start.Add(c.resolv*3/4) {
			t.Errorf("%s asked %q: urgency %s confirmed %v deadlines %+v", c.category, c.asked, m.Urgency, m.UrgencyConfirmed, d)
		}
		if m.SortDueAt != d.ResponseDueAt || m.NextCheckAt != d.ResponseWarnAt {
			t.Errorf("%s: keys sort %s check %s", c.category, m.SortDueAt, m.NextCheckAt)
		}
		if len(m.Events) != 1 || m.Events[0].Type != EvSubmitted || m.Events[0].State != Submitted {
			t.Errorf("events %+v", m.Events)
		}
	}
	_, err := newMessage(Author{}, Home{}, draft("养宠物", ""), DefaultConfig("c"), start)
	if !ErrUnknownCategory.Is(err) {
		t.Fatalf("unknown category: %v", err)
	}
	cfg := DefaultConfig("c")
	cfg.Categories[0].Active = false
	if _, err := newMessage(Author{}, Home{}, draft("物业维修", ""), cfg, start); !ErrUnknownCategory.Is(err) {
		t.Fatalf("inactive category: %v", err)
	}
}

func TestOnlyTheFirstAcceptWins(t *testing.T) {
	m := fresh(t, "物业维修", "")
	apply(t, &m, time.Minute, func(now time.Time) (Event, error) { return m.accept(gridStaff, now) })
	_, err := m.accept(secretary, start.Add(2*time.Minute))
	if !ErrAlreadyAccepted.Is(err) || err == errAlreadyYours {
		t.Fatalf("second accept: %v", err)
	}
	if _, err := m.accept(gridStaff, start.Add(2*time.Minute)); err != errAlreadyYours {
		t.Fatalf("own accept again: %v", err)
	}
}

func TestNoResolveWithoutANamedReplyInTheCycle(t *testing.T) {
	m := fresh(t, "物业维修", "")
	if _, err := m.reply(gridStaff, "x", nil, false, DefaultLifecycle, start); !ErrNotAccepted.Is(err) {
		t.Fatalf("reply before accept: %v", err)
	}
	if _, err := m.resolve(gridStaff, "x", DefaultLifecycle, start); !ErrNotAccepted.Is(err) {
		t.Fatalf("resolve before accept: %v", err)
	}
	apply(t, &m, time.Minute, func(now time.Time) (Event, error) { return m.accept(gridStaff, now) })
	if _, err := m.resolve(gridStaff, "修好了", DefaultLifecycle, start.Add(time.Hour)); !ErrNotAnswered.Is(err) {
		t.Fatalf("resolve without reply: %v", err)
	}
	apply(t, &m, 2*time.Hour, func(now time.Time) (Event, error) {
		return m.reply(secretary, "已派人", nil, false, DefaultLifecycle, now)
	})
	if !m.RespondedInTime || *m.FirstResponseAt != start.Add(2*time.Hour) {
		t.Fatalf("first response %v in time %v", m.FirstResponseAt, m.RespondedInTime)
	}
	if _, err := m.resolve(secretary, "修好了", DefaultLifecycle, start.Add(3*time.Hour)); !ErrNotOwner.Is(err) {
		t.Fatalf("resolve by another: %v", err)
	}
	apply(t, &m, 3*time.Hour, func(now time.Time) (Event, error) { return m.resolve(gridStaff, "修好了", DefaultLifecycle, now) })
	if m.State != Resolved || m.SortDueAt != Never || !m.NextCheckAt.Equal(start.Add(3*time.Hour+2*24*time.Hour)) {
		t.Fatalf("resolved (next: the rating reminder on day 2): %s %s %s", m.State, m.SortDueAt, m.NextCheckAt)
	}
	// Unsatisfied: reopened, a fresh clock, a new named reply owed.
	apply(t, &m, 4*time.Hour, func(now time.Time) (Event, error) { return m.rate(true, Unsatisfied, "灯还是不亮", now) })
	if m.State != Accepted || m.Cycle != 2 || m.Reopens != 1 || m.Answered ||
		m.Deadlines.ResolveDueAt != start.Add(4*time.Hour+7*24*time.Hour) {
		t.Fatalf("reopened: %+v", m)
	}
	if _, err := m.rate(true, Satisfied, "", start.Add(5*time.Hour)); !ErrNotResolved.Is(err) {
		t.Fatalf("rating a reopened message: %v", err)
	}
	if _, err := m.resolve(gridStaff, "换了灯泡", DefaultLifecycle, start.Add(5*time.Hour)); !ErrNotAnswered.Is(err) {
		t.Fatalf("resolve after reopening without a new reply: %v", err)
	}
	apply(t, &m, 5*time.Hour, func(now time.Time) (Event, error) {
		return m.reply(gridStaff, "换了灯泡", nil, false, DefaultLifecycle, now)
	})
	apply(t, &m, 6*time.Hour, func(now time.Time) (Event, error) { return m.resolve(gridStaff, "换了灯泡", DefaultLifecycle, now) })
	apply(t, &m, 7*time.Hour, func(now time.Time) (Event, error) { return m.rate(true, Basic, "", now) })
	if m.State != Closed || m.Rating.Cycle != 2 {
		t.Fatalf("closed: %s %+v", m.State, m.Rating)
	}
	if _, err := m.rate(true, Satisfied, "", start.Add(8*time.Hour)); !ErrAlreadyRated.Is(err) {
		t.Fatalf("second rating: %v", err)
	}
	if _, err := m.followUp("还有问题", nil, start.Add(8*time.Hour)); !ErrClosed.Is(err) {
		t.Fatalf("follow-up on a closed message: %v", err)
	}
}

func TestQuestionPausesTheResolutionClock(t *testing.T) {
	m := fresh(t, "物业维修", "")
	apply(t, &m, time.Hour, func(now time.Time) (Event, error) { return m.accept(gridStaff, now) })
	apply(t, &m, 2*time.Hour, func(now time.Time) (Event, error) {
		return m.reply(gridStaff, "几号楼？", nil, true, DefaultLifecycle, now)
	})
	if m.State != AwaitingResident || m.SortDueAt != Never {
		t.Fatalf("asking: %s %s", m.State, m.SortDueAt)
	}
	if !m.NextCheckAt.Equal(start.Add(2*time.Hour + 3*24*time.Hour)) {
		t.Fatalf("only the reminder to check while paused: %s", m.NextCheckAt)
	}
	// Ten days later the resident answers: the resolution deadline moves by
	// the ten days less two hours it stood still.
	apply(t, &m, 10*24*time.Hour, func(now time.Time) (Event, error) { return m.followUp("3号楼", nil, now) })
	paused := 10*24*time.Hour - 2*time.Hour
	if m.State != Accepted || m.Deadlines.ResolveDueAt != start.Add(7*24*time.Hour+paused) ||
		m.Deadlines.ResolveWarnAt != start.Add(7*24*time.Hour*3/4+paused) {
		t.Fatalf("resumed: %s due %s", m.State, m.Deadlines.ResolveDueAt)
	}
	// A second pause adds up.
	apply(t, &m, 11*24*time.Hour, func(now time.Time) (Event, error) {
		return m.reply(gridStaff, "哪个单元？", nil, true, DefaultLifecycle, now)
	})
	apply(t, &m, 12*24*time.Hour, func(now time.Time) (Event, error) {
		return m.reply(gridStaff, "电话已问清", nil, false, DefaultLifecycle, now)
	})
	if m.State != Accepted || m.Deadlines.ResolveDueAt != start.Add(7*24*time.Hour+paused+24*time.Hour) {
		t.Fatalf("second pause: due %s", m.Deadlines.ResolveDueAt)
	}
}

func TestCheckWarnsAtThreeQuartersThenMarksOverdue(t *testing.T) {
	m := fresh(t, "物业维修", "")
	if _, _, ok := m.check(start.Add(18*time.Hour - time.Millisecond)); ok {
		t.Fatal("nothing is due before 75 %")
	}
	ev, al, ok := m.check(start.Add(18 * time.Hour))
	if !ok || ev.Type != EvWarning || al.Deadline != "response" || !m.Deadlines.ResponseWarned {
		t.Fatalf("warning: %+v %+v", ev, al)
	}
	m.finish(ev, start.Add(18*time.Hour))
	if m.NextCheckAt != start.Add(24*time.Hour) {
		t.Fatalf("next check %s", m.NextCheckAt)
	}
	ev, al, ok = m.check(start.Add(24 * time.Hour))
	if !ok || ev.Type != EvOverdue || al.Deadline != "response" || m.OverdueAt == nil {
		t.Fatalf("overdue: %+v %+v", ev, al)
	}
	m.finish(ev, start.Add(24*time.Hour))
	if _, _, ok := m.check(start.Add(24 * time.Hour)); ok {
		t.Fatal("marked once")
	}
	// Sweeps that missed a warning go straight to overdue, warning included.
	late := fresh(t, "物业维修", "")
	ev, _, _ = late.check(start.Add(8 * 24 * time.Hour))
	if ev.Type != EvOverdue || !late.Deadlines.ResponseWarned {
		t.Fatalf("late sweep: %+v", ev)
	}
	late.finish(ev, start.Add(8*24*time.Hour))
	ev, _, _ = late.check(start.Add(8 * 24 * time.Hour))
	if ev.Type != EvOverdue || ev.Deadline != "resolve" {
		t.Fatalf("then the resolution: %+v", ev)
	}
}

func TestClassifyRecomputesDeadlines(t *testing.T) {
	cfg := DefaultConfig("c")
	m := fresh(t, "物业维修", Urgent)
	lower := Normal
	apply(t, &m, time.Hour, func(now time.Time) (Event, error) {
		return m.classify(gridStaff, Classification{Urgency: &lower, Reason: "无安全风险"}, cfg, now)
	})
	if m.Urgency != Normal || !m.UrgencyConfirmed || m.Deadlines.ResponseDueAt != start.Add(24*time.Hour) {
		t.Fatalf("lowered: %+v", m.Deadlines)
	}
	yes := true
	apply(t, &m, 2*time.Hour, func(now time.Time) (Event, error) {
		return m.classify(gridStaff, Classification{Complex: &yes, Reason: "需业主大会表决"}, cfg, now)
	})
	if !m.Complex || m.ComplexReason != "需业主大会表决" || m.Deadlines.ResolveDueAt != start.Add(15*24*time.Hour) {
		t.Fatalf("complex: %+v", m.Deadlines)
	}
	if _, err := m.classify(gridStaff, Classification{Complex: &yes, Reason: "x"}, cfg, start); !ErrNothingChanged.Is(err) {
		t.Fatalf("no change: %v", err)
	}
	other := "不存在"
	if _, err := m.classify(gridStaff, Classification{Category: &other, Reason: "x"}, cfg, start); !ErrUnknownCategory.Is(err) {
		t.Fatalf("unknown category: %v", err)
	}
}

func TestFiguresMoveWithTheOwner(t *testing.T) {
	m := fresh(t, "物业维修", "")
	f0 := figuresOf(&m)
	if d := diff(Figures{}, f0); len(d) != 1 || d[0].Bucket.StaffID != "" || d[0].Inc[0] != (FieldInc{"c.received", 1}) {
		t.Fatalf("submitted: %+v", d)
	}
	apply(t, &m, time.Minute, func(now time.Time) (Event, error) { return m.accept(gridStaff, now) })
	apply(t, &m, 20*time.Minute, func(now time.Time) (Event, error) {
		return m.reply(gridStaff, "好", nil, false, DefaultLifecycle, now)
	})
	f1 := figuresOf(&m)
	d := diff(f0, f1)
	if len(d) != 2 || d[0].Bucket.StaffID != "" || d[1].Bucket.StaffID != "s2" {
		t.Fatalf("moved: %+v", d)
	}
	if f1.ResponseBin != 3 || binField(f1.ResponseBin) != "rt.b03" { // 20 minutes: (15, 30]
		t.Fatalf("bin %d", f1.ResponseBin)
	}
	if d := diff(f1, f1); d != nil {
		t.Fatalf("no change, no delta: %+v", d)
	}
}

func TestMedianIsTheUpperBoundOfItsBin(t *testing.T) {
	hist := make([]int64, Bins)
	if _, ok := median(hist); ok {
		t.Fatal("no responses, no median")
	}
	for _, m := range []time.Duration{20 * time.Minute, time.Hour, 30 * time.Hour} {
		hist[responseBin(m)]++
	}
	if got, _ := median(hist); got != 60 {
		t.Fatalf("median %d, want 60", got)
	}
	hist[responseBin(40*24*time.Hour)] += 10
	if got, _ := median(hist); got != 43200 {
		t.Fatalf("median %d, want the last edge", got)
	}
	if responseBin(0) != 0 || responseBin(5*time.Minute) != 0 || responseBin(5*time.Minute+time.Second) != 1 {
		t.Fatal("bins: a started minute counts")
	}
}
