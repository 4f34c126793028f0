package message

import (
	"linli/internal/person"

	"fmt"

	"linli/internal/actor"

	"testing"
	"time"
)

// The central promise: a message is resolved only after a named staff
// member answered the resident in the current cycle, and a question is not
// an answer. Every path that could end a message is tried here.
func TestAQuestionIsNotAnAnswer(t *testing.T) {
	h := newHarness(t)
	d, err := h.depts.Create(h.ctx, h.Admin, departmentFields("区房管所", "刘科长"))
	h.must(err)
	m := h.submit(h.ResA2, "", "")
	_, _, err = h.svc.Accept(h.ctx, h.GridA2, m.ID)
	h.must(err)

	// A question: a named response (the first), the clock pauses, but no answer.
	_, _, err = h.svc.Reply(h.ctx, h.GridA2, m.ID, "几楼？", nil, true)
	h.must(err)
	got := h.get(m.ID)
	if got.FirstResponseAt == nil || got.State != AwaitingResident || got.Answered {
		t.Fatalf("after a question: first response %v state %s answered %v", got.FirstResponseAt, got.State, got.Answered)
	}
	if _, _, err := h.svc.Resolve(h.ctx, h.GridA2, m.ID, "已处理"); !ErrAwaitingResident.Is(err) {
		t.Fatalf("resolve while the question is open: %v", err)
	}
	// The resident answers: the question is settled, still no answer to them.
	_, _, err = h.svc.FollowUp(h.ctx, h.ResA2, m.ID, "3楼", nil)
	h.must(err)
	if _, _, err := h.svc.Resolve(h.ctx, h.GridA2, m.ID, "已处理"); !ErrNotAnswered.Is(err) {
		t.Fatalf("resolve after only a question: %v", err)
	}
	// A whistle and the department's answer are not an answer to the resident.
	_, esc, err := h.svc.Escalate(h.ctx, h.GridA2, m.ID, EscalationInput{DepartmentID: d.ID, Note: "公共维修", DueAt: start.Add(48 * time.Hour)})
	h.must(err)
	_, _, err = h.svc.RecordAnswer(h.ctx, h.GridA2, m.ID, esc.EscalationID, "下周修")
	h.must(err)
	if _, _, err := h.svc.Resolve(h.ctx, h.GridA2, m.ID, "已处理"); !ErrNotAnswered.Is(err) {
		t.Fatalf("resolve after a department's answer only: %v", err)
	}
	// A classification is not one either.
	yes := true
	_, _, err = h.svc.Classify(h.ctx, h.GridA2, m.ID, Classification{Complex: &yes, Reason: "需要部门协调"})
	h.must(err)
	if _, _, err := h.svc.Resolve(h.ctx, h.GridA2, m.ID, "已处理"); !ErrNotAnswered.Is(err) {
		t.Fatalf("resolve after a classification only: %v", err)
	}
	// A transfer hands the message on; the new owner still owes the answer.
	_, _, err = h.svc.Transfer(h.ctx, h.GridA2, m.ID, h.SecA.StaffID, "书记亲自跟进")
	h.must(err)
	if got := h.get(m.ID); got.State != Accepted {
		t.Fatalf("a transfer ended the message: %s", got.State)
	}
	if _, _, err := h.svc.Resolve(h.ctx, h.SecA, m.ID, "已处理"); !ErrNotAnswered.Is(err) {
		t.Fatalf("resolve after a transfer only: %v", err)
	}
	// The sweep marks deadlines; it never ends a message.
	h.clock.Advance(30 * 24 * time.Hour)
	h.must(h.svc.Sweep(h.ctx))
	if got := h.get(m.ID); got.State != Accepted || got.OverdueAt == nil {
		t.Fatalf("after the sweep: %s overdue %v", got.State, got.OverdueAt)
	}
	if _, _, err := h.svc.Resolve(h.ctx, h.SecA, m.ID, "已处理"); !ErrNotAnswered.Is(err) {
		t.Fatalf("resolve after the sweep: %v", err)
	}
	// An answer, then it resolves.
	_, _, err = h.svc.Reply(h.ctx, h.SecA, m.ID, "房管所下周来修", nil, false)
	h.must(err)
	_, _, err = h.svc.Resolve(h.ctx, h.SecA, m.ID, "已修好")
	h.must(err)
	// Reopened: a question in the new cycle is not an answer either.
	_, _, err = h.svc.Rate(h.ctx, h.ResA2, m.ID, RatingInput{Solved: false, Satisfaction: Unsatisfied})
	h.must(err)
	if _, _, err := h.svc.Resolve(h.ctx, h.SecA, m.ID, "已处理"); !ErrNotAnswered.Is(err) {
		t.Fatalf("resolve after reopening: %v", err)
	}
	_, _, err = h.svc.Reply(h.ctx, h.SecA, m.ID, "哪里还漏？", nil, true)
	h.must(err)
	_, _, err = h.svc.FollowUp(h.ctx, h.ResA2, m.ID, "厨房", nil)
	h.must(err)
	if _, _, err := h.svc.Resolve(h.ctx, h.SecA, m.ID, "已处理"); !ErrNotAnswered.Is(err) {
		t.Fatalf("resolve after a question in the new cycle: %v", err)
	}
	// Staff replying without a question ends the pause too, and is the answer.
	_, _, err = h.svc.Reply(h.ctx, h.SecA, m.ID, "明天上门", nil, false)
	h.must(err)
	_, _, err = h.svc.Resolve(h.ctx, h.SecA, m.ID, "厨房也修好了")
	h.must(err)
}

