// Package account is identity: users (one per WeChat openId), their home in
// the street, their roles, and staff profiles — the real name and position a
// resident sees on every answer — bound to a user by a one-time invite code.
// It also issues and checks the bearer tokens.
package account

import (
	"time"

	"linli/internal/apperr"
)

// User is one person who opened the mini-program.
type User struct {
	ID       string `bson:"_id"`
	OpenID   string `bson:"openId"`
	UnionID  string `bson:"unionId,omitempty"`
	Nickname string `bson:"nickname"`
	// PendingNickname waits for WeChat's content security (unreachable when
	// it was set): others see Nickname until the re-check passes it.
	PendingNickname  string     `bson:"pendingNickname,omitempty"`
	NicknameCheckDue *time.Time `bson:"nicknameCheckDue,omitempty"`
	NicknameAttempts int        `bson:"nicknameAttempts,omitempty"`
	Home             *Home      `bson:"home,omitempty"`
	// Volunteer is set when the resident signed up to volunteer.
	Volunteer bool      `bson:"volunteer"`
	CreatedAt time.Time `bson:"createdAt"`
	UpdatedAt time.Time `bson:"updatedAt"`
}

// Home is where a user lives.
type Home struct {
	CommunityID string `bson:"communityId"`
	GridID      string `bson:"gridId"`
	BuildingID  string `bson:"buildingId,omitempty"`
}

// Staff is a staff profile of one community. Name and Position are real and
// required: they are shown to residents on every answer.
type Staff struct {
	ID          string   `bson:"_id"`
	Name        string   `bson:"name"`
	Position    string   `bson:"position"`
	CommunityID string   `bson:"communityId"`
	GridIDs     []string `bson:"gridIds"`
	// Secretary marks the community's secretary (书记) — or one of them: the
	// people told when a resident's message goes overdue, who may reassign
	// work. An admin sets it explicitly; the position text is only shown.
	Secretary bool `bson:"secretary"`
	// UserID is the account the profile is bound to, once the invite is redeemed.
	UserID string `bson:"userId,omitempty"`
	Active bool   `bson:"active"`
	// InviteHash is the SHA-256 of the invite code; the code itself is shown once.
	InviteHash      string     `bson:"inviteHash"`
	InviteExpiresAt time.Time  `bson:"inviteExpiresAt"`
	RedeemedAt      *time.Time `bson:"redeemedAt,omitempty"`
	CreatedAt       time.Time  `bson:"createdAt"`
	DeactivatedAt   *time.Time `bson:"deactivatedAt,omitempty"`
}

// The limits of what people type here (text in characters, as text.Name
// leaves it; the development login's account trimmed; codes as sent).
const (
	MaxNickname   = 32  // a resident's nickname
	MaxStaffName  = 32  // a staff member's real name
	MaxPosition   = 32  // a staff member's position (职务)
	MaxStaffGrids = 50  // the grids one staff member answers for
	MaxInviteCode = 32  // an invite code as typed
	MaxOpenID     = 64  // a development login's account
	MaxLoginCode  = 128 // a WeChat login code
)

// Errors of this area.
var (
	ErrUserNotFound        = apperr.Define(apperr.Unauthorized, "USER_NOT_FOUND", "账号不存在，请重新登录")
	ErrStaffNotFound       = apperr.Define(apperr.NotFound, "STAFF_NOT_FOUND", "找不到该工作人员")
	ErrInviteNotFound      = apperr.Define(apperr.NotFound, "INVITE_NOT_FOUND", "邀请码无效，请核对后重试")
	ErrInviteUsed          = apperr.Define(apperr.Conflict, "INVITE_ALREADY_USED", "该邀请码已被使用")
	ErrInviteExpired       = apperr.Define(apperr.Gone, "INVITE_EXPIRED", "邀请码已过期，请联系街道重新发放")
	ErrAlreadyStaff        = apperr.Define(apperr.Conflict, "ALREADY_STAFF", "您的账号已绑定工作人员身份")
	ErrStaffInactive       = apperr.Define(apperr.Conflict, "STAFF_INACTIVE", "该工作人员已停用")
	ErrWeChatNotConfigured = apperr.Define(apperr.Unavailable, "WECHAT_NOT_CONFIGURED", "微信登录尚未开通，请联系社区")
	ErrDevLoginDisabled    = apperr.Define(apperr.NotFound, "DEV_LOGIN_DISABLED", "开发登录在正式环境中不可用")
)
