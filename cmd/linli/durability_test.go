package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestChildServer is not a test: it is the program that
// TestAcknowledgedWritesSurviveSIGKILL starts in a child process and kills.
func TestChildServer(t *testing.T) {
	dir := os.Getenv("LINLI_CHILD_DATA_DIR")
	if dir == "" {
		t.Skip("run only as a child process")
	}
	env := map[string]string{
		"LINLI_HTTP_ADDR": "127.0.0.1:0", "LINLI_DATA_DIR": dir,
		"LINLI_RATE_LIMIT_PER_MINUTE": "1000000", "LINLI_METRICS_ADDR": "127.0.0.1:0",
	}
	_ = run(context.Background(), nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, os.Stdout)
}

// metricsURLs are the children's metrics listeners (*exec.Cmd → URL).
var metricsURLs sync.Map

// child starts the program in its own process on dir and returns its URL.
func child(t testing.TB, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildServer$", "-test.v")
	cmd.Env = append(os.Environ(), "LINLI_CHILD_DATA_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var line struct{ Msg, URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil {
				switch line.Msg {
				case "metrics listening":
					metricsURLs.Store(cmd, line.URL)
				case "linli listening":
					urls <- line.URL
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case u := <-urls:
		return cmd, u
	case <-time.After(60 * time.Second):
		t.Fatal("child did not start within 60 s")
	}
	return nil, ""
}

// The program is killed (SIGKILL, no shutdown) while residents post
// messages; after a restart on the same data every message whose 201 was
// received is there. Writes that were in flight may or may not be.
func TestAcknowledgedWritesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills child processes")
	}
	dir := t.TempDir()
	cmd, base := child(t, dir)
	token := devToken(t, base)

	var mu sync.Mutex
	var acked []string
	writeUntilKilled(t, cmd, func(w, i int) bool {
		body := fmt.Sprintf(`{"category":"环境卫生","content":"楼道灯坏了 %d-%d"}`, w, i)
		code, m, err := post(base+"/api/v1/messages", token, body)
		if err != nil { // the process is gone
			return false
		}
		if code != 201 {
			t.Errorf("post: %d %v", code, m)
			return false
		}
		mu.Lock()
		acked = append(acked, m["id"].(string))
		mu.Unlock()
		return true
	})

	_, base = child(t, dir)
	for _, id := range acked {
		if code, m := call(t, "GET", base+"/api/v1/messages/"+id, token, ""); code != 200 {
			t.Fatalf("acknowledged message %s lost after SIGKILL: %d %v", id, code, m)
		}
	}
	t.Logf("%d acknowledged writes, all found after SIGKILL and restart", len(acked))
}

// devToken logs in dev-resident-1 on the child at base.
func devToken(t testing.TB, base string) string {
	t.Helper()
	code, login := call(t, "POST", base+"/api/v1/auth/dev-login", "", `{"openId":"dev-resident-1"}`)
	if code != 200 {
		t.Fatalf("dev-login: %d %v", code, login)
	}
	return login["token"].(string)
}

// writeUntilKilled runs four writers, each calling write(w, i) for
// i = 0, 1, … while it answers true (the write was acknowledged), and
// kills the child with SIGKILL once a good number of writes were
// acknowledged (30 s at most); then it stops the writers and waits for
// them: at least 10 must have been acknowledged.
func writeUntilKilled(t *testing.T, cmd *exec.Cmd, write func(w, i int) bool) {
	t.Helper()
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if !write(w, i) {
					return
				}
				acked.Add(1)
			}
		})
	}
	deadline := time.Now().Add(30 * time.Second)
	for acked.Load() < 60 && !time.Now().After(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(stop)
	wg.Wait()
	if n := acked.Load(); n < 10 {
		t.Fatalf("only %d writes acknowledged before the kill", n)
	}
}

// post is call without t.Fatal on a dropped connection; headers are
// further header names and values.
func post(url, token, body string, headers ...string) (int, map[string]any, error) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		return 0, nil, err
	}
	return res.StatusCode, m, nil
}

// Posts carrying an Idempotency-Key, killed with SIGKILL under load: after
// the restart, the retry of every acknowledged post is answered with the
// same message (replayed: its outcome was on disk before its answer left),
// never run again and never told "unknown"; the retry of a post that was
// in flight creates at most one.
func TestKeyedPostsNeverRepeatAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills child processes")
	}
	dir := t.TempDir()
	cmd, base := child(t, dir)
	token := devToken(t, base)
	type sent struct{ key, body, id string }
	var mu sync.Mutex
	var acked, inFlight []sent
	writeUntilKilled(t, cmd, func(w, i int) bool {
		s := sent{key: fmt.Sprintf("key-%d-%d", w, i), body: fmt.Sprintf(`{"category":"环境卫生","content":"楼道灯坏了 %d-%d"}`, w, i)}
		code, m, err := keyedPost(base, token, s.key, s.body)
		mu.Lock()
		if err != nil { // the process is gone
			inFlight = append(inFlight, s)
			mu.Unlock()
			return false
		}
		if code != 201 {
			mu.Unlock()
			t.Errorf("post: %d %v", code, m)
			return false
		}
		s.id = m["id"].(string)
		acked = append(acked, s)
		mu.Unlock()
		return true
	})

	_, base = child(t, dir)
	outcomes := map[string]int{}
	for _, s := range acked {
		code, m, err := keyedPost(base, token, s.key, s.body)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case code == 201 && m["id"] == s.id:
			outcomes["replayed"]++
		default:
			t.Fatalf("retry of acknowledged %s after SIGKILL: %d, id %v error %v (first answer %s)", s.key, code, m["id"], m["error"], s.id)
		}
	}
	for _, s := range inFlight {
		code, m, err := keyedPost(base, token, s.key, s.body)
		if err != nil {
			t.Fatal(err)
		}
		if code != 201 && code != 409 {
			t.Fatalf("retry of in-flight %s after SIGKILL: %d %v", s.key, code, m)
		}
		if code == 201 { // created now or before: once either way
			again, m2, err := keyedPost(base, token, s.key, s.body)
			if err != nil || again != 201 || m2["id"] != m["id"] {
				t.Fatalf("second retry of in-flight %s: %d %v %v, first retry %v", s.key, again, m2, err, m)
			}
		}
	}
	t.Logf("%d acknowledged keyed posts retried after SIGKILL: %v; %d in flight", len(acked), outcomes, len(inFlight))
}

func keyedPost(base, token, key, body string) (int, map[string]any, error) {
	return post(base+"/api/v1/messages", token, body, "Idempotency-Key", key)
}
