package handlers_test

import (
	"context"
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