// A message stored before questions stopped counting carries the Answered
// mark for a question: resolving reads the thread, not the mark.
func TestAnOldAnsweredMarkFromAQuestionDoesNotResolve(t *testing.T) {
	m := fresh(t, "物业维修", "")
	apply(t, &m, time.Minute, func(now time.Time) (Event, error) { return m.accept(gridStaff, now) })
	apply(t, &m, 2*time.Minute, func(now time.Time) (Event, error) {
		return m.reply(gridStaff, "几楼？", nil, true, DefaultLifecycle, now)
	})
	apply(t, &m, 3*time.Minute, func(now time.Time) (Event, error) { return m.followUp("3楼", nil, now) })
	m.Answered = true // as the old code stored it
	if _, err := m.resolve(gridStaff, "修好了", DefaultLifecycle, start.Add(time.Hour)); !ErrNotAnswered.Is(err) {
		t.Fatalf("resolve on the old mark: %v", err)
	}
}

// The service itself refuses a staff profile without a real name and
// position, whatever the HTTP layer checked.
func TestStaffWithoutNameOrPositionCannotAnswer(t *testing.T) {
	h := newHarness(t)
	m := h.submit(h.ResA2, "", "")
	nameless := h.GridA2
	nameless.StaffName = " \u200B "
	if _, _, err := h.svc.Accept(h.ctx, nameless, m.ID); !ErrStaffIncomplete.Is(err) {
		t.Fatalf("accept without a name: %v", err)
	}
	_, _, err := h.svc.Accept(h.ctx, h.GridA2, m.ID)
	h.must(err)
	for _, a := range []func(*StaffRef){
		func(r *StaffRef) { r.Name = "" },
		func(r *StaffRef) { r.Position = "\u3000" },
	} {
		by := StaffRef{StaffID: h.GridA2.StaffID, UserID: h.GridA2.UserID, Name: "李强", Position: "网格员"}
		a(&by)
		cp := h.get(m.ID)
		if _, err := cp.reply(by, "好的", nil, false, DefaultLifecycle, start); !ErrStaffIncomplete.Is(err) {
			t.Fatalf("reply by %+v: %v", by, err)
		}
	}
	noPosition := h.GridA2
	noPosition.StaffPosition = ""
	if _, _, err := h.svc.Reply(h.ctx, noPosition, m.ID, "好的", nil, false); !ErrStaffIncomplete.Is(err) {
		t.Fatalf("reply without a position: %v", err)
	}
	_, _, err = h.svc.Reply(h.ctx, h.GridA2, m.ID, "好的", nil, false)
	h.must(err)
	if _, _, err := h.svc.Resolve(h.ctx, noPosition, m.ID, "已办"); !ErrStaffIncomplete.Is(err) {
		t.Fatalf("resolve without a position: %v", err)
	}
	if got := h.get(m.ID); got.State != Accepted {
		t.Fatalf("state %s", got.State)
	}
}

// Messages carry the names of their community, grid and building; those
// stored before names were kept are named once by Backfill.
func TestMessagesCarryPlaceNamesAndOldOnesAreBackfilled(t *testing.T) {
	h := newHarness(t)
	m := h.submit(h.ResA2, "", "")
	if s := Summarise(m, start); s.CommunityName != "甲社区" || s.GridName != "甲二网格" {
		t.Fatalf("summary %+v", s)
	}
	old := h.submit(h.ResA, "", "")
	_, err := h.db.Collection("messages").UpdateOne(h.ctx, map[string]any{"_id": old.ID}, map[string]any{"$unset": map[string]any{"place": ""}})
	h.must(err)
	if got := h.get(old.ID); got.Place != nil {
		t.Fatalf("place not removed: %+v", got.Place)
	}
	// A transition on the unnamed message does not write an empty place.
	_, _, err = h.svc.Accept(h.ctx, h.SecA, old.ID)
	h.must(err)
	h.must(h.svc.Backfill(h.ctx))
	h.must(h.svc.Backfill(h.ctx)) // again: nothing to do
	got := h.get(old.ID)
	if got.Place == nil || got.Place.CommunityName != "甲社区" || got.Place.GridName != "甲一网格" || got.State != Accepted {
		t.Fatalf("backfilled %+v %s", got.Place, got.State)
	}
}

