// Package message is 接诉即办: a resident's message to the community, the
// staff backlog queues it lands in, and its handling until a named staff
// member has answered and the resident has rated the answer. Every change is
// an immutable event in the message's thread; deadlines follow the
// community's categories and urgency classes (分级分类处置); a background
// sweep warns and escalates late work; the three rates (三率) are kept as
// per-day counters, so that the figures never depend on scanning history.
package message

import (
	"strconv"
	"time"

	"linli/internal/apperr"
	"linli/internal/notify"
)

// State is where a message stands.
type State string

// The states of a message.
const (
	// Submitted: in the queue of the resident's grid, nobody has taken it.
	Submitted State = "submitted"
	// Accepted: a staff member owns it (首接负责) and works on it.
	Accepted State = "accepted"
	// AwaitingResident: staff asked the resident something; the resolution
	// clock is paused until the resident (or staff) continues.
	AwaitingResident State = "awaiting_resident"
	// Resolved: answered and resolved by its owner; the resident may rate.
	Resolved State = "resolved"
	// Closed: the resident rated the resolution as solved and acceptable,
	// or did not rate it within the rating window (RatingExpired).
	Closed State = "closed"
)

// States lists every state, for validating a filter.
var States = []State{Submitted, Accepted, AwaitingResident, Resolved, Closed}

// ActiveStates are the states in which staff still owe work.
var ActiveStates = []State{Submitted, Accepted, AwaitingResident}

// Active reports whether staff still owe work on a message in state s.
func (s State) Active() bool { return s == Submitted || s == Accepted || s == AwaitingResident }

// Urgency is the class that decides the deadlines.
type Urgency string

// The urgency classes.
const (
	// Urgent: a risk to life or property.
	Urgent Urgency = "urgent"
	Normal Urgency = "normal"
)

// Valid reports whether u is a known class.
func (u Urgency) Valid() bool { return u == Urgent || u == Normal }

// Satisfaction is the resident's verdict on a resolution.
type Satisfaction string

// The verdicts.
const (
	Satisfied   Satisfaction = "satisfied"
	Basic       Satisfaction = "basic" // 基本满意
	Unsatisfied Satisfaction = "unsatisfied"
)

// Valid reports whether v is a known verdict.
func (v Satisfaction) Valid() bool { return v == Satisfied || v == Basic || v == Unsatisfied }

// StaffRef is a snapshot of a staff member as they were when they acted:
// the answer stays named even if the profile changes later.
type StaffRef struct {
	StaffID  string `bson:"staffId" json:"staffId"`
	UserID   string `bson:"userId" json:"-"`
	Name     string `bson:"name" json:"name"`
	Position string `bson:"position" json:"position"`
}

// Place is where a message comes from, by name.
type Place struct {
	CommunityName string `bson:"communityName"`
	GridName      string `bson:"gridName"`
	BuildingName  string `bson:"buildingName,omitempty"`
}

// Author is the resident who sent the message.
type Author struct {
	UserID   string `bson:"userId"`
	Nickname string `bson:"nickname"`
}

// Rating is the resident's rating of one resolution.
type Rating struct {
	Solved       bool         `bson:"solved" json:"solved"`
	Satisfaction Satisfaction `bson:"satisfaction" json:"satisfaction"`
	Comment      string       `bson:"comment" json:"comment"`
	Cycle        int          `bson:"cycle" json:"cycle"`
	At           time.Time    `bson:"at" json:"at"`
}

// Resolution is how the owner resolved the message.
type Resolution struct {
	Text  string    `bson:"text" json:"text"`
	By    StaffRef  `bson:"by" json:"by"`
	Cycle int       `bson:"cycle" json:"cycle"`
	At    time.Time `bson:"at" json:"at"`
}

// Escalation is a whistle blown to a department (吹哨): its liaison must
// answer by DueAt; staff record the answer in the thread.
type Escalation struct {
	ID             string     `bson:"id" json:"id"`
	DepartmentID   string     `bson:"departmentId" json:"departmentId"`
	DepartmentName string     `bson:"departmentName" json:"departmentName"`
	LiaisonName    string     `bson:"liaisonName" json:"liaisonName"`
	LiaisonPhone   string     `bson:"liaisonPhone" json:"liaisonPhone"`
	Note           string     `bson:"note" json:"note"`
	DueAt          time.Time  `bson:"dueAt" json:"dueAt"`
	By             StaffRef   `bson:"by" json:"by"`
	At             time.Time  `bson:"at" json:"at"`
	Answer         *Answer    `bson:"answer" json:"answer"`
	OverdueAt      *time.Time `bson:"overdueAt" json:"overdueAt"`
}

