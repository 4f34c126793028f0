package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/go-playground/locales/zh"
	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
	zhtrans "github.com/go-playground/validator/v10/translations/zh"
	"github.com/labstack/echo/v4"

	"linli/internal/apperr"
	"linli/internal/platform/clock"
)

// validate checks request structs (never domain types); its messages are Chinese.
var (
	validate = validator.New(validator.WithRequiredStructEnabled())
	trans    ut.Translator
)

func init() {
	validate.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	_ = validate.RegisterValidation("objectid", func(fl validator.FieldLevel) bool {
		return clock.ValidID(fl.Field().String())
	})
	// notblank is required for text: a name of spaces is no name.
	_ = validate.RegisterValidation("notblank", func(fl validator.FieldLevel) bool {
		return strings.TrimSpace(fl.Field().String()) != ""
	})
	zhLocale := zh.New()
	trans, _ = ut.New(zhLocale, zhLocale).GetTranslator("zh")
	if err := zhtrans.RegisterDefaultTranslations(validate, trans); err != nil {
		panic(err)
	}
	_ = validate.RegisterTranslation("notblank", trans, func(t ut.Translator) error {
		return t.Add("notblank", "{0}不能为空", true)
	}, func(t ut.Translator, fe validator.FieldError) string {
		s, _ := t.T("notblank", fe.Field())
		return s
	})
	_ = validate.RegisterTranslation("objectid", trans, func(t ut.Translator) error {
		return t.Add("objectid", "{0}不是有效的编号", true)
	}, func(t ut.Translator, fe validator.FieldError) string {
		s, _ := t.T("objectid", fe.Field())
		return s
	})
}

// bind reads a JSON body strictly into req and validates it: a body that is
// not JSON, has unknown fields or trailing data, or fails validation, gets
// its own error code and nothing is done.
func bind(c echo.Context, req any) error {
	r := c.Request()
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != echo.MIMEApplicationJSON {
			return apperr.ErrContentType.New()
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if tooLarge(err) {
			return apperr.ErrBodyTooLarge.New()
		}
		return apperr.ErrMalformedJSON.New()
	}
	return check(req)
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case tooLarge(err):
		return apperr.ErrBodyTooLarge.New()
	case errors.Is(err, io.EOF):
		return apperr.ErrMalformedJSON.Wrap(errors.New("empty body"))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return apperr.ErrValidation.WithFields(apperr.FieldError{Field: field, Code: "type", Message: field + "的类型不正确"})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := apperr.ErrUnknownField.New()
		e.Fields = []apperr.FieldError{{Field: name, Code: "unknown", Message: "无法识别的字段：" + name}}
		return e
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.ErrMalformedJSON.Wrap(err)
	}
	return apperr.ErrMalformedJSON.Wrap(err)
}

func tooLarge(err error) bool {
	var he *echo.HTTPError
	var mb *http.MaxBytesError
	return (errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge) || errors.As(err, &mb)
}

// check validates a request struct and returns one field error per field.
func check(req any) error {
	err := validate.Struct(req)
	var ves validator.ValidationErrors
	if errors.As(err, &ves) {
		fields := make([]apperr.FieldError, 0, len(ves))
		for _, fe := range ves {
			ns := fe.Namespace()
			if i := strings.IndexByte(ns, '.'); i >= 0 {
				ns = ns[i+1:]
			}
			fields = append(fields, apperr.FieldError{Field: ns, Code: fe.Tag(), Message: fe.Translate(trans)})
		}
		return apperr.ErrValidation.WithFields(fields...)
	}
	if err != nil {
		return apperr.ErrInternal.Wrap(err)
	}
	return nil
}

// pathID reads an ID from the path; a malformed one is not found (it names nothing).
func pathID(c echo.Context, name string) (string, error) {
	id := c.Param(name)
	if !clock.ValidID(id) {
		return "", apperr.ErrBadID.New()
	}
	return id, nil
}

// readBody reads and restores the request body (for fingerprinting).
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, err
}
