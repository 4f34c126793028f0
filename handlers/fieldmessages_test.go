package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"linli/handlers"
	"linli/internal/platform/clock"
	"linli/internal/testenv"
)

// latinWord is a word a resident cannot read: a JSON field name, a Go
// layout, an English code. "https" is allowed (an image address starts so).
var latinWord = regexp.MustCompile(`[A-Za-z]{2,}`)

// badFieldMessage says what is wrong with a field message, or "".
func badFieldMessage(msg string) string {
	for _, w := range latinWord.FindAllString(msg, -1) {
		if w != "https" {
			return "Latin word " + strconv.Quote(w)
		}
	}
	switch {
	case strings.TrimSpace(msg) == "":
		return "empty"
	case strings.Contains(msg, "2006"), strings.Contains(msg, "15:04"):
		return "a Go layout"
	case strings.ContainsAny(msg, "[]{}"):
		return "a bracketed list or placeholder"
	case strings.Contains(msg, "该项"):
		return "no label (the field's zh tag was not found or not used)"
	}
	return ""
}

// labelOf is the zh label of the field a field error names, on the route
// of a request type already seen ("" when unknown).
var labelOf func(method, path, field string) string

// wrongBodies builds, for a request type, bodies with every field wrong in
// each way its rules allow: missing, the wrong JSON type, blank, too long,
// out of range, not one of the choices, not a time, not an ID, not an
// https address, too many items, elements wrong.
func wrongBodies(t reflect.Type) []map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	bodies := []map[string]any{{}} // every required field missing
	all := map[string]any{}        // every field wrong at once
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		for _, v := range wrongValues(f.Type, f.Tag.Get("validate")) {
			bodies = append(bodies, map[string]any{name: v})
			all[name] = v
		}
		bodies = append(bodies, map[string]any{name: wrongType(f.Type)})
	}
	return append(bodies, all)
}

func rule(tag, name string) (string, bool) {
	main, _, _ := strings.Cut(tag, ",dive")
	for _, r := range strings.Split(main, ",") {
		k, v, _ := strings.Cut(r, "=")
		if k == "lim" { // a domain limit: max by another name
			k, v = "max", strconv.Itoa(handlers.LimitOf(v))
		}
		if k == name {
			return v, true
		}
	}
	return "", false
}

func wrongValues(t reflect.Type, tag string) []any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		out := []any{"", " \u200B\u3000", "不是有效的值-x"}
		if m, ok := rule(tag, "max"); ok {
			n, _ := strconv.Atoi(m)
			out = append(out, strings.Repeat("字", n+1))
		}
		return out
	case reflect.Int, reflect.Int64, reflect.Float64:
		out := []any{0, -1}
		if m, ok := rule(tag, "max"); ok {
			n, _ := strconv.Atoi(m)
			out = append(out, n+1)
		}
		return out
	case reflect.Bool:
		return nil
	case reflect.Slice:
		el := t.Elem()
		var bad any = "ftp://例子"
		if el.Kind() == reflect.Struct {
			bad = map[string]any{}
		}
		out := []any{[]any{bad}, []any{""}, []any{}}
		if m, ok := rule(tag, "max"); ok {
			n, _ := strconv.Atoi(m)
			many := make([]any, n+1)
			for i := range many {
				many[i] = bad
			}
			out = append(out, many)
		}
		if el.Kind() == reflect.Struct {
			for _, b := range wrongBodies(el) {
				out = append(out, []any{b})
			}
		}
		return out
	case reflect.Struct:
		out := []any{}
		for _, b := range wrongBodies(t) {
			out = append(out, b)
		}
		return out
	}
	return nil
}

// wrongType is a value of the wrong JSON type for t.
func wrongType(t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return 12345
	case reflect.Bool, reflect.Slice, reflect.Struct:
		return "文字"
	}
	return "文字"
}

// wordlessChoices lists the oneof values of t's fields (nested too) that
// have no Chinese word: a field message would have to leave them out.
func wordlessChoices(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		for _, r := range strings.Split(f.Tag.Get("validate"), ",") {
			if vals, ok := strings.CutPrefix(r, "oneof="); ok {
				for _, v := range strings.Fields(vals) {
					if _, ok := handlers.ChoiceWord(f, v); !ok {
						out = append(out, prefix+name+"="+v)
					}
				}
			}
		}
		out = append(out, wordlessChoices(f.Type, prefix+name+".")...)
	}
	return out
}

// missingLabels lists the fields of t (nested too) without a `zh` label.
func missingLabels(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Tag.Get("zh") == "" {
			out = append(out, prefix+name)
		}
		out = append(out, missingLabels(f.Type, prefix+name+".")...)
	}
	return out
}