// Answer is a department's answer as a staff member recorded it.
type Answer struct {
	Content    string    `bson:"content" json:"content"`
	RecordedBy StaffRef  `bson:"recordedBy" json:"recordedBy"`
	At         time.Time `bson:"at" json:"at"`
	Late       bool      `bson:"late" json:"late"`
}

// Message is one message with its whole thread. Every field but Events and
// Pending is rewritten by each transition; Events only grows.
type Message struct {
	ID string `bson:"_id"`
	// Version counts the transitions: each one is written only if the
	// message is still at the version its decision was taken on.
	Version     int64  `bson:"version"`
	CommunityID string `bson:"communityId"`
	GridID      string `bson:"gridId"`
	BuildingID  string `bson:"buildingId"`
	// Place names the community, grid and building as they were when the
	// message was sent (nil on messages stored before names were kept,
	// until Backfill names them).
	Place  *Place `bson:"place,omitempty"`
	Author Author `bson:"author"`

	// CategoryID is the category's identifier, Category its label when
	// the message was sent or reclassified. (Messages stored before
	// categories had identifiers have no CategoryID: see categoryOf.)
	CategoryID string   `bson:"categoryId,omitempty"`
	Category   string   `bson:"category"`
	Content    string   `bson:"content"`
	Images     []string `bson:"images"`
	// Urgency is the class in force; RequestedUrgency what the resident
	// asked for, until staff confirm or lower it (UrgencyConfirmed).
	Urgency          Urgency `bson:"urgency"`
	RequestedUrgency Urgency `bson:"requestedUrgency"`
	UrgencyConfirmed bool    `bson:"urgencyConfirmed"`
	Complex          bool    `bson:"complex"`
	ComplexReason    string  `bson:"complexReason"`

	State State     `bson:"state"`
	Owner *StaffRef `bson:"owner"`
	// AcceptedAt is the first acceptance (首接).
	AcceptedAt      *time.Time `bson:"acceptedAt"`
	FirstResponseAt *time.Time `bson:"firstResponseAt"`
	RespondedInTime bool       `bson:"respondedInTime"`
	// Cycle counts resolutions asked for: 1, and one more per reopening.
	Cycle int `bson:"cycle"`
	// Answered: a named staff member answered (not only asked) in the
	// current cycle. Resolving reads the thread itself (answeredInCycle).
	Answered    bool         `bson:"answered"`
	Reopens     int          `bson:"reopens"`
	Resolution  *Resolution  `bson:"resolution"`
	Rating      *Rating      `bson:"rating"`
	Escalations []Escalation `bson:"escalations"`

	Deadlines Deadlines `bson:"deadlines"`
	// Waiting runs while staff wait on the resident (awaiting_resident).
	Waiting *Waiting `bson:"waiting"`
	// ResidentSilent: the resident did not answer staff's question in time;
	// the message went back to its owner, who owes a named answer. Cleared
	// by the next word of either.
	ResidentSilent bool `bson:"residentSilent"`
	// RatingWindow runs while a resolved message waits for its rating.
	RatingWindow *RatingWindow `bson:"ratingWindow"`
	// RatingExpired: closed because the resolution was not rated in time.
	RatingExpired bool `bson:"ratingExpired"`
	// OverdueAt is when the message first missed one of its deadlines.
	OverdueAt *time.Time `bson:"overdueAt"`
	// SortDueAt orders the queues: the deadline that matters now, or
	// Never when no clock runs.
	SortDueAt time.Time `bson:"sortDueAt"`
	// NextCheckAt is when the sweep must look at the message next (Never: no need).
	NextCheckAt time.Time `bson:"nextCheckAt"`

	SubmittedAt time.Time `bson:"submittedAt"`
	UpdatedAt   time.Time `bson:"updatedAt"`

	// Figures is what the message has contributed to the counters.
	Figures Figures `bson:"figures"`
	// TallyDirty is set while a transition's counter changes may not all
	// have been applied; Pending holds them by version ("v3").
	TallyDirty bool             `bson:"tallyDirty"`
	Pending    map[string]Delta `bson:"pending,omitempty"`
	// Outbox holds the notices transitions owe and that were not handed
	// to the notifier yet, oldest first (written with the transition).
	Outbox     []notify.Notice `bson:"outbox,omitempty"`
	OutboxSize int             `bson:"outboxSize,omitempty"`

	Events []Event `bson:"events"`
}

