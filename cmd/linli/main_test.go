package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// server runs the real program, as `go run ./cmd/linli` does, on a free
// port and a fresh data directory, and returns its base URL.
func server(t testing.TB, env map[string]string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, pw)
		pw.Close()
	}()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line struct{ Msg, URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "linli listening" {
				urls <- line.URL
			}
		}
	}()
	select {
	case u := <-urls:
		return u, func() error { cancel(); return <-done }
	case err := <-done:
		cancel()
		t.Fatalf("server stopped before listening: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start within 30 s")
	}
	return "", nil
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
	err := run(context.Background(), nil, func(k string) string {
		return map[string]string{"LINLI_WECHAT_APPID": "wx1"}[k]
	}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "LINLI_WECHAT_SECRET") {
		t.Fatalf("incomplete WeChat configuration must be refused: %v", err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Fatal("an unknown command must be an error")
	}
}
