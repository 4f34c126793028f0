package activity

import (
	"time"
	"unicode/utf8"

	"linli/internal/actor"
	"linli/internal/person"
)

// Card is an activity in a list: what a phone shows before it is opened,
// with the places left and the queue's length.
type Card struct {
	ID             string      `json:"id"`
	CommunityID    string      `json:"communityId"`
	CommunityName  string      `json:"communityName"`
	Title          string      `json:"title"`
	Summary        string      `json:"summary"`
	Location       string      `json:"location"`
	Cover          string      `json:"cover"`
	StartAt        time.Time   `json:"startAt"`
	EndAt          time.Time   `json:"endAt"`
	SignupOpensAt  time.Time   `json:"signupOpensAt"`
	SignupClosesAt time.Time   `json:"signupClosesAt"`
	Audience       Audience    `json:"audience"`
	Capacity       int         `json:"capacity"`
	Confirmed      int         `json:"confirmed"`
	Remaining      int         `json:"remaining"`
	Waitlist       int         `json:"waitlist"`
	Phase          Phase       `json:"phase"`
	Signup         SignupPhase `json:"signup"`
}

// View is one activity as the caller sees it.
type View struct {
	Card
	Description    string      `json:"description"`
	Images         []string    `json:"images"`
	ServiceMinutes int         `json:"serviceMinutes"`
	CancelReason   string      `json:"cancelReason,omitempty"`
	Organiser      person.View `json:"organiser"`
	// MySignup is the caller's own sign-up; null when they have none.
	MySignup *MySignup `json:"mySignup"`
	// Actions are what the caller may do now: signup, leave, checkin
	// (residents); edit, cancel, checkin-code, attendance (staff).
	Actions []string `json:"actions"`
}

// MySignup is a person's own sign-up.
type MySignup struct {
	// Status is confirmed, waitlisted, or left (signed up once, no more).
	Status string `json:"status"`
	// Position is the place in the waiting queue (1 = next), when waitlisted.
	Position   int        `json:"position,omitempty"`
	SignedUpAt *time.Time `json:"signedUpAt,omitempty"`
	// CheckedInAt is when they were marked present; null when not (yet).
	CheckedInAt *time.Time `json:"checkedInAt"`
}

// summaryLength is how much of a description a card shows, in characters.
const summaryLength = 60

func cardOf(a *Activity, now time.Time) Card {
	c := Card{
		ID: a.ID, CommunityID: a.CommunityID, CommunityName: a.CommunityName, Title: a.Title,
		Summary: summary(a.Description), Location: a.Location,
		StartAt: a.StartAt, EndAt: a.EndAt, SignupOpensAt: a.SignupOpensAt, SignupClosesAt: a.SignupClosesAt,
		Audience: a.Audience, Capacity: a.Capacity, Confirmed: a.Confirmed(), Remaining: a.Remaining(),
		Waitlist: a.Waiting(), Phase: a.PhaseAt(now), Signup: a.SignupAt(now),
	}
	if len(a.Images) > 0 {
		c.Cover = a.Images[0]
	}
	return c
}

func summary(s string) string {
	if utf8.RuneCountInString(s) <= summaryLength {
		return s
	}
	return string([]rune(s)[:summaryLength]) + "…"
}

// viewOf renders a for who.
func viewOf(who actor.Actor, a *Activity, now time.Time) View {
	v := View{
		Card: cardOf(a, now), Description: a.Description, Images: a.Images, ServiceMinutes: a.Minutes(),
		CancelReason: a.CancelReason,
		Organiser:    person.Staff("", a.CreatedBy.StaffID, a.CreatedBy.Name, a.CreatedBy.Position),
		MySignup:     mySignupOf(a, who.UserID), Actions: []string{},
	}
	if v.Images == nil {
		v.Images = []string{}
	}
	if who.UserID == "" {
		return v
	}
	st, signed := a.StandingOf(who.UserID)
	_, present := a.attendanceOf(who.UserID)
	if !signed && a.whyNotSignup(now) == nil && admits(a.Audience, who) {
		v.Actions = append(v.Actions, "signup")
	}
	if signed && !present && a.State == Scheduled && now.Before(a.StartAt) {
		v.Actions = append(v.Actions, "leave")
	}
	if signed && st.Status == StatusConfirmed && !present && a.whyNotCheckin(now) == nil {
		v.Actions = append(v.Actions, "checkin")
	}
	if who.StaffOf(a.CommunityID) {
		if a.State == Scheduled && now.Before(a.EndAt) {
			v.Actions = append(v.Actions, "edit", "cancel")
		}
		if a.whyNotCheckin(now) == nil {
			v.Actions = append(v.Actions, "checkin-code")
		}
		if a.whyNotMark(now) == nil {
			v.Actions = append(v.Actions, "attendance")
		}
	}
	return v
}

