package message

import (
	"slices"
	"sync"
	"testing"
	"time"
)

func types(m Message) []EventType {
	var out []EventType
	for _, e := range m.Events {
		out = append(out, e.Type)
	}
	return out
}

func TestSweepWarnsTheGridThenTellsOwnerAndSecretaryOfOverdue(t *testing.T) {
	h := newHarness(t)
	m := h.submit(h.ResA2, "", "") // grid A2: 李强 is responsible for it
	if got := h.notices(h.GridA2.UserID, m.ID); !slices.Equal(got, []string{"message.new"}) {
		t.Fatalf("grid staff told of the new message: %v", got)
	}
	h.clock.Advance(18*time.Hour - time.Minute)
	h.must(h.svc.Sweep(h.ctx))
	if n := len(h.get(m.ID).Events); n != 1 {
		t.Fatalf("nothing due yet, %d events", n)
	}
	h.clock.Advance(time.Minute) // 75 % of 24 h
	h.must(h.svc.Sweep(h.ctx))
	if got := h.notices(h.GridA2.UserID, m.ID); !slices.Equal(got, []string{"message.new", "message.deadline_warning"}) {
		t.Fatalf("warning to the grid while nobody owns it: %v", got)
	}
	_, _, err := h.svc.Accept(h.ctx, h.GridA2, m.ID)
	h.must(err)
	h.clock.Advance(6 * time.Hour) // 24 h: no answer yet
	h.must(h.svc.Sweep(h.ctx))
	h.must(h.svc.Sweep(h.ctx)) // again: nothing more
	got := h.get(m.ID)
	if !slices.Equal(types(got), []EventType{EvSubmitted, EvWarning, EvAccepted, EvOverdue}) || got.OverdueAt == nil {
		t.Fatalf("thread %v", types(got))
	}
	if got.Events[3].By.Kind != BySystem || got.Events[3].Deadline != "response" {
		t.Fatalf("overdue event %+v", got.Events[3])
	}
	if n := h.notices(h.GridA2.UserID, m.ID); !slices.Equal(n, []string{"message.new", "message.deadline_warning", "message.overdue"}) {
		t.Fatalf("owner: %v", n)
	}
	if n := h.notices(h.SecA.UserID, m.ID); !slices.Equal(n, []string{"message.overdue"}) {
		t.Fatalf("secretary: %v", n)
	}
	if n := h.notices(h.SB.UserID, m.ID); len(n) != 0 {
		t.Fatalf("B's secretary told of A's message: %v", n)
	}
	if got.Figures.Counts.Overdue != 1 {
		t.Fatalf("figures %+v", got.Figures)
	}
}

func TestPausedMessageDoesNotGoOverdueAndTheFollowUpRestartsTheClock(t *testing.T) {
	h := newHarness(t)
	m := h.submit(h.ResA2, "", "")
	_, _, err := h.svc.Accept(h.ctx, h.GridA2, m.ID)
	h.must(err)
	h.clock.Advance(time.Hour)
	_, _, err = h.svc.Reply(h.ctx, h.GridA2, m.ID, "请问是几号楼几单元？", nil, true)
	h.must(err)
	h.clock.Advance(6 * 24 * time.Hour) // past the resolve warning, short of the resident's 7 days
	h.must(h.svc.Sweep(h.ctx))
	got := h.get(m.ID)
	if got.State != AwaitingResident || got.OverdueAt != nil || !slices.Equal(types(got), []EventType{EvSubmitted, EvAccepted, EvReply, EvResidentReminder}) {
		t.Fatalf("paused message marked: %s %v", got.State, types(got))
	}
	_, _, err = h.svc.FollowUp(h.ctx, h.ResA2, m.ID, "3号楼2单元", nil)
	h.must(err)
	got = h.get(m.ID)
	paused := 6 * 24 * time.Hour
	due := start.Add(7*24*time.Hour + paused)
	if got.State != Accepted || !got.Deadlines.ResolveDueAt.Equal(due) {
		t.Fatalf("resumed: %s due %s, want %s", got.State, got.Deadlines.ResolveDueAt, due)
	}
	h.clock.Advance(7*24*time.Hour - time.Hour - time.Minute) // one minute before the moved deadline
	h.must(h.svc.Sweep(h.ctx))
	if got := h.get(m.ID); got.OverdueAt != nil || !got.Deadlines.ResolveWarned {
		t.Fatalf("before the deadline: warned %v overdue %v", got.Deadlines.ResolveWarned, got.OverdueAt)
	}
	h.clock.Advance(time.Minute)
	h.must(h.svc.Sweep(h.ctx))
	got = h.get(m.ID)
	if got.OverdueAt == nil || got.Events[len(got.Events)-1].Deadline != "resolve" {
		t.Fatalf("overdue at the moved deadline: %v", types(got))
	}
	if n := h.notices(h.SecA.UserID, m.ID); !slices.Equal(n, []string{"message.overdue"}) {
		t.Fatalf("secretary: %v", n)
	}
}

