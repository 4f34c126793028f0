package handlers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"linli/internal/apperr"
	"linli/internal/platform/clock"
)

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
	requestTypes.Store(c.Request().Method+" "+c.Path(), reflect.TypeOf(req))
	body := bufio.NewReader(r.Body)
	if bom, err := body.Peek(3); err == nil && bytes.Equal(bom, utf8BOM) {
		_, _ = body.Discard(3) // a byte-order mark some editors and tools write first
	}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return decodeError(reflect.TypeOf(req), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if tooLarge(err) {
			return apperr.ErrBodyTooLarge.New()
		}
		return apperr.ErrMalformedJSON.New()
	}
	return check(req)
}

// utf8BOM is the byte-order mark: accepted before a JSON body.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// requestTypes records, by "METHOD /route", the request struct each route
// binds: the field-message test sends every one of them with every field
// wrong, including those of areas added later.
var requestTypes sync.Map

func decodeError(root reflect.Type, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case tooLarge(err):
		return apperr.ErrBodyTooLarge.New()
	case errors.Is(err, io.EOF):
		return apperr.ErrMalformedJSON.Wrap(errors.New("empty body"))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" { // not an object
			return apperr.ErrValidation.WithFields(apperr.FieldError{Field: "body", Code: "type", Message: "提交的内容格式不正确"})
		}
		label, kind := labelOfJSON(root, field)
		return apperr.ErrValidation.WithFields(apperr.FieldError{Field: field, Code: "type", Message: typeMessage(label, kind)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := apperr.ErrUnknownField.New()
		e.Fields = []apperr.FieldError{{Field: name, Code: "unknown", Message: "无法识别该项，请更新小程序后重试"}}
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

// A malformed ID names nothing: wherever it is sent (the path, the query
// or the body) the answer is the same, 404 INVALID_ID with the field named.

// pathID reads an ID from the path.
func pathID(c echo.Context, name string) (string, error) {
	id := c.Param(name)
	if !clock.ValidID(id) {
		return "", badID(name, "编号")
	}
	return id, nil
}

// queryLabels name the IDs read from a query.
var queryLabels = map[string]string{"communityId": "社区", "gridId": "网格"}

// queryID reads an ID from the query: a missing one, when required, is a
// validation error; a malformed one is INVALID_ID.
func queryID(c echo.Context, name string, required bool) (string, error) {
	id := c.QueryParam(name)
	switch {
	case id == "" && !required, clock.ValidID(id):
		return id, nil
	case id == "":
		return "", apperr.ErrValidation.WithFields(apperr.FieldError{Field: name, Code: "required", Message: "请选择" + queryLabels[name]})
	}
	return "", badID(name, queryLabels[name])
}

func badID(field, label string) error {
	return apperr.ErrBadID.WithFields(apperr.FieldError{Field: field, Code: "objectid", Message: label + "有误，请重新选择"})
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
