package wish

import (
	"strconv"
	"time"
	"unicode/utf8"

	"linli/internal/apperr"
	"linli/internal/platform/clock"
	"linli/internal/platform/media"
	plain "linli/internal/platform/text"
)

// Lengths of the texts of a wish, in characters.
const (
	MaxTitle       = 30
	MaxDescription = 500
	MaxBeneficiary = 20
	MaxReason      = 200
	MaxNote        = 300
	MaxContactNote = 200
)

// Draft is what a poster gives.
type Draft struct {
	Title, Description string
	Category           Category
	// BeneficiaryName is optional for a resident (themself, by nickname
	// when empty) and required for staff posting on behalf.
	BeneficiaryName string
	// EstimatedValue is in whole yuan.
	EstimatedValue int
	Images         []string
	// ExpiresAt is optional: DefaultLifetime from now when zero.
	ExpiresAt time.Time
	// CommunityID is where staff or an admin post on behalf; residents post
	// in their home community and may leave it empty.
	CommunityID string
}

// normalise trims the draft's texts and checks every rule that needs no
// I/O, returning one field error per broken rule. The handlers check the
// same shapes first; this holds for any caller.
func (d *Draft) normalise(now time.Time) error {
	d.Title = plain.Name(d.Title)
	d.Description = plain.Body(d.Description)
	d.BeneficiaryName = plain.Name(d.BeneficiaryName)
	var fields []apperr.FieldError
	fields = text(fields, "title", "标题", d.Title, true, MaxTitle)
	fields = text(fields, "description", "心愿描述", d.Description, true, MaxDescription)
	fields = text(fields, "beneficiaryName", "受助人姓名", d.BeneficiaryName, false, MaxBeneficiary)
	if d.Category != CategoryItem && d.Category != CategoryService {
		fields = append(fields, apperr.FieldError{Field: "category", Code: "oneof", Message: "请选择心愿类别：物品或服务"})
	}
	if d.EstimatedValue < 0 {
		fields = append(fields, apperr.FieldError{Field: "estimatedValue", Code: "min", Message: "估计价值（元）不能为负数"})
	}
	fields = images(fields, "images", d.Images)
	// A given expiry is kept as every time is stored and shown: +08:00, to
	// the millisecond (the 201 answer then says what every later read says).
	d.ExpiresAt = d.ExpiresAt.In(clock.China).Truncate(time.Millisecond)
	if d.ExpiresAt.IsZero() {
		d.ExpiresAt = now.Add(DefaultLifetime)
	} else if d.ExpiresAt.Before(now.Add(MinLifetime)) || d.ExpiresAt.After(now.Add(MaxLifetime)) {
		fields = append(fields, apperr.FieldError{Field: "expiresAt", Code: "range", Message: "截止时间须在1天后到90天内"})
	}
	if len(fields) > 0 {
		return apperr.ErrValidation.WithFields(fields...)
	}
	if d.Images == nil {
		d.Images = []string{}
	}
	return nil
}

// text checks a cleaned text field; label names it as the resident reads it.
func text(fields []apperr.FieldError, name, label, v string, required bool, max int) []apperr.FieldError {
	switch {
	case required && v == "":
		return append(fields, apperr.FieldError{Field: name, Code: "required", Message: "请填写" + label})
	case utf8.RuneCountInString(v) > max:
		return append(fields, apperr.FieldError{Field: name, Code: "max", Message: label + "不能超过" + strconv.Itoa(max) + "个字"})
	}
	return fields
}

// images checks a bounded list of https URLs (uploaded by the mini-program
// to the community's storage; the server keeps only the addresses).
func images(fields []apperr.FieldError, name string, list []string) []apperr.FieldError {
	if len(list) > MaxImages {
		return append(fields, apperr.FieldError{Field: name, Code: "max", Message: "最多" + strconv.Itoa(MaxImages) + "张图片"})
	}
	for i, s := range list {
		if !media.ValidImageURL(s) {
			return append(fields, apperr.FieldError{Field: name + "[" + strconv.Itoa(i) + "]", Code: "url", Message: "图片（第" + strconv.Itoa(i+1) + "个）须为以 https:// 开头的网络地址"})
		}
	}
	return fields
}
