package handlers

import (
	"linli/internal/message"
	"linli/internal/party"
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
	"party.pointName":       name(party.MaxPointName),
	"party.pointLocation":   name(party.MaxPointLocation),
}

// limit is a domain limit and, for text, how its service cleans the text
// it counts.
type limit struct {
	max   int
	clean func(string) string
}

// body is a limit on longer text, counted as text.Body leaves it.
func body(n int) limit { return limit{max: n, clean: text.Body} }

// name is a limit on a name or title, counted as text.Name leaves it.
func name(n int) limit { return limit{max: n, clean: text.Name} }

// count is a limit on a number or on the length of a list.
func count(n int) limit { return limit{max: n} }
