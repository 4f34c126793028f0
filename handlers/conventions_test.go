package handlers_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/testenv"
)

func countCommunities(t *testing.T, env *testenv.Env) int64 {
	t.Helper()
	n, err := env.DB.Collection("communities").CountDocuments(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Bad input gets its own code and status, never a 500, and writes nothing.
func TestBadInputGetsItsOwnCodeAndWritesNothing(t *testing.T) {
	env := testenv.New(t)
	admin := env.Login("dev-admin", "管理员")
	path := "/api/v1/admin/communities"
	cases := []struct {
		name   string
		req    testenv.Req
		status int
		code   string
	}{
		{"malformed json", testenv.Req{Body: `{"name": "甲`}, 400, "MALFORMED_JSON"},
		{"empty body", testenv.Req{Body: ``}, 400, "MALFORMED_JSON"},
		{"trailing data", testenv.Req{Body: `{"name":"甲","street":"乙"} {}`}, 400, "MALFORMED_JSON"},
		{"not an object", testenv.Req{Body: `["甲"]`}, 422, "VALIDATION_FAILED"},
		{"unknown field", testenv.Req{Body: `{"name":"甲","street":"乙","mayor":"丙"}`}, 400, "UNKNOWN_FIELD"},
		{"wrong type", testenv.Req{Body: `{"name":5,"street":"乙"}`}, 422, "VALIDATION_FAILED"},
		{"missing field", testenv.Req{Body: `{"name":"甲"}`}, 422, "VALIDATION_FAILED"},
		{"blank name", testenv.Req{Body: `{"name":"   ","street":"乙"}`}, 422, "VALIDATION_FAILED"},
		{"too long", testenv.Req{Body: fmt.Sprintf(`{"name":%q,"street":"乙"}`, strings.Repeat("长", 65))}, 422, "VALIDATION_FAILED"},
		{"not json", testenv.Req{Body: `name=甲`, Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "UNSUPPORTED_CONTENT_TYPE"},
		{"oversize", testenv.Req{Body: `{"name":"` + strings.Repeat("x", 2<<20) + `","street":"乙"}`}, 413, "BODY_TOO_LARGE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Method, tc.req.Path, tc.req.Token = http.MethodPost, path, admin
			env.Do(tc.req).Want(t, tc.status, tc.code)
		})
	}
	if n := countCommunities(t, env); n != 0 {
		t.Fatalf("%d communities written by bad requests", n)
	}
}

func TestValidationErrorsNameEachField(t *testing.T) {
	env := testenv.New(t)
	admin := env.Login("dev-admin", "管理员")
	var e struct {
		Error struct {
			Fields []struct{ Field, Code, Message string }
		}
	}
	env.Post("/api/v1/admin/staff", admin, map[string]any{"name": "", "communityId": "nope", "gridIds": []string{"bad"}}).
		Want(t, 422, "VALIDATION_FAILED").Decode(t, &e)
	got := map[string]string{}
	for _, f := range e.Error.Fields {
		got[f.Field] = f.Code
		if f.Message == "" {
			t.Errorf("field %s has no message", f.Field)
		}
	}
	want := map[string]string{"name": "required", "position": "required", "communityId": "objectid", "gridIds[0]": "objectid"}
	for f, c := range want {
		if got[f] != c {
			t.Errorf("field %s: code %q, want %q (all: %v)", f, got[f], c, got)
		}
	}
}

func TestBadIDsAndUnknownRoutes(t *testing.T) {
	env := testenv.New(t)
	admin := env.Login("dev-admin", "管理员")
	env.Post("/api/v1/admin/communities/123/grids", admin, map[string]string{"name": "甲"}).Want(t, 404, "INVALID_ID")
	env.Post("/api/v1/admin/communities/"+strings.Repeat("a", 24)+"/grids", admin, map[string]string{"name": "甲"}).Want(t, 404, "COMMUNITY_NOT_FOUND")
	env.Get("/api/v1/nothing-here", admin).Want(t, 404, "ROUTE_NOT_FOUND")
	env.Do(testenv.Req{Method: http.MethodDelete, Path: "/healthz"}).Want(t, 405, "METHOD_NOT_ALLOWED")
}

func TestEveryAnswerCarriesItsRequestID(t *testing.T) {
	env := testenv.New(t)
	r := env.Get("/api/v1/me", "").Want(t, 401, "AUTH_REQUIRED")
	var e struct{ Error struct{ RequestID string } }
	r.Decode(t, &e)
	if id := r.Header.Get("X-Request-Id"); id == "" || id != e.Error.RequestID {
		t.Fatalf("header %q, body %q", id, e.Error.RequestID)
	}
	r = env.Do(testenv.Req{Method: http.MethodGet, Path: "/healthz", Header: map[string]string{"X-Request-Id": "from-the-phone"}})
	if r.Header.Get("X-Request-Id") != "from-the-phone" {
		t.Fatal("a client's request ID must be kept")
	}
}

func TestLargeAnswersAreGzipped(t *testing.T) {
	env := testenv.New(t)
	env.Street()
	for _, tc := range []struct {
		path string
		gzip bool
	}{{"/api/v1/communities", true}, {"/healthz", false}} {
		req, _ := http.NewRequest(http.MethodGet, env.Server.URL+tc.path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body := res.Body
		if res.Header.Get("Content-Encoding") == "gzip" {
			if !tc.gzip {
				t.Errorf("%s: a small answer need not be compressed", tc.path)
			}
			if body, err = gzip.NewReader(res.Body); err != nil {
				t.Fatal(err)
			}
		} else if tc.gzip {
			t.Errorf("%s: answers over 1 KiB must be gzipped", tc.path)
		}
		b, _ := io.ReadAll(body)
		res.Body.Close()
		if !strings.Contains(string(b), `"status":"ok"`) && !strings.Contains(string(b), "甲社区") {
			t.Errorf("%s: body %.80s", tc.path, b)
		}
	}
}

func TestETagAnswers304(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	r := env.Get("/api/v1/communities", "").Want(t, 200)
	etag := r.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	r = env.Do(testenv.Req{Method: http.MethodGet, Path: "/api/v1/communities", Header: map[string]string{"If-None-Match": etag}})
	if r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Fatalf("status %d body %q, want 304 and nothing", r.Status, r.Body)
	}
	env.Post("/api/v1/admin/communities/"+s.A.CommunityID+"/grids", s.Admin, map[string]string{"name": "甲三网格"}).Want(t, 201)
	r = env.Do(testenv.Req{Method: http.MethodGet, Path: "/api/v1/communities", Header: map[string]string{"If-None-Match": etag}})
	if r.Status != http.StatusOK || r.Header.Get("ETag") == etag {
		t.Fatalf("a changed list must answer 200 with a new ETag, got %d", r.Status)
	}
}

func TestIdempotencyKeyReplaysTheFirstAnswer(t *testing.T) {
	env := testenv.New(t)
	admin := env.Login("dev-admin", "管理员")
	req := testenv.Req{Method: http.MethodPost, Path: "/api/v1/admin/communities", Token: admin,
		Body: map[string]string{"name": "甲社区", "street": "乙街道"}, Header: map[string]string{"Idempotency-Key": "k-1"}}
	first := env.Do(req).Want(t, 201)
	again := env.Do(req).Want(t, 201)
	if string(first.Body) != string(again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry must replay the first answer:\n%s\n%s", first.Body, again.Body)
	}
	if n := countCommunities(t, env); n != 1 {
		t.Fatalf("%d communities after a retried create, want 1", n)
	}
	// A key is the caller's own: another person sending the same key and
	// body is not answered with the first caller's result, their request runs.
	other := req
	other.Token = env.Login("resident-1", "")
	if r := env.Do(other).Want(t, 403, "FORBIDDEN"); r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("another caller's answer was replayed")
	}
	req.Body = map[string]string{"name": "丙社区", "street": "乙街道"}
	env.Do(req).Want(t, 422, "IDEMPOTENCY_KEY_REUSED")
	req.Header = map[string]string{"Idempotency-Key": "k-2"}
	env.Do(req).Want(t, 201)
	if n := countCommunities(t, env); n != 2 {
		t.Fatalf("%d communities, want 2", n)
	}
}

func TestIdempotencyKeyUnderConcurrentRetries(t *testing.T) {
	env := testenv.New(t)
	admin := env.Login("dev-admin", "管理员")
	req := testenv.Req{Method: http.MethodPost, Path: "/api/v1/admin/communities", Token: admin,
		Body: map[string]string{"name": "甲社区", "street": "乙街道"}, Header: map[string]string{"Idempotency-Key": "same"}}
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Go(func() { statuses[i] = env.Do(req).Status })
	}
	wg.Wait()
	for _, s := range statuses {
		if s != 201 && s != 409 {
			t.Fatalf("statuses %v: only 201 (first or replayed) and 409 (in progress) are right", statuses)
		}
	}
	if n := countCommunities(t, env); n != 1 {
		t.Fatalf("%d communities after 20 concurrent retries, want 1", n)
	}
}

