// Package apperr is the product's one error type: a stable code the
// mini-program switches on, a class that decides the HTTP status, and a
// Chinese message fit to show on a phone. Services return *Error; the HTTP
// layer renders it once. Every code is declared here with Define so that the
// catalogue in mobile-contracts/ can be checked against the code base.
package apperr

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
	"unicode/utf8"
)

// Kind is the class of an error; the HTTP layer maps it to a status.
type Kind int

// The kinds of error the product knows.
const (
	Internal         Kind = iota // 500: a bug or an unexpected failure; detail is logged, never shown
	Invalid                      // 422: the request is well-formed but its values are not acceptable
	BadRequest                   // 400: the request cannot be read at all
	Unauthorized                 // 401: no valid identity
	Forbidden                    // 403: identity known, right missing
	NotFound                     // 404: absent, or outside the caller's scope
	Conflict                     // 409: the state does not allow it now
	Gone                         // 410: it existed but can no longer be used
	TooLarge                     // 413
	RateLimited                  // 429
	Unavailable                  // 503: a dependency is down
	BadGateway                   // 502: an upstream (WeChat) answered with a failure
	NotAllowed                   // 405: the path exists, the method does not
	UnsupportedMedia             // 415: the body is not in a format the endpoint reads
)

// FieldError is one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is the product's error.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  []FieldError
	// Details are safe, structured facts for the client (who owns a message, ...).
	Details map[string]any
	// Err is the cause; logged, never shown.
	Err error
	// RetryAfter, when set (by NothingDone), says that the request did
	// nothing: no write was made, nobody was told, so sending the same
	// request again after this long is safe. Set it with NothingDone; read
	// it with the function RetryAfter, which trusts it only on the error
	// as returned.
	RetryAfter time.Duration
}