// Categories stored by name only (configurations and messages from before
// categories had identifiers) are given identifiers, the same every time.
func TestCategoriesStoredByNameGetIdentifiers(t *testing.T) {
	h := newHarness(t)
	// A configuration stored without identifiers, with a custom category.
	_, err := h.db.Collection("message_configs").InsertOne(h.ctx, map[string]any{
		"_id": h.A, "categories": []map[string]any{{"name": "物业维修", "urgency": "normal", "active": true}, {"name": "电动车充电", "urgency": "urgent", "active": true}},
		"urgent": map[string]any{"responseHours": 2, "resolveHours": 24}, "normal": map[string]any{"responseHours": 24, "resolveHours": 168},
		"complexResolveHours": 360,
	})
	h.must(err)
	cfg, err := h.svc.Config(h.ctx, h.A)
	h.must(err)
	if cfg.Categories[0].ID != "repair" || cfg.Categories[1].ID == "" || cfg.Categories[1].ID != categoryID("电动车充电") {
		t.Fatalf("categories %+v", cfg.Categories)
	}
	// Messages sent by label or by id land in the same category.
	byLabel, err := h.svc.Submit(h.ctx, h.ResA, Draft{Category: "电动车充电", Content: "楼道充电"})
	h.must(err)
	byID, err := h.svc.Submit(h.ctx, h.ResA, Draft{Category: cfg.Categories[1].ID, Content: "楼道充电"})
	h.must(err)
	if byLabel.CategoryID != byID.CategoryID || byID.Urgency != Urgent {
		t.Fatalf("by label %q, by id %q", byLabel.CategoryID, byID.CategoryID)
	}
	// A message stored without an identifier is given its configuration's.
	_, err = h.db.Collection("messages").UpdateOne(h.ctx, map[string]any{"_id": byLabel.ID}, map[string]any{"$unset": map[string]any{"categoryId": ""}})
	h.must(err)
	h.must(h.svc.Backfill(h.ctx))
	h.must(h.svc.Backfill(h.ctx))
	if got := h.get(byLabel.ID); got.CategoryID != cfg.Categories[1].ID || Summarise(got, start).Category.Label != "电动车充电" {
		t.Fatalf("backfilled %q", got.CategoryID)
	}
}

// The paths that hand a message to someone who did not answer it
// themselves. The rule is about the resident: they must have had a named
// answer, that is not a question, in this cycle, before anyone resolves.
// Who gave it may differ from who resolves (a transfer keeps the thread,
// and the resolution carries the resolver's own name), and an answer
// stays an answer when its author leaves (it was signed when given). An
// admin without a staff profile names nobody and so may hand a message on
// but never answer or resolve it.
func TestAnswerRuleAcrossHandsAndRoles(t *testing.T) {
	h := newHarness(t)

	// An admin without a staff profile: may assign, may not answer or resolve.
	m := h.submit(h.ResA2, "", "")
	if _, _, err := h.svc.Accept(h.ctx, h.Admin, m.ID); !ErrStaffRequired.Is(err) {
		t.Fatalf("admin accepts: %v", err)
	}
	_, _, err := h.svc.Transfer(h.ctx, h.Admin, m.ID, h.GridA2.StaffID, "请网格员处理")
	h.must(err)
	if _, _, err := h.svc.Reply(h.ctx, h.Admin, m.ID, "已收到", nil, false); !ErrStaffRequired.Is(err) {
		t.Fatalf("admin replies: %v", err)
	}
	if _, _, err := h.svc.Resolve(h.ctx, h.Admin, m.ID, "已处理"); err == nil {
		t.Fatal("an admin without a staff profile resolved")
	}
	// The new owner assigned by the admin never answered: refused.
	if _, _, err := h.svc.Resolve(h.ctx, h.GridA2, m.ID, "已处理"); !ErrNotAnswered.Is(err) {
		t.Fatalf("assigned owner resolves without an answer: %v", err)
	}

	// The owner answers, then leaves: their staff profile is deactivated,
	// so the actor the account service builds for them holds no staff role.
	_, _, err = h.svc.Reply(h.ctx, h.GridA2, m.ID, "明天上门查看", nil, false)
	h.must(err)
	left := actor.Actor{UserID: h.GridA2.UserID, Nickname: h.GridA2.Nickname, Roles: []actor.Role{actor.Resident}}
	if _, _, err := h.svc.Resolve(h.ctx, left, m.ID, "已处理"); err == nil {
		t.Fatal("a deactivated staff member resolved")
	}
	// The secretary takes it over; the resident had a named answer in this
	// cycle (李强's, kept in the thread), so the new owner may resolve, in
	// their own name.
	_, _, err = h.svc.Transfer(h.ctx, h.SecA, m.ID, h.SecA.StaffID, "网格员离岗")
	h.must(err)
	got, _, err := h.svc.Resolve(h.ctx, h.SecA, m.ID, "已修好")
	h.must(err)
	if got.Resolution == nil || got.Resolution.By.StaffID != h.SecA.StaffID {
		t.Fatalf("resolution %+v", got.Resolution)
	}
	// Reopened: the earlier answer belongs to the closed cycle; a transfer
	// back does not carry it over.
	_, _, err = h.svc.Rate(h.ctx, h.ResA2, m.ID, RatingInput{Solved: false, Satisfaction: Unsatisfied})
	h.must(err)
	_, _, err = h.svc.Transfer(h.ctx, h.SecA, m.ID, h.GridA2.StaffID, "回到网格")
	h.must(err)
	if _, _, err := h.svc.Resolve(h.ctx, h.GridA2, m.ID, "已处理"); !ErrNotAnswered.Is(err) {
		t.Fatalf("resolve in the new cycle on the old answer: %v", err)
	}
}

