package wish_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"linli/internal/platform/cache"
	"linli/internal/platform/page"
	"linli/internal/wish"
)

// realRedis runs a redis-server on port with its saved data in dir.
func realRedis(t *testing.T, dir string, port int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--dir", dir, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd
}

// The same story as TestAChangeMadeWhileRedisWasDownIsServedWhenItReturns
// with a real redis-server: paused (SIGSTOP) while a wish is approved, and
// killed after saving, then restarted from its RDB file (which brings back
// pages from before the change) while another is approved.
func TestAChangeMadeWhileARealRedisWasDownIsServedWhenItReturns(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("no redis-server")
	}
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	srv := realRedis(t, dir, port)

	w := newWorld(t, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	process := func() (*wish.Service, *cache.Epoch, *redis.Client) {
		rdb := cache.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
		t.Cleanup(func() { _ = rdb.Close() })
		e := cache.NewEpoch(ctx, w.env.DB, log)
		return wish.NewService(wish.Options{
			DB: w.env.DB, Redis: rdb, Clock: w.env.Clock, Log: log,
			Places: w.env.App.Communities, People: w.env.App.Accounts, Notifier: w.notifier, Epoch: e, Ledger: w.env.App.Ledger,
		}), e, rdb
	}
	a, epochA, rdbA := process()
	b, epochB, _ := process()
	run, stop := context.WithCancel(ctx)
	defer stop()
	go epochB.Run(run, 10*time.Millisecond)
	feed := func(s *wish.Service) string {
		t.Helper()
		p, err := s.Feed(ctx, w.s.A.CommunityID, page.Cursor{}, 20)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := p.JSON()
		return string(body)
	}
	post := func(title string) string {
		t.Helper()
		v, err := a.Post(ctx, w.resident, wish.Draft{Title: title, Description: "想借用一个月", Category: wish.CategoryItem})
		if err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	caught := func() {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for epochB.Current() != epochA.Current() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}

	// Paused.
	paused := post("轮椅")
	feed(a)
	if got := feed(b); strings.Contains(got, paused) {
		t.Fatal("not approved yet")
	}
	if err := srv.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Approve(ctx, w.staff, paused); err != nil {
		t.Fatal(err)
	}
	if err := srv.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	caught()
	if got := feed(b); !strings.Contains(got, paused) {
		t.Fatalf("after a pause, the other process served a page from before it: %s", got)
	}

	// Restarted from its saved data.
	saved := post("助行器")
	feed(a)
	if got := feed(b); strings.Contains(got, saved) {
		t.Fatal("not approved yet")
	}
	if err := rdbA.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	_ = srv.Process.Kill()
	_ = srv.Wait()
	if _, err := a.Approve(ctx, w.staff, saved); err != nil {
		t.Fatal(err)
	}
	realRedis(t, dir, port)
	caught()
	if got := feed(b); !strings.Contains(got, saved) {
		t.Fatalf("after a restart from the RDB file, the other process served a page from before it: %s", got)
	}
}