// Waiting is the wait on the resident's answer.
type Waiting struct {
	Since    time.Time `bson:"since"`
	RemindAt time.Time `bson:"remindAt"`
	SilentAt time.Time `bson:"silentAt"`
	Reminded bool      `bson:"reminded"`
}

// RatingWindow is the time a resolution may be rated in.
type RatingWindow struct {
	RemindAt time.Time `bson:"remindAt"`
	CloseAt  time.Time `bson:"closeAt"`
	Reminded bool      `bson:"reminded"`
}

// EventType names what happened.
type EventType string

// The events of a thread.
const (
	EvSubmitted   EventType = "submitted"
	EvAccepted    EventType = "accepted"
	EvReply       EventType = "reply"
	EvFollowUp    EventType = "follow_up"
	EvClassified  EventType = "classified"
	EvTransferred EventType = "transferred"
	EvEscalated   EventType = "escalated"
	EvDeptAnswer  EventType = "department_answer"
	EvResolved    EventType = "resolved"
	EvRated       EventType = "rated"
	EvWarning     EventType = "deadline_warning"
	EvOverdue     EventType = "overdue"
	// The lifecycle's ends (system events).
	EvResidentReminder EventType = "resident_reminder"
	EvResidentSilent   EventType = "resident_silent"
	EvRateReminder     EventType = "rate_reminder"
	EvRatingExpired    EventType = "rating_expired"
)

// ActorKind says who caused an event.
type ActorKind string

// The kinds of actor.
const (
	ByResident ActorKind = "resident"
	ByStaff    ActorKind = "staff"
	ByAdmin    ActorKind = "admin"
	BySystem   ActorKind = "system"
)

// Who caused an event.
type Who struct {
	Kind   ActorKind `bson:"kind"`
	UserID string    `bson:"userId,omitempty"`
	Staff  *StaffRef `bson:"staff,omitempty"`
}

// Event is one immutable entry of a thread: who did what, when, and the
// state the message was left in.
type Event struct {
	ID    string    `bson:"id"`
	Type  EventType `bson:"type"`
	At    time.Time `bson:"at"`
	By    Who       `bson:"by"`
	State State     `bson:"state"`

	Content     string   `bson:"content,omitempty"`
	Images      []string `bson:"images,omitempty"`
	AskResident bool     `bson:"askResident,omitempty"`
	Reason      string   `bson:"reason,omitempty"`

	// classified
	CategoryID string  `bson:"categoryId,omitempty"`
	Category   string  `bson:"category,omitempty"`
	Urgency    Urgency `bson:"urgency,omitempty"`
	Complex    *bool   `bson:"complex,omitempty"`
	// transferred
	From *StaffRef `bson:"from,omitempty"`
	To   *StaffRef `bson:"to,omitempty"`
	// escalated, department_answer
	EscalationID   string     `bson:"escalationId,omitempty"`
	DepartmentName string     `bson:"departmentName,omitempty"`
	LiaisonName    string     `bson:"liaisonName,omitempty"`
	DueAt          *time.Time `bson:"dueAt,omitempty"`
	Late           bool       `bson:"late,omitempty"`
	// rated
	Solved       *bool        `bson:"solved,omitempty"`
	Satisfaction Satisfaction `bson:"satisfaction,omitempty"`
	Reopened     bool         `bson:"reopened,omitempty"`
	// deadline_warning, overdue: "response", "resolve" or "department"
	Deadline string `bson:"deadline,omitempty"`
}

// Limits of what a message holds.
const (
	MaxContent = 2000 // characters of a message, reply, follow-up or answer
	MaxImages  = 9
	// MaxReason bounds the reason of a transfer or a classification,
	// MaxNote the note of a whistle, MaxComment a rating's comment.
	MaxReason  = 200
	MaxNote    = 500
	MaxComment = 500
	// MaxCategoryLabel bounds a category's label, MaxCategories a
	// community's categories, MaxHours any deadline.
	MaxCategoryLabel = 16
	MaxCategoryID    = 32 // a category's identifier (as trimmed), the key a message names
	MaxCategories    = 20
	MaxHours         = 90 * 24
	// MaxEvents bounds a thread (and the document); past it people call.
	MaxEvents = 300
	// MaxEscalations bounds the whistles blown on one message.
	MaxEscalations = 10
)

