package message

import (
	"time"

	"linli/internal/person"
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
	ID            string       `json:"id"`
	Category      CategoryRef  `json:"category"`
	Excerpt       string       `json:"excerpt"`
	Urgency       Urgency      `json:"urgency"`
	Complex       bool         `json:"complex"`
	State         State        `json:"state"`
	CommunityID   string       `json:"communityId"`
	CommunityName string       `json:"communityName"`
	GridID        string       `json:"gridId"`
	GridName      string       `json:"gridName"`
	Owner         *person.View `json:"owner"`
	SubmittedAt   time.Time    `json:"submittedAt"`
	UpdatedAt     time.Time    `json:"updatedAt"`
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
	Content          string          `json:"content"`
	Images           []string        `json:"images"`
	BuildingID       string          `json:"buildingId,omitempty"`
	BuildingName     string          `json:"buildingName,omitempty"`
	RequestedUrgency Urgency         `json:"requestedUrgency"`
	UrgencyConfirmed bool            `json:"urgencyConfirmed"`
	AcceptedAt       *time.Time      `json:"acceptedAt"`
	FirstResponseAt  *time.Time      `json:"firstResponseAt"`
	RespondedInTime  *bool           `json:"respondedInTime"`
	ResponseDueAt    time.Time       `json:"responseDueAt"`
	ResolveDueAt     *time.Time      `json:"resolveDueAt"`
	Cycle            int             `json:"cycle"`
	Reopens          int             `json:"reopens"`
	Resolution       *ResolutionView `json:"resolution"`
	Rating           *Rating         `json:"rating"`
	CanFollowUp      bool            `json:"canFollowUp"`
	Thread           []EventView     `json:"thread"`
	// Staff only.
	Author        *person.View     `json:"author,omitempty"`
	ComplexReason string           `json:"complexReason,omitempty"`
	Escalations   []EscalationView `json:"escalations,omitempty"`
}

// ResolutionView is how the owner resolved the message, signed.
type ResolutionView struct {
	Text  string      `json:"text"`
	By    person.View `json:"by"`
	Cycle int         `json:"cycle"`
	At    time.Time   `json:"at"`
}

// EscalationView is a whistle blown to a department (staff only).
type EscalationView struct {
	ID             string      `json:"id"`
	DepartmentID   string      `json:"departmentId"`
	DepartmentName string      `json:"departmentName"`
	LiaisonName    string      `json:"liaisonName"`
	LiaisonPhone   string      `json:"liaisonPhone"`
	Note           string      `json:"note"`
	DueAt          time.Time   `json:"dueAt"`
	By             person.View `json:"by"`
	At             time.Time   `json:"at"`
	Answer         *AnswerView `json:"answer"`
	OverdueAt      *time.Time  `json:"overdueAt"`
}

// AnswerView is a department's answer as a staff member recorded it.
type AnswerView struct {
	Content    string      `json:"content"`
	RecordedBy person.View `json:"recordedBy"`
	At         time.Time   `json:"at"`
	Late       bool        `json:"late"`
}

// staffPerson is a staff snapshot in the one shape of a person: verified,
// because it was taken from the staff profile of whoever acted. Its user
// ID is kept for staff viewers (see person.View.For), as on wishes.
func staffPerson(r StaffRef) person.View {
	return person.Staff(r.UserID, r.StaffID, r.Name, r.Position)
}

func staffPersonPtr(r *StaffRef, staff bool) *person.View {
	if r == nil {
		return nil
	}
	p := staffPerson(*r).For(staff)
	return &p
}

