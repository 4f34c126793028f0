package handlers_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"linli/internal/testenv"
)

type queue struct {
	Items      []msg
	NextCursor string
}

func (q queue) ids() []string {
	var out []string
	for _, m := range q.Items {
		out = append(out, m.ID)
	}
	return out
}

// The queue is sorted by the deadline that runs now, overdue first; it
// shows age, deadline, owner and urgency, and flags reopened messages.
func TestQueueIsSortedByDeadlineOverdueFirst(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	normal := lamp(t, env, s.ResidentA.Token) // answer due in 24 h
	env.Clock.Advance(time.Hour)
	urgent := send(t, env, s.ResidentA2.Token, map[string]any{"category": "安全隐患", "content": "燃气味很重"}) // due in 2 h: 11:00
	env.Clock.Advance(time.Hour)
	asked := send(t, env, s.ResidentA2.Token, map[string]any{"category": "噪音扰民", "content": "楼上装修太吵", "urgency": "urgent"})
	if asked.Urgency != "urgent" {
		t.Fatalf("asked urgent: %+v", asked)
	}
	env.Clock.Advance(90 * time.Minute) // 12:30: the urgent one is overdue (11:00), the asked one due at 13:00
	var q queue
	env.Get("/api/v1/staff/queue", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &q)
	if got := strings.Join(q.ids(), ","); got != strings.Join([]string{urgent.ID, asked.ID, normal.ID}, ",") {
		t.Fatalf("order %s", got)
	}
	if !q.Items[0].Overdue || q.Items[1].Overdue || q.Items[0].Deadline.At != "2026-03-02T12:00:00+08:00" {
		t.Fatalf("first %+v / second %+v", q.Items[0], q.Items[1])
	}
	var raw struct{ Items []map[string]any }
	env.Get("/api/v1/staff/queue?limit=1", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &raw)
	for _, k := range []string{"ageMinutes", "deadline", "owner", "urgency", "overdue"} {
		if _, ok := raw.Items[0][k]; !ok {
			t.Fatalf("queue item lacks %s: %v", k, raw.Items[0])
		}
	}
	if raw.Items[0]["ageMinutes"] != float64(150) {
		t.Fatalf("age %v", raw.Items[0]["ageMinutes"])
	}
	// Pages follow the same order.
	var p1, p2 queue
	env.Get("/api/v1/staff/queue?limit=2", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &p1)
	env.Get("/api/v1/staff/queue?limit=2&cursor="+p1.NextCursor, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &p2)
	if len(p1.Items) != 2 || len(p2.Items) != 1 || p2.Items[0].ID != normal.ID || p2.NextCursor != "" {
		t.Fatalf("pages %v / %v", p1.ids(), p2.ids())
	}
	// Grid and mine scopes.
	env.Get("/api/v1/staff/queue?scope=grid", s.StaffA2.Token).Want(t, http.StatusOK).Decode(t, &q)
	if strings.Join(q.ids(), ",") != urgent.ID+","+asked.ID {
		t.Fatalf("grid A2: %v", q.ids())
	}
	env.Post(staffPath(asked.ID, "accept"), s.StaffA2.Token, nil).Want(t, http.StatusOK)
	env.Get("/api/v1/staff/queue?scope=mine", s.StaffA2.Token).Want(t, http.StatusOK).Decode(t, &q)
	if len(q.Items) != 1 || q.Items[0].ID != asked.ID || q.Items[0].Owner.Name != "李强" {
		t.Fatalf("mine: %+v", q.Items)
	}
	// Staff confirm or lower a resident's "urgent": the deadlines follow.
	var loweredEntry entry
	env.Post(staffPath(asked.ID, "classify"), s.StaffA2.Token, map[string]any{"urgency": "normal", "reason": "装修噪音，无安全风险"}).
		Want(t, http.StatusOK).Decode(t, &loweredEntry)
	lowered := loweredEntry.Message
	if lowered.Urgency != "normal" || lowered.ResponseDueAt != "2026-03-03T11:00:00+08:00" {
		t.Fatalf("lowered: %+v", lowered)
	}
	// A reopened message comes back flagged to its owner.
	env.Post(staffPath(asked.ID, "replies"), s.StaffA2.Token, map[string]any{"content": "已提醒装修户遵守施工时间"}).Want(t, http.StatusCreated)
	env.Post(staffPath(asked.ID, "resolve"), s.StaffA2.Token, map[string]any{"resolution": "已约谈"}).Want(t, http.StatusOK)
	env.Get("/api/v1/staff/queue?scope=mine", s.StaffA2.Token).Want(t, http.StatusOK).Decode(t, &q)
	if len(q.Items) != 0 {
		t.Fatalf("resolved in the active queue: %v", q.ids())
	}
	var rated entry
	env.Post("/api/v1/messages/"+asked.ID+"/rating", s.ResidentA2.Token, map[string]any{"solved": false, "satisfaction": "unsatisfied", "comment": "还在吵"}).
		Want(t, http.StatusCreated).Decode(t, &rated)
	if rated.Message.State != "accepted" || !rated.Message.Reopened || !rated.Message.CanFollowUp || rated.Message.Thread[len(rated.Message.Thread)-1].Reopened != true {
		t.Fatalf("reopened: %+v", rated.Message)
	}
	env.Get("/api/v1/staff/queue?scope=mine", s.StaffA2.Token).Want(t, http.StatusOK).Decode(t, &q)
	if len(q.Items) != 1 || !q.Items[0].Reopened || q.Items[0].Deadline.Kind != "resolve" {
		t.Fatalf("reopened in the owner's queue: %+v", q.Items)
	}
	env.Post(staffPath(asked.ID, "resolve"), s.StaffA2.Token, map[string]any{"resolution": "再次约谈"}).
		Want(t, http.StatusConflict, "MESSAGE_NOT_ANSWERED")
	var states queue
	env.Get("/api/v1/messages/mine?state=accepted,resolved", s.ResidentA2.Token).Want(t, http.StatusOK).Decode(t, &states)
	if len(states.Items) != 1 || states.Items[0].ID != asked.ID {
		t.Fatalf("mine by state: %v", states.ids())
	}
}

