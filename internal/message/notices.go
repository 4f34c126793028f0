package message

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"linli/internal/apperr"
	"linli/internal/notify"
)

// Telling people. The notices a transition owes are decided with it and
// written in the same conditional update, into the message's outbox (see
// Store.commit): a process that stops after the write loses none of them.
// They are handed to the notifier right after the write, and by the sweep
// when that did not happen; each has a key made of the message, what
// happened and the recipient, so that handing one over twice stores it once.
// Each is removed from the outbox once handed over.

// excerpt shortens a text for a notice.
func excerpt(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return string(r)
}

// notices builds one notice per person of userIDs (each once).
func notices(m *Message, at time.Time, userIDs []string, kind, key, title, body string, fields map[string]string) []notify.Notice {
	var out []notify.Notice
	var seen []string
	if fields == nil {
		fields = map[string]string{}
	}
	fields["subject"] = subject(m)
	for _, uid := range userIDs {
		if uid == "" || slices.Contains(seen, uid) {
			continue
		}
		seen = append(seen, uid)
		out = append(out, notify.Notice{
			UserID: uid, Kind: kind, Title: title, Body: body, RefType: "message", RefID: m.ID, Fields: fields,
			Key: "message:" + m.ID + ":" + key + ":" + uid, CreatedAt: at,
		})
	}
	return out
}

// subject names a message in a notice: its category and first words.
func subject(m *Message) string { return fmt.Sprintf("【%s】%s", m.Category, excerpt(m.Content)) }

// toStaff is a notice of an event to staff members.
func toStaff(m *Message, ev Event, userIDs []string, kind, title, body string) []notify.Notice {
	return notices(m, ev.At, userIDs, kind, ev.ID, title, body, nil)
}

// toResident is a notice of an event to the author.
func toResident(m *Message, ev Event, kind, title, body string) []notify.Notice {
	var fields map[string]string
	if ev.By.Staff != nil {
		fields = map[string]string{"who": ev.By.Staff.Name}
	}
	return notices(m, ev.At, []string{m.Author.UserID}, kind, ev.ID, title, body, fields)
}

// toOwner is a notice of an event to the owner (the grid's staff when nobody owns it).
func (s *Service) toOwner(ctx context.Context, m *Message, ev Event, kind, title, body string) ([]notify.Notice, error) {
	to, err := s.responsible(ctx, m)
	if err != nil {
		return nil, err
	}
	return notices(m, ev.At, to, kind, ev.ID, title, body, nil), nil
}

// newNotices tell the grid's staff that a message waits in their queue.
func (s *Service) newNotices(ctx context.Context, m *Message) ([]notify.Notice, error) {
	title := "新留言待受理"
	fields := map[string]string{notify.BatchField: "message.new", "batchTitle": "新留言待受理"}
	if m.Urgency == Urgent { // told at once
		title, fields = "紧急留言待受理", nil
	}
	to, err := s.responsible(ctx, m)
	if err != nil {
		return nil, err
	}
	return notices(m, m.SubmittedAt, to, "message.new", "new", title, subject(m), fields), nil
}

// deliver hands the outbox's notices to the notifier, oldest first, and
// removes each once handed over. A failure leaves the rest to the sweep.
func (s *Service) deliver(ctx context.Context, m *Message) {
	done, err := notify.HandOver(ctx, s.notifier, m.Outbox, func(ctx context.Context, key string) error {
		return s.store.delivered(ctx, m.ID, key)
	})
	if err != nil {
		s.log.WarnContext(ctx, "notice left for the sweep", "message", m.ID, "kind", m.Outbox[done].Kind, "err", err)
		return
	}
	m.Outbox = nil
}

