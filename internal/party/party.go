// Package party is 党员双报到: an in-service Party member registers with the
// community where they live, giving their work unit's Party organisation;
// the community's staff approve them into a grid, where they serve at the
// community's service points (check-ins with a rotating signed code), at
// activities and by fulfilling micro-wishes. All service is counted in the
// one ledger (internal/ledger), which this area owns: yearly hours against
// the community's target, a leaderboard served from Redis, the yearly
// evaluation (评议) and the roster the work unit receives (反馈).
//
// Every transition is one conditional write whose filter states the
// precondition; what a transition owes afterwards (ending a superseded
// registration, crediting a closed check-in) is marked on the document and
// finished again by the sweep if the process stops in between.
package party

import (
	"time"

	"linli/internal/apperr"
	"linli/internal/person"
)

// State is where a registration is.
type State string

// The states of a registration:
//
//	pending → approved (staff) | rejected (staff) | withdrawn (the member)
//	approved → ended (the member ends it, or a newer registration elsewhere is approved: moving home)
const (
	Pending   State = "pending"
	Approved  State = "approved"
	Rejected  State = "rejected"
	Withdrawn State = "withdrawn"
	Ended     State = "ended"
)

// ListStates are the states staff may list by.
var ListStates = []State{Pending, Approved, Rejected, Ended}

// Limits and rules of the practice.
const (
	// DefaultTargetHours is a member's yearly service target where the
	// community has not set its own.
	DefaultTargetHours = 12
	// MaxTargetHours bounds a community's target.
	MaxTargetHours = 200
	// AutoCloseCap is the time a check-in left open counts for when the
	// end of the day (China time) closes it.
	AutoCloseCap = 4 * time.Hour
	// FarMeters is the distance from a service point beyond which a
	// check-in is flagged.
	FarMeters = 500
	// CodeRotation is how often a service point's check-in code changes;
	// CodeGrace is how long a code is still accepted after the next one is
	// shown (a member who scanned just before the change).
	CodeRotation = 5 * time.Minute
	CodeGrace    = time.Minute
	// MaxReviewMinutes is the most a reviewed check-in may count: a day.
	MaxReviewMinutes = 24 * 60
	// MaxReasonRunes is the longest reason for a refusal or note of a review.
	MaxReasonRunes = 200
	// MaxSkills and MaxSkillLen bound what a member offers.
	MaxSkills   = 10
	MaxSkillLen = 20
	// MaxNameLen and MaxOrgLen bound a real name and an organisation's or
	// work unit's name (in characters).
	MaxNameLen = 20
	MaxOrgLen  = 60
	// MaxPointName and MaxPointLocation bound a service point's name and
	// place (in characters, as text.Name leaves them).
	MaxPointName     = 30
	MaxPointLocation = 100
)

// Grade is an evaluation's result (评议等次).
type Grade string

// The grades.
const (
	Excellent   Grade = "excellent"
	Qualified   Grade = "qualified"
	Basic       Grade = "basic"
	Unqualified Grade = "unqualified"
)

// Grades are every grade with its Chinese name.
var Grades = map[Grade]string{Excellent: "优秀", Qualified: "合格", Basic: "基本合格", Unqualified: "不合格"}

// By is who did something, as stored: a snapshot, so a record stays named
// after a profile changes.
type By struct {
	UserID   string `bson:"userId"`
	StaffID  string `bson:"staffId,omitempty"`
	Name     string `bson:"name"`
	Position string `bson:"position,omitempty"`
}

// View is By as answers show it.
func (b By) View() person.View {
	if b.StaffID != "" {
		return person.Staff(b.UserID, b.StaffID, b.Name, b.Position)
	}
	return person.Resident(b.UserID, b.Name)
}