// mySignupOf is userID's own sign-up on a; nil when they never signed up
// nor were present.
func mySignupOf(a *Activity, userID string) *MySignup {
	if userID == "" {
		return nil
	}
	var m *MySignup
	if st, ok := a.StandingOf(userID); ok {
		at := st.At
		m = &MySignup{Status: string(st.Status), Position: st.Position, SignedUpAt: &at}
	} else {
		for _, s := range a.Signups {
			if s.UserID == userID {
				m = &MySignup{Status: "left"}
			}
		}
	}
	if at, ok := a.attendanceOf(userID); ok {
		if m == nil {
			m = &MySignup{Status: "walk_in"}
		}
		t := at.At
		m.CheckedInAt = &t
	}
	return m
}

// admits reports whether who belongs to the audience.
func admits(au Audience, who actor.Actor) bool {
	switch au {
	case Party:
		return who.Has(actor.PartyMember)
	case Volunteers:
		return who.Has(actor.Volunteer) || who.Has(actor.PartyMember)
	}
	return true
}

// audiencesOf lists the audiences who belongs to (for a write's filter).
func audiencesOf(who actor.Actor) []Audience {
	out := []Audience{All}
	for _, au := range []Audience{Party, Volunteers} {
		if admits(au, who) {
			out = append(out, au)
		}
	}
	return out
}

// Entry is one person on a staff list of sign-ups or attendance.
type Entry struct {
	Person person.View `json:"person"`
	// Position is the place in the waiting queue, for the waitlist.
	Position   int        `json:"position,omitempty"`
	SignedUpAt *time.Time `json:"signedUpAt,omitempty"`
	// CheckedInAt is when they were present; By says how (checkin, staff).
	CheckedInAt *time.Time `json:"checkedInAt"`
	By          string     `json:"by,omitempty"`
	MarkedBy    string     `json:"markedBy,omitempty"`
}

// Signups is the staff's list of an activity's sign-ups, in order.
type Signups struct {
	ActivityID string  `json:"activityId"`
	Title      string  `json:"title"`
	Capacity   int     `json:"capacity"`
	Confirmed  []Entry `json:"confirmed"`
	Waitlist   []Entry `json:"waitlist"`
}

func signupsOf(a *Activity) Signups {
	out := Signups{ActivityID: a.ID, Title: a.Title, Capacity: a.Capacity, Confirmed: []Entry{}, Waitlist: []Entry{}}
	for _, st := range a.Standings() {
		e := entryOf(st.UserID, st.Name, &st.At)
		e.Position = st.Position
		if at, ok := a.attendanceOf(st.UserID); ok {
			e.present(at)
		}
		if st.Status == StatusConfirmed {
			out.Confirmed = append(out.Confirmed, e)
		} else {
			out.Waitlist = append(out.Waitlist, e)
		}
	}
	return out
}

func entryOf(userID, name string, signedUp *time.Time) Entry {
	e := Entry{Person: person.Resident(userID, name)}
	if signedUp != nil {
		t := *signedUp
		e.SignedUpAt = &t
	}
	return e
}

func (e *Entry) present(at Attendance) {
	t := at.At
	e.CheckedInAt, e.By, e.MarkedBy = &t, at.By, at.StaffName
}

// Attendance is who came: the confirmed present, the confirmed absent
// (no-shows) and the walk-ins (present without a confirmed place).
type AttendanceList struct {
	ActivityID string    `json:"activityId"`
	Title      string    `json:"title"`
	StartAt    time.Time `json:"startAt"`
	EndAt      time.Time `json:"endAt"`
	Present    []Entry   `json:"present"`
	Absent     []Entry   `json:"absent"`
	WalkIns    []Entry   `json:"walkIns"`
}

func attendanceListOf(a *Activity) AttendanceList {
	out := AttendanceList{ActivityID: a.ID, Title: a.Title, StartAt: a.StartAt, EndAt: a.EndAt,
		Present: []Entry{}, Absent: []Entry{}, WalkIns: []Entry{}}
	confirmed := map[string]bool{}
	for _, st := range a.Standings() {
		if st.Status != StatusConfirmed {
			continue
		}
		confirmed[st.UserID] = true
		e := entryOf(st.UserID, st.Name, &st.At)
		if at, ok := a.attendanceOf(st.UserID); ok {
			e.present(at)
			out.Present = append(out.Present, e)
		} else {
			out.Absent = append(out.Absent, e)
		}
	}
	for _, at := range a.Attended {
		if confirmed[at.UserID] {
			continue
		}
		e := entryOf(at.UserID, at.Name, nil)
		e.present(at)
		out.WalkIns = append(out.WalkIns, e)
	}
	return out
}
