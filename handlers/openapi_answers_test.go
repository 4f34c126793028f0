package handlers_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"linli/internal/platform/clock"
	"linli/internal/testenv"
)

// TestEveryOperationDeclaresItsMiddlewareAnswers holds the answers the
// middleware gives in front of a handler to the document: the mini-program
// team generates its client from api/openapi.yaml, so an operation must
// declare every status it can answer. Which routes each middleware covers
// is found from the router itself, by asking each route:
//
//   - idempotency: a write sent with an over-long Idempotency-Key is
//     refused by the middleware (422 on the field Idempotency-Key) before
//     its handler runs. A route that refuses it keeps keys, so it can answer
//     503 SERVICE_UNAVAILABLE with Retry-After when its key's record cannot
//     be read or taken: its operation must take the IdempotencyKey
//     parameter and declare the Unavailable response. An operation that
//     takes the parameter on a route that keeps no keys promises a retry
//     safety the server does not give.
//   - rate limits: with the caller's and the client address's allowance
//     spent, a route that answers 429 RATE_LIMITED is limited, and its
//     operation must declare the RateLimited response; an operation that
//     declares it on a route that is not limited promises a wait the
//     server never asks for.
func TestEveryOperationDeclaresItsMiddlewareAnswers(t *testing.T) {
	doc := loadSpec(t)
	param := regexp.MustCompile(`:(\w+)`)
	type route struct{ method, path, docPath string }
	var routes []route
	for _, r := range testenv.New(t).Echo.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") || r.Method == "echo_route_any" {
			continue
		}
		routes = append(routes, route{r.Method, r.Path, param.ReplaceAllString(r.Path, "{$1}")})
	}
	concrete := func(path string) string {
		return param.ReplaceAllStringFunc(path, func(string) string { return clock.NewID() })
	}
	operation := func(r route) *openapi3.Operation {
		item := doc.Paths.Find(r.docPath)
		if item == nil {
			return nil
		}
		return item.GetOperation(r.method)
	}
	declares := func(op *openapi3.Operation, status, ref string) bool {
		resp := op.Responses.Value(status)
		return resp != nil && resp.Ref == ref
	}
	var problems []string

	// Idempotency: which routes keep keys.
	env := testenv.New(t)
	tok := env.Login("probe-idem", "")
	longKey := strings.Repeat("k", 129)
	keyed, notKeyed := 0, 0
	for _, r := range routes {
		op := operation(r)
		if op == nil {
			continue // TestOpenAPIMatchesRoutes names it
		}
		takesKey := false
		for _, p := range op.Parameters {
			if p.Ref == "#/components/parameters/IdempotencyKey" {
				takesKey = true
			}
		}
		keeps := false
		if r.method != http.MethodGet && r.method != http.MethodHead {
			a := env.Do(testenv.Req{Method: r.method, Path: concrete(r.path), Token: tok, Body: map[string]any{},
				Header: map[string]string{"Idempotency-Key": longKey}})
			keeps = a.Status == http.StatusUnprocessableEntity && strings.Contains(string(a.Body), `"field":"Idempotency-Key"`)
		}
		where := r.method + " " + r.docPath
		switch {
		case keeps:
			keyed++
			if !takesKey {
				problems = append(problems, where+": keeps Idempotency-Keys but does not take the IdempotencyKey parameter")
			}
			if !declares(op, "503", "#/components/responses/Unavailable") {
				problems = append(problems, where+`: keeps Idempotency-Keys but does not declare "503": {$ref: "#/components/responses/Unavailable"}`)
			}
		default:
			notKeyed++
			if takesKey {
				problems = append(problems, where+": takes the IdempotencyKey parameter but keeps no keys")
			}
		}
	}

	// Rate limits: right before each probe, spend the allowance of the
	// caller (a write) and of the client address (a login), so that each
	// probe finds both spent however long the probes before it took: the
	// limiter counts a minute of Redis's own time, which a slow machine may
	// see roll over during the loop, and a route probed after that would
	// get through and be counted as not limited. On miniredis the limiter's
	// clock is moved past a whole window before every probe, so that this
	// test shows it does not depend on the loop being quick.
	env = testenv.New(t, testenv.WithRateLimit(1))
	tok = env.Login("probe-limit", "")
	redisNow := time.Now()
	spend := func() {
		if env.Mini != nil {
			redisNow = redisNow.Add(61 * time.Second)
			env.Mini.SetTime(redisNow)
		}
		// Each answers 200 when its allowance had come back (and spends
		// it), 429 when it was still spent.
		for _, req := range []testenv.Req{
			{Method: http.MethodPut, Path: "/api/v1/me/profile", Token: tok, Body: map[string]string{"nickname": "邻居"}},
			{Method: http.MethodPost, Path: "/api/v1/auth/dev-login", Body: map[string]string{"openId": "probe-limit"}},
		} {
			if a := env.Do(req); a.Status != http.StatusOK && a.Status != http.StatusTooManyRequests {
				t.Fatalf("spending the allowance with %s %s: %d %s", req.Method, req.Path, a.Status, a.Body)
			}
		}
	}
	limited, notLimited := 0, 0
	for _, r := range routes {
		op := operation(r)
		if op == nil {
			continue
		}
		spend()
		a := env.Do(testenv.Req{Method: r.method, Path: concrete(r.path), Token: tok, Body: map[string]any{}})
		if a.Status != http.StatusTooManyRequests {
			notLimited++
			if declares(op, "429", "#/components/responses/RateLimited") {
				problems = append(problems, r.method+" "+r.docPath+": declares 429 RateLimited but is not rate-limited")
			}
			continue
		}
		limited++
		if a.Code() != "RATE_LIMITED" || a.Header.Get("Retry-After") == "" {
			problems = append(problems, r.method+" "+r.docPath+": a 429 without RATE_LIMITED and Retry-After: "+string(a.Body))
		}
		if !declares(op, "429", "#/components/responses/RateLimited") {
			problems = append(problems, r.method+" "+r.docPath+`: is rate-limited but does not declare "429": {$ref: "#/components/responses/RateLimited"}`)
		}
	}

	slices.Sort(problems)
	if len(problems) > 0 {
		t.Errorf("api/openapi.yaml does not declare what the middleware answers:\n  %s", strings.Join(problems, "\n  "))
	}
	// The probes must tell routes apart, or they prove nothing: reads keep
	// no keys and are not limited.
	if keyed < 30 || notKeyed < 10 || limited < 30 || notLimited < 10 {
		t.Fatalf("keyed %d / not %d, limited %d / not %d: the probes told too few routes apart", keyed, notKeyed, limited, notLimited)
	}
	t.Logf("%d routes keep keys (%d do not), %d are rate-limited (%d are not)", keyed, notKeyed, limited, notLimited)
}
