// Package activity is the community service centre's activities (党群服务中心
// 活动): staff publish an activity with a capacity and a sign-up window;
// residents sign up on their phones, exactly capacity of them are confirmed
// and the rest wait in a fair queue; on the day a confirmed person checks in
// with a rotating signed code shown at the door (or staff mark them present
// by hand); after the end, attended Party members and volunteers are
// credited in the one service record (internal/ledger).
//
// The sign-ups are embedded in the activity document as one append-only
// array in order of arrival. Nobody stores a status or a position: the
// first Capacity active sign-ups are confirmed, the others wait, and a
// waiting person's position is their rank among the active ones after the
// confirmed. A sign-up is one conditional $push (filter: the window is open
// and the caller has no active sign-up); leaving marks one entry inactive
// by its index (entries never move, so the index names it for good). Hence
// positions have no gaps and no duplicates whatever runs concurrently,
// a leave promotes strictly in order, and raising the capacity promotes the
// first N waiting at once, each by construction rather than by bookkeeping.
package activity

import (
	"strconv"
	"time"

	"linli/internal/apperr"
	"linli/internal/notify"
)

// State is what staff decided of an activity; whether it is upcoming,
// under way or over follows from the clock (see Phase).
type State string

// The states.
const (
	Scheduled State = "scheduled"
	Cancelled State = "cancelled"
)

// Audience is who may sign up.
type Audience string

// The audiences.
const (
	All        Audience = "all"        // every resident
	Party      Audience = "party"      // Party members (党员)
	Volunteers Audience = "volunteers" // volunteers and Party members
)

// Audiences are every audience, for validation.
var Audiences = []Audience{All, Party, Volunteers}

// Limits of an activity.
const (
	MaxTitle       = 40
	MaxDescription = 2000
	MaxLocation    = 100
	MaxReason      = 200
	MaxImages      = 6
	// MaxCheckinCode bounds a check-in code, trimmed as codes.check reads it
	// (a longer one is no code).
	MaxCheckinCode = 64
	// MaxCapacity bounds the places of one activity: a community event, not
	// a stadium (the sign-ups live in the activity's document).
	MaxCapacity = 1000
	// MaxEntries bounds the sign-ups ever made on one activity, waiting and
	// left ones included, so that the document stays small.
	MaxEntries = 3000
	// MaxLength bounds an activity's length; MaxServiceMinutes its credit.
	MaxLength         = 24 * time.Hour
	MaxServiceMinutes = 24 * 60
	// MaxAhead is how far ahead an activity may be scheduled; MaxBehind how
	// far back one may be recorded after it took place (补录), for the
	// attendance and the service record.
	MaxAhead  = 366 * 24 * time.Hour
	MaxBehind = 30 * 24 * time.Hour
	// CheckinOpensBefore is how long before the start the door opens.
	CheckinOpensBefore = 30 * time.Minute
	// MarkGrace is how long after the end staff may still mark someone
	// present by hand (the paper list typed in the next day).
	MarkGrace = 7 * 24 * time.Hour
	// RemindBefore is when confirmed people are reminded.
	RemindBefore = time.Hour
)

