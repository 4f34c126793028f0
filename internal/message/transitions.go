package message

import (
	"slices"
	"time"

	"linli/internal/apperr"
	"linli/internal/platform/clock"
	"linli/internal/platform/text"
)

// The transitions of a message. Each is a pure function of the message, the
// one acting and the time: it checks that the state allows it, changes the
// message and returns the event to append. The service writes the result
// only if nobody changed the message meanwhile (see Service.change).

// Draft is what a resident sends.
type Draft struct {
	Category string
	Content  string
	Images   []string
	// Urgency is what the resident asks for: "urgent" raises the
	// category's urgency until staff confirm or lower it; "" or "normal"
	// keeps the category's.
	Urgency Urgency
}

// Home is where the message comes from: the resident's community and grid.
type Home struct{ CommunityID, GridID, BuildingID string }

// newMessage builds a submitted message in the queue of home's grid.
func newMessage(author Author, home Home, d Draft, cfg Config, now time.Time) (Message, error) {
	cat, ok := cfg.Category(d.Category)
	if !ok || !cat.Active {
		return Message{}, unknownCategory(cfg)
	}
	urgency := cat.Urgency
	if d.Urgency == Urgent {
		urgency = Urgent
	}
	requested := d.Urgency
	if requested == "" {
		requested = cat.Urgency
	}
	images := d.Images
	if images == nil {
		images = []string{}
	}
	m := Message{
		ID: clock.NewID(), CommunityID: home.CommunityID, GridID: home.GridID, BuildingID: home.BuildingID,
		Author: author, CategoryID: cat.ID, Category: cat.Name, Content: d.Content, Images: images,
		Urgency: urgency, RequestedUrgency: requested, UrgencyConfirmed: urgency == cat.Urgency,
		State: Submitted, Cycle: 1, Escalations: []Escalation{}, SubmittedAt: now, Events: []Event{},
	}
	m.Deadlines.CycleStartedAt = now
	m.Deadlines.allow(now, cfg, urgency, false)
	ev := m.event(EvSubmitted, Who{Kind: ByResident, UserID: author.UserID}, now)
	ev.Content, ev.Images, ev.CategoryID, ev.Category, ev.Urgency = d.Content, images, cat.ID, cat.Name, urgency
	m.finish(ev, now)
	return m, nil
}

func fieldError(field, code, msg string) apperr.FieldError {
	return apperr.FieldError{Field: field, Code: code, Message: msg}
}

func unknownCategory(cfg Config) error {
	e := ErrUnknownCategory.WithDetails(map[string]any{"categories": cfg.ActiveCategories()})
	e.Fields = append(e.Fields, fieldError("category", "unknown", "请从列表中选择留言类别"))
	return e
}

// event starts an event of the message.
func (m *Message) event(t EventType, by Who, now time.Time) Event {
	return Event{ID: clock.NewID(), Type: t, At: now, By: by}
}

// finish records ev as the last change: the event, the time, the keys.
func (m *Message) finish(ev Event, now time.Time) {
	m.UpdatedAt = now
	m.refreshKeys()
	ev.State = m.State
	m.Events = append(m.Events, ev)
}

// room refuses a change by a person when the thread is full.
func (m *Message) room() error {
	if len(m.Events) >= MaxEvents {
		return ErrThreadFull.New()
	}
	return nil
}

func staffWho(by StaffRef) Who { return Who{Kind: ByStaff, UserID: by.UserID, Staff: &by} }

// ownerDetails says who owns a message, for a conflict answer.
func (m *Message) ownerDetails() map[string]any {
	d := map[string]any{}
	if m.Owner != nil {
		d["owner"] = staffPerson(*m.Owner)
	}
	if m.AcceptedAt != nil {
		d["acceptedAt"] = *m.AcceptedAt
	}
	return d
}

// errAlreadyYours says the caller already owns the message: accepting
// again changes nothing (a retried accept succeeds).
var errAlreadyYours = ErrAlreadyAccepted.New()