// The backfills pass over what they cannot mend rather than read it again:
// messages whose community is gone, or stored without any category, ahead
// of (in ID order) one that can be mended, do not keep it unmended nor
// hold the start-up in a loop.
func TestBackfillPassesOverWhatItCannotMend(t *testing.T) {
	h := newHarness(t)
	var docs []any
	for i := range sweepBatch + 1 {
		// IDs below any ObjectID: read first. No community, no category.
		docs = append(docs, map[string]any{"_id": fmt.Sprintf("0%04d", i), "communityId": "gone", "gridId": "gone", "state": "closed"})
	}
	_, err := h.db.Collection("messages").InsertMany(h.ctx, docs)
	h.must(err)
	m := h.submit(h.ResA, "", "")
	_, err = h.db.Collection("messages").UpdateOne(h.ctx, map[string]any{"_id": m.ID},
		map[string]any{"$unset": map[string]any{"place": "", "categoryId": ""}})
	h.must(err)
	h.must(h.svc.Backfill(h.ctx))
	got := h.get(m.ID)
	if got.Place == nil || got.Place.CommunityName != "甲社区" || got.CategoryID == "" {
		t.Fatalf("the mendable message behind the others: place %+v category %q", got.Place, got.CategoryID)
	}
}

// One rule for a person on a message, as on a wish: staff viewers see the
// user IDs of staff (to act on them), residents never do; a street admin
// acting without a staff profile is named by role, unverified, in both.
func TestPeopleOnMessagesAsEachViewerSeesThem(t *testing.T) {
	h := newHarness(t)
	m := h.submit(h.ResA2, "", "")
	_, _, err := h.svc.Transfer(h.ctx, h.Admin, m.ID, h.GridA2.StaffID, "请网格员处理")
	h.must(err)
	_, _, err = h.svc.Reply(h.ctx, h.GridA2, m.ID, "明天上门", nil, false)
	h.must(err)
	_, _, err = h.svc.Resolve(h.ctx, h.GridA2, m.ID, "已修好")
	h.must(err)
	m = h.get(m.ID)
	for _, staff := range []bool{true, false} {
		d := View(m, start)
		list := Summarise(m, start)
		if staff {
			d, list = StaffView(m, start), StaffSummarise(m, start)
		}
		wantID := ""
		if staff {
			wantID = h.GridA2.UserID
		}
		if d.Owner == nil || d.Owner.UserID != wantID || list.Owner == nil || list.Owner.UserID != wantID ||
			d.Resolution == nil || d.Resolution.By.UserID != wantID || !d.Owner.Verified {
			t.Fatalf("staff viewer %v: owner %+v, list owner %+v, resolution %+v", staff, d.Owner, list.Owner, d.Resolution)
		}
		var assigned, replied *EventView
		for i := range d.Thread {
			switch d.Thread[i].Type {
			case EvTransferred:
				assigned = &d.Thread[i]
			case EvReply:
				replied = &d.Thread[i]
			}
		}
		if assigned == nil || assigned.By == nil || assigned.By.Name != person.StreetAdminName || assigned.By.Verified ||
			(assigned.By.UserID != "") == !staff || assigned.To == nil || assigned.To.UserID != wantID {
			t.Fatalf("staff viewer %v: assignment %+v", staff, assigned)
		}
		if replied == nil || replied.By == nil || replied.By.UserID != wantID || replied.By.Name != "李强" {
			t.Fatalf("staff viewer %v: reply %+v", staff, replied)
		}
	}
}