// Activity is one activity, as stored.
type Activity struct {
	ID             string    `bson:"_id"`
	CommunityID    string    `bson:"communityId"`
	CommunityName  string    `bson:"communityName"`
	Title          string    `bson:"title"`
	Description    string    `bson:"description"`
	Location       string    `bson:"location"`
	StartAt        time.Time `bson:"startAt"`
	EndAt          time.Time `bson:"endAt"`
	SignupOpensAt  time.Time `bson:"signupOpensAt"`
	SignupClosesAt time.Time `bson:"signupClosesAt"`
	Capacity       int       `bson:"capacity"`
	Audience       Audience  `bson:"audience"`
	Images         []string  `bson:"images"`
	// ServiceMinutes is what an attended volunteer is credited; 0 means the
	// activity's length.
	ServiceMinutes int        `bson:"serviceMinutes"`
	State          State      `bson:"state"`
	CancelReason   string     `bson:"cancelReason,omitempty"`
	CancelledAt    *time.Time `bson:"cancelledAt,omitempty"`
	CreatedBy      Staff      `bson:"createdBy"`

	// Signups are every sign-up in order of arrival; an entry is never
	// removed or moved, a leave sets Active false (see the package doc).
	Signups []Signup `bson:"signups"`
	// Members are the user IDs of Signups, index for index, a left entry's
	// blanked: "not signed up yet" is then a plain $nin (lungo has no $pull).
	Members []string `bson:"members"`
	// Joined are the times of Signups, index for index: a refused sign-up
	// (the retry of someone signed up already) answers from Members and
	// Joined alone, without reading every sign-up of a busy activity.
	Joined []time.Time `bson:"joined"`
	// Active is how many entries are active: confirmed plus waiting.
	Active int `bson:"active"`
	// Entries is len(Signups), for the MaxEntries bound in a filter.
	Entries int `bson:"entries"`

	// Attended are the people present, in order of arrival.
	Attended []Attendance `bson:"attended"`
	// Settled are the attended people whose service credit is done (given,
	// or not owed); Unsettled counts the others, for the sweep.
	Settled   []string `bson:"settled"`
	Unsettled int      `bson:"unsettled"`
	// Reminded is set when the reminder for the current start went out.
	Reminded bool `bson:"reminded"`
	// RemindFailures counts the sweeps whose reminders for the current
	// start were not all stored, and RemindRetryAt is when the next may
	// try (remindBackoff): an activity whose reminders keep failing steps
	// aside instead of filling every sweep's batch.
	RemindFailures int        `bson:"remindFailures"`
	RemindRetryAt  *time.Time `bson:"remindRetryAt,omitempty"`
	// Version counts staff changes (edits, cancellation), for notice keys.
	Version int `bson:"version"`
	// Outbox holds the notices a change owes and that were not handed over
	// yet, by outboxField of their key: written in the same conditional
	// update as the change (see notices.go). OutboxSize counts them, for
	// the sweep.
	Outbox     map[string]notify.Notice `bson:"outbox,omitempty"`
	OutboxSize int                      `bson:"outboxSize,omitempty"`
	CreatedAt  time.Time                `bson:"createdAt"`
	UpdatedAt  time.Time                `bson:"updatedAt"`
}

// Staff is the staff member who created an activity, as they were.
type Staff struct {
	UserID   string `bson:"userId"`
	StaffID  string `bson:"staffId,omitempty"`
	Name     string `bson:"name"`
	Position string `bson:"position"`
}

// Signup is one sign-up.
type Signup struct {
	// ID names this sign-up (a person who leaves and comes back has two).
	ID     string    `bson:"id"`
	UserID string    `bson:"userId"`
	Name   string    `bson:"name"`
	At     time.Time `bson:"at"`
	Active bool      `bson:"active"`
	// LeftAt is when the person left; nil while active.
	LeftAt *time.Time `bson:"leftAt,omitempty"`
}

// How someone was marked present.
const (
	ByCheckin = "checkin" // the person scanned the code at the door
	ByStaff   = "staff"   // staff marked them by hand
)

// Attendance is one person present.
type Attendance struct {
	UserID string    `bson:"userId"`
	Name   string    `bson:"name"`
	At     time.Time `bson:"at"`
	By     string    `bson:"by"`
	// StaffName is who marked them, when by hand.
	StaffName string `bson:"staffName,omitempty"`
}

