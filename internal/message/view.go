package message

import (
	"time"
)

// What the API shows of a message. Residents see their own messages with
// every named answer and every state change; staff see the same and the
// internal parts (reasons, notes, warnings, the resident's nickname).

// Due is the deadline that matters now.
type Due struct {
	// Kind is "response" (the first named answer) or "resolve".
	Kind string    `json:"kind"`
	At   time.Time `json:"at"`
	// RemainingMinutes is negative once the deadline has passed.
	RemainingMinutes int `json:"remainingMinutes"`
}

// Summary is a message in a list: the resident's own, or a staff queue.
type Summary struct {
	ID          string    `json:"id"`
	Category    string    `json:"category"`
	Excerpt     string    `json:"excerpt"`
	Urgency     Urgency   `json:"urgency"`
	Complex     bool      `json:"complex"`
	State       State     `json:"state"`
	CommunityID string    `json:"communityId"`
	GridID      string    `json:"gridId"`
	Owner       *StaffRef `json:"owner"`
	SubmittedAt time.Time `json:"submittedAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	// AgeMinutes is how long ago the message was sent.
	AgeMinutes int  `json:"ageMinutes"`
	Deadline   *Due `json:"deadline"`
	// Overdue: the deadline that runs now has passed.
	Overdue bool `json:"overdue"`
	// EverOverdue: some deadline of the message was missed.
	EverOverdue bool `json:"everOverdue"`
	// Paused: staff wait on the resident, the resolution clock stands.
	Paused bool `json:"paused"`
	// Reopened: the resident was not satisfied with a resolution.
	Reopened bool `json:"reopened"`
	CanRate  bool `json:"canRate"`
	// ResidentSilent: the resident did not answer staff's question in
	// time; the owner owes a named answer.
	ResidentSilent bool `json:"residentSilent"`
	// RatingClosesAt is when a resolved message closes unrated.
	RatingClosesAt *time.Time `json:"ratingClosesAt"`
}

// Detail is one message with its thread.
type Detail struct {
	Summary
	Content          string      `json:"content"`
	Images           []string    `json:"images"`
	BuildingID       string      `json:"buildingId,omitempty"`
	RequestedUrgency Urgency     `json:"requestedUrgency"`
	UrgencyConfirmed bool        `json:"urgencyConfirmed"`
	AcceptedAt       *time.Time  `json:"acceptedAt"`
	FirstResponseAt  *time.Time  `json:"firstResponseAt"`
	RespondedInTime  *bool       `json:"respondedInTime"`
	ResponseDueAt    time.Time   `json:"responseDueAt"`
	ResolveDueAt     *time.Time  `json:"resolveDueAt"`
	Cycle            int         `json:"cycle"`
	Reopens          int         `json:"reopens"`
	Resolution       *Resolution `json:"resolution"`
	Rating           *Rating     `json:"rating"`
	CanFollowUp      bool        `json:"canFollowUp"`
	Thread           []EventView `json:"thread"`
	// Staff only.
	Author        *AuthorView  `json:"author,omitempty"`
	ComplexReason string       `json:"complexReason,omitempty"`
	Escalations   []Escalation `json:"escalations,omitempty"`
}

// AuthorView is the resident as staff see them.
type AuthorView struct {
	UserID   string `json:"userId"`
	Nickname string `json:"nickname"`
}

// ByView is who caused an event: for staff, their name and position as
// they were then.
type ByView struct {
	Kind     ActorKind `json:"kind"`
	StaffID  string    `json:"staffId,omitempty"`
	Name     string    `json:"name,omitempty"`
	Position string    `json:"position,omitempty"`
}

// EventView is one entry of a thread.
type EventView struct {
	ID             string       `json:"id"`
	Type           EventType    `json:"type"`
	At             time.Time    `json:"at"`
	By             ByView       `json:"by"`
	State          State        `json:"state"`
	Content        string       `json:"content,omitempty"`
	Images         []string     `json:"images,omitempty"`
	AskResident    bool         `json:"askResident,omitempty"`
	Reason         string       `json:"reason,omitempty"`
	Category       string       `json:"category,omitempty"`
	Urgency        Urgency      `json:"urgency,omitempty"`
	Complex        *bool        `json:"complex,omitempty"`
	From           *StaffRef    `json:"from,omitempty"`
	To             *StaffRef    `json:"to,omitempty"`
	EscalationID   string       `json:"escalationId,omitempty"`
	DepartmentName string       `json:"departmentName,omitempty"`
	LiaisonName    string       `json:"liaisonName,omitempty"`
	DueAt          *time.Time   `json:"dueAt,omitempty"`
	Late           bool         `json:"late,omitempty"`
	Solved         *bool        `json:"solved,omitempty"`
	Satisfaction   Satisfaction `json:"satisfaction,omitempty"`
	Reopened       bool         `json:"reopened,omitempty"`
	Deadline       string       `json:"deadline,omitempty"`
}

// Summarise shows m in a list at now.
func Summarise(m Message, now time.Time) Summary {
	r := []rune(m.Content)
	ex := m.Content
	if len(r) > 80 {
		ex = string(r[:80]) + "…"
	}
	s := Summary{
		ID: m.ID, Category: m.Category, Excerpt: ex, Urgency: m.Urgency, Complex: m.Complex, State: m.State,
		CommunityID: m.CommunityID, GridID: m.GridID, Owner: m.Owner, SubmittedAt: m.SubmittedAt, UpdatedAt: m.UpdatedAt,
		AgeMinutes: int(now.Sub(m.SubmittedAt) / time.Minute), EverOverdue: m.OverdueAt != nil,
		Paused: m.State == AwaitingResident, Reopened: m.Reopens > 0, CanRate: m.State == Resolved,
		ResidentSilent: m.ResidentSilent,
	}
	if m.RatingWindow != nil && m.State == Resolved {
		at := m.RatingWindow.CloseAt
		s.RatingClosesAt = &at
	}
	if m.resolveRuns() {
		kind := "resolve"
		if m.FirstResponseAt == nil && !m.Deadlines.ResponseDueAt.After(m.SortDueAt) {
			kind = "response"
		}
		s.Deadline = &Due{Kind: kind, At: m.SortDueAt, RemainingMinutes: int(m.SortDueAt.Sub(now) / time.Minute)}
		s.Overdue = now.After(m.SortDueAt)
	}
	return s
}

// View shows m to its author at now.
func View(m Message, now time.Time) Detail { return detail(m, now, false) }

// StaffView shows m to staff at now.
func StaffView(m Message, now time.Time) Detail { return detail(m, now, true) }

func detail(m Message, now time.Time, staff bool) Detail {
	d := Detail{
		Summary: Summarise(m, now), Content: m.Content, Images: m.Images, BuildingID: m.BuildingID,
		RequestedUrgency: m.RequestedUrgency, UrgencyConfirmed: m.UrgencyConfirmed,
		AcceptedAt: m.AcceptedAt, FirstResponseAt: m.FirstResponseAt, ResponseDueAt: m.Deadlines.ResponseDueAt,
		Cycle: m.Cycle, Reopens: m.Reopens, Resolution: m.Resolution, Rating: m.Rating,
		CanFollowUp: m.State.Active(), Thread: []EventView{},
	}
	if d.Images == nil {
		d.Images = []string{}
	}
	if m.FirstResponseAt != nil {
		inTime := m.RespondedInTime
		d.RespondedInTime = &inTime
	}
	if m.resolveRuns() {
		due := m.Deadlines.ResolveDueAt
		d.ResolveDueAt = &due
	}
	if staff {
		d.Author = &AuthorView{UserID: m.Author.UserID, Nickname: m.Author.Nickname}
		d.ComplexReason = m.ComplexReason
		d.Escalations = m.Escalations
		if d.Escalations == nil {
			d.Escalations = []Escalation{}
		}
	}
	for _, e := range m.Events {
		if v, ok := viewEvent(e, staff); ok {
			d.Thread = append(d.Thread, v)
		}
	}
	return d
}

// ViewEvent shows one event (residents never see warnings, reasons or notes).
func ViewEvent(e Event, staff bool) EventView {
	v, _ := viewEvent(e, staff)
	return v
}

func viewEvent(e Event, staff bool) (EventView, bool) {
	if !staff && e.Type == EvWarning {
		return EventView{}, false
	}
	v := EventView{
		ID: e.ID, Type: e.Type, At: e.At, By: ByView{Kind: e.By.Kind}, State: e.State,
		Content: e.Content, Images: e.Images, AskResident: e.AskResident, Reason: e.Reason,
		Category: e.Category, Urgency: e.Urgency, Complex: e.Complex, From: e.From, To: e.To,
		EscalationID: e.EscalationID, DepartmentName: e.DepartmentName, LiaisonName: e.LiaisonName,
		DueAt: e.DueAt, Late: e.Late, Solved: e.Solved, Satisfaction: e.Satisfaction, Reopened: e.Reopened,
		Deadline: e.Deadline,
	}
	if e.By.Staff != nil {
		v.By.StaffID, v.By.Name, v.By.Position = e.By.Staff.StaffID, e.By.Staff.Name, e.By.Staff.Position
	}
	if !staff {
		v.Reason = ""
		if e.Type == EvEscalated {
			v.Content = ""
		}
	}
	return v, true
}
