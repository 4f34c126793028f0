package handlers_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"linli/internal/testenv"
)

// A street admin manages communities, staff and departments (DESIGN §4):
// on a community's message they read it and dispatch it (assign or
// transfer it to a named, active staff member of the community), and the
// transfer is recorded as the admin's. Everything done on the message
// itself (accept, reply, classify, escalate to a department, record a
// department's answer, resolve) is signed by a named staff member of the
// community: an admin, who has no staff profile, is refused with
// STAFF_PROFILE_REQUIRED and nothing is written. (The authorization matrix
// holds the statuses; this holds the rule and its code.)
func TestAdminDispatchesButStaffActByName(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var dept struct{ ID string }
	env.Post("/api/v1/admin/departments", s.Admin, map[string]any{"name": "区房管所", "liaisonName": "刘科长"}).
		Want(t, http.StatusCreated).Decode(t, &dept)
	m := lamp(t, env, s.ResidentA.Token)
	env.Post(staffPath(m.ID, "accept"), s.StaffA2.Token, nil).Want(t, http.StatusOK)
	var esc struct{ EscalationID string }
	env.Post(staffPath(m.ID, "escalate"), s.StaffA2.Token, map[string]any{
		"departmentId": dept.ID, "note": "需协调", "dueAt": testenv.Start.Add(48 * time.Hour).Format(time.RFC3339),
	}).Want(t, http.StatusCreated).Decode(t, &esc)
	before := env.Get(staffPath(m.ID, ""), s.StaffA.Token).Want(t, http.StatusOK).Body

	fresh := lamp(t, env, s.ResidentA.Token) // nobody owns it: accept and classify are open to any staff member
	for _, a := range []struct {
		id, action string
		body       any
	}{
		{fresh.ID, "accept", nil},
		{fresh.ID, "classify", map[string]any{"urgency": "urgent", "reason": "老人独居"}},
		{m.ID, "replies", map[string]any{"content": "收到"}},
		{m.ID, "classify", map[string]any{"urgency": "urgent", "reason": "老人独居"}},
		{m.ID, "escalate", map[string]any{"departmentId": dept.ID, "note": "再催", "dueAt": testenv.Start.Add(72 * time.Hour).Format(time.RFC3339)}},
		{m.ID, "escalations/" + esc.EscalationID + "/answer", map[string]any{"content": "刘科长：已审批"}},
		{m.ID, "resolve", map[string]any{"resolution": "已修好"}},
	} {
		r := env.Post(staffPath(a.id, a.action), s.Admin, a.body)
		if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), `"STAFF_PROFILE_REQUIRED"`) {
			t.Errorf("admin %s: %d %s, want 403 STAFF_PROFILE_REQUIRED", a.action, r.Status, r.Body)
		}
	}
	if after := env.Get(staffPath(m.ID, ""), s.StaffA.Token).Want(t, http.StatusOK).Body; !bytes.Equal(before, after) {
		t.Errorf("refused acts changed the message:\n%s\n%s", before, after)
	}

	var answer struct { // the transfer event, with the message as it is now
		Message struct {
			Owner  struct{ StaffID string }
			Thread []struct {
				Type  string
				Actor string // who acted: resident, staff, admin, department
				By    map[string]any
			}
		}
	}
	env.Post(staffPath(m.ID, "transfer"), s.Admin, map[string]any{"staffId": s.StaffA.StaffID, "reason": "请书记协调"}).
		Want(t, http.StatusOK).Decode(t, &answer)
	moved := answer.Message
	if len(moved.Thread) == 0 {
		t.Fatal("the transferred message has no thread")
	}
	last := moved.Thread[len(moved.Thread)-1]
	if moved.Owner.StaffID != s.StaffA.StaffID || last.Type != "transferred" || last.Actor != "admin" {
		t.Errorf("the admin's transfer: owner %s, last entry %+v; want the secretary, transferred by the admin", moved.Owner.StaffID, last)
	}
}
