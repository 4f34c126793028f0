package message

import (
	"time"

	"linli/internal/platform/clock"
)

// Never stands for "no deadline": queues sort it last, the sweep never
// reaches it. (A far date rather than null, so that range filters mean the
// same in MongoDB and lungo.)
var Never = time.Date(9999, 12, 31, 0, 0, 0, 0, clock.China)

// warnFraction of the allowed time is when the owner is warned.
const (
	warnNum, warnDen = 3, 4
)

// Deadlines are a message's clocks. The response clock runs from
// submission until the first named reply. The resolution clock runs from
// submission (or from the last reopening) until resolution, and pauses
// while staff wait on the resident.
type Deadlines struct {
	ResponseMinutes int       `bson:"responseMinutes"`
	ResolveMinutes  int       `bson:"resolveMinutes"`
	ResponseDueAt   time.Time `bson:"responseDueAt"`
	ResponseWarnAt  time.Time `bson:"responseWarnAt"`
	// CycleStartedAt is when the current resolution clock started.
	CycleStartedAt time.Time `bson:"cycleStartedAt"`
	// PausedMs is how long the resolution clock stood still in this cycle;
	// PausedAt is set while it stands still.
	PausedMs      int64      `bson:"pausedMs"`
	PausedAt      *time.Time `bson:"pausedAt"`
	ResolveDueAt  time.Time  `bson:"resolveDueAt"`
	ResolveWarnAt time.Time  `bson:"resolveWarnAt"`
	// What the sweep has marked; the resolve marks are of the current cycle.
	ResponseWarned  bool `bson:"responseWarned"`
	ResponseOverdue bool `bson:"responseOverdue"`
	ResolveWarned   bool `bson:"resolveWarned"`
	ResolveOverdue  bool `bson:"resolveOverdue"`
}

// allow sets the times allowed to a message of urgency u (complex or not)
// by cfg, and recomputes the due times.
func (d *Deadlines) allow(submittedAt time.Time, cfg Config, u Urgency, complex bool) {
	response, resolve := cfg.Allowed(u, complex)
	d.ResponseMinutes, d.ResolveMinutes = int(response/time.Minute), int(resolve/time.Minute)
	d.recompute(submittedAt)
}

func (d *Deadlines) recompute(submittedAt time.Time) {
	response := time.Duration(d.ResponseMinutes) * time.Minute
	resolve := time.Duration(d.ResolveMinutes) * time.Minute
	paused := time.Duration(d.PausedMs) * time.Millisecond
	d.ResponseDueAt = submittedAt.Add(response)
	d.ResponseWarnAt = submittedAt.Add(response * warnNum / warnDen)
	d.ResolveDueAt = d.CycleStartedAt.Add(resolve + paused)
	d.ResolveWarnAt = d.CycleStartedAt.Add(resolve*warnNum/warnDen + paused)
}

// pause stops the resolution clock.
func (d *Deadlines) pause(now time.Time) {
	if d.PausedAt == nil {
		d.PausedAt = &now
	}
}

// resume restarts the resolution clock: its deadlines move by the pause.
func (d *Deadlines) resume(now, submittedAt time.Time) {
	if d.PausedAt == nil {
		return
	}
	if now.After(*d.PausedAt) {
		d.PausedMs += now.Sub(*d.PausedAt).Milliseconds()
	}
	d.PausedAt = nil
	d.recompute(submittedAt)
}

// newCycle starts a fresh resolution clock (after a reopening).
func (d *Deadlines) newCycle(now, submittedAt time.Time) {
	d.CycleStartedAt, d.PausedMs, d.PausedAt = now, 0, nil
	d.ResolveWarned, d.ResolveOverdue = false, false
	d.recompute(submittedAt)
}

// responseRuns reports whether the message still owes its first response.
func (m *Message) responseRuns() bool { return m.State.Active() && m.FirstResponseAt == nil }

// resolveRuns reports whether the resolution clock runs.
func (m *Message) resolveRuns() bool { return m.State == Submitted || m.State == Accepted }