// NothingDone marks e as said before the request did anything: nothing was
// written (not even a write that might have committed after an error),
// nobody was told; the same request may simply be sent again after
// retryAfter (at least a second). The HTTP layer sends Retry-After and
// lets the request's Idempotency-Key go, so that a retry with it runs.
// Only the code that knows the whole request wrote nothing may say so; an
// error without the mark (the default) is taken to perhaps follow a write:
// a server error then spends the key (IDEMPOTENCY_OUTCOME_UNKNOWN). The
// mark holds only while e is returned as it is (see RetryAfter): wrapped,
// it is not trusted. Mark a new error (d.New, d.Wrap), never one received
// from a callee. It is meant for server errors (503): an answer below 500
// is kept for its key whatever it says, and replayed without Retry-After.
func (e *Error) NothingDone(retryAfter time.Duration) *Error {
	e.RetryAfter = max(retryAfter, time.Second)
	return e
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Def declares one stable error code.
type Def struct {
	Kind    Kind
	Code    string
	Message string
}

var (
	mu      sync.Mutex
	defined = map[string]Def{}
)

// Define declares a code once, at package initialisation. Declaring the same
// code twice with a different meaning is a programming error and panics.
func Define(kind Kind, code, message string) Def {
	mu.Lock()
	defer mu.Unlock()
	d := Def{Kind: kind, Code: code, Message: message}
	if old, ok := defined[code]; ok && old != d {
		panic("apperr: code " + code + " defined twice")
	}
	defined[code] = d
	return d
}

// Catalogue returns every declared code, sorted by code.
func Catalogue() []Def {
	mu.Lock()
	defer mu.Unlock()
	out := make([]Def, 0, len(defined))
	for _, d := range defined {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// New returns an error of this code.
func (d Def) New() *Error { return &Error{Kind: d.Kind, Code: d.Code, Message: d.Message} }

// Wrap returns an error of this code with a cause to log.
func (d Def) Wrap(err error) *Error {
	e := d.New()
	e.Err = err
	return e
}

// WithFields returns an error of this code naming the invalid fields.
func (d Def) WithFields(fields ...FieldError) *Error {
	e := d.New()
	e.Fields = fields
	return e
}

// WithDetails returns an error of this code with facts for the client.
func (d Def) WithDetails(details map[string]any) *Error {
	e := d.New()
	e.Details = details
	return e
}

// RetryAfter reports how long to wait before sending again a request that
// failed with err, when err says nothing was done (NothingDone). Only err
// itself is asked, never an error it wraps: the code that wrapped a marked
// error (fmt.Errorf, errors.Join, another Def's Wrap) may have written
// after it, so its mark says nothing about the whole request. Code that
// knows nothing was written returns the marked error as it is, or marks
// its own.
func RetryAfter(err error) (time.Duration, bool) {
	if e, ok := err.(*Error); ok && e.RetryAfter > 0 { // err itself, on purpose: not errors.As
		return e.RetryAfter, true
	}
	return 0, false
}

// Is reports whether err is an *Error of this code.
func (d Def) Is(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == d.Code
}

// Codes shared by every area.
var (
	ErrInternal       = Define(Internal, "INTERNAL", "服务器开小差了，请稍后再试")
	ErrValidation     = Define(Invalid, "VALIDATION_FAILED", "提交的内容有误，请检查后重试")
	ErrMalformedJSON  = Define(BadRequest, "MALFORMED_JSON", "请求格式错误")
	ErrUnknownField   = Define(BadRequest, "UNKNOWN_FIELD", "请求包含无法识别的字段")
	ErrContentType    = Define(UnsupportedMedia, "UNSUPPORTED_CONTENT_TYPE", "请求须为 JSON 格式")
	ErrBodyTooLarge   = Define(TooLarge, "BODY_TOO_LARGE", "提交的内容过大")
	ErrBadID          = Define(NotFound, "INVALID_ID", "找不到该记录")
	ErrNotFound       = Define(NotFound, "NOT_FOUND", "找不到该内容")
	ErrRouteNotFound  = Define(NotFound, "ROUTE_NOT_FOUND", "接口不存在")
	ErrMethod         = Define(NotAllowed, "METHOD_NOT_ALLOWED", "不支持该请求方式")
	ErrAuthRequired   = Define(Unauthorized, "AUTH_REQUIRED", "请先登录")
	ErrTokenInvalid   = Define(Unauthorized, "TOKEN_INVALID", "登录状态无效，请重新登录")
	ErrTokenExpired   = Define(Unauthorized, "TOKEN_EXPIRED", "登录已过期，请重新登录")
	ErrForbidden      = Define(Forbidden, "FORBIDDEN", "没有权限进行此操作")
	ErrRateLimited    = Define(RateLimited, "RATE_LIMITED", "操作太频繁，请稍后再试")
	ErrUnavailable    = Define(Unavailable, "SERVICE_UNAVAILABLE", "服务暂时不可用，请稍后再试")
	ErrBadCursor      = Define(Invalid, "INVALID_CURSOR", "分页参数无效，请刷新后重试")
	ErrIdemInProgress = Define(Conflict, "IDEMPOTENCY_IN_PROGRESS", "上一次提交仍在处理中，请稍候")
	ErrIdemMismatch   = Define(Invalid, "IDEMPOTENCY_KEY_REUSED", "同一个请求标识不能用于不同的内容")
	// ErrIdemUnknown: the first attempt failed on the server (or its
	// server stopped) perhaps after its write; it is not run again.
	ErrIdemUnknown = Define(Conflict, "IDEMPOTENCY_OUTCOME_UNKNOWN", "上一次提交的结果不明，请先查看是否已提交成功，再重新提交")
)

// TooLong adds to fields the field error of a text over its limit: s, as
// its service cleaned it, longer than max characters (label names the
// field as a resident reads it: "服务岗名称不能超过30个字", the words the
// API's validator uses for the same limit).
func TooLong(fields []FieldError, field, label, s string, max int) []FieldError {
	if utf8.RuneCountInString(s) <= max {
		return fields
	}
	return append(fields, FieldError{Field: field, Code: "max", Message: fmt.Sprintf("%s不能超过%d个字", label, max)})
}