// Registration is one registration (报到) of one person with one community.
type Registration struct {
	ID                string `bson:"_id"`
	UserID            string `bson:"userId"`
	CommunityID       string `bson:"communityId"`
	GridID            string `bson:"gridId,omitempty"`
	RealName          string `bson:"realName"`
	PartyOrganization string `bson:"partyOrganization"`
	WorkUnit          string `bson:"workUnit,omitempty"`
	// Phone is sealed (fieldcrypt); PhoneHash is its keyed hash, for look-ups.
	Phone     string   `bson:"phone,omitempty"`
	PhoneHash string   `bson:"phoneHash,omitempty"`
	Skills    []string `bson:"skills"`
	State     State    `bson:"state"`
	// Reason is why staff rejected it; EndReason why it ended ("withdrawn",
	// "moved").
	Reason    string `bson:"reason,omitempty"`
	EndReason string `bson:"endReason,omitempty"`
	// PendingSlot is the user's ID while pending: a unique index makes one
	// pending registration per person a single-document invariant.
	PendingSlot string `bson:"pendingSlot,omitempty"`
	// SupersedeOwed is set by the approval until every older approved
	// registration of the person is ended (moving home).
	SupersedeOwed bool       `bson:"supersedeOwed,omitempty"`
	DecidedBy     *By        `bson:"decidedBy,omitempty"`
	DecidedAt     *time.Time `bson:"decidedAt,omitempty"`
	EndedAt       *time.Time `bson:"endedAt,omitempty"`
	CreatedAt     time.Time  `bson:"createdAt"`
	UpdatedAt     time.Time  `bson:"updatedAt"`
	Events        []Event    `bson:"events"`
}

// Event is one step of a registration's history.
type Event struct {
	Type string    `bson:"type"`
	At   time.Time `bson:"at"`
	By   *By       `bson:"by,omitempty"`
	Note string    `bson:"note,omitempty"`
}

// Point is a service point (服务岗) of a community.
type Point struct {
	ID          string    `bson:"_id"`
	CommunityID string    `bson:"communityId"`
	Name        string    `bson:"name"`
	Location    string    `bson:"location"`
	Latitude    *float64  `bson:"latitude,omitempty"`
	Longitude   *float64  `bson:"longitude,omitempty"`
	CreatedBy   By        `bson:"createdBy"`
	CreatedAt   time.Time `bson:"createdAt"`
}

// Check-in states and flags.
const (
	Open   = "open"
	Closed = "closed"

	FlagFar        = "far"
	FlagAutoClosed = "auto_closed"
)

// Checkin is one member's service at a point, open until checked out (or
// closed by the end of the day).
type Checkin struct {
	ID             string `bson:"_id"`
	UserID         string `bson:"userId"`
	RegistrationID string `bson:"registrationId"`
	MemberName     string `bson:"memberName"`
	CommunityID    string `bson:"communityId"`
	GridID         string `bson:"gridId,omitempty"`
	PointID        string `bson:"pointId"`
	PointName      string `bson:"pointName"`
	State          string `bson:"state"`
	// OpenSlot is the user's ID while open (unique: one open check-in per
	// person); CodeUse is user#point#window (unique: a code serves a person once).
	OpenSlot       string     `bson:"openSlot,omitempty"`
	CodeUse        string     `bson:"codeUse"`
	CheckedInAt    time.Time  `bson:"checkedInAt"`
	CheckedOutAt   *time.Time `bson:"checkedOutAt,omitempty"`
	Minutes        int        `bson:"minutes"`
	DistanceMeters *int       `bson:"distanceMeters,omitempty"`
	Flags          []string   `bson:"flags"`
	Flagged        bool       `bson:"flagged"`
	Reviews        []Review   `bson:"reviews"`
	// CreditOwed is set when the minutes changed and the ledger has yet to say so.
	CreditOwed bool      `bson:"creditOwed,omitempty"`
	Year       int       `bson:"year"`
	UpdatedAt  time.Time `bson:"updatedAt"`
}

// Review is staff's adjustment of a flagged check-in.
type Review struct {
	Minutes  int       `bson:"minutes"`
	Previous int       `bson:"previous"`
	Note     string    `bson:"note"`
	By       By        `bson:"by"`
	At       time.Time `bson:"at"`
}

// Evaluation is a member's evaluation (评议) for one year, with every
// earlier version of it.
type Evaluation struct {
	ID             string              `bson:"_id"` // registrationID:year
	RegistrationID string              `bson:"registrationId"`
	UserID         string              `bson:"userId"`
	CommunityID    string              `bson:"communityId"`
	Year           int                 `bson:"year"`
	Grade          Grade               `bson:"grade"`
	Comment        string              `bson:"comment"`
	By             By                  `bson:"by"`
	At             time.Time           `bson:"at"`
	History        []EvaluationVersion `bson:"history"`
}