// A staff member responsible for no grid (a secretary) and an admin ask
// for the grid queue: it is empty, not a server error.
func TestGridQueueOfStaffWithoutGridsIsEmpty(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	lamp(t, env, s.ResidentA.Token)
	for _, r := range []*testenv.Resp{
		env.Get("/api/v1/staff/queue?scope=grid", s.StaffA.Token),
		env.Get("/api/v1/staff/queue?scope=grid&communityId="+s.A.CommunityID, s.Admin),
	} {
		var q queue
		r.Want(t, http.StatusOK).Decode(t, &q)
		if len(q.Items) != 0 {
			t.Fatalf("grid queue without grids: %v", q.ids())
		}
	}
}

func TestQuestionToTheResidentPausesUntilTheFollowUp(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	m := lamp(t, env, s.ResidentA.Token)
	env.Post(staffPath(m.ID, "accept"), s.StaffA.Token, nil).Want(t, http.StatusOK)
	var asked entry
	env.Post(staffPath(m.ID, "replies"), s.StaffA.Token, map[string]any{"content": "请问是几单元？", "askResident": true}).
		Want(t, http.StatusCreated).Decode(t, &asked)
	if asked.Message.State != "awaiting_resident" || !asked.Message.Paused || asked.Message.Deadline != nil || asked.Message.ResolveDueAt != nil {
		t.Fatalf("asked: %+v", asked.Message)
	}
	env.Clock.Advance(48 * time.Hour)
	var fu entry
	env.Post("/api/v1/messages/"+m.ID+"/follow-ups", s.ResidentA.Token, map[string]any{"content": "2单元"}).
		Want(t, http.StatusCreated).Decode(t, &fu)
	if fu.Type != "follow_up" || fu.Message.State != "accepted" || fu.Message.ResolveDueAt == nil || *fu.Message.ResolveDueAt != "2026-03-11T09:00:00+08:00" {
		t.Fatalf("follow-up: %+v", fu.Message)
	}
	// Past the seven days counted from the message, within the seven days
	// not counting the two it waited on the resident.
	env.Clock.Advance(6*24*time.Hour + time.Hour)
	if err := env.App.Messages.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	var got msg
	fresh := env.Login("staff-a", "王红") // a week later: the first token has expired
	env.Get(staffPath(m.ID, ""), fresh).Want(t, http.StatusOK).Decode(t, &got)
	warned := false
	for _, e := range got.Thread {
		if e.Type == "overdue" {
			t.Fatalf("paused time counted: %+v", got.Thread)
		}
		warned = warned || e.Type == "deadline_warning"
	}
	if !warned || got.Overdue {
		t.Fatalf("the sweep ran past 75 %% of the moved deadline: %+v", got)
	}
}

