package message

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"linli/internal/notify"
)

// Telling people. Notices land in the in-app inbox; each has a key made of
// the message, what happened and the recipient, so that a retried sweep or
// a repeated call stores it once. A failure to tell is logged: the change
// itself stands, and the queue and the thread show it anyway.

// excerpt shortens a text for a notice.
func excerpt(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return string(r)
}

func (s *Service) send(ctx context.Context, m *Message, userIDs []string, kind, key, title, body string) {
	var sent []string
	for _, uid := range userIDs {
		if uid == "" || slices.Contains(sent, uid) {
			continue
		}
		sent = append(sent, uid)
		err := s.notifier.Notify(ctx, notify.Notice{
			UserID: uid, Kind: kind, Title: title, Body: body, RefType: "message", RefID: m.ID,
			Key: "message:" + m.ID + ":" + key + ":" + uid,
		})
		if err != nil {
			s.log.WarnContext(ctx, "notice not stored", "message", m.ID, "kind", kind, "err", err)
		}
	}
}

// tellStaff tells staff members of an event.
func (s *Service) tellStaff(ctx context.Context, m *Message, ev Event, userIDs []string, kind, title, body string) {
	s.send(ctx, m, userIDs, kind, ev.ID, title, body)
}

// tellResident tells the author of an event.
func (s *Service) tellResident(ctx context.Context, m *Message, ev Event, kind, title, body string) {
	s.send(ctx, m, []string{m.Author.UserID}, kind, ev.ID, title, body)
}

// tellOwner tells the owner of an event (the grid's staff when nobody owns it).
func (s *Service) tellOwner(ctx context.Context, m *Message, ev Event, kind, title, body string) {
	s.send(ctx, m, s.responsible(ctx, m), kind, ev.ID, title, body)
}

// tellNew tells the grid's staff that a message waits in their queue.
func (s *Service) tellNew(ctx context.Context, m *Message) {
	s.send(ctx, m, s.responsible(ctx, m), "message.new", "new", "新留言待受理",
		fmt.Sprintf("【%s】%s", m.Category, excerpt(m.Content)))
}

// responsible is who answers for a message now: its owner; while nobody
// owns it, the staff of its grid, or the community's secretaries when the
// grid has none.
func (s *Service) responsible(ctx context.Context, m *Message) []string {
	if m.Owner != nil && m.Owner.UserID != "" {
		return []string{m.Owner.UserID}
	}
	grid, err := s.directory.StaffOfGrid(ctx, m.GridID)
	if err != nil {
		s.log.WarnContext(ctx, "grid staff not found", "grid", m.GridID, "err", err)
	}
	if ids := userIDs(grid); len(ids) > 0 {
		return ids
	}
	return s.secretaries(ctx, m)
}

func (s *Service) secretaries(ctx context.Context, m *Message) []string {
	sec, err := s.directory.SecretariesOf(ctx, m.CommunityID)
	if err != nil {
		s.log.WarnContext(ctx, "secretaries not found", "community", m.CommunityID, "err", err)
	}
	return userIDs(sec)
}

var deadlineNames = map[string]string{"response": "首次响应", "resolve": "办结", "department": "部门答复"}

// alert tells of a deadline the sweep found due: a warning to whoever is
// responsible; an overdue to them and to the community's secretaries. The
// key names the deadline (and the cycle, or the escalation), so that two
// sweeps, or a retried one, store each notice once.
func (s *Service) alert(ctx context.Context, m *Message, al Alert) {
	key := fmt.Sprintf("%s:%s:c%d", al.Kind, al.Deadline, m.Cycle)
	if al.Deadline == "response" {
		key = fmt.Sprintf("%s:response", al.Kind)
	}
	what := deadlineNames[al.Deadline]
	to := s.responsible(ctx, m)
	kind, title := "message.deadline_warning", "留言即将到期："+what
	body := fmt.Sprintf("【%s】%s", m.Category, excerpt(m.Content))
	if al.Kind == EvOverdue {
		kind, title = "message.overdue", "留言已超期："+what
		to = append(to, s.secretaries(ctx, m)...)
	}
	if al.Escalation != nil {
		key += ":" + al.Escalation.ID
		body = fmt.Sprintf("%s（联络人%s）未在期限内答复：%s", al.Escalation.DepartmentName, al.Escalation.LiaisonName, body)
	}
	s.send(ctx, m, to, kind, key, title, body)
}
