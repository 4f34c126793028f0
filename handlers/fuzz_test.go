package handlers_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"linli/internal/testenv"
)

// fuzzTarget is one route's valid request, built once from its
// authorization-matrix row (so a new area's routes are fuzzed the day its
// rows are added).
type fuzzTarget struct {
	method, path, query string
	body                []byte
}

func fuzzTargets(f *testing.F) (*authzFixture, []fuzzTarget) {
	fx := newAuthzFixture(f)
	var out []fuzzTarget
	for _, row := range authzRows {
		fx.caller = "admin"
		r := row.build(fx)
		path, query, _ := strings.Cut(r.Path, "?")
		var body []byte
		if r.Body != nil {
			body, _ = json.Marshal(r.Body)
		}
		out = append(out, fuzzTarget{method: r.Method, path: path, query: query, body: body})
	}
	return fx, out
}

// FuzzRoutes sends every route (by index) any query string and any body,
// as any role: the generic decoding path (Content-Type, strict JSON,
// validation, IDs in the path, times, cursors and limits in the query)
// must answer what the document allows, and never 500.
func FuzzRoutes(f *testing.F) {
	fx, targets := fuzzTargets(f)
	for i, tg := range targets {
		f.Add(uint8(i), uint8(len(authzRoles)-1), tg.query, tg.body)
		if fuzzing() {
			// -fuzz first runs every seed to gather its coverage, within
			// -fuzztime: with all 342 CI's few seconds ended before any
			// new input was tried. The mutator finds the variants below.
			continue
		}
		f.Add(uint8(i), uint8(8), tg.query+"&cursor=e30&limit=0", []byte("{}"))
		if tg.method != http.MethodGet {
			for _, b := range []string{`{"unknownField":1}`, `{"a":1} trailing`, `[`, `""`, "\xef\xbb\xbf{}", `{"name":null}`} {
				f.Add(uint8(i), uint8(9), "", []byte(b))
			}
		}
	}
	f.Add(uint8(0), uint8(9), "cursor=%ZZ", []byte(nil))
	f.Fuzz(func(t *testing.T, i, who uint8, query string, body []byte) {
		tg := targets[int(i)%len(targets)]
		role := authzRoles[int(who)%len(authzRoles)]
		req := httptest.NewRequest(tg.method, tg.path, bytes.NewReader(body))
		req.URL.RawQuery = query
		if len(body) > 0 {
			req.Header.Set("Content-Type", "application/json")
		}
		if tok := fx.tokens[role]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		fx.env.Echo.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %s?%s as %s with %q: %d %s", tg.method, tg.path, query, role, body, rec.Code, rec.Body)
		}
		if err := testenv.CheckResponse(req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			t.Fatalf("%s %s?%s as %s with %q: %d, not as documented: %v", tg.method, tg.path, query, role, body, rec.Code, err)
		}
	})
}

// fuzzing reports whether this run fuzzes (go test -fuzz) rather than
// runs the seeds as tests.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}

// FuzzTimeInput puts any string where the API takes a time (a wish's
// expiry, an escalation's due time): it is read or refused with 422, never
// a 500.
func FuzzTimeInput(f *testing.F) {
	fx := newAuthzFixture(f)
	wishReq := func(at string) testenv.Req {
		return testenv.Req{Method: "POST", Path: "/api/v1/wishes", Token: fx.tokens["resA"], Body: map[string]any{
			"title": "台灯", "description": "修台灯", "category": "service", "expiresAt": at,
		}}
	}
	msg := fx.message("accepted")
	escReq := func(at string) testenv.Req {
		return testenv.Req{Method: "POST", Path: staffPath(msg, "escalate"), Token: fx.tokens["staffA"], Body: map[string]any{
			"departmentId": fx.deptID, "note": "需协调", "dueAt": at,
		}}
	}
	for _, s := range []string{"2026-03-09T09:00:00+08:00", "2026-03-09T01:00:00Z", "2026-03-09", "明天", "", "9999-12-31T23:59:59+14:00",
		"0000-01-01T00:00:00Z", "2026-02-30T09:00:00+08:00", "2026-03-09T09:00:00.123456789+08:00", "2026-03-09T24:00:00+08:00"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, at string, escalate bool) {
		r := wishReq(at)
		if escalate {
			r = escReq(at)
		}
		raw, _ := json.Marshal(r.Body)
		req := httptest.NewRequest(r.Method, r.Path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+r.Token)
		rec := httptest.NewRecorder()
		fx.env.Echo.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s with %q: %d %s", r.Path, at, rec.Code, rec.Body)
		}
		if err := testenv.CheckResponse(req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			t.Fatalf("%s with %q: %d, not as documented: %v", r.Path, at, rec.Code, err)
		}
	})
}