func TestTransferAndWhistleToADepartment(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var dept struct{ ID, Name, LiaisonName string }
	env.Post("/api/v1/admin/departments", s.Admin, map[string]any{"name": "区房管所", "liaisonName": "刘科长", "liaisonPhone": "010-12345678"}).
		Want(t, http.StatusCreated).Decode(t, &dept)
	env.Post("/api/v1/admin/departments", s.StaffA.Token, map[string]any{"name": "城管", "liaisonName": "王"}).Want(t, http.StatusForbidden, "FORBIDDEN")
	env.Post("/api/v1/admin/departments", s.Admin, map[string]any{"name": "区房管所", "liaisonName": "张"}).Want(t, http.StatusConflict, "DEPARTMENT_EXISTS")
	var depts struct{ Items []struct{ ID string } }
	env.Get("/api/v1/admin/departments", s.StaffA2.Token).Want(t, http.StatusOK).Decode(t, &depts)
	if len(depts.Items) != 1 {
		t.Fatalf("staff see the departments: %+v", depts)
	}
	env.Get("/api/v1/admin/departments", s.ResidentA.Token).Want(t, http.StatusForbidden)

	m := lamp(t, env, s.ResidentA2.Token)
	// Only a secretary (or an admin) assigns a message nobody took.
	env.Post(staffPath(m.ID, "transfer"), s.StaffA2.Token, map[string]any{"staffId": s.StaffA.StaffID, "reason": "请书记处理"}).
		Want(t, http.StatusForbidden, "MESSAGE_NOT_OWNER")
	var assignedEntry entry
	env.Post(staffPath(m.ID, "transfer"), s.StaffA.Token, map[string]any{"staffId": s.StaffA2.StaffID, "reason": "属甲二网格"}).
		Want(t, http.StatusOK).Decode(t, &assignedEntry)
	assigned := assignedEntry.Message
	if assigned.State != "accepted" || assigned.Owner.Name != "李强" {
		t.Fatalf("assigned: %+v", assigned)
	}
	var movedEntry entry
	env.Post(staffPath(m.ID, "transfer"), s.StaffA2.Token, map[string]any{"staffId": s.StaffA.StaffID, "reason": "涉及公共维修基金"}).
		Want(t, http.StatusOK).Decode(t, &movedEntry)
	moved := movedEntry.Message
	last := moved.Thread[len(moved.Thread)-1]
	if moved.Owner.Name != "王红" || last.Type != "transferred" || last.From.Name != "李强" || last.To.Name != "王红" || last.Reason != "涉及公共维修基金" {
		t.Fatalf("transferred: %+v", last)
	}
	var esc struct {
		ID, Type, EscalationID, DepartmentName, LiaisonName string
		Message                                             struct {
			Escalations []struct{ ID, DueAt string }
		}
	}
	env.Post(staffPath(m.ID, "escalate"), s.StaffA.Token, map[string]any{"departmentId": dept.ID, "note": "需动用维修基金", "dueAt": "2026-03-04T01:00:00Z"}).
		Want(t, http.StatusCreated).Decode(t, &esc)
	if esc.Type != "escalated" || esc.DepartmentName != "区房管所" || esc.LiaisonName != "刘科长" || esc.Message.Escalations[0].DueAt != "2026-03-04T09:00:00+08:00" {
		t.Fatalf("escalated: %+v", esc)
	}
	env.Post(staffPath(m.ID, "escalate"), s.StaffA.Token, map[string]any{"departmentId": dept.ID, "note": "x", "dueAt": "2026-03-01T09:00:00+08:00"}).
		Want(t, http.StatusUnprocessableEntity, "ESCALATION_DUE_INVALID")
	var ans entry
	env.Post(staffPath(m.ID, "escalations/"+esc.EscalationID+"/answer"), s.StaffA2.Token, map[string]any{"content": "已批准使用维修基金"}).
		Want(t, http.StatusCreated).Decode(t, &ans)
	if ans.Type != "department_answer" {
		t.Fatalf("answer: %+v", ans)
	}
	// The resident sees the whistle and the answer, not the internal note or reason.
	var got msg
	env.Get("/api/v1/messages/"+m.ID, s.ResidentA2.Token).Want(t, http.StatusOK).Decode(t, &got)
	for _, e := range got.Thread {
		if e.Reason != "" || (e.Type == "escalated" && e.Content != "") {
			t.Fatalf("internal text shown to the resident: %+v", e)
		}
	}
	if got.Thread[len(got.Thread)-1].Content != "已批准使用维修基金" {
		t.Fatalf("resident's thread: %+v", got.Thread)
	}
	// An inactive department is not escalated to.
	env.Do(testenv.Req{Method: "PUT", Path: "/api/v1/admin/departments/" + dept.ID, Token: s.Admin,
		Body: map[string]any{"name": "区房管所", "liaisonName": "赵科长", "active": false}}).Want(t, http.StatusOK)
	other := lamp(t, env, s.ResidentA.Token)
	env.Post(staffPath(other.ID, "accept"), s.StaffA.Token, nil).Want(t, http.StatusOK)
	env.Post(staffPath(other.ID, "escalate"), s.StaffA.Token, map[string]any{"departmentId": dept.ID, "note": "x", "dueAt": "2026-03-04T09:00:00+08:00"}).
		Want(t, http.StatusConflict, "DEPARTMENT_INACTIVE")
}

