package handlers_test

import (
	"net/http"
	"testing"

	"linli/internal/testenv"
)

// msg is the part of a message view the tests read.
type msg struct {
	ID       string
	State    string
	Category string
	Urgency  string
	Owner    *struct{ StaffID, Name, Position string }
	Deadline *struct {
		Kind string
		At   string
	}
	Overdue, Paused, Reopened, CanRate, CanFollowUp bool
	ResponseDueAt                                   string
	ResolveDueAt                                    *string
	Thread                                          []struct {
		ID, Type, State, Content string
		By                       struct{ Kind, StaffID, Name, Position string }
		Reason                   string
		Reopened                 bool
	}
}

func post(t *testing.T, env *testenv.Env, token string, body map[string]any) msg {
	t.Helper()
	var m msg
	env.Post("/api/v1/messages", token, body).Want(t, http.StatusCreated).Decode(t, &m)
	return m
}

func TestMessageLifecycle(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	m := post(t, env, s.ResidentA2.Token, map[string]any{"category": "物业维修", "content": "3号楼电梯坏了，老人上不去楼"})
	if m.ID == "" || m.State != "submitted" || m.Urgency != "normal" || m.Deadline == nil || m.Deadline.Kind != "response" {
		t.Fatalf("created: %+v", m)
	}
	if m.ResponseDueAt != "2026-03-03T09:00:00+08:00" {
		t.Fatalf("response due %s", m.ResponseDueAt)
	}
	var acc msg
	env.Post("/api/v1/staff/messages/"+m.ID+"/accept", s.StaffA2.Token, nil).Want(t, http.StatusOK).Decode(t, &acc)
	if acc.State != "accepted" || acc.Owner == nil || acc.Owner.Name != "李强" {
		t.Fatalf("accepted: %+v", acc)
	}
	env.Post("/api/v1/staff/messages/"+m.ID+"/resolve", s.StaffA2.Token, map[string]any{"resolution": "已修好"}).
		Want(t, http.StatusConflict, "MESSAGE_NOT_ANSWERED")
	env.Post("/api/v1/staff/messages/"+m.ID+"/replies", s.StaffA2.Token, map[string]any{"content": "已联系物业，今天下午维修"}).
		Want(t, http.StatusCreated)
	env.Post("/api/v1/staff/messages/"+m.ID+"/resolve", s.StaffA2.Token, map[string]any{"resolution": "电梯已修好"}).
		Want(t, http.StatusOK)
	var rated struct {
		ID, Type string
		Message  msg
	}
	env.Post("/api/v1/messages/"+m.ID+"/rating", s.ResidentA2.Token, map[string]any{"solved": true, "satisfaction": "satisfied"}).
		Want(t, http.StatusCreated).Decode(t, &rated)
	if rated.Type != "rated" || rated.Message.State != "closed" {
		t.Fatalf("rated: %+v", rated)
	}
	var got msg
	env.Get("/api/v1/messages/"+m.ID, s.ResidentA2.Token).Want(t, http.StatusOK).Decode(t, &got)
	t.Logf("%+v", got)
	var st map[string]any
	env.Get("/api/v1/staff/stats?groupBy=staff", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &st)
	t.Logf("%+v", st)
}