// accept makes by the owner (首接负责): only the first one succeeds.
func (m *Message) accept(by StaffRef, now time.Time) (Event, error) {
	if m.Owner != nil {
		if m.Owner.StaffID == by.StaffID {
			return Event{}, errAlreadyYours
		}
		return Event{}, ErrAlreadyAccepted.WithDetails(m.ownerDetails())
	}
	if m.State != Submitted {
		return Event{}, ErrClosed.New()
	}
	if err := by.check(); err != nil {
		return Event{}, err
	}
	m.Owner, m.AcceptedAt, m.State = &by, &now, Accepted
	return m.event(EvAccepted, staffWho(by), now), nil
}

// reply adds a named staff answer. ask makes it a question to the resident:
// the resolution clock pauses until the resident (or staff) continues.
func (m *Message) reply(by StaffRef, content string, images []string, ask bool, lc Lifecycle, now time.Time) (Event, error) {
	switch m.State {
	case Submitted:
		return Event{}, ErrNotAccepted.New()
	case Resolved, Closed:
		return Event{}, ErrClosed.New()
	}
	if err := by.check(); err != nil {
		return Event{}, err
	}
	if err := m.room(); err != nil {
		return Event{}, err
	}
	// A question is a named response (the first one counts for the
	// response clock) but not an answer: resolving still waits for one.
	if !ask {
		m.Answered = true
	}
	if m.FirstResponseAt == nil {
		m.FirstResponseAt = &now
		m.RespondedInTime = !now.After(m.Deadlines.ResponseDueAt)
	}
	m.ResidentSilent = false
	if ask {
		m.State = AwaitingResident
		m.Deadlines.pause(now)
		m.Waiting = &Waiting{Since: now, RemindAt: now.Add(days(lc.ResidentReminderDays)), SilentAt: now.Add(days(lc.ResidentSilentDays))}
	} else if m.State == AwaitingResident {
		m.State = Accepted
		m.Deadlines.resume(now, m.SubmittedAt)
		m.Waiting = nil
	}
	ev := m.event(EvReply, staffWho(by), now)
	ev.Content, ev.Images, ev.AskResident = content, images, ask
	return ev, nil
}

// categoryOf is the message's category as answers show it.
func (m *Message) categoryOf() CategoryRef {
	id := m.CategoryID
	if id == "" {
		id = categoryID(m.Category)
	}
	return CategoryRef{ID: id, Label: m.Category}
}

// answeredInCycle reports whether a named staff member answered the
// resident in the current cycle with a reply that is not a question. It
// reads the thread rather than trusting the Answered mark alone: messages
// stored before questions stopped counting carry the mark for a question.
// A department's answer, a transfer, a classification or a sweep's mark is
// not an answer to the resident.
func (m *Message) answeredInCycle() bool {
	for i := len(m.Events) - 1; i >= 0; i-- {
		e := &m.Events[i]
		switch {
		case e.Type == EvRated && e.Reopened:
			return false // the cycle began here
		case e.Type == EvReply && !e.AskResident && e.By.Kind == ByStaff && e.By.Staff != nil && e.By.Staff.check() == nil:
			return true
		}
	}
	return false
}

// check refuses a staff snapshot that would not name anyone: an answer is
// signed with a real name and a position.
func (r StaffRef) check() error {
	if r.StaffID == "" || text.Blank(r.Name) || text.Blank(r.Position) {
		return ErrStaffIncomplete.New()
	}
	return nil
}

// followUp adds the resident's words to their open message; an answer to
// a question restarts the resolution clock.
func (m *Message) followUp(content string, images []string, now time.Time) (Event, error) {
	if !m.State.Active() {
		return Event{}, ErrClosed.New()
	}
	if err := m.room(); err != nil {
		return Event{}, err
	}
	if m.State == AwaitingResident {
		m.State = Accepted
		m.Deadlines.resume(now, m.SubmittedAt)
	}
	m.Waiting, m.ResidentSilent = nil, false
	ev := m.event(EvFollowUp, Who{Kind: ByResident, UserID: m.Author.UserID}, now)
	ev.Content, ev.Images = content, images
	return ev, nil
}