func TestCommunityConfiguresItsCategoriesAndDeadlines(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var cfg struct {
		Categories []struct {
			ID, Label, Urgency string
			Active             bool
		}
		Urgent, Normal      struct{ ResponseHours, ResolveHours int }
		ComplexResolveHours int
		UpdatedAt           *string
	}
	env.Get("/api/v1/communities/"+s.A.CommunityID+"/message-config", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &cfg)
	if len(cfg.Categories) != 8 || cfg.Categories[4].Label != "安全隐患" || cfg.Categories[4].ID != "safety" || cfg.Categories[4].Urgency != "urgent" ||
		cfg.Urgent.ResponseHours != 2 || cfg.Urgent.ResolveHours != 24 || cfg.Normal.ResponseHours != 24 ||
		cfg.Normal.ResolveHours != 168 || cfg.ComplexResolveHours != 360 || cfg.UpdatedAt != nil {
		t.Fatalf("defaults: %+v", cfg)
	}
	body := map[string]any{
		"categories": []map[string]any{
			{"label": "物业维修", "urgency": "normal", "active": true},
			{"label": "电动车充电", "urgency": "urgent", "active": true},
			{"label": "其他", "urgency": "normal", "active": false},
		},
		"urgent":              map[string]any{"responseHours": 1, "resolveHours": 12},
		"normal":              map[string]any{"responseHours": 12, "resolveHours": 72},
		"complexResolveHours": 240,
	}
	path := "/api/v1/staff/communities/" + s.A.CommunityID + "/message-config"
	env.Put(path, s.StaffA2.Token, body).Want(t, http.StatusForbidden, "FORBIDDEN") // a grid worker
	env.Put(path, s.StaffB.Token, body).Want(t, http.StatusForbidden, "FORBIDDEN")  // B's secretary
	env.Put(path, s.StaffA.Token, body).Want(t, http.StatusOK)
	var saved struct {
		Categories []struct{ ID, Label string }
	}
	env.Get("/api/v1/communities/"+s.A.CommunityID+"/message-config", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &saved)
	if len(saved.Categories) != 3 || saved.Categories[0].ID != "repair" || saved.Categories[1].ID == "" || saved.Categories[1].Label != "电动车充电" {
		t.Fatalf("saved categories: %+v", saved.Categories)
	}
	m := send(t, env, s.ResidentA.Token, map[string]any{"category": saved.Categories[1].ID, "content": "楼道里有人给电动车充电"})
	if m.Urgency != "urgent" || m.ResponseDueAt != "2026-03-02T10:00:00+08:00" || m.Category.ID != saved.Categories[1].ID || m.Category.Label != "电动车充电" {
		t.Fatalf("new category: %+v", m)
	}
	env.Post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "其他", "content": "x"}).
		Want(t, http.StatusUnprocessableEntity, "MESSAGE_UNKNOWN_CATEGORY")
	env.Post("/api/v1/messages", s.ResidentB.Token, map[string]any{"category": "其他", "content": "x"}).Want(t, http.StatusCreated) // B keeps the defaults
	bad := map[string]any{
		"categories":          []map[string]any{{"label": "物业维修", "urgency": "normal", "active": true}, {"label": "物业维修", "urgency": "urgent", "active": true}},
		"urgent":              map[string]any{"responseHours": 48, "resolveHours": 12},
		"normal":              map[string]any{"responseHours": 12, "resolveHours": 72},
		"complexResolveHours": 24,
	}
	r := env.Put(path, s.Admin, bad).Want(t, http.StatusUnprocessableEntity, "MESSAGE_CONFIG_INVALID")
	var e struct {
		Error struct{ Fields []struct{ Field string } }
	}
	r.Decode(t, &e)
	if len(e.Error.Fields) < 4 {
		t.Fatalf("one entry per field: %s", r.Body)
	}
	env.Get("/api/v1/communities/"+strings.Repeat("c", 24)+"/message-config", s.ResidentA.Token).Want(t, http.StatusNotFound, "COMMUNITY_NOT_FOUND")
}

