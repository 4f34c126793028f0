package handlers_test

import (
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"linli/handlers"
	"linli/internal/activity"
	"linli/internal/party"
	"linli/internal/platform/clock"
	"linli/internal/testenv"
)

// TestTheDocumentStatesTheDomainLimits walks every request type the routes
// bind and, for each field whose rule names a domain limit (lim=), reads
// the same field in the operation's request schema of api/openapi.yaml: a
// text's maxLength, a list's maxItems, a number's maximum must be the
// domain's number, so that what the mini-program is told is what the
// server refuses. A field with a limit the document does not state fails
// too, and so does a text field whose limit is restated as a plain max=.
func TestTheDocumentStatesTheDomainLimits(t *testing.T) {
	env := testenv.New(t)
	st := env.Street()
	param := regexp.MustCompile(`:(\w+)`)
	for _, r := range env.Echo.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			path := param.ReplaceAllStringFunc(r.Path, func(string) string { return clock.NewID() })
			env.Do(testenv.Req{Method: r.Method, Path: path, Token: st.Admin, Body: map[string]any{}})
		}
	}
	doc := loadSpec(t)
	types := handlers.RequestTypes()
	routes := make([]string, 0, len(types))
	for route := range types {
		routes = append(routes, route)
	}
	slices.Sort(routes)
	var failures []string
	checked := 0
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		op := doc.Paths.Find(param.ReplaceAllString(path, "{$1}")).GetOperation(method)
		if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
			continue
		}
		mt := op.RequestBody.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil {
			continue
		}
		checked += documentedLimits(route, types[route], mt.Schema.Value, &failures)
	}
	if checked < 30 {
		t.Errorf("only %d limits compared: the walk proves nothing", checked)
	}
	// A number its service holds in a range, with a code of its own and
	// both ends in one message, has no lim= (the API would answer one end
	// in other words, under another code); the document states it all the
	// same.
	for _, r := range []struct {
		method, path, field string
		max                 int
	}{
		{http.MethodPost, "/api/v1/staff/activities", "capacity", activity.MaxCapacity},
		{http.MethodPut, "/api/v1/staff/activities/{id}", "capacity", activity.MaxCapacity},
		{http.MethodPost, "/api/v1/staff/activities", "serviceMinutes", activity.MaxServiceMinutes},
		{http.MethodPost, "/api/v1/staff/party/checkins/{id}/review", "minutes", party.MaxReviewMinutes},
	} {
		at := r.method + " " + r.path + " " + r.field
		var prop *openapi3.SchemaRef
		if op := doc.Paths.Find(r.path).GetOperation(r.method); op != nil && op.RequestBody != nil && op.RequestBody.Value != nil {
			if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
				prop = mt.Schema.Value.Properties[r.field]
			}
		}
		switch {
		case prop == nil || prop.Value.Max == nil:
			failures = append(failures, at+": the document states no maximum")
		case int(*prop.Value.Max) != r.max:
			failures = append(failures, fmt.Sprintf("%s: the service holds %d, the document's maximum is %v", at, r.max, *prop.Value.Max))
		}
	}
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d request types, %d limits compared with the document", len(types), checked)
}

// documentedLimits compares the limits of struct type typ with schema.
func documentedLimits(where string, typ reflect.Type, schema *openapi3.Schema, failures *[]string) int {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || schema == nil {
		return 0
	}
	n := 0
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		at := where + " " + name
		main, elem, _ := strings.Cut(f.Tag.Get("validate"), ",dive")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.String && ruleParam(main, "max") != "" {
			*failures = append(*failures, at+": a text limit restated as max=: name the domain's with lim=")
		}
		ref := schema.Properties[name]
		var prop *openapi3.Schema
		if ref != nil {
			prop = ref.Value
		}
		if lim := ruleParam(main, "lim"); lim != "" {
			n++
			want := handlers.LimitOf(lim)
			switch {
			case prop == nil:
				*failures = append(*failures, fmt.Sprintf("%s: lim=%s (%d) but the document has no such property", at, lim, want))
			case ft.Kind() == reflect.String:
				compareLimit(failures, at, "maxLength", lim, want, prop.MaxLength)
			case ft.Kind() == reflect.Slice:
				compareLimit(failures, at, "maxItems", lim, want, prop.MaxItems)
			default:
				var got *uint64
				if prop.Max != nil {
					v := uint64(*prop.Max)
					got = &v
				}
				compareLimit(failures, at, "maximum", lim, want, got)
			}
		}
		if ft.Kind() != reflect.Slice || prop == nil || prop.Items == nil {
			continue
		}
		items := prop.Items.Value
		if lim := ruleParam(strings.TrimPrefix(elem, ","), "lim"); lim != "" {
			n++
			compareLimit(failures, at+"[]", "maxLength", lim, handlers.LimitOf(lim), items.MaxLength)
		}
		n += documentedLimits(at+"[]", ft.Elem(), items, failures)
	}
	return n
}

func compareLimit(failures *[]string, at, keyword, lim string, want int, got *uint64) {
	switch {
	case got == nil:
		*failures = append(*failures, fmt.Sprintf("%s: lim=%s is %d but the document states no %s", at, lim, want, keyword))
	case *got != uint64(want):
		*failures = append(*failures, fmt.Sprintf("%s: lim=%s is %d but the document's %s is %d", at, lim, want, keyword, *got))
	}
}

// ruleParam is the parameter of rule name in a validate tag ("" if absent).
func ruleParam(tag, name string) string {
	for _, r := range strings.Split(tag, ",") {
		if k, v, _ := strings.Cut(r, "="); k == name {
			return v
		}
	}
	return ""
}
