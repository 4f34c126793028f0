package contracts

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"linli/api"
	"linli/internal/person"
	"linli/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files from the server's answers")

// Example is one request/response pair of the contract.
type Example struct {
	// Name is the file name under examples/, without .json.
	Name string
	Req  testenv.Req
	// Status is the status the server must answer.
	Status int
	// Invalid marks a request that breaks the contract on purpose (unknown
	// field, malformed JSON): it is not validated against the document, its
	// answer is.
	Invalid bool
}

type golden struct {
	Request  goldenRequest  `json:"request"`
	Response goldenResponse `json:"response"`
}

type goldenRequest struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

type goldenResponse struct {
	Status int `json:"status"`
	// Headers are shown for an image (a check-in code): its type, how long
	// to keep it and when to fetch the next; and Retry-After, on an answer
	// that did nothing.
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// imageHeaders are the headers an image's golden file shows.
var imageHeaders = []string{"Content-Type", "Cache-Control", "X-Checkin-Code-Refresh-At", "X-Checkin-Code-Expires-At"}

var (
	recordedMu sync.Mutex
	recorded   = map[string]bool{}
	router     routers.Router
	routerOnce sync.Once
)

// Record sends the example's request to env, checks the answer's status,
// validates both against api/openapi.yaml and diffs the normalised pair
// against examples/NAME.json. It returns the answer for the test to use.
func Record(t *testing.T, env *testenv.Env, ex Example) *testenv.Resp {
	t.Helper()
	res := env.Do(ex.Req)
	if res.Status != ex.Status {
		t.Fatalf("%s: status %d, want %d: %s", ex.Name, res.Status, ex.Status, res.Body)
	}
	validate(t, env, ex, res)

	g := golden{
		Request:  goldenRequest{Method: ex.Req.Method, Path: normalisePath(ex.Req.Path), Headers: normaliseHeaders(ex.Req)},
		Response: goldenResponse{Status: res.Status},
	}
	if ex.Req.Body != nil {
		g.Request.Body = normaliseJSON(t, bodyBytes(t, ex.Req.Body))
	}
	if len(res.Body) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		g.Response.Body = normaliseJSON(t, res.Body)
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "image/") {
		g.Response.Headers = map[string]string{}
		for _, h := range imageHeaders {
			if v := res.Header.Get(h); v != "" {
				g.Response.Headers[h] = normalise(v, h).(string)
			}
		}
	}
	if v := res.Header.Get("Retry-After"); v != "" { // nothing was done: when to send it again
		if g.Response.Headers == nil {
			g.Response.Headers = map[string]string{}
		}
		g.Response.Headers["Retry-After"] = v
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()

	recordedMu.Lock()
	if recorded[ex.Name] {
		recordedMu.Unlock()
		t.Fatalf("example %s recorded twice", ex.Name)
	}
	recorded[ex.Name] = true
	recordedMu.Unlock()

	path := filepath.Join("examples", ex.Name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return res
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (run go test ./mobile-contracts -update to create it)", ex.Name, err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the server's answer (go test ./mobile-contracts -update to accept):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
	return res
}

func validate(t *testing.T, env *testenv.Env, ex Example, res *testenv.Resp) {
	t.Helper()
	routerOnce.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(api.Spec)
		if err == nil {
			err = doc.Validate(context.Background())
		}
		if err == nil {
			doc.Servers = nil
			router, err = legacy.NewRouter(doc)
		}
		if err != nil {
			panic(fmt.Sprintf("api/openapi.yaml: %v", err))
		}
	})
	req, err := http.NewRequest(ex.Req.Method, ex.Req.Path, bytes.NewReader(bodyBytes(t, ex.Req.Body)))
	if err != nil {
		t.Fatal(err)
	}
	if ex.Req.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if ex.Req.Token != "" {
		req.Header.Set("Authorization", "Bearer "+ex.Req.Token)
	}
	for k, v := range ex.Req.Header {
		req.Header.Set(k, v)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s: %s %s is not in api/openapi.yaml: %v", ex.Name, ex.Req.Method, ex.Req.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if !ex.Invalid {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s: request does not match api/openapi.yaml: %v", ex.Name, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.Status, Header: res.Header,
		Body:    io.NopCloser(bytes.NewReader(res.Body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s: response does not match api/openapi.yaml: %v\n%s", ex.Name, err, res.Body)
	}
	// An answer that sends an ETag (a client may send it back in
	// If-None-Match) declares it, so the client knows it can.
	if res.Header.Get("ETag") != "" {
		if r := route.Operation.Responses.Status(res.Status); r == nil || r.Value == nil || r.Value.Headers["ETag"] == nil {
			t.Errorf("%s: the %d answer sends an ETag that api/openapi.yaml does not declare for %s %s", ex.Name, res.Status, route.Method, route.Path)
		}
	}
}

func bodyBytes(t *testing.T, body any) []byte {
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return []byte(b)
	case []byte:
		return b
	}
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

var (
	idRe   = regexp.MustCompile(`^[0-9a-f]{24}$`)
	idPath = regexp.MustCompile(`[0-9a-f]{24}`)
	// inviteRe is the shape of a generated invite code (see account.newInviteCode).
	inviteRe = regexp.MustCompile(`^[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{10}$`)
	timeRe   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)
	// checkinCodeRe is the shape of a signed check-in code of an activity
	// or a service point (internal/platform/checkincode).
	checkinCodeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`)
	// unnamedRe is the name of a resident without a nickname (see person.Unnamed).
	unnamedRe = regexp.MustCompile(`^` + person.UnnamedPrefix + `[0-9A-F]{4}$`)
)

// volatile names the fields whose values change from run to run.
var volatile = map[string]string{
	"token": "<token>", "requestId": "<requestId>", "inviteCode": "<inviteCode>", "nextCursor": "<cursor>",
}

func normaliseJSON(t *testing.T, raw []byte) any {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw) // malformed on purpose: kept as it was sent
	}
	return normalise(v, "")
}

func normalise(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalise(e, k)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalise(e, key)
		}
		return x
	case string:
		if r, ok := volatile[key]; ok && x != "" {
			return r
		}
		if key == "code" && inviteRe.MatchString(x) {
			return "<inviteCode>"
		}
		if key == "code" && checkinCodeRe.MatchString(x) && strings.ToUpper(x) != x { // not an error code, nor a forged all-A code
			return "<checkinCode>"
		}
		if key == "name" && unnamedRe.MatchString(x) {
			return person.UnnamedPrefix + "<suffix>"
		}
		if idRe.MatchString(x) {
			return "<id>"
		}
		if timeRe.MatchString(x) {
			if strings.HasSuffix(x, "+08:00") {
				return "<time+08:00>"
			}
			return "<time>"
		}
	}
	return v
}

// consoleCode is a staff console's one-time sign-in code in a path.
var consoleCode = regexp.MustCompile(`console-sessions/[A-Za-z0-9_-]{43}`)

func normalisePath(p string) string {
	return idPath.ReplaceAllString(consoleCode.ReplaceAllString(p, "console-sessions/<code>"), "<id>")
}

func normaliseHeaders(r testenv.Req) map[string]string {
	h := map[string]string{}
	if r.Token != "" {
		h["Authorization"] = "Bearer <token>"
	}
	for k, v := range r.Header {
		h[k] = v
	}
	if len(h) == 0 {
		return nil
	}
	return h
}

// TestMain fails a full run that left a golden file no test recorded: an
// example of an endpoint that changed or went away.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		files, _ := filepath.Glob(filepath.Join("examples", "*.json"))
		var stale []string
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".json")
			if !recorded[name] {
				stale = append(stale, f)
			}
		}
		sort.Strings(stale)
		if len(stale) > 0 {
			fmt.Fprintf(os.Stderr, "golden examples no test records (remove them or record them): %v\n", stale)
			code = 1
		}
	}
	os.Exit(code)
}