func TestStatsAsJSONAndCSV(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	m := lamp(t, env, s.ResidentA.Token)
	env.Post(staffPath(m.ID, "accept"), s.StaffA.Token, nil).Want(t, http.StatusOK)
	env.Clock.Advance(25 * time.Hour)
	env.Post(staffPath(m.ID, "replies"), s.StaffA.Token, map[string]any{"content": "抱歉，已安排"}).Want(t, http.StatusCreated)
	lamp(t, env, s.ResidentA2.Token)
	var rep struct {
		GroupBy string
		Rows    []struct {
			Key, Name                  string
			Received, RespondedInTime  int
			ResponseRate               *float64
			MedianFirstResponseMinutes *int
		}
	}
	env.Get("/api/v1/staff/stats?communityId="+s.A.CommunityID+"&from=2026-03-01&to=2026-03-31&groupBy=grid", s.StaffA2.Token).
		Want(t, http.StatusOK).Decode(t, &rep)
	if rep.GroupBy != "grid" || len(rep.Rows) != 2 || rep.Rows[0].Name != "甲一网格" || rep.Rows[0].RespondedInTime != 0 ||
		*rep.Rows[0].ResponseRate != 0 || *rep.Rows[0].MedianFirstResponseMinutes != 2160 || rep.Rows[1].MedianFirstResponseMinutes != nil {
		t.Fatalf("stats: %+v", rep)
	}
	for _, req := range []testenv.Req{
		{Method: "GET", Path: "/api/v1/staff/stats?from=2026-03-01&to=2026-03-31&format=csv", Token: s.StaffA.Token},
		{Method: "GET", Path: "/api/v1/staff/stats?from=2026-03-01&to=2026-03-31", Token: s.StaffA.Token, Header: map[string]string{"Accept": "text/csv"}},
	} {
		r := env.Do(req).Want(t, http.StatusOK)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("headers %v", r.Header)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\uFEFF")))).ReadAll()
		if err != nil || len(recs) != 4 || recs[1][3] != "王红" || recs[2][3] != "未受理" || recs[3][3] != "合计" || recs[3][5] != "2" {
			t.Fatalf("csv %q %v", recs, err)
		}
	}
}