// TestEveryFieldMessageReadsInChinese sends every request type with every
// field wrong, as an admin, a staff member and a resident, and fails on any
// field message a resident could not read. Request types are found by
// walking the registered routes: a route of a new area is covered once it
// is registered, and a route the document says takes a body must bind one.
func TestEveryFieldMessageReadsInChinese(t *testing.T) {
	env := testenv.New(t)
	st := env.Street()
	tokens := []string{st.Admin, st.StaffA.Token, st.ResidentA.Token}
	param := regexp.MustCompile(`:(\w+)`)
	var failures []string
	checked := 0
	send := func(method, path, token string, body any) {
		r := env.Do(testenv.Req{Method: method, Path: path, Token: token, Body: body})
		if r.Status == http.StatusInternalServerError {
			failures = append(failures, fmt.Sprintf("%s %s %v: status %d %s", method, path, body, r.Status, r.Body))
			return
		}
		var e struct {
			Error struct {
				Message string
				Fields  []struct{ Field, Code, Message string }
			}
		}
		_ = json.Unmarshal(r.Body, &e)
		if e.Error.Message != "" && badFieldMessage(e.Error.Message) != "" && r.Status != http.StatusNotFound {
			failures = append(failures, fmt.Sprintf("%s %s: message %q", method, path, e.Error.Message))
		}
		for _, f := range e.Error.Fields {
			checked++
			why := badFieldMessage(f.Message)
			if label := labelOf(method, path, f.Field); why == "" && label != "" && !strings.Contains(f.Message, label) {
				why = "not the field's label " + strconv.Quote(label)
			}
			if why != "" {
				b, _ := json.Marshal(body)
				failures = append(failures, fmt.Sprintf("%s %s %s: field %s (%s) %q has %s", method, path, b, f.Field, f.Code, f.Message, why))
			}
		}
	}
	// Walk the routes: every body route binds its request type.
	bodyRoutes := map[string]string{} // "METHOD /route" → a path to send to
	sentTo := map[string]string{}     // "METHOD path" → "METHOD /route"
	index := regexp.MustCompile(`\[\d+\]`)
	labelOf = func(method, path, field string) string {
		typ := handlers.RequestTypes()[sentTo[method+" "+path]]
		if typ == nil || field == "" {
			return ""
		}
		return handlers.LabelOfJSON(typ, index.ReplaceAllString(field, ""))
	}
	for _, r := range env.Echo.Routes() {
		if strings.HasPrefix(r.Name, "github.com/labstack/echo") || !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		path := param.ReplaceAllStringFunc(r.Path, func(string) string { return clock.NewID() })
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			bodyRoutes[r.Method+" "+r.Path] = path
			sentTo[r.Method+" "+path] = r.Method + " " + r.Path
			for _, tok := range tokens {
				send(r.Method, path, tok, map[string]any{})
			}
		case http.MethodGet:
			q := "?limit=0&cursor=%E5%AD%97&state=zz&scope=zz&communityId=zz&role=zz&format=zz&from=zz&to=zz&groupBy=zz&when=zz"
			for _, tok := range tokens {
				send(r.Method, path+q, tok, nil)
			}
		}
	}
	types := handlers.RequestTypes()
	doc := loadSpec(t)
	for route := range bodyRoutes {
		method, path, _ := strings.Cut(route, " ")
		op := doc.Paths.Find(param.ReplaceAllString(path, "{$1}")).GetOperation(method)
		if op != nil && op.RequestBody != nil && types[route] == nil {
			failures = append(failures, route+": the document says it takes a body, but it bound no request struct (use bind)")
		}
	}
	if len(types) < 20 {
		t.Fatalf("only %d request types found: the walk proves nothing", len(types))
	}
	keys := make([]string, 0, len(types))
	for k := range types {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, route := range keys {
		typ := types[route]
		if missing := missingLabels(typ, ""); len(missing) > 0 {
			failures = append(failures, fmt.Sprintf("%s (%s): fields without a zh label: %s — give each a `zh:\"…\"` tag with the Chinese name a resident knows it by", route, typ, strings.Join(missing, ", ")))
		}
		if wordless := wordlessChoices(typ, ""); len(wordless) > 0 {
			failures = append(failures, fmt.Sprintf("%s (%s): choices without a Chinese word: %s — add them to the field's `zhoneof:\"value=词 …\"` tag (or to choiceLabels when several areas share them)", route, typ, strings.Join(wordless, ", ")))
		}
		method, _, _ := strings.Cut(route, " ")
		for _, body := range wrongBodies(typ) {
			for _, tok := range tokens {
				send(method, bodyRoutes[route], tok, body)
			}
		}
	}
	if checked < 200 {
		t.Errorf("only %d field messages seen: the wrong bodies did not reach the validator", checked)
	}
	slices.Sort(failures)
	failures = slices.Compact(failures)
	for i, f := range failures {
		if i == 60 {
			t.Errorf("… and %d more", len(failures)-60)
			break
		}
		t.Error(f)
	}
	t.Logf("%d request types, %d field messages checked", len(types), checked)
}

