package activity

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"linli/internal/apperr"
	"linli/internal/platform/clock"
	"linli/internal/platform/media"
)

// Draft is what staff give when they create or edit an activity.
type Draft struct {
	// CommunityID is where it takes place; staff of one community may
	// leave it empty. Ignored on edit.
	CommunityID                  string
	Title, Description, Location string
	StartAt, EndAt               time.Time
	SignupOpensAt                time.Time
	SignupClosesAt               time.Time
	Capacity                     int
	Audience                     Audience
	Images                       []string
	// ServiceMinutes is the credit of an attended volunteer; 0: the length.
	ServiceMinutes int
}

// normalise trims the texts and checks every rule that needs no I/O. Broken
// texts are one VALIDATION_FAILED naming each field; a broken rule of the
// activity itself (capacity, audience, times) has its own code, naming the
// field, so that the phone can say exactly what to fix.
func (d *Draft) normalise(now time.Time) error {
	d.Title = strings.TrimSpace(d.Title)
	d.Description = strings.TrimSpace(d.Description)
	d.Location = strings.TrimSpace(d.Location)
	var fields []apperr.FieldError
	fields = text(fields, "title", "标题", d.Title, MaxTitle)
	fields = text(fields, "description", "活动介绍", d.Description, MaxDescription)
	fields = text(fields, "location", "地点", d.Location, MaxLocation)
	if len(d.Images) > MaxImages {
		fields = append(fields, apperr.FieldError{Field: "images", Code: "max", Message: "最多" + strconv.Itoa(MaxImages) + "张图片"})
	}
	for i, s := range d.Images {
		if !media.ValidImageURL(s) {
			fields = append(fields, apperr.FieldError{Field: "images[" + strconv.Itoa(i) + "]", Code: "url", Message: "图片须为 https 地址"})
			break
		}
	}
	if d.ServiceMinutes < 0 || d.ServiceMinutes > MaxServiceMinutes {
		fields = append(fields, apperr.FieldError{Field: "serviceMinutes", Code: "range", Message: "服务时长须为0到" + strconv.Itoa(MaxServiceMinutes) + "分钟"})
	}
	if len(fields) > 0 {
		return apperr.ErrValidation.WithFields(fields...)
	}
	if d.Images == nil {
		d.Images = []string{}
	}
	if d.Capacity < 1 || d.Capacity > MaxCapacity {
		return ErrCapacityInvalid.WithFields(apperr.FieldError{Field: "capacity", Code: "range", Message: ErrCapacityInvalid.Message})
	}
	if !slices.Contains(Audiences, d.Audience) {
		return ErrAudienceInvalid.WithFields(apperr.FieldError{Field: "audience", Code: "oneof", Message: ErrAudienceInvalid.Message})
	}
	// Times are kept as every time is stored and shown: +08:00, to the
	// millisecond (the answer then says what every later read says).
	for _, t := range []*time.Time{&d.StartAt, &d.EndAt, &d.SignupOpensAt, &d.SignupClosesAt} {
		*t = t.In(clock.China).Truncate(time.Millisecond)
	}
	switch {
	case !d.EndAt.After(d.StartAt):
		return ErrEndBeforeStart.WithFields(apperr.FieldError{Field: "endAt", Code: "after", Message: ErrEndBeforeStart.Message})
	case d.SignupClosesAt.After(d.StartAt) || !d.SignupClosesAt.After(d.SignupOpensAt):
		return ErrSignupWindow.WithFields(apperr.FieldError{Field: "signupClosesAt", Code: "window", Message: ErrSignupWindow.Message})
	case d.EndAt.Sub(d.StartAt) > MaxLength, d.StartAt.After(now.Add(MaxAhead)), d.EndAt.Before(now.Add(-MaxBehind)):
		return ErrTimesOutOfRange.WithFields(apperr.FieldError{Field: "startAt", Code: "range", Message: ErrTimesOutOfRange.Message})
	}
	return nil
}

// text checks a trimmed text field; label names it as staff read it.
func text(fields []apperr.FieldError, name, label, v string, max int) []apperr.FieldError {
	if v == "" {
		return append(fields, apperr.FieldError{Field: name, Code: "required", Message: "请填写" + label})
	}
	return apperr.TooLong(fields, name, label, v, max)
}
