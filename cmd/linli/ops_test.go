package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Operators scrape /metrics in the Prometheus text format on its own
// listener; the public listener has no /metrics, and an empty
// LINLI_METRICS_ADDR turns the listener off.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	r := start(t, map[string]string{"LINLI_HTTP_ADDR": "127.0.0.1:0", "LINLI_DATA_DIR": t.TempDir()})
	defer r.stop()
	if r.metrics == "" {
		t.Fatal("no metrics listener by default")
	}
	if code, _ := call(t, "GET", r.base+"/api/v1/communities", "", ""); code != 200 {
		t.Fatalf("communities: %d", code)
	}
	if code, _ := call(t, "GET", r.base+"/metrics", "", ""); code != http.StatusNotFound {
		t.Fatalf("the public listener serves /metrics: %d", code)
	}
	res, err := http.Get(r.metrics)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("content type %q, want the text format", ct)
	}
	for _, want := range []string{
		`linli_http_requests_total{method="GET",route="/api/v1/communities",status="200"} 1`,
		`# TYPE linli_http_request_duration_seconds histogram`,
		`linli_messages_overdue `,
		`linli_outbox_depth `,
		`go_goroutines `,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	off := start(t, map[string]string{"LINLI_HTTP_ADDR": "127.0.0.1:0", "LINLI_DATA_DIR": t.TempDir(), "LINLI_METRICS_ADDR": ""})
	defer off.stop()
	if off.metrics != "" {
		t.Fatalf("LINLI_METRICS_ADDR set empty still listens at %s", off.metrics)
	}
}

// Every line a request causes carries its request ID, the access line too.
func TestRequestLinesCarryTheRequestID(t *testing.T) {
	r := start(t, map[string]string{"LINLI_HTTP_ADDR": "127.0.0.1:0", "LINLI_DATA_DIR": t.TempDir()})
	defer r.stop()
	res, err := http.Get(r.base + "/api/v1/communities")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	id := res.Header.Get("X-Request-Id")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range r.logged() {
			if l["msg"] == "http" && l["route"] == "/api/v1/communities" {
				if l["requestId"] != id || id == "" {
					t.Fatalf("access line %v, want requestId %q", l, id)
				}
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no access line for the request")
}

// A stop is bounded: a step stuck on a store that does not answer (and
// ignores its context, as a driver call without a deadline does) is left
// behind after the grace period, named, and the steps before it ran.
func TestStopIsBoundedByTheGracePeriod(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	var mu sync.Mutex
	var ran []string
	did := func(s string) { mu.Lock(); ran = append(ran, s); mu.Unlock() }
	runs := func() string { mu.Lock(); defer mu.Unlock(); return strings.Join(ran, ",") }
	stuck := make(chan struct{})
	defer close(stuck)
	steps := []step{
		{"finish requests", func(context.Context) error { did("requests"); return nil }},
		{"close MongoDB", func(context.Context) error { <-stuck; return nil }},
		{"close Redis", func(context.Context) error { did("redis"); return nil }},
	}
	began := time.Now()
	err := stopAll(log, 300*time.Millisecond, steps)
	took := time.Since(began)
	if err == nil || !strings.Contains(err.Error(), `"close MongoDB"`) {
		t.Fatalf("a stuck stop must end with an error naming the step: %v", err)
	}
	if took < 300*time.Millisecond || took > 3*time.Second {
		t.Fatalf("stop took %s with a grace of 300ms", took)
	}
	if got := runs(); got != "requests" {
		t.Fatalf("steps run: %v", got)
	}

	// Steps that end in time: no error, all run, in order.
	mu.Lock()
	ran = nil
	mu.Unlock()
	steps[1].run = func(context.Context) error { did("mongodb"); return nil }
	if err := stopAll(log, time.Second, steps); err != nil || runs() != "requests,mongodb,redis" {
		t.Fatalf("a clean stop: %v %v", err, runs())
	}
	steps[0].run = func(context.Context) error { return errors.New("boom") }
	if err := stopAll(log, time.Second, steps); err == nil || !strings.Contains(err.Error(), "finish requests: boom") {
		t.Fatalf("a failed step is reported: %v", err)
	}
}
