package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"linli/internal/platform/page"
	"linli/internal/testenv"
)

// msg is the part of a message view the tests read.
type msg struct {
	ID       string
	State    string
	Category struct{ ID, Label string }
	Urgency  string
	Owner    *struct {
		StaffID, Name, Position string
		Verified                bool
	}
	Deadline *struct {
		Kind string
		At   string
	}
	Overdue, Paused, Reopened, CanRate, CanFollowUp bool
	ResponseDueAt                                   string
	ResolveDueAt                                    *string
	Author                                          *struct{ UserID, Name string }
	Thread                                          []struct {
		ID, Type, State, Content, Reason string
		Actor                            string
		By                               *struct {
			StaffID, Name, Position string
			Verified                bool
		}
		From, To *struct{ Name string }
		Reopened bool
	}
}

// entry is a new thread entry with its message.
type entry struct {
	ID, Type string
	Message  msg
}

func send(t *testing.T, env *testenv.Env, token string, body map[string]any) msg {
	t.Helper()
	var m msg
	env.Post("/api/v1/messages", token, body).Want(t, http.StatusCreated).Decode(t, &m)
	return m
}

func lamp(t *testing.T, env *testenv.Env, token string) msg {
	t.Helper()
	return send(t, env, token, map[string]any{"category": "物业维修", "content": "3号楼楼道灯坏了，老人晚上下楼看不见"})
}

func staffPath(id, action string) string {
	if action == "" {
		return "/api/v1/staff/messages/" + id
	}
	return "/api/v1/staff/messages/" + id + "/" + action
}

func TestMessageAnsweredByANamedStaffMember(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	m := lamp(t, env, s.ResidentA2.Token)
	if m.ID == "" || m.State != "submitted" || m.Urgency != "normal" || m.Deadline == nil || m.Deadline.Kind != "response" ||
		m.ResponseDueAt != "2026-03-03T09:00:00+08:00" || m.ResolveDueAt == nil || *m.ResolveDueAt != "2026-03-09T09:00:00+08:00" {
		t.Fatalf("created: %+v", m)
	}
	var accepted entry
	env.Post(staffPath(m.ID, "accept"), s.StaffA2.Token, nil).Want(t, http.StatusOK).Decode(t, &accepted)
	acc := accepted.Message
	if accepted.Type != "accepted" || acc.State != "accepted" || acc.Owner == nil || acc.Owner.Name != "李强" || !acc.Owner.Verified ||
		acc.Author == nil || acc.Author.Name != "孙阿姨" || acc.Author.UserID == "" {
		t.Fatalf("accepted: %+v", accepted)
	}
	env.Post(staffPath(m.ID, "resolve"), s.StaffA2.Token, map[string]any{"resolution": "已修好"}).
		Want(t, http.StatusConflict, "MESSAGE_NOT_ANSWERED")
	env.Clock.Advance(40 * time.Minute)
	var reply entry
	env.Post(staffPath(m.ID, "replies"), s.StaffA.Token, map[string]any{"content": "已通知物业，今天下午维修"}).
		Want(t, http.StatusCreated).Decode(t, &reply)
	if reply.Type != "reply" || reply.ID == "" || reply.Message.Thread[len(reply.Message.Thread)-1].ID != reply.ID {
		t.Fatalf("reply entry: %+v", reply)
	}
	env.Post(staffPath(m.ID, "resolve"), s.StaffA.Token, map[string]any{"resolution": "电梯已修好"}).
		Want(t, http.StatusForbidden, "MESSAGE_NOT_OWNER")
	env.Post(staffPath(m.ID, "resolve"), s.StaffA2.Token, map[string]any{"resolution": "灯已换新"}).Want(t, http.StatusOK)

	var got msg
	env.Get("/api/v1/messages/"+m.ID, s.ResidentA2.Token).Want(t, http.StatusOK).Decode(t, &got)
	if got.State != "resolved" || !got.CanRate || got.Author != nil {
		t.Fatalf("resident view: %+v", got)
	}
	want := []string{"submitted/submitted/resident/孙阿姨/false", "accepted/accepted/staff/李强 网格员/true", "reply/accepted/staff/王红 社区书记/true", "resolved/resolved/staff/李强 网格员/true"}
	for i, e := range got.Thread {
		if s := e.Type + "/" + e.State + "/" + e.Actor + "/" + strings.TrimSpace(e.By.Name+" "+e.By.Position) + "/" + strconv.FormatBool(e.By.Verified); s != want[i] {
			t.Fatalf("thread[%d] = %s, want %s", i, s, want[i])
		}
	}
	// The resident was told who took the message, of the answer and of the resolution.
	list, err := env.App.Inbox.List(context.Background(), s.ResidentA2.UserID, page.Cursor{}, 10)
	if err != nil || len(list) != 3 || list[2].Kind != "message.accepted" || !strings.Contains(list[2].Body, "李强（网格员）") ||
		list[1].Kind != "message.reply" || !strings.Contains(list[1].Body, "王红（社区书记）") || list[0].Kind != "message.resolved" {
		t.Fatalf("resident's notices: %+v %v", list, err)
	}
	var rated entry
	env.Post("/api/v1/messages/"+m.ID+"/rating", s.ResidentA2.Token, map[string]any{"solved": true, "satisfaction": "satisfied", "comment": "谢谢"}).
		Want(t, http.StatusCreated).Decode(t, &rated)
	if rated.Type != "rated" || rated.Message.State != "closed" || rated.Message.CanRate || rated.Message.CanFollowUp {
		t.Fatalf("rated: %+v", rated)
	}
	env.Post("/api/v1/messages/"+m.ID+"/rating", s.ResidentA2.Token, map[string]any{"solved": true, "satisfaction": "basic"}).
		Want(t, http.StatusConflict, "MESSAGE_ALREADY_RATED")
}

