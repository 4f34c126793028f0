package handlers

import (
	"strings"
	"unicode/utf8"

	"linli/internal/account"
	"linli/internal/activity"
	"linli/internal/community"
	"linli/internal/department"
	"linli/internal/message"
	"linli/internal/notify"
	"linli/internal/party"
	"linli/internal/platform/media"
	"linli/internal/platform/text"
	"linli/internal/wish"
)

// limits are the domain's limits that request structs check, by the name a
// `lim=` rule gives: `validate:"required,lim=wish.title"`. A limit is
// written once, in its area, and read here; the field message says it in
// words like any max ("标题不能超过30个字"). A text limit is checked on the
// text as its service cleans it before counting (text.Body: ends trimmed,
// control characters dropped; text.Name: runs of space made one), so that
// the API refuses exactly what the service (and the console, which calls
// the service directly) refuses: 200 characters padded with spaces are 200
// characters. An unknown name panics at the first validation
// (TestEveryFieldMessageReadsInChinese sends every request type, so a typo
// fails a test, never a resident).
var limits = map[string]limit{
	"message.content":       body(message.MaxContent),
	"message.images":        count(message.MaxImages),
	"message.reason":        body(message.MaxReason),
	"message.note":          body(message.MaxNote),
	"message.comment":       body(message.MaxComment),
	"message.categoryLabel": name(message.MaxCategoryLabel),
	"message.category":      trimmed(message.MaxCategoryID),
	"message.categories":    count(message.MaxCategories),
	"message.hours":         count(message.MaxHours),
	"wish.title":            name(wish.MaxTitle),
	"wish.description":      body(wish.MaxDescription),
	"wish.beneficiary":      name(wish.MaxBeneficiary),
	"wish.reason":           body(wish.MaxReason),
	"wish.note":             body(wish.MaxNote),
	"wish.contactNote":      body(wish.MaxContactNote),
	"wish.images":           count(wish.MaxImages),
	"wish.valueCap":         count(wish.MaxValueCap),
	"party.reason":          body(party.MaxReasonRunes),
	"party.comment":         body(party.MaxCommentRunes),
	"party.pointName":       name(party.MaxPointName),
	"party.pointLocation":   name(party.MaxPointLocation),
	"party.realName":        trimmed(party.MaxNameLen),
	"party.organization":    trimmed(party.MaxOrgLen),
	"party.skills":          count(party.MaxSkills),
	"party.skill":           trimmed(party.MaxSkillLen),
	"party.phone":           trimmed(party.MaxPhoneInput),
	"community.name":        name(community.MaxName),
	"community.street":      name(community.MaxStreet),
	"account.nickname":      name(account.MaxNickname),
	"account.staffName":     name(account.MaxStaffName),
	"account.position":      name(account.MaxPosition),
	"account.staffGrids":    count(account.MaxStaffGrids),
	"account.inviteCode":    raw(account.MaxInviteCode),
	"account.openId":        trimmed(account.MaxOpenID),
	"account.loginCode":     raw(account.MaxLoginCode),
	"department.name":       name(department.MaxName),
	"department.liaison":    name(department.MaxLiaisonName),
	"department.phone":      trimmed(department.MaxLiaisonPhone),
	"notify.accepted":       count(notify.MaxAccepted),
	"notify.templateId":     raw(notify.MaxTemplateID),
	"activity.title":        trimmed(activity.MaxTitle),
	"activity.description":  trimmed(activity.MaxDescription),
	"activity.location":     trimmed(activity.MaxLocation),
	"activity.reason":       trimmed(activity.MaxReason),
	"activity.images":       count(activity.MaxImages),
	"activity.checkinCode":  trimmed(activity.MaxCheckinCode),
	"party.checkinCode":     trimmed(party.MaxCheckinCode),
	"media.url":             inBytes(media.MaxURL),
}

// limit is a domain limit and, for text, how its service cleans the text
// and counts it.
type limit struct {
	max   int
	clean func(string) string
	count func(string) int // characters unless said
}

// length is s's length as l counts it, after l's cleaning.
func (l limit) length(s string) int {
	s = l.clean(s)
	if l.count != nil {
		return l.count(s)
	}
	return utf8.RuneCountInString(s)
}

// body is a limit on longer text, counted as text.Body leaves it.
func body(n int) limit { return limit{max: n, clean: text.Body} }

// name is a limit on a name or title, counted as text.Name leaves it.
func name(n int) limit { return limit{max: n, clean: text.Name} }

// trimmed is a limit on text its service only trims (a phone, an account,
// a category's identifier, a check-in code).
func trimmed(n int) limit { return limit{max: n, clean: strings.TrimSpace} }

// raw is a limit on a code taken as sent (a WeChat login code, a template
// ID; an invite code, which its service reads past spaces and dashes, is
// bounded as typed).
func raw(n int) limit { return limit{max: n, clean: func(s string) string { return s }} }

// inBytes is a limit on an address taken as sent, in bytes (media.Check).
func inBytes(n int) limit {
	return limit{max: n, clean: func(s string) string { return s }, count: func(s string) int { return len(s) }}
}

// count is a limit on a number or on the length of a list.
func count(n int) limit { return limit{max: n} }