// Errors of this area.
var (
	ErrNotFound          = apperr.Define(apperr.NotFound, "ACTIVITY_NOT_FOUND", "找不到该活动")
	ErrCancelled         = apperr.Define(apperr.Conflict, "ACTIVITY_CANCELLED", "该活动已取消")
	ErrEnded             = apperr.Define(apperr.Conflict, "ACTIVITY_ENDED", "该活动已结束")
	ErrStarted           = apperr.Define(apperr.Conflict, "ACTIVITY_STARTED", "活动已开始，不能再取消报名")
	ErrSignupNotOpen     = apperr.Define(apperr.Conflict, "SIGNUP_NOT_OPEN", "报名尚未开始")
	ErrSignupClosed      = apperr.Define(apperr.Conflict, "SIGNUP_CLOSED", "报名已截止")
	ErrSignupFull        = apperr.Define(apperr.Conflict, "SIGNUP_FULL", "报名人数已达上限，无法再排队")
	ErrAudience          = apperr.Define(apperr.Forbidden, "ACTIVITY_AUDIENCE", "该活动仅限特定人员报名")
	ErrNotSignedUp       = apperr.Define(apperr.Conflict, "NOT_SIGNED_UP", "您没有报名该活动")
	ErrCheckedIn         = apperr.Define(apperr.Conflict, "ALREADY_CHECKED_IN", "您已签到，不能再取消报名")
	ErrNotConfirmed      = apperr.Define(apperr.Forbidden, "SIGNUP_NOT_CONFIRMED", "只有报名成功的人员可以签到")
	ErrCheckinNotOpen    = apperr.Define(apperr.Conflict, "CHECKIN_NOT_OPEN", "签到时间为活动开始前30分钟至活动结束")
	ErrCodeInvalid       = apperr.Define(apperr.Invalid, "CHECKIN_CODE_INVALID", "签到码无效，请扫描现场的签到码")
	ErrCodeExpired       = apperr.Define(apperr.Gone, "CHECKIN_CODE_EXPIRED", "签到码已过期，请扫描现场最新的签到码")
	ErrMarkClosed        = apperr.Define(apperr.Conflict, "ATTENDANCE_CLOSED", "只能在活动开始前30分钟至结束后7天内登记出席")
	ErrPersonNotFound    = apperr.Define(apperr.NotFound, "PERSON_NOT_FOUND", "找不到该居民")
	ErrCapacityBelow     = apperr.Define(apperr.Conflict, "CAPACITY_BELOW_CONFIRMED", "名额不能少于已报名成功的人数")
	ErrEndBeforeStart    = apperr.Define(apperr.Invalid, "ACTIVITY_END_BEFORE_START", "结束时间须晚于开始时间")
	ErrSignupWindow      = apperr.Define(apperr.Invalid, "ACTIVITY_SIGNUP_WINDOW", "报名须在活动开始前截止，且截止时间晚于开始报名时间")
	ErrCapacityInvalid   = apperr.Define(apperr.Invalid, "ACTIVITY_CAPACITY_INVALID", "名额须为1到"+strconv.Itoa(MaxCapacity)+"之间的整数")
	ErrAudienceInvalid   = apperr.Define(apperr.Invalid, "ACTIVITY_AUDIENCE_INVALID", "报名对象须为 all（所有居民）、party（党员）或 volunteers（志愿者）")
	ErrTimesOutOfRange   = apperr.Define(apperr.Invalid, "ACTIVITY_TIME_OUT_OF_RANGE", "活动时间须在过去30天到未来一年之内，且不超过24小时")
	ErrEditConflict      = apperr.Define(apperr.Conflict, "ACTIVITY_CHANGED_MEANWHILE", "活动报名情况刚刚变化，请刷新后重试")
	ErrCommunityRequired = apperr.Define(apperr.Invalid, "ACTIVITY_COMMUNITY_REQUIRED", "请选择举办活动的社区")
)

// Phase is where an activity stands now.
type Phase string

// The phases.
const (
	PhaseUpcoming  Phase = "upcoming"
	PhaseOngoing   Phase = "ongoing"
	PhaseEnded     Phase = "ended"
	PhaseCancelled Phase = "cancelled"
)

// PhaseAt is the activity's phase at now.
func (a *Activity) PhaseAt(now time.Time) Phase {
	switch {
	case a.State == Cancelled:
		return PhaseCancelled
	case now.Before(a.StartAt):
		return PhaseUpcoming
	case now.Before(a.EndAt):
		return PhaseOngoing
	}
	return PhaseEnded
}

// SignupPhase is whether sign-up is possible now.
type SignupPhase string

// The sign-up phases.
const (
	SignupNotOpen SignupPhase = "not_open"
	SignupOpen    SignupPhase = "open"
	SignupClosed  SignupPhase = "closed"
)