// The checks the walk applies to every request type catch what a new area
// could forget: a field without a Chinese label, a choice without a
// Chinese word (here, as an activities request might be written).
func TestFieldMessageChecksCatchANewAreasForgottenTags(t *testing.T) {
	type slot struct {
		Start string `json:"start" zh:"开始时间" validate:"required,rfc3339"`
		Place string `json:"place"`
	}
	type newAreaRequest struct {
		Title string `json:"title" zh:"标题" validate:"required"`
		Kind  string `json:"kind" zh:"类型" validate:"required,oneof=volunteer lecture"`
		Mode  string `json:"mode" zh:"方式" zhoneof:"online=线上 offline=线下" validate:"required,oneof=online offline"`
		Slots []slot `json:"slots" zh:"时段" validate:"dive"`
		Note  string `json:"note"`
	}
	typ := reflect.TypeOf(newAreaRequest{})
	if got := missingLabels(typ, ""); !slices.Equal(got, []string{"slots.place", "note"}) {
		t.Errorf("missing labels found: %v", got)
	}
	if got := wordlessChoices(typ, ""); !slices.Equal(got, []string{"kind=volunteer", "kind=lecture"}) {
		t.Errorf("wordless choices found: %v", got)
	}
	for _, msg := range []string{"title为必填字段", "截止时间格式应为2006-01-02T15:04:05Z07:00", "请选择[urgent normal]", "请填写该项"} {
		if badFieldMessage(msg) == "" {
			t.Errorf("%q passed", msg)
		}
	}
	if why := badFieldMessage("请选择紧急程度：紧急或一般"); why != "" {
		t.Errorf("a good message refused: %s", why)
	}
}

// The periods the notify area added are checked by the services, not the
// validator: their field messages still name their labels.
func TestLifecycleAndConfirmPeriodMessagesNameTheirFields(t *testing.T) {
	env := testenv.New(t)
	st := env.Street()
	type field struct{ Field, Code, Message string }
	var e struct{ Error struct{ Fields []field } }
	body := map[string]any{}
	for k, v := range messageConfigBody {
		body[k] = v
	}
	body["lifecycle"] = map[string]any{"residentReminderDays": 0, "residentSilentDays": 61, "rateReminderDays": 5, "rateWindowDays": 3}
	env.Put("/api/v1/staff/communities/"+st.A.CommunityID+"/message-config", st.StaffA.Token, body).
		Want(t, http.StatusUnprocessableEntity).Decode(t, &e)
	want := map[string]string{
		"lifecycle.residentReminderDays": "提醒居民答复（天）", "lifecycle.residentSilentDays": "居民未答复转回承办人（天）",
		"lifecycle.rateReminderDays": "提醒评价（天）",
	}
	seen := map[string]bool{}
	for _, f := range e.Error.Fields {
		if label, ok := want[f.Field]; ok {
			seen[f.Field] = true
			if !strings.Contains(f.Message, label) {
				t.Errorf("%s (%s): %q does not name %q", f.Field, f.Code, f.Message, label)
			}
		}
	}
	if len(seen) != len(want) {
		t.Errorf("fields reported %+v, want each of %v", e.Error.Fields, want)
	}

	e.Error.Fields = nil
	env.Put("/api/v1/staff/communities/"+st.A.CommunityID+"/wish-settings", st.StaffA.Token,
		map[string]any{"valueCap": 300, "contactNote": "", "confirmReminderDays": 0, "confirmDays": 80}).
		Want(t, http.StatusUnprocessableEntity).Decode(t, &e)
	labels := map[string]string{"confirmDays": "自动确认（天）", "confirmReminderDays": "提醒确认（天）"}
	if len(e.Error.Fields) != 2 {
		t.Fatalf("fields %+v, want confirmDays and confirmReminderDays", e.Error.Fields)
	}
	for _, f := range e.Error.Fields {
		if !strings.Contains(f.Message, labels[f.Field]) {
			t.Errorf("%s (%s): %q does not name %q", f.Field, f.Code, f.Message, labels[f.Field])
		}
	}
}