// EventView is one entry of a thread.
type EventView struct {
	ID   string    `json:"id"`
	Type EventType `json:"type"`
	At   time.Time `json:"at"`
	// Actor is who caused the event: resident, staff, admin or system;
	// By names them (null for the system; a street admin without a staff
	// profile as person.StreetAdmin, unverified).
	Actor          ActorKind    `json:"actor"`
	By             *person.View `json:"by"`
	State          State        `json:"state"`
	Content        string       `json:"content,omitempty"`
	Images         []string     `json:"images,omitempty"`
	AskResident    bool         `json:"askResident,omitempty"`
	Reason         string       `json:"reason,omitempty"`
	Category       *CategoryRef `json:"category,omitempty"`
	Urgency        Urgency      `json:"urgency,omitempty"`
	Complex        *bool        `json:"complex,omitempty"`
	From           *person.View `json:"from,omitempty"`
	To             *person.View `json:"to,omitempty"`
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

// Summarise shows m in a list at now, as its author sees it.
func Summarise(m Message, now time.Time) Summary { return summarise(m, now, false) }

// StaffSummarise shows m in a staff queue at now (user IDs included).
func StaffSummarise(m Message, now time.Time) Summary { return summarise(m, now, true) }

func summarise(m Message, now time.Time, staff bool) Summary {
	r := []rune(m.Content)
	ex := m.Content
	if len(r) > 80 {
		ex = string(r[:80]) + "…"
	}
	s := Summary{
		ID: m.ID, Category: m.categoryOf(), Excerpt: ex, Urgency: m.Urgency, Complex: m.Complex, State: m.State,
		CommunityID: m.CommunityID, GridID: m.GridID, Owner: staffPersonPtr(m.Owner, staff), SubmittedAt: m.SubmittedAt, UpdatedAt: m.UpdatedAt,
		AgeMinutes: int(now.Sub(m.SubmittedAt) / time.Minute), EverOverdue: m.OverdueAt != nil,
		Paused: m.State == AwaitingResident, Reopened: m.Reopens > 0, CanRate: m.State == Resolved,
		ResidentSilent: m.ResidentSilent,
	}
	if m.RatingWindow != nil && m.State == Resolved {
		at := m.RatingWindow.CloseAt
		s.RatingClosesAt = &at
	}
	if m.Place != nil {
		s.CommunityName, s.GridName = m.Place.CommunityName, m.Place.GridName
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
		Summary: summarise(m, now, staff), Content: m.Content, Images: m.Images, BuildingID: m.BuildingID,
		RequestedUrgency: m.RequestedUrgency, UrgencyConfirmed: m.UrgencyConfirmed,
		AcceptedAt: m.AcceptedAt, FirstResponseAt: m.FirstResponseAt, ResponseDueAt: m.Deadlines.ResponseDueAt,
		Cycle: m.Cycle, Reopens: m.Reopens, Rating: m.Rating,
		CanFollowUp: m.State.Active(), Thread: []EventView{},
	}
	if d.Images == nil {
		d.Images = []string{}
	}
	if m.Place != nil {
		d.BuildingName = m.Place.BuildingName
	}
	if r := m.Resolution; r != nil {
		d.Resolution = &ResolutionView{Text: r.Text, By: staffPerson(r.By).For(staff), Cycle: r.Cycle, At: r.At}
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
		author := person.Resident(m.Author.UserID, m.Author.Nickname)
		d.Author = &author
		d.ComplexReason = m.ComplexReason
		d.Escalations = make([]EscalationView, len(m.Escalations))
		for i, e := range m.Escalations {
			v := EscalationView{
				ID: e.ID, DepartmentID: e.DepartmentID, DepartmentName: e.DepartmentName, LiaisonName: e.LiaisonName,
				LiaisonPhone: e.LiaisonPhone, Note: e.Note, DueAt: e.DueAt, By: staffPerson(e.By), At: e.At, OverdueAt: e.OverdueAt,
			}
			if a := e.Answer; a != nil {
				v.Answer = &AnswerView{Content: a.Content, RecordedBy: staffPerson(a.RecordedBy), At: a.At, Late: a.Late}
			}
			d.Escalations[i] = v
		}
	}
	for _, e := range m.Events {
		if v, ok := viewEvent(e, &m.Author, staff); ok {
			d.Thread = append(d.Thread, v)
		}
	}
	return d
}

// ViewEvent shows one event of m (residents never see warnings, reasons or notes).
func ViewEvent(m Message, e Event, staff bool) EventView {
	v, _ := viewEvent(e, &m.Author, staff)
	return v
}

func viewEvent(e Event, author *Author, staff bool) (EventView, bool) {
	if !staff && e.Type == EvWarning {
		return EventView{}, false
	}
	v := EventView{
		ID: e.ID, Type: e.Type, At: e.At, Actor: e.By.Kind, State: e.State,
		Content: e.Content, Images: e.Images, AskResident: e.AskResident, Reason: e.Reason,
		Urgency: e.Urgency, Complex: e.Complex, From: staffPersonPtr(e.From, staff), To: staffPersonPtr(e.To, staff),
		EscalationID: e.EscalationID, DepartmentName: e.DepartmentName, LiaisonName: e.LiaisonName,
		DueAt: e.DueAt, Late: e.Late, Solved: e.Solved, Satisfaction: e.Satisfaction, Reopened: e.Reopened,
		Deadline: e.Deadline,
	}
	if e.Category != "" {
		id := e.CategoryID
		if id == "" {
			id = categoryID(e.Category)
		}
		v.Category = &CategoryRef{ID: id, Label: e.Category}
	}
	switch {
	case e.By.Staff != nil:
		v.By = staffPersonPtr(e.By.Staff, staff)
	case e.By.Kind == ByResident:
		p := person.Resident(author.UserID, author.Nickname).For(staff)
		v.By = &p
	case e.By.Kind == ByAdmin:
		p := person.StreetAdmin(e.By.UserID).For(staff)
		v.By = &p
	}
	if !staff {
		v.Reason = ""
		if e.Type == EvEscalated {
			v.Content = ""
		}
	}
	return v, true
}