// Two server processes sweep at once: each deadline is marked once and
// each person told once.
func TestTwoSweepersAtOnceNotifyOnce(t *testing.T) {
	h := newHarness(t)
	other := h.service()
	var ids []string
	for range 12 {
		m := h.submit(h.ResA2, "安全隐患", "") // urgent: answered within 2 h
		_, _, err := h.svc.Accept(h.ctx, h.GridA2, m.ID)
		h.must(err)
		ids = append(ids, m.ID)
	}
	h.clock.Advance(3 * time.Hour)
	var wg sync.WaitGroup
	for _, s := range []*Service{h.svc, other, h.svc, other} {
		wg.Go(func() {
			if err := s.Sweep(h.ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		m := h.get(id)
		overdue := 0
		for _, e := range m.Events {
			if e.Type == EvOverdue {
				overdue++
			}
		}
		if overdue != 1 || m.Deadlines.ResponseWarned != true {
			t.Fatalf("%s: %v", id, types(m))
		}
		if n := h.notices(h.SecA.UserID, id); !slices.Equal(n, []string{"message.overdue"}) {
			t.Fatalf("secretary told %v", n)
		}
		if n := h.notices(h.GridA2.UserID, id); !slices.Equal(n, []string{"message.new", "message.overdue"}) {
			t.Fatalf("owner told %v", n)
		}
	}
}

func TestLateDepartmentAnswerIsMarkedAndCounted(t *testing.T) {
	h := newHarness(t)
	d, err := h.depts.Create(h.ctx, h.Admin, departmentFields("区房管所", "刘科长"))
	h.must(err)
	m := h.submit(h.ResA2, "", "")
	_, _, err = h.svc.Accept(h.ctx, h.GridA2, m.ID)
	h.must(err)
	_, ev, err := h.svc.Escalate(h.ctx, h.GridA2, m.ID, EscalationInput{DepartmentID: d.ID, Note: "公共维修基金", DueAt: start.Add(48 * time.Hour)})
	h.must(err)
	if _, _, err := h.svc.Escalate(h.ctx, h.SecA, m.ID, EscalationInput{DepartmentID: d.ID, Note: "再催", DueAt: start.Add(72 * time.Hour)}); !ErrAlreadyEscalated.Is(err) {
		t.Fatalf("second whistle to the same department: %v", err)
	}
	h.clock.Advance(49 * time.Hour)
	h.must(h.svc.Sweep(h.ctx))
	got := h.get(m.ID)
	if got.Escalations[0].OverdueAt == nil || got.Figures.Counts.DeptOverdue != 1 || got.Figures.Counts.Escalated != 1 {
		t.Fatalf("department overdue: %+v %+v", got.Escalations[0], got.Figures.Counts)
	}
	if n := h.notices(h.SecA.UserID, m.ID); !slices.Contains(n, "message.overdue") {
		t.Fatalf("secretary: %v", n)
	}
	_, ans, err := h.svc.RecordAnswer(h.ctx, h.SecA, m.ID, ev.EscalationID, "已安排下周维修")
	h.must(err)
	if !ans.Late || ans.DepartmentName != "区房管所" || ans.By.Staff.Name != "王红" {
		t.Fatalf("answer %+v", ans)
	}
	if _, _, err := h.svc.RecordAnswer(h.ctx, h.SecA, m.ID, ev.EscalationID, "改口"); !ErrEscalationDone.Is(err) {
		t.Fatalf("answer twice: %v", err)
	}
}

// A department owes its answer whatever became of the message: one that
// never answers is marked late, told and counted even when the owner
// resolved the message before the department's deadline.
func TestDepartmentThatNeverAnswersIsLateAfterTheMessageIsResolved(t *testing.T) {
	h := newHarness(t)
	d, err := h.depts.Create(h.ctx, h.Admin, departmentFields("城管执法队", "马队长"))
	h.must(err)
	m := h.submit(h.ResA2, "", "")
	_, _, err = h.svc.Accept(h.ctx, h.GridA2, m.ID)
	h.must(err)
	_, _, err = h.svc.Escalate(h.ctx, h.GridA2, m.ID, EscalationInput{DepartmentID: d.ID, Note: "占道经营", DueAt: start.Add(48 * time.Hour)})
	h.must(err)
	_, _, err = h.svc.Reply(h.ctx, h.GridA2, m.ID, "已联系城管", nil, false)
	h.must(err)
	_, _, err = h.svc.Resolve(h.ctx, h.GridA2, m.ID, "摊位已清理")
	h.must(err)
	_, _, err = h.svc.Rate(h.ctx, h.ResA2, m.ID, RatingInput{Solved: true, Satisfaction: Satisfied})
	h.must(err)
	h.clock.Advance(49 * time.Hour)
	h.must(h.svc.Sweep(h.ctx))
	got := h.get(m.ID)
	if got.State != Closed || got.Escalations[0].OverdueAt == nil || got.Figures.Counts.DeptOverdue != 1 {
		t.Fatalf("department late on a closed message: %s %+v %+v", got.State, got.Escalations[0], got.Figures.Counts)
	}
	if got.OverdueAt != nil || got.NextCheckAt != Never {
		t.Fatalf("the message itself was in time: overdue %v, next check %s", got.OverdueAt, got.NextCheckAt)
	}
	if n := h.notices(h.SecA.UserID, m.ID); !slices.Equal(n, []string{"message.overdue"}) {
		t.Fatalf("secretary: %v", n)
	}
	h.countersMatchMessages()
}
