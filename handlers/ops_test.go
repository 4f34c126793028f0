package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"linli/internal/platform/lease"
	"linli/internal/testenv"
)

// Requests are counted by route pattern and status (never by path: an ID
// would each become a series); a path no route knows is "unmatched".
func TestRequestsCountedByRouteAndStatus(t *testing.T) {
	env := testenv.New(t)
	token := env.Login("counted", "计数")
	env.Get("/api/v1/wishes/0123456789abcdef01234567", token).Want(t, http.StatusNotFound)
	env.Get("/api/v1/wishes/89abcdef0123456789abcdef", token).Want(t, http.StatusNotFound)
	env.Get("/no/such/thing", "").Want(t, http.StatusNotFound)

	if n := env.Metrics.Value("linli_http_requests_total", "route", "/api/v1/wishes/:id", "status", "404"); n != 2 {
		t.Errorf("GET /api/v1/wishes/:id 404 counted %v times, want 2", n)
	}
	if n := env.Metrics.Value("linli_http_request_duration_seconds", "route", "/api/v1/wishes/:id", "method", "GET"); n != 2 {
		t.Errorf("latency observed %v times, want 2", n)
	}
	if n := env.Metrics.Value("linli_http_requests_total", "route", "unmatched"); n != 1 {
		t.Errorf("unmatched counted %v times, want 1", n)
	}
	if n := env.Metrics.Value("linli_http_requests_total", "route", "/api/v1/auth/dev-login", "status", "200"); n != 1 {
		t.Errorf("the login counted %v times, want 1", n)
	}

	// A scanner makes no series: paths under /api/v1 that no route knows
	// (Echo answers them through its group's own not-found route) and
	// methods of its own invention are all "unmatched" and "OTHER".
	before := seriesOf(t, env)
	for i := range 20 {
		env.Get(fmt.Sprintf("/api/v1/probe-%d/x", i), token)
		env.Do(testenv.Req{Method: fmt.Sprintf("SCAN%d", i), Path: "/api/v1/wishes/0123456789abcdef01234567", Token: token})
	}
	if added := seriesOf(t, env) - before; added > 4 {
		t.Errorf("20 unknown paths and 20 invented methods added %d series", added)
	}
	// (An invented method matches no route either.)
	if n := env.Metrics.Value("linli_http_requests_total", "route", "unmatched"); n != 41 {
		t.Errorf("unmatched counted %v times, want 41", n)
	}
	if n := env.Metrics.Value("linli_http_requests_total", "method", "OTHER"); n != 20 {
		t.Errorf("invented methods counted %v times as OTHER, want 20", n)
	}
}

// seriesOf counts the request counter's series.
func seriesOf(t *testing.T, env *testenv.Env) int {
	families, err := env.Metrics.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "linli_http_requests_total" {
			return len(f.GetMetric())
		}
	}
	return 0
}

// The gauge of messages overdue now moves with the clock and with the
// answer that stops it.
func TestOverdueMessagesGauge(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	m := lamp(t, env, s.ResidentA.Token)
	if n := env.Metrics.Value("linli_messages_overdue"); n != 0 {
		t.Fatalf("a new message is overdue: %v", n)
	}
	env.Clock.Advance(60 * time.Hour)
	if n := env.Metrics.Value("linli_messages_overdue"); n != 1 {
		t.Fatalf("overdue after sixty hours: %v, want 1", n)
	}
	env.Post(staffPath(m.ID, "accept"), s.StaffA.Token, nil).Want(t, http.StatusOK)
	env.Post(staffPath(m.ID, "replies"), s.StaffA.Token, map[string]any{"content": "已派电工今天修好"}).Want(t, http.StatusCreated)
	env.Post(staffPath(m.ID, "resolve"), s.StaffA.Token, map[string]any{"resolution": "灯已修好"}).Want(t, http.StatusOK)
	if n := env.Metrics.Value("linli_messages_overdue"); n != 0 {
		t.Fatalf("a resolved message is still overdue: %v", n)
	}
}

// The outbox depth gauge counts the notices whose WeChat copy waits, and
// falls when the sender has dealt with them.
func TestOutboxDepthGauge(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	before := env.Metrics.Value("linli_outbox_depth")
	lamp(t, env, s.ResidentA.Token) // staff are told of a new message
	if n := env.Metrics.Value("linli_outbox_depth"); n <= before {
		t.Fatalf("outbox depth %v after a new message, was %v", n, before)
	}
	env.Clock.Advance(time.Hour) // past the staff's batch window
	if err := env.App.Sender.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := env.Metrics.Value("linli_outbox_depth"); n != 0 {
		t.Fatalf("outbox depth %v after the sender ran", n)
	}
}

// Background job runs and failures are counted by job.
func TestJobRunsCounted(t *testing.T) {
	env := testenv.New(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { env.App.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for env.Metrics.Value("linli_job_runs_total", "job", "message-sweep") == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if env.Metrics.Value("linli_job_runs_total", "job", "message-sweep") == 0 {
		t.Fatal("the message sweep ran uncounted")
	}
	if n := env.Metrics.Value("linli_job_failures_total"); n != 0 {
		t.Fatalf("failures counted: %v", n)
	}
	i := slices.IndexFunc(env.App.Jobs, func(j lease.Job) bool { return j.Name == "message-sweep" })
	if i < 0 {
		t.Fatal("no message-sweep job")
	}
}

// A service warning a request causes carries the request's ID: with Redis
// down, the rate limit's fallback warning names the request that met it.
func TestServiceWarningsCarryTheRequestID(t *testing.T) {
	env := testenv.New(t, testenv.WithDeadRedis())
	r := env.Post("/api/v1/auth/dev-login", "", map[string]string{"openId": "warned"}).Want(t, http.StatusOK)
	id := r.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no X-Request-Id")
	}
	var areas []string
	for _, l := range env.Logs.Lines() {
		if l["msg"] == "redis unavailable, falling back" && l["requestId"] == id {
			areas = append(areas, l["area"].(string))
		}
	}
	if len(areas) == 0 {
		t.Fatalf("no fallback warning carries request %s: %v", id, env.Logs.Lines())
	}
}
