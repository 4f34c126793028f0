package handlers

import (
	"linli/internal/message"
	"linli/internal/party"
	"linli/internal/wish"
)

// limits are the domain's limits that request structs check, by the name a
// `lim=` rule gives: `validate:"required,lim=wish.title"`. A limit is
// written once, in its area, and read here; the field message says it in
// words like any max ("标题不能超过30个字"). An unknown name panics at the
// first validation (TestEveryFieldMessageReadsInChinese sends every
// request type, so a typo fails a test, never a resident).
var limits = map[string]int{
	"message.content":       message.MaxContent,
	"message.images":        message.MaxImages,
	"message.reason":        message.MaxReason,
	"message.note":          message.MaxNote,
	"message.comment":       message.MaxComment,
	"message.categoryLabel": message.MaxCategoryLabel,
	"message.categories":    message.MaxCategories,
	"message.hours":         message.MaxHours,
	"wish.title":            wish.MaxTitle,
	"wish.description":      wish.MaxDescription,
	"wish.beneficiary":      wish.MaxBeneficiary,
	"wish.reason":           wish.MaxReason,
	"wish.note":             wish.MaxNote,
	"wish.contactNote":      wish.MaxContactNote,
	"wish.images":           wish.MaxImages,
	"wish.valueCap":         wish.MaxValueCap,
	"party.reason":          party.MaxReasonRunes,
}