// SignupAt is the sign-up phase at now.
func (a *Activity) SignupAt(now time.Time) SignupPhase {
	switch {
	case a.State == Cancelled || !now.Before(a.SignupClosesAt):
		return SignupClosed
	case now.Before(a.SignupOpensAt):
		return SignupNotOpen
	}
	return SignupOpen
}

// Confirmed is how many are confirmed now.
func (a *Activity) Confirmed() int { return min(a.Active, a.Capacity) }

// Waiting is how many wait now.
func (a *Activity) Waiting() int { return max(0, a.Active-a.Capacity) }

// Remaining is how many places are free.
func (a *Activity) Remaining() int { return max(0, a.Capacity-a.Active) }

// Status is where one person's sign-up stands.
type Status string

// The statuses of a sign-up.
const (
	StatusConfirmed  Status = "confirmed"
	StatusWaitlisted Status = "waitlisted"
)

// Standing is one active sign-up with its derived status.
type Standing struct {
	Signup
	// Index is the entry's index in Signups (stable: entries never move).
	Index  int
	Status Status
	// Position is 1 for the first waiting, 0 when confirmed.
	Position int
}

// Standings are the active sign-ups in order: the confirmed, then the
// waiting with positions 1, 2, … .
func (a *Activity) Standings() []Standing {
	out := make([]Standing, 0, a.Active)
	for i, s := range a.Signups {
		if !s.Active {
			continue
		}
		st := Standing{Signup: s, Index: i, Status: StatusConfirmed}
		if rank := len(out); rank >= a.Capacity {
			st.Status, st.Position = StatusWaitlisted, rank-a.Capacity+1
		}
		out = append(out, st)
	}
	return out
}

// StandingOf returns userID's active sign-up, if any.
func (a *Activity) StandingOf(userID string) (Standing, bool) {
	rank := 0
	for i, s := range a.Signups {
		if !s.Active {
			continue
		}
		if s.UserID == userID {
			st := Standing{Signup: s, Index: i, Status: StatusConfirmed}
			if rank >= a.Capacity {
				st.Status, st.Position = StatusWaitlisted, rank-a.Capacity+1
			}
			return st, true
		}
		rank++
	}
	return Standing{}, false
}

// attendanceOf returns userID's attendance, if any.
func (a *Activity) attendanceOf(userID string) (Attendance, bool) {
	for _, at := range a.Attended {
		if at.UserID == userID {
			return at, true
		}
	}
	return Attendance{}, false
}

// Minutes is what an attended volunteer is credited.
func (a *Activity) Minutes() int {
	if a.ServiceMinutes > 0 {
		return a.ServiceMinutes
	}
	return int(a.EndAt.Sub(a.StartAt) / time.Minute)
}

// whyNotSignup explains why nobody can sign up now; nil when they can.
func (a *Activity) whyNotSignup(now time.Time) error {
	switch {
	case a.State == Cancelled:
		return ErrCancelled.New()
	case !now.Before(a.EndAt):
		return ErrEnded.New()
	case now.Before(a.SignupOpensAt):
		return ErrSignupNotOpen.WithDetails(map[string]any{"signupOpensAt": a.SignupOpensAt})
	case !now.Before(a.SignupClosesAt):
		return ErrSignupClosed.New()
	case a.Entries >= MaxEntries:
		return ErrSignupFull.New()
	}
	return nil
}

// whyNotCheckin explains why no one can check in now.
func (a *Activity) whyNotCheckin(now time.Time) error {
	switch {
	case a.State == Cancelled:
		return ErrCancelled.New()
	case now.Before(a.StartAt.Add(-CheckinOpensBefore)) || !now.Before(a.EndAt):
		return ErrCheckinNotOpen.WithDetails(map[string]any{
			"opensAt": a.StartAt.Add(-CheckinOpensBefore), "closesAt": a.EndAt,
		})
	}
	return nil
}

// whyNotMark explains why staff cannot mark anyone present now.
func (a *Activity) whyNotMark(now time.Time) error {
	switch {
	case a.State == Cancelled:
		return ErrCancelled.New()
	case now.Before(a.StartAt.Add(-CheckinOpensBefore)) || now.After(a.EndAt.Add(MarkGrace)):
		return ErrMarkClosed.New()
	}
	return nil
}