func TestMessageScope(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	a := lamp(t, env, s.ResidentA.Token)
	b := lamp(t, env, s.ResidentB.Token)
	// Residents see only their own.
	env.Get("/api/v1/messages/"+a.ID, s.ResidentA2.Token).Want(t, http.StatusNotFound, "MESSAGE_NOT_FOUND")
	env.Get("/api/v1/messages/"+a.ID, s.StaffA.Token).Want(t, http.StatusNotFound, "MESSAGE_NOT_FOUND") // staff, but not the author
	env.Post("/api/v1/messages/"+a.ID+"/follow-ups", s.ResidentB.Token, map[string]any{"content": "x"}).Want(t, http.StatusNotFound, "MESSAGE_NOT_FOUND")
	var mine struct{ Items []msg }
	env.Get("/api/v1/messages/mine", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != a.ID {
		t.Fatalf("mine: %+v", mine.Items)
	}
	// A's staff never see or touch B's. Every body below is one that the
	// same action on A's own message accepts (an active department, a
	// colleague of A), so only the scope check can refuse it.
	var dept struct{ ID string }
	env.Post("/api/v1/admin/departments", s.Admin, map[string]any{"name": "区房管所", "liaisonName": "刘科长", "liaisonPhone": "010-12345678"}).
		Want(t, http.StatusCreated).Decode(t, &dept)
	if r := env.Get("/api/v1/staff/messages/"+b.ID, s.StaffA.Token); r.Status != http.StatusNotFound || r.Code() != "MESSAGE_NOT_FOUND" {
		t.Errorf("B's message read by A's staff: %d %.200s", r.Status, r.Body)
	}
	for _, action := range []string{"accept", "replies", "resolve", "transfer", "escalate", "classify"} {
		body := map[string]any{"content": "x", "resolution": "x", "staffId": s.StaffA.StaffID, "reason": "x"}
		switch action {
		case "accept":
			body = nil
		case "replies":
			body = map[string]any{"content": "x"}
		case "resolve":
			body = map[string]any{"resolution": "x"}
		case "transfer":
			body = map[string]any{"staffId": s.StaffA.StaffID, "reason": "x"}
		case "escalate":
			body = map[string]any{"departmentId": dept.ID, "note": "x", "dueAt": "2026-03-03T09:00:00+08:00"}
		case "classify":
			body = map[string]any{"urgency": "urgent", "reason": "x"}
		}
		r := env.Post(staffPath(b.ID, action), s.StaffA.Token, body)
		if r.Status != http.StatusNotFound || r.Code() != "MESSAGE_NOT_FOUND" {
			t.Errorf("%s on B's message by A's staff: %d %.200s", action, r.Status, r.Body)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	var q struct{ Items []msg }
	env.Get("/api/v1/staff/queue?scope=community", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &q)
	if len(q.Items) != 1 || q.Items[0].ID != a.ID {
		t.Fatalf("A's queue: %+v", q.Items)
	}
	env.Get("/api/v1/staff/queue?communityId="+s.B.CommunityID, s.StaffA.Token).Want(t, http.StatusNotFound, "COMMUNITY_NOT_FOUND")
	env.Get("/api/v1/staff/stats?communityId="+s.B.CommunityID, s.StaffA.Token).Want(t, http.StatusNotFound, "COMMUNITY_NOT_FOUND")
	// Residents have no staff side.
	env.Get("/api/v1/staff/queue", s.ResidentA.Token).Want(t, http.StatusForbidden, "FORBIDDEN")
	env.Post(staffPath(a.ID, "accept"), s.ResidentA.Token, nil).Want(t, http.StatusForbidden, "FORBIDDEN")
	env.Get("/api/v1/staff/stats", s.ResidentA.Token).Want(t, http.StatusForbidden, "FORBIDDEN")
	// Rating is the author's only.
	env.Post(staffPath(a.ID, "accept"), s.StaffA.Token, nil).Want(t, http.StatusOK)
	env.Post(staffPath(a.ID, "replies"), s.StaffA.Token, map[string]any{"content": "好的"}).Want(t, http.StatusCreated)
	env.Post(staffPath(a.ID, "resolve"), s.StaffA.Token, map[string]any{"resolution": "已修"}).Want(t, http.StatusOK)
	env.Post("/api/v1/messages/"+a.ID+"/rating", s.ResidentA2.Token, map[string]any{"solved": true, "satisfaction": "satisfied"}).
		Want(t, http.StatusNotFound, "MESSAGE_NOT_FOUND")
	env.Post("/api/v1/messages/"+a.ID+"/rating", s.StaffA.Token, map[string]any{"solved": true, "satisfaction": "satisfied"}).
		Want(t, http.StatusNotFound, "MESSAGE_NOT_FOUND")
}

// 首接负责: twenty staff accept the same message at once; one owns it.
func TestAcceptRaceHasExactlyOneOwner(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	staff := []testenv.Person{s.StaffA, s.StaffA2}
	for i := range 18 {
		staff = append(staff, env.AddStaff(s.Admin, fmt.Sprint("staff-race-", i), fmt.Sprint("社工", i), "社区工作者", s.A1, nil))
	}
	m := lamp(t, env, s.ResidentA.Token)
	type result struct {
		status        int
		code, ownerID string
	}
	results := make([]result, len(staff))
	var wg sync.WaitGroup
	for i, p := range staff {
		wg.Go(func() {
			r := env.Post(staffPath(m.ID, "accept"), p.Token, nil)
			var body struct {
				Message struct {
					Owner struct{ StaffID string }
				}
				Error struct {
					Code    string
					Details struct {
						Owner struct{ StaffID, Name, Position string }
					}
				}
			}
			r.Decode(t, &body)
			results[i] = result{r.Status, body.Error.Code, body.Message.Owner.StaffID + body.Error.Details.Owner.StaffID}
		})
	}
	wg.Wait()
	winners, owner := 0, ""
	for i, r := range results {
		if r.status == http.StatusOK {
			winners++
			owner = staff[i].StaffID
		}
	}
	if winners != 1 {
		t.Fatalf("%d accepts succeeded: %+v", winners, results)
	}
	for _, r := range results {
		if r.ownerID != owner || (r.status != http.StatusOK && (r.status != http.StatusConflict || r.code != "MESSAGE_ALREADY_ACCEPTED")) {
			t.Fatalf("answer %+v, owner %s", r, owner)
		}
	}
	var got msg
	env.Get(staffPath(m.ID, ""), s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &got)
	accepted := 0
	for _, e := range got.Thread {
		if e.Type == "accepted" {
			accepted++
		}
	}
	if accepted != 1 || got.Owner.StaffID != owner {
		t.Fatalf("thread has %d acceptances, owner %+v", accepted, got.Owner)
	}
	// The figures count the message once, under its owner.
	var st struct {
		Rows  []struct{ Key string }
		Total struct{ Received int }
	}
	env.Get("/api/v1/staff/stats?from=2026-03-01&to=2026-03-31", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &st)
	if len(st.Rows) != 1 || st.Rows[0].Key != owner || st.Total.Received != 1 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestBadMessageInputHasItsOwnCode(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	open := lamp(t, env, s.ResidentA.Token)
	homeless := env.Login("no-home", "新居民")
	long := strings.Repeat("灯", 2001)
	cases := []struct {
		name   string
		token  string
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"empty content", s.ResidentA.Token, "POST", "/api/v1/messages", map[string]any{"category": "其他", "content": ""}, 422, "MESSAGE_CONTENT_EMPTY"},
		{"blank content", s.ResidentA.Token, "POST", "/api/v1/messages", map[string]any{"category": "其他", "content": " \n\t "}, 422, "MESSAGE_CONTENT_EMPTY"},
		{"no content", s.ResidentA.Token, "POST", "/api/v1/messages", map[string]any{"category": "其他"}, 422, "MESSAGE_CONTENT_EMPTY"},
		{"content over 2,000", s.ResidentA.Token, "POST", "/api/v1/messages", map[string]any{"category": "其他", "content": long}, 422, "MESSAGE_CONTENT_TOO_LONG"},
		{"unknown category", s.ResidentA.Token, "POST", "/api/v1/messages", map[string]any{"category": "养宠物", "content": "x"}, 422, "MESSAGE_UNKNOWN_CATEGORY"},
		{"no category", s.ResidentA.Token, "POST", "/api/v1/messages", map[string]any{"content": "x"}, 422, "VALIDATION_FAILED"},
		{"bad urgency", s.ResidentA.Token, "POST", "/api/v1/messages", map[string]any{"category": "其他", "content": "x", "urgency": "asap"}, 422, "VALIDATION_FAILED"},
		{"ten images", s.ResidentA.Token, "POST", "/api/v1/messages", map[string]any{"category": "其他", "content": "x", "images": strings.Split(strings.Repeat("https://img.example/a.jpg,", 10)[:259], ",")}, 422, "VALIDATION_FAILED"},
		{"image not a URL", s.ResidentA.Token, "POST", "/api/v1/messages", map[string]any{"category": "其他", "content": "x", "images": []string{"not a url"}}, 422, "VALIDATION_FAILED"},
		{"unknown field", s.ResidentA.Token, "POST", "/api/v1/messages", map[string]any{"category": "其他", "content": "x", "title": "灯"}, 400, "UNKNOWN_FIELD"},
		{"malformed JSON", s.ResidentA.Token, "POST", "/api/v1/messages", `{"category": "其他",`, 400, "MALFORMED_JSON"},
		{"content not a string", s.ResidentA.Token, "POST", "/api/v1/messages", `{"category": "其他", "content": 12}`, 422, "VALIDATION_FAILED"},
		{"no home", homeless, "POST", "/api/v1/messages", map[string]any{"category": "其他", "content": "x"}, 409, "HOME_REQUIRED"},
		{"not signed in", "", "POST", "/api/v1/messages", map[string]any{"category": "其他", "content": "x"}, 401, "AUTH_REQUIRED"},
		{"rating an open message", s.ResidentA.Token, "POST", "/api/v1/messages/" + open.ID + "/rating", map[string]any{"solved": true, "satisfaction": "satisfied"}, 409, "MESSAGE_NOT_RESOLVED"},
		{"rating without solved", s.ResidentA.Token, "POST", "/api/v1/messages/" + open.ID + "/rating", map[string]any{"satisfaction": "satisfied"}, 422, "VALIDATION_FAILED"},
		{"bad satisfaction", s.ResidentA.Token, "POST", "/api/v1/messages/" + open.ID + "/rating", map[string]any{"solved": true, "satisfaction": "ok"}, 422, "VALIDATION_FAILED"},
		{"bad message ID", s.ResidentA.Token, "GET", "/api/v1/messages/12345", nil, 404, "INVALID_ID"},
		{"unknown message ID", s.ResidentA.Token, "GET", "/api/v1/messages/" + strings.Repeat("a", 24), nil, 404, "MESSAGE_NOT_FOUND"},
		{"bad staff message ID", s.StaffA.Token, "POST", "/api/v1/staff/messages/xyz/accept", nil, 404, "INVALID_ID"},
		{"bad escalation ID", s.StaffA.Token, "POST", "/api/v1/staff/messages/" + open.ID + "/escalations/nope/answer", map[string]any{"content": "x"}, 404, "INVALID_ID"},
		{"bad state filter", s.ResidentA.Token, "GET", "/api/v1/messages/mine?state=open", nil, 422, "VALIDATION_FAILED"},
		{"bad queue scope", s.StaffA.Token, "GET", "/api/v1/staff/queue?scope=street", nil, 422, "VALIDATION_FAILED"},
		{"bad cursor", s.StaffA.Token, "GET", "/api/v1/staff/queue?cursor=bm9wZQ", nil, 422, "INVALID_CURSOR"},
		{"reply before accepting", s.StaffA.Token, "POST", staffPath(open.ID, "replies"), map[string]any{"content": "好"}, 409, "MESSAGE_NOT_ACCEPTED"},
		{"empty reply", s.StaffA.Token, "POST", staffPath(open.ID, "replies"), map[string]any{"content": ""}, 422, "MESSAGE_CONTENT_EMPTY"},
		{"transfer to nobody", s.StaffA.Token, "POST", staffPath(open.ID, "transfer"), map[string]any{"staffId": strings.Repeat("b", 24), "reason": "x"}, 422, "MESSAGE_TRANSFER_TARGET_INVALID"},
		{"transfer to B's staff", s.StaffA.Token, "POST", staffPath(open.ID, "transfer"), map[string]any{"staffId": s.StaffB.StaffID, "reason": "x"}, 422, "MESSAGE_TRANSFER_TARGET_INVALID"},
		{"escalate with a bad date", s.StaffA.Token, "POST", staffPath(open.ID, "escalate"), map[string]any{"departmentId": open.ID, "note": "x", "dueAt": "明天"}, 422, "VALIDATION_FAILED"},
		{"escalate to no department", s.StaffA.Token, "POST", staffPath(open.ID, "escalate"), map[string]any{"departmentId": open.ID, "note": "x", "dueAt": "2026-03-03T09:00:00+08:00"}, 404, "DEPARTMENT_NOT_FOUND"},
		{"classify without change", s.StaffA.Token, "POST", staffPath(open.ID, "classify"), map[string]any{"category": "物业维修", "reason": "x"}, 422, "MESSAGE_CLASSIFY_UNCHANGED"},
		{"classify without reason", s.StaffA.Token, "POST", staffPath(open.ID, "classify"), map[string]any{"urgency": "urgent"}, 422, "VALIDATION_FAILED"},
		{"stats bad date", s.StaffA.Token, "GET", "/api/v1/staff/stats?from=March", nil, 422, "STATS_QUERY_INVALID"},
		{"stats bad grouping", s.StaffA.Token, "GET", "/api/v1/staff/stats?groupBy=building", nil, 422, "STATS_QUERY_INVALID"},
		{"stats bad format", s.StaffA.Token, "GET", "/api/v1/staff/stats?format=xlsx", nil, 422, "VALIDATION_FAILED"},
		{"stats bad community", s.StaffA.Token, "GET", "/api/v1/staff/stats?communityId=1", nil, 404, "INVALID_ID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := env.Do(testenv.Req{Method: c.method, Path: c.path, Token: c.token, Body: c.body})
			r.Want(t, c.status, c.code)
		})
	}
	// Exactly 2,000 characters is fine.
	send(t, env, s.ResidentA.Token, map[string]any{"category": "其他", "content": long[:len(long)-len("灯")]})
}
