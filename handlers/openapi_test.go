package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"linli/api"
	"linli/internal/testenv"
)

// TestOpenAPIMatchesRoutes fails when a registered route is missing from
// api/openapi.yaml, or the document describes a route that does not exist:
// the mini-program team builds from the document.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadSpec(t)
	spec := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			spec[method+" "+path] = true
		}
	}
	e := testenv.New(t).Echo
	param := regexp.MustCompile(`:(\w+)`)
	routes := map[string]bool{}
	for _, r := range e.Routes() {
		if strings.HasPrefix(r.Name, "github.com/labstack/echo") || r.Method == "echo_route_any" {
			continue
		}
		// The staff console's pages, the front door and /docs are HTML for
		// people, not the API (handlers/console).
		if r.Path == "/" || r.Path == "/docs" || r.Path == "/console" || strings.HasPrefix(r.Path, "/console/") {
			continue
		}
		routes[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	var missing, extra []string
	for r := range routes {
		if !spec[r] {
			missing = append(missing, r)
		}
	}
	for s := range spec {
		if !routes[s] {
			extra = append(extra, s)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("routes missing from api/openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("api/openapi.yaml describes routes that do not exist:\n  %s", strings.Join(extra, "\n  "))
	}
	if len(routes) < 10 {
		t.Fatalf("only %d routes found: the comparison would prove nothing", len(routes))
	}
}

func TestOpenAPIIsServedAsItIs(t *testing.T) {
	env := testenv.New(t)
	r := env.Get("/openapi.yaml", "").Want(t, http.StatusOK)
	if string(r.Body) != string(api.Spec) {
		t.Fatal("served document differs from api/openapi.yaml")
	}
}

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.Spec)
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("api/openapi.yaml is not valid OpenAPI: %v", err)
	}
	return doc
}

// TestOpenAPIIsGeneratable holds the rules a client generator needs (CI
// also runs redocly lint, pinned in package-lock.json): every operation has
// a unique operationId and a summary, and every nullable schema names its
// type (OpenAPI 3.0 ignores `nullable` without `type`, so a generator types
// the field as never-null).
func TestOpenAPIIsGeneratable(t *testing.T) {
	doc := loadSpec(t)
	var problems []string
	ids := map[string]string{}
	seen := map[*openapi3.Schema]bool{}
	var walk func(where string, s *openapi3.SchemaRef)
	walk = func(where string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		v := s.Value
		seen[v] = true
		if v.Nullable && (v.Type == nil || len(*v.Type) == 0) {
			problems = append(problems, where+": nullable without type")
		}
		for name, p := range v.Properties {
			walk(where+"."+name, p)
		}
		for i, sub := range v.AllOf {
			walk(fmt.Sprintf("%s.allOf[%d]", where, i), sub)
		}
		for i, sub := range v.OneOf {
			walk(fmt.Sprintf("%s.oneOf[%d]", where, i), sub)
		}
		for i, sub := range v.AnyOf {
			walk(fmt.Sprintf("%s.anyOf[%d]", where, i), sub)
		}
		walk(where+"[]", v.Items)
		if v.AdditionalProperties.Schema != nil {
			walk(where+"{}", v.AdditionalProperties.Schema)
		}
	}
	for name, s := range doc.Components.Schemas {
		walk("#/components/schemas/"+name, s)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			switch {
			case op.OperationID == "":
				problems = append(problems, where+": no operationId")
			case ids[op.OperationID] != "":
				problems = append(problems, fmt.Sprintf("%s: operationId %s also on %s", where, op.OperationID, ids[op.OperationID]))
			default:
				ids[op.OperationID] = where
			}
			if strings.TrimSpace(op.Summary) == "" {
				problems = append(problems, where+": no summary")
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(where+" request", mt.Schema)
				}
			}
			for status, r := range op.Responses.Map() {
				if r.Value == nil {
					continue
				}
				for _, mt := range r.Value.Content {
					walk(where+" "+status, mt.Schema)
				}
			}
		}
	}
	slices.Sort(problems)
	if len(problems) > 0 {
		t.Errorf("api/openapi.yaml is not fit for a code generator:\n  %s", strings.Join(problems, "\n  "))
	}
	if len(ids) < 10 {
		t.Fatalf("only %d operations found: the check would prove nothing", len(ids))
	}
}