func TestWritesAreRateLimited(t *testing.T) {
	env := testenv.New(t, testenv.WithRateLimit(3))
	tok := env.Login("someone", "") // logins count against the login limit, not this one
	for i := range 3 {
		env.Put("/api/v1/me/home", tok, map[string]string{"communityId": strings.Repeat("a", 24), "gridId": strings.Repeat("b", 24)}).
			Want(t, 404, "COMMUNITY_NOT_FOUND")
		_ = i
	}
	r := env.Put("/api/v1/me/home", tok, map[string]string{"communityId": strings.Repeat("a", 24), "gridId": strings.Repeat("b", 24)}).
		Want(t, 429, "RATE_LIMITED")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 must say when to retry")
	}
	env.Get("/api/v1/me", tok).Want(t, 200) // reads are not limited
}

func TestReadiness(t *testing.T) {
	env := testenv.New(t)
	var ok struct {
		Status string
		Checks map[string]string
	}
	env.Get("/readyz", "").Want(t, 200).Decode(t, &ok)
	if ok.Checks["mongodb"] != "ok" || ok.Checks["redis"] != "ok" {
		t.Fatalf("checks %v", ok.Checks)
	}

	down := testenv.New(t, testenv.WithDeadRedis())
	var bad struct {
		Status string
		Failed []string
	}
	down.Get("/readyz", "").Want(t, 503).Decode(t, &bad)
	if bad.Status != "unavailable" || len(bad.Failed) != 1 || bad.Failed[0] != "redis" {
		t.Fatalf("readyz with redis down: %+v", bad)
	}
	down.Get("/healthz", "").Want(t, 200)
}

func TestTheProductWorksWithRedisDown(t *testing.T) {
	env := testenv.New(t, testenv.WithDeadRedis())
	s := env.Street() // logins, admin writes with rate limits and idempotency keys: all through a dead Redis
	env.Do(testenv.Req{Method: http.MethodPost, Path: "/api/v1/admin/communities", Token: s.Admin,
		Body: map[string]string{"name": "丙社区", "street": "测试街道"}, Header: map[string]string{"Idempotency-Key": "k"}}).Want(t, 201)
	env.Get("/api/v1/me", s.ResidentA.Token).Want(t, 200)
	// Counted in this product's own registry: no other test can add to it.
	for _, area := range []string{"ratelimit", "idempotency"} {
		if env.Metrics.Value("linli_cache_fallbacks_total", "area", area) == 0 {
			t.Errorf("the outage in %s must be counted", area)
		}
	}
}