func TestIdempotentRetryOfASendStoresOneMessage(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	req := testenv.Req{Method: "POST", Path: "/api/v1/messages", Token: s.ResidentA.Token,
		Body: map[string]any{"category": "环境卫生", "content": "垃圾桶满了"}, Header: map[string]string{"Idempotency-Key": "k-1"}}
	var first, second msg
	env.Do(req).Want(t, http.StatusCreated).Decode(t, &first)
	r := env.Do(req).Want(t, http.StatusCreated)
	r.Decode(t, &second)
	if first.ID != second.ID || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %s / %s", first.ID, second.ID)
	}
	var mine queue
	env.Get("/api/v1/messages/mine", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &mine)
	if len(mine.Items) != 1 {
		t.Fatalf("%d messages stored", len(mine.Items))
	}
}

func TestSecretaryMarkIsExplicit(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var st struct{ Secretary bool }
	env.Post("/api/v1/admin/staff/"+s.StaffA2.StaffID+"/secretary", s.Admin, map[string]any{"secretary": true}).
		Want(t, http.StatusOK).Decode(t, &st)
	if !st.Secretary {
		t.Fatal("not marked")
	}
	env.Post("/api/v1/admin/staff/"+s.StaffA2.StaffID+"/secretary", s.StaffA.Token, map[string]any{"secretary": false}).
		Want(t, http.StatusForbidden, "FORBIDDEN")
	env.Post("/api/v1/admin/staff/"+s.StaffA2.StaffID+"/secretary", s.Admin, map[string]any{}).
		Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
}

// What PUT message-config answers through stepWith, as it did by hand: a
// malformed community ID is named before the body is read (404
// INVALID_ID even with a body that would not bind), an omitted lifecycle
// is the defaults, and the answer is the configuration as a later GET
// reads it.
func TestSetMessageConfigAnswersAsBefore(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	env.Put("/api/v1/staff/communities/nope/message-config", s.StaffA.Token, map[string]any{"categories": "x"}).
		Want(t, http.StatusNotFound, "INVALID_ID")
	path := "/api/v1/staff/communities/" + s.A.CommunityID + "/message-config"
	env.Put(path, s.StaffA.Token, map[string]any{"categories": "x"}).Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	body := map[string]any{
		"categories":          []map[string]any{{"label": "物业维修", "urgency": "normal", "active": true}},
		"urgent":              map[string]any{"responseHours": 1, "resolveHours": 12},
		"normal":              map[string]any{"responseHours": 12, "resolveHours": 72},
		"complexResolveHours": 240,
	}
	put := env.Put(path, s.StaffA.Token, body).Want(t, http.StatusOK)
	var answered, read map[string]any
	put.Decode(t, &answered)
	env.Get("/api/v1/communities/"+s.A.CommunityID+"/message-config", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &read)
	if !reflect.DeepEqual(answered, read) {
		t.Fatalf("PUT answered %s\nGET reads %v", put.Body, read)
	}
	lc, _ := answered["lifecycle"].(map[string]any)
	if lc["residentReminderDays"] != 3.0 || lc["residentSilentDays"] != 7.0 || lc["rateReminderDays"] != 2.0 || lc["rateWindowDays"] != 7.0 {
		t.Fatalf("omitted lifecycle answered %v, want the defaults 3/7/2/7", answered["lifecycle"])
	}
}