// EvaluationVersion is one version of an evaluation.
type EvaluationVersion struct {
	Grade   Grade     `bson:"grade"`
	Comment string    `bson:"comment"`
	By      By        `bson:"by"`
	At      time.Time `bson:"at"`
}

// Settings are a community's Party-member settings.
type Settings struct {
	CommunityID       string    `bson:"_id"`
	YearlyTargetHours int       `bson:"yearlyTargetHours"`
	UpdatedAt         time.Time `bson:"updatedAt"`
}

// Errors of this area.
var (
	ErrPendingExists   = apperr.Define(apperr.Conflict, "PARTY_REGISTRATION_PENDING", "您已有一份待审核的报到申请，请等待社区审核")
	ErrAlreadyMember   = apperr.Define(apperr.Conflict, "PARTY_ALREADY_REGISTERED", "您已在该社区报到")
	ErrNotFound        = apperr.Define(apperr.NotFound, "PARTY_REGISTRATION_NOT_FOUND", "找不到该报到记录")
	ErrNotPending      = apperr.Define(apperr.Conflict, "PARTY_REGISTRATION_NOT_PENDING", "该报到申请已处理过")
	ErrNothingToEnd    = apperr.Define(apperr.Conflict, "PARTY_NO_REGISTRATION", "您没有待审核或已通过的报到")
	ErrMemberNotFound  = apperr.Define(apperr.NotFound, "PARTY_MEMBER_NOT_FOUND", "找不到该党员")
	ErrMemberRequired  = apperr.Define(apperr.Forbidden, "PARTY_MEMBER_REQUIRED", "只有在本社区报到通过的党员才能签到")
	ErrPhoneInvalid    = apperr.Define(apperr.Invalid, "PHONE_INVALID", "手机号格式不正确，请填写11位手机号")
	ErrGradeInvalid    = apperr.Define(apperr.Invalid, "EVALUATION_GRADE_INVALID", "评议等次须为优秀、合格、基本合格或不合格")
	ErrYearInvalid     = apperr.Define(apperr.Invalid, "YEAR_INVALID", "年度不正确")
	ErrMinutesInvalid  = apperr.Define(apperr.Invalid, "SERVICE_MINUTES_OUT_OF_RANGE", "服务时长须在0到1440分钟之间")
	ErrTargetInvalid   = apperr.Define(apperr.Invalid, "PARTY_TARGET_OUT_OF_RANGE", "年度目标须在1到200小时之间")
	ErrLocationInvalid = apperr.Define(apperr.Invalid, "LOCATION_INVALID", "位置不正确：纬度须在-90到90之间，经度须在-180到180之间，且须同时填写")
	ErrPointNotFound   = apperr.Define(apperr.NotFound, "SERVICE_POINT_NOT_FOUND", "找不到该服务岗")
	ErrCodeInvalid     = apperr.Define(apperr.Invalid, "CHECKIN_CODE_INVALID", "签到码无效，请扫描现场的签到码")
	ErrCodeExpired     = apperr.Define(apperr.Gone, "CHECKIN_CODE_EXPIRED", "签到码已过期，请扫描现场最新的签到码")
	ErrCodeUsed        = apperr.Define(apperr.Conflict, "CHECKIN_CODE_USED", "该签到码您已使用过，请扫描最新的签到码")
	ErrAlreadyOpen     = apperr.Define(apperr.Conflict, "CHECKIN_ALREADY_OPEN", "您有一次签到尚未签退，请先签退")
	ErrCheckinNotFound = apperr.Define(apperr.NotFound, "CHECKIN_NOT_FOUND", "找不到该签到记录")
	ErrNotOpen         = apperr.Define(apperr.Conflict, "CHECKIN_CLOSED", "该签到已签退")
	ErrStillOpen       = apperr.Define(apperr.Conflict, "CHECKIN_STILL_OPEN", "该签到尚未签退，暂不能复核")
	ErrNotFlagged      = apperr.Define(apperr.Conflict, "CHECKIN_NOT_FLAGGED", "该签到没有需要复核的异常")
	ErrChanged         = apperr.Define(apperr.Conflict, "CHECKIN_CHANGED", "该签到刚被他人复核，请刷新后重试")
	ErrCommunityNeeded = apperr.Define(apperr.Invalid, "PARTY_COMMUNITY_REQUIRED", "请选择社区")
)
