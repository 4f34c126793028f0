package handlers

import (
	"errors"
	"reflect"
	"slices"
	"strings"

	"github.com/go-playground/validator/v10"

	"linli/internal/apperr"
	"linli/internal/platform/clock"
	"linli/internal/platform/text"
)

// Request structs are validated here, with messages a resident reads. Each
// field of a request struct names itself in Chinese in a `zh` tag
//
//	Urgency string `json:"urgency" zh:"紧急程度" validate:"omitempty,oneof=urgent normal"`
//
// and every message is written from that label and what the rule wants, in
// words: "请选择紧急程度：紧急或一般", "截止时间格式应为
// 2026-12-01T18:00:00+08:00". The values of a oneof read in Chinese from
// choiceLabels, or from the field's own `zhoneof:"urgent=紧急 normal=一般"`.
// A new request type gets good messages by adding tags, nothing else
// (TestEveryFieldMessageReadsInChinese sends every request type with every
// field wrong).

// validate checks request structs (never domain types).
var validate = newValidator()

// timeExample is how a time is shown to whoever typed it wrong.
const timeExample = "2026-12-01T18:00:00+08:00"

// choiceLabels are the Chinese words for the values clients choose from.
var choiceLabels = map[string]string{
	"urgent": "紧急", "normal": "一般",
	"item": "物品", "service": "服务",
	"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意",
	"mine": "我的", "grid": "本网格", "community": "本社区",
	"active": "待办", "all": "全部",
	"pending_review": "待审核", "open": "征集中", "claimed": "已认领", "fulfilled": "已完成", "confirmed": "已确认", "rejected": "未通过", "expired": "已过期",
	"submitted": "待受理", "accepted": "办理中", "awaiting_resident": "待居民回复", "resolved": "已办结", "closed": "已评价",
}

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// The field path of an error is the JSON one (what the client sent).
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(v.RegisterValidation("objectid", func(fl validator.FieldLevel) bool {
		return clock.ValidID(fl.Field().String())
	}))
	// notblank is required for text: a name of spaces or invisible characters is no name.
	must(v.RegisterValidation("notblank", func(fl validator.FieldLevel) bool {
		return !text.Blank(fl.Field().String())
	}))
	// rfc3339 is a time with any offset ("Z" included, as JavaScript sends it).
	must(v.RegisterValidation("rfc3339", func(fl validator.FieldLevel) bool {
		_, err := clock.ParseTime(fl.Field().String())
		return err == nil
	}))
	// https is an image address: an https URL.
	must(v.RegisterValidation("https", func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		return strings.HasPrefix(s, "https://") && len(s) > len("https://")
	}))
	// lim is max with the limit named in the domain (see limits); text is
	// counted as the service cleans it.
	must(v.RegisterValidation("lim", func(fl validator.FieldLevel) bool {
		l := limitNamed(fl.Param())
		n := l.max
		f := fl.Field()
		switch f.Kind() {
		case reflect.String:
			if l.clean == nil {
				panic("handlers: limit " + fl.Param() + " is no text limit")
			}
			return l.length(f.String()) <= n
		case reflect.Slice, reflect.Map, reflect.Array:
			return f.Len() <= n
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return f.Int() <= int64(n)
		}
		return false
	}))
	return v
}

// limitOf is the domain limit called name.
func limitOf(name string) int { return limitNamed(name).max }

// limitNamed is the limit called name.
func limitNamed(name string) limit {
	l, ok := limits[name]
	if !ok {
		panic("handlers: no limit called " + name)
	}
	return l
}

// check validates a request struct and returns one field error per field.
func check(req any) error {
	err := validate.Struct(req)
	var ves validator.ValidationErrors
	if errors.As(err, &ves) {
		root := reflect.TypeOf(req)
		fields := make([]apperr.FieldError, 0, len(ves))
		for _, fe := range ves {
			ns := fe.Namespace()
			if i := strings.IndexByte(ns, '.'); i >= 0 {
				ns = ns[i+1:]
			}
			code := fe.Tag()
			if code == "lim" {
				code = "max" // a domain limit is a max, as the service that holds it says
			}
			fields = append(fields, apperr.FieldError{Field: ns, Code: code, Message: fieldMessage(root, fe)})
		}
		if !slices.ContainsFunc(fields, func(f apperr.FieldError) bool { return f.Code != "objectid" }) {
			return apperr.ErrBadID.WithFields(fields...) // as a malformed ID in the path or the query
		}
		return apperr.ErrValidation.WithFields(fields...)
	}
	if err != nil {
		return apperr.ErrInternal.Wrap(err)
	}
	return nil
}
