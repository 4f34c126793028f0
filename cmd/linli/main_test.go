package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// server runs the real program, as `go run ./cmd/linli` does, on a free
// port and a fresh data directory, and returns its base URL.
func server(t *testing.T, env map[string]string) (string, func() error) {
	t.Helper()
	r := start(t, env)
	return r.base, r.stop
}

// running is the real program started by start.
type running struct {
	base, metrics string // metrics: "" when off
	stop          func() error
	mu            sync.Mutex
	lines         []map[string]any
}

// logged returns the lines the program wrote so far.
func (r *running) logged() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lines)
}

func start(t *testing.T, env map[string]string) *running {
	t.Helper()
	if _, set := env["LINLI_METRICS_ADDR"]; !set {
		env["LINLI_METRICS_ADDR"] = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, pw)
		pw.Close()
	}()
	r := &running{}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			r.mu.Lock()
			r.lines = append(r.lines, line)
			if line["msg"] == "metrics listening" {
				r.metrics, _ = line["url"].(string)
			}
			r.mu.Unlock()
			if line["msg"] == "linli listening" {
				u, _ := line["url"].(string)
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		r.base = u
		r.stop = func() error { cancel(); return <-done }
		return r
	case err := <-done:
		cancel()
		t.Fatalf("server stopped before listening: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start within 30 s")
	}
	return nil
}

func call(t testing.TB, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// TestEmbeddedModeOnAFreshMachine starts the program with nothing but a
// data directory, uses the demo street, restarts it on the same data and
// finds everything (and the login) still there.
func TestEmbeddedModeOnAFreshMachine(t *testing.T) {
	env := map[string]string{"LINLI_HTTP_ADDR": "127.0.0.1:0", "LINLI_DATA_DIR": t.TempDir()}
	base, stop := server(t, env)

	if code, body := call(t, "GET", base+"/healthz", "", ""); code != 200 || body["status"] != "ok" {
		t.Fatalf("healthz: %d %v", code, body)
	}
	if code, body := call(t, "GET", base+"/readyz", "", ""); code != 200 {
		t.Fatalf("readyz: %d %v", code, body)
	}
	code, login := call(t, "POST", base+"/api/v1/auth/dev-login", "", `{"openId":"dev-resident-1"}`)
	if code != 200 {
		t.Fatalf("dev-login: %d %v", code, login)
	}
	token := login["token"].(string)
	code, me := call(t, "GET", base+"/api/v1/me", token, "")
	home, _ := me["home"].(map[string]any)
	if code != 200 || home["communityName"] != "幸福里社区" {
		t.Fatalf("the demo resident has a home: %d %v", code, me)
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	base, stop = server(t, env)
	defer stop()
	if code, _ := call(t, "GET", base+"/api/v1/me", token, ""); code != 200 {
		t.Fatalf("a token must survive a restart in embedded mode: %d", code)
	}
	_, list := call(t, "GET", base+"/api/v1/communities", "", "")
	if items, _ := list["items"].([]any); len(items) != 2 {
		t.Fatalf("the demo street must be loaded once, not again: %d communities", len(items))
	}
	if _, err := os.Stat(env["LINLI_DATA_DIR"] + "/linli.db"); err != nil {
		t.Fatalf("embedded data file: %v", err)
	}
}

func TestNoDemoWhenAskedAndBadConfigRefused(t *testing.T) {
	env := map[string]string{"LINLI_HTTP_ADDR": "127.0.0.1:0", "LINLI_DATA_DIR": t.TempDir(), "LINLI_DEMO": "false"}
	base, stop := server(t, env)
	_, list := call(t, "GET", base+"/api/v1/communities", "", "")
	if items, _ := list["items"].([]any); len(items) != 0 {
		t.Fatalf("LINLI_DEMO=false: %d communities", len(items))
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), nil, func(k string) (string, bool) {
		v, ok := map[string]string{"LINLI_WECHAT_APPID": "wx1"}[k]
		return v, ok
	}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "LINLI_WECHAT_SECRET") {
		t.Fatalf("incomplete WeChat configuration must be refused: %v", err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, func(string) (string, bool) { return "", false }, io.Discard); err == nil {
		t.Fatal("an unknown command must be an error")
	}
}