// Errors of this area. Conflicts say what the state does not allow now.
var (
	ErrNotFound         = apperr.Define(apperr.NotFound, "MESSAGE_NOT_FOUND", "找不到该留言")
	ErrContentEmpty     = apperr.Define(apperr.Invalid, "MESSAGE_CONTENT_EMPTY", "请填写内容")
	ErrContentTooLong   = apperr.Define(apperr.Invalid, "MESSAGE_CONTENT_TOO_LONG", "内容不能超过"+strconv.Itoa(MaxContent)+"字")
	ErrUnknownCategory  = apperr.Define(apperr.Invalid, "MESSAGE_UNKNOWN_CATEGORY", "请从列表中选择留言类别")
	ErrAlreadyAccepted  = apperr.Define(apperr.Conflict, "MESSAGE_ALREADY_ACCEPTED", "该留言已由其他工作人员受理")
	ErrNotAccepted      = apperr.Define(apperr.Conflict, "MESSAGE_NOT_ACCEPTED", "请先受理该留言")
	ErrNotAnswered      = apperr.Define(apperr.Conflict, "MESSAGE_NOT_ANSWERED", "办结前须由工作人员实名答复居民（提问不算答复）")
	ErrAwaitingResident = apperr.Define(apperr.Conflict, "MESSAGE_AWAITING_RESIDENT", "您向居民提的问题还在等待回复，请先答复居民再办结")
	ErrStaffIncomplete  = apperr.Define(apperr.Forbidden, "STAFF_PROFILE_INCOMPLETE", "工作人员资料缺少真实姓名或职务，请联系街道管理员补全后再办理")
	ErrNotOwner         = apperr.Define(apperr.Forbidden, "MESSAGE_NOT_OWNER", "只有该留言的承办人可以进行此操作")
	ErrNotResolved      = apperr.Define(apperr.Conflict, "MESSAGE_NOT_RESOLVED", "留言办结后才能评价")
	ErrAlreadyRated     = apperr.Define(apperr.Conflict, "MESSAGE_ALREADY_RATED", "您已评价过本次办理结果")
	ErrClosed           = apperr.Define(apperr.Conflict, "MESSAGE_CLOSED", "该留言已办结，如问题仍未解决，请在评价中选择“未解决”")
	ErrStaffRequired    = apperr.Define(apperr.Forbidden, "STAFF_PROFILE_REQUIRED", "请以本社区工作人员身份操作")
	ErrTransferTarget   = apperr.Define(apperr.Invalid, "MESSAGE_TRANSFER_TARGET_INVALID", "只能转交给本社区其他在岗的工作人员")
	ErrAlreadyEscalated = apperr.Define(apperr.Conflict, "MESSAGE_ALREADY_ESCALATED", "已向该部门吹哨，正在等待部门答复")
	ErrTooManyEscalated = apperr.Define(apperr.Conflict, "MESSAGE_ESCALATION_LIMIT", "该留言吹哨次数已达上限")
	ErrEscalationAbsent = apperr.Define(apperr.NotFound, "ESCALATION_NOT_FOUND", "找不到该吹哨记录")
	ErrEscalationDone   = apperr.Define(apperr.Conflict, "ESCALATION_ALREADY_ANSWERED", "该部门已答复，答复不能修改")
	ErrDueAt            = apperr.Define(apperr.Invalid, "ESCALATION_DUE_INVALID", "答复期限须晚于现在，且不超过30天")
	ErrNothingChanged   = apperr.Define(apperr.Invalid, "MESSAGE_CLASSIFY_UNCHANGED", "分类、紧急程度和复杂程度均未改变")
	ErrThreadFull       = apperr.Define(apperr.Conflict, "MESSAGE_THREAD_FULL", "该留言往来记录已达上限，请电话联系社区")
	ErrBusy             = apperr.Define(apperr.Conflict, "MESSAGE_BUSY", "该留言正被他人同时处理，请刷新后重试")
	ErrConfigInvalid    = apperr.Define(apperr.Invalid, "MESSAGE_CONFIG_INVALID", "留言类别或办理时限设置有误")
	ErrStatsQuery       = apperr.Define(apperr.Invalid, "STATS_QUERY_INVALID", "统计条件有误")
)