// resolve closes the current cycle: only the owner, only after a named
// answer in this cycle that is not a question, and not while a question to
// the resident is still open.
func (m *Message) resolve(by StaffRef, text string, lc Lifecycle, now time.Time) (Event, error) {
	switch m.State {
	case Submitted:
		return Event{}, ErrNotAccepted.New()
	case Resolved, Closed:
		return Event{}, ErrClosed.New()
	}
	if m.Owner == nil || m.Owner.StaffID != by.StaffID {
		return Event{}, ErrNotOwner.WithDetails(m.ownerDetails())
	}
	if m.State == AwaitingResident {
		return Event{}, ErrAwaitingResident.New()
	}
	if err := by.check(); err != nil {
		return Event{}, err
	}
	if !m.answeredInCycle() {
		return Event{}, ErrNotAnswered.New()
	}
	m.Deadlines.resume(now, m.SubmittedAt)
	m.State = Resolved
	m.Waiting, m.ResidentSilent = nil, false
	m.RatingWindow = &RatingWindow{RemindAt: now.Add(days(lc.RateReminderDays)), CloseAt: now.Add(days(lc.RateWindowDays))}
	m.Resolution = &Resolution{Text: text, By: by, Cycle: m.Cycle, At: now}
	ev := m.event(EvResolved, staffWho(by), now)
	ev.Content = text
	return ev, nil
}

// rate records the author's rating of the resolution, once per cycle.
// Unsolved or unsatisfied reopens the message to its owner, flagged, with
// a fresh resolution clock; a named reply is owed again before resolving.
func (m *Message) rate(solved bool, v Satisfaction, comment string, now time.Time) (Event, error) {
	switch {
	case m.Rating != nil && m.Rating.Cycle == m.Cycle:
		return Event{}, ErrAlreadyRated.New()
	case m.State != Resolved:
		return Event{}, ErrNotResolved.New()
	}
	m.Rating = &Rating{Solved: solved, Satisfaction: v, Comment: comment, Cycle: m.Cycle, At: now}
	m.RatingWindow = nil
	reopen := !solved || v == Unsatisfied
	if reopen {
		m.State, m.Cycle, m.Answered = Accepted, m.Cycle+1, false
		m.Reopens++
		m.Deadlines.newCycle(now, m.SubmittedAt)
	} else {
		m.State = Closed
	}
	ev := m.event(EvRated, Who{Kind: ByResident, UserID: m.Author.UserID}, now)
	ev.Solved, ev.Satisfaction, ev.Content, ev.Reopened = &solved, v, comment, reopen
	return ev, nil
}

// The lifecycle's ends, decided by the sweep (see check).

// remindResident marks the reminder of an unanswered question.
func (m *Message) remindResident(now time.Time) Event {
	m.Waiting.Reminded = true
	return m.event(EvResidentReminder, Who{Kind: BySystem}, now)
}

// residentSilent gives a message whose question went unanswered back to
// its owner: the resolution clock restarts, and a named answer is owed
// again before it can be resolved (silence never closes a message).
func (m *Message) residentSilent(now time.Time) Event {
	m.State, m.Waiting, m.ResidentSilent, m.Answered = Accepted, nil, true, false
	d := &m.Deadlines
	d.CycleStartedAt, d.PausedMs, d.PausedAt = now, 0, nil
	d.ResolveWarned, d.ResolveOverdue = false, false
	d.recompute(m.SubmittedAt)
	return m.event(EvResidentSilent, Who{Kind: BySystem}, now)
}

// remindRating marks the reminder to rate.
func (m *Message) remindRating(now time.Time) Event {
	m.RatingWindow.Reminded = true
	return m.event(EvRateReminder, Who{Kind: BySystem}, now)
}

// expireRating closes a resolution not rated in its window.
func (m *Message) expireRating(now time.Time) Event {
	m.State, m.RatingWindow, m.RatingExpired = Closed, nil, true
	return m.event(EvRatingExpired, Who{Kind: BySystem}, now)
}

// clone copies m deeply enough for a transition to change the copy.
func (m Message) clone() Message {
	m.Images = slices.Clone(m.Images)
	m.Escalations = slices.Clone(m.Escalations)
	m.Events = slices.Clip(m.Events)
	m.Pending = nil
	return m
}