// responsible is who answers for a message now: its owner; while nobody
// owns it, the staff of its grid, or the community's secretaries when the
// grid has none. When they cannot be looked up the error is returned, and
// the transition that would tell them is not written (the sweep tries
// again next round): a notice decided on a failed look-up would go to
// nobody, and the step would be done without it. The error is
// SERVICE_UNAVAILABLE (503) marked NothingDone: every caller looks the
// people up before its one write, so a resident is told nothing was stored
// and to try again in a moment (Retry-After), not that the server failed,
// and a retry with the same Idempotency-Key runs again.
func (s *Service) responsible(ctx context.Context, m *Message) ([]string, error) {
	if m.Owner != nil && m.Owner.UserID != "" {
		return []string{m.Owner.UserID}, nil
	}
	grid, err := s.directory.StaffOfGrid(ctx, m.GridID)
	if err != nil {
		return nil, apperr.ErrUnavailable.Wrap(fmt.Errorf("message %s: staff of grid %s: %w", m.ID, m.GridID, err)).NothingDone(lookupRetry)
	}
	if ids := userIDs(grid); len(ids) > 0 {
		return ids, nil
	}
	return s.secretaries(ctx, m)
}

// lookupRetry is how long a resident is asked to wait when the people to
// tell could not be looked up.
const lookupRetry = 3 * time.Second

func (s *Service) secretaries(ctx context.Context, m *Message) ([]string, error) {
	sec, err := s.directory.SecretariesOf(ctx, m.CommunityID)
	if err != nil {
		return nil, apperr.ErrUnavailable.Wrap(fmt.Errorf("message %s: secretaries of %s: %w", m.ID, m.CommunityID, err)).NothingDone(lookupRetry)
	}
	return userIDs(sec), nil
}

var deadlineNames = map[string]string{"response": "首次响应", "resolve": "办结", "department": "部门答复"}

// alert tells of a deadline the sweep found due: a warning to whoever is
// responsible; an overdue to them and to the community's secretaries. The
// key names the deadline (and the cycle, or the escalation), so that two
// sweeps, or a retried one, store each notice once.
func (s *Service) alert(ctx context.Context, m *Message, ev Event, al Alert) ([]notify.Notice, error) {
	switch al.Kind {
	case EvResidentReminder:
		return toResident(m, ev, "message.awaiting_reminder", "社区工作人员在等您的答复",
			"您的留言"+subject(m)+"需要您补充信息，请打开留言回复。"), nil
	case EvResidentSilent:
		return s.toOwner(ctx, m, ev, "message.resident_silent", "居民未答复，留言已转回您处理",
			subject(m)+"：居民逾期未答复，请实名答复后再办结。")
	case EvRateReminder:
		return toResident(m, ev, "message.rate_reminder", "请为留言办理结果评价",
			"您的留言"+subject(m)+"已办结，请评价办理结果。"), nil
	case EvRatingExpired:
		return toResident(m, ev, "message.closed", "留言已关闭（评价期已过）",
			"您的留言"+subject(m)+"评价期已过，已关闭。如问题仍未解决，可重新留言。"), nil
	}
	key := fmt.Sprintf("%s:%s:c%d", al.Kind, al.Deadline, m.Cycle)
	if al.Deadline == "response" {
		key = fmt.Sprintf("%s:response", al.Kind)
	}
	what := deadlineNames[al.Deadline]
	to, err := s.responsible(ctx, m)
	if err != nil {
		return nil, err
	}
	kind, title := "message.deadline_warning", "留言即将到期："+what
	body := fmt.Sprintf("【%s】%s", m.Category, excerpt(m.Content))
	if al.Kind == EvOverdue {
		kind, title = "message.overdue", "留言已超期："+what
		sec, err := s.secretaries(ctx, m)
		if err != nil {
			return nil, err
		}
		to = append(to, sec...)
	}
	if al.Escalation != nil {
		key += ":" + al.Escalation.ID
		body = fmt.Sprintf("%s（联络人%s）未在期限内答复：%s", al.Escalation.DepartmentName, al.Escalation.LiaisonName, body)
	}
	return notices(m, ev.At, to, kind, key, title, body, nil), nil
}