// refreshKeys recomputes what the queues sort by and when the sweep must
// look next.
func (m *Message) refreshKeys() {
	d := &m.Deadlines
	m.SortDueAt, m.NextCheckAt = Never, Never
	if m.resolveRuns() {
		m.SortDueAt = d.ResolveDueAt
		if m.FirstResponseAt == nil && d.ResponseDueAt.Before(m.SortDueAt) {
			m.SortDueAt = d.ResponseDueAt
		}
	}
	next := func(t time.Time) {
		if t.Before(m.NextCheckAt) {
			m.NextCheckAt = t
		}
	}
	if m.responseRuns() {
		if !d.ResponseWarned {
			next(d.ResponseWarnAt)
		}
		if !d.ResponseOverdue {
			next(d.ResponseDueAt)
		}
	}
	if m.resolveRuns() {
		if !d.ResolveWarned {
			next(d.ResolveWarnAt)
		}
		if !d.ResolveOverdue {
			next(d.ResolveDueAt)
		}
	}
	if w := m.Waiting; w != nil && m.State == AwaitingResident {
		if !w.Reminded {
			next(w.RemindAt)
		}
		next(w.SilentAt)
	}
	if r := m.RatingWindow; r != nil && m.State == Resolved {
		if !r.Reminded {
			next(r.RemindAt)
		}
		next(r.CloseAt)
	}
	// A department owes its answer whatever became of the message since
	// (one that never answers is late even on a closed message).
	for _, e := range m.Escalations {
		if e.Answer == nil && e.OverdueAt == nil {
			next(e.DueAt)
		}
	}
}

// Alert is what a sweep found due on a message: whom to tell is the
// service's business.
type Alert struct {
	Kind     EventType // EvWarning, EvOverdue, or a lifecycle event
	Deadline string    // "response", "resolve" or "department"
	// Escalation is the late department's escalation, for "department".
	Escalation *Escalation
}

// check marks the first deadline that is due at now: an overdue deadline
// is marked (and its warning with it), else a due warning. It reports
// false when nothing is due. Call it again until it reports false.
func (m *Message) check(now time.Time) (Event, Alert, bool) {
	d := &m.Deadlines
	mark := func(kind EventType, deadline string, due time.Time) (Event, Alert, bool) {
		ev := m.event(kind, Who{Kind: BySystem}, now)
		ev.Deadline, ev.DueAt = deadline, &due
		if kind == EvOverdue && deadline != "department" && m.OverdueAt == nil {
			m.OverdueAt = &now
		}
		return ev, Alert{Kind: kind, Deadline: deadline}, true
	}
	if m.responseRuns() {
		if !d.ResponseOverdue && !now.Before(d.ResponseDueAt) {
			d.ResponseOverdue, d.ResponseWarned = true, true
			return mark(EvOverdue, "response", d.ResponseDueAt)
		}
		if !d.ResponseWarned && !now.Before(d.ResponseWarnAt) {
			d.ResponseWarned = true
			return mark(EvWarning, "response", d.ResponseDueAt)
		}
	}
	if m.resolveRuns() {
		if !d.ResolveOverdue && !now.Before(d.ResolveDueAt) {
			d.ResolveOverdue, d.ResolveWarned = true, true
			return mark(EvOverdue, "resolve", d.ResolveDueAt)
		}
		if !d.ResolveWarned && !now.Before(d.ResolveWarnAt) {
			d.ResolveWarned = true
			return mark(EvWarning, "resolve", d.ResolveDueAt)
		}
	}
	if w := m.Waiting; w != nil && m.State == AwaitingResident {
		if !now.Before(w.SilentAt) {
			return m.residentSilent(now), Alert{Kind: EvResidentSilent}, true
		}
		if !w.Reminded && !now.Before(w.RemindAt) {
			return m.remindResident(now), Alert{Kind: EvResidentReminder}, true
		}
	}
	if r := m.RatingWindow; r != nil && m.State == Resolved {
		if !now.Before(r.CloseAt) {
			return m.expireRating(now), Alert{Kind: EvRatingExpired}, true
		}
		if !r.Reminded && !now.Before(r.RemindAt) {
			return m.remindRating(now), Alert{Kind: EvRateReminder}, true
		}
	}
	for i := range m.Escalations {
		e := &m.Escalations[i]
		if e.Answer == nil && e.OverdueAt == nil && !now.Before(e.DueAt) {
			e.OverdueAt = &now
			ev, al, ok := mark(EvOverdue, "department", e.DueAt)
			ev.EscalationID, ev.DepartmentName, ev.LiaisonName = e.ID, e.DepartmentName, e.LiaisonName
			esc := *e
			al.Escalation = &esc
			return ev, al, ok
		}
	}
	return Event{}, Alert{}, false
}
