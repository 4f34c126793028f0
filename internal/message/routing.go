package message

import (
	"slices"
	"time"

	"linli/internal/platform/clock"
)

// The transitions that send a message on: a transfer to another staff
// member (派单, 转交), a whistle blown to a department (吹哨) and the
// department's answer, a change of category. Pure, like the rest (see
// transitions.go).

// transfer moves ownership to another staff member; the thread keeps both
// names. A message nobody took yet is assigned (派单) this way.
func (m *Message) transfer(by Who, to StaffRef, reason string, now time.Time) (Event, error) {
	if !m.State.Active() {
		return Event{}, ErrClosed.New()
	}
	if m.Owner != nil && m.Owner.StaffID == to.StaffID {
		return Event{}, ErrTransferTarget.New()
	}
	if to.check() != nil || (by.Staff != nil && by.Staff.check() != nil) {
		return Event{}, ErrStaffIncomplete.New()
	}
	from := m.Owner
	m.Owner = &to
	if m.State == Submitted {
		m.State, m.AcceptedAt = Accepted, &now
	}
	ev := m.event(EvTransferred, by, now)
	ev.From, ev.To, ev.Reason = from, &to, reason
	return ev, nil
}

// maxDue bounds how far ahead a department's answer may be due.
const maxDue = 30 * 24 * time.Hour

// escalate blows the whistle to a department: its liaison owes an answer by dueAt.
func (m *Message) escalate(by StaffRef, e Escalation, now time.Time) (Event, error) {
	switch {
	case m.State == Submitted:
		return Event{}, ErrNotAccepted.New()
	case !m.State.Active():
		return Event{}, ErrClosed.New()
	case !e.DueAt.After(now) || e.DueAt.After(now.Add(maxDue)):
		return Event{}, ErrDueAt.WithFields(fieldError("dueAt", "range", "答复期限须晚于现在，且不超过30天"))
	case len(m.Escalations) >= MaxEscalations:
		return Event{}, ErrTooManyEscalated.New()
	}
	if slices.ContainsFunc(m.Escalations, func(o Escalation) bool { return o.DepartmentID == e.DepartmentID && o.Answer == nil }) {
		return Event{}, ErrAlreadyEscalated.New()
	}
	if err := by.check(); err != nil {
		return Event{}, err
	}
	if err := m.room(); err != nil {
		return Event{}, err
	}
	e.ID, e.By, e.At = clock.NewID(), by, now
	m.Escalations = append(m.Escalations, e)
	ev := m.event(EvEscalated, staffWho(by), now)
	ev.EscalationID, ev.DepartmentName, ev.LiaisonName, ev.DueAt, ev.Content = e.ID, e.DepartmentName, e.LiaisonName, &e.DueAt, e.Note
	return ev, nil
}

// recordAnswer records a department's answer, as a staff member took it.
func (m *Message) recordAnswer(by StaffRef, escalationID, content string, now time.Time) (Event, error) {
	i := slices.IndexFunc(m.Escalations, func(e Escalation) bool { return e.ID == escalationID })
	if i < 0 {
		return Event{}, ErrEscalationAbsent.New()
	}
	e := &m.Escalations[i]
	if e.Answer != nil {
		return Event{}, ErrEscalationDone.New()
	}
	if err := by.check(); err != nil {
		return Event{}, err
	}
	if err := m.room(); err != nil {
		return Event{}, err
	}
	e.Answer = &Answer{Content: content, RecordedBy: by, At: now, Late: now.After(e.DueAt)}
	ev := m.event(EvDeptAnswer, staffWho(by), now)
	ev.EscalationID, ev.DepartmentName, ev.LiaisonName, ev.Content, ev.Late = e.ID, e.DepartmentName, e.LiaisonName, content, e.Answer.Late
	return ev, nil
}

// Classification is staff's judgement of a message (分级分类): nil fields
// stay as they are. Giving the urgency in force confirms it.
type Classification struct {
	Category *string
	Urgency  *Urgency
	Complex  *bool
	Reason   string
}

// classify changes category, urgency or complexity, with a reason, and
// recomputes the deadlines from the community's configuration.
func (m *Message) classify(by StaffRef, c Classification, cfg Config, now time.Time) (Event, error) {
	if !m.State.Active() {
		return Event{}, ErrClosed.New()
	}
	ev := m.event(EvClassified, staffWho(by), now)
	changed := false
	if c.Category != nil && *c.Category != m.categoryOf().ID && *c.Category != m.Category {
		cat, ok := cfg.Category(*c.Category)
		if !ok || !cat.Active {
			return Event{}, unknownCategory(cfg)
		}
		m.CategoryID, m.Category, ev.CategoryID, ev.Category, changed = cat.ID, cat.Name, cat.ID, cat.Name, true
	}
	if c.Urgency != nil && (*c.Urgency != m.Urgency || !m.UrgencyConfirmed) {
		m.Urgency, m.UrgencyConfirmed, ev.Urgency, changed = *c.Urgency, true, *c.Urgency, true
	}
	if c.Complex != nil && *c.Complex != m.Complex {
		m.Complex, ev.Complex, changed = *c.Complex, c.Complex, true
		m.ComplexReason = ""
		if m.Complex {
			m.ComplexReason = c.Reason
		}
	}
	if !changed {
		return Event{}, ErrNothingChanged.New()
	}
	if err := m.room(); err != nil {
		return Event{}, err
	}
	m.Deadlines.allow(m.SubmittedAt, cfg, m.Urgency, m.Complex)
	ev.Reason = c.Reason
	return ev, nil
}
