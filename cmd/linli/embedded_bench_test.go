package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/platform/store"
)

// BenchmarkEmbeddedMode measures the real program in its own process, as a
// new user runs it, on data directories holding about 1,000, 5,000 and
// 20,000 documents: start to healthy, RSS, one message post (p50, p99, the
// store commits it makes) and a wish read while posts run against the same
// read idle. Run it once: go test ./cmd/linli -run '^$' -bench Embedded -benchtime 1x
func BenchmarkEmbeddedMode(b *testing.B) {
	for _, n := range []int{1000, 5000, 20000} {
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) {
			for range b.N {
				embeddedFigures(b, n)
			}
		})
	}
}

func embeddedFigures(b *testing.B, n int) {
	dir := b.TempDir()
	seed(b, dir, n)

	started := time.Now()
	cmd, base := child(b, dir)
	waitHealthy(b, base)
	b.ReportMetric(float64(time.Since(started).Milliseconds()), "start-to-healthy-ms")
	b.ReportMetric(float64(rssKB(b, cmd.Process.Pid))/1024, "rss-MB")

	token := devToken(b, base)
	_, me := call(b, "GET", base+"/api/v1/me", token, "")
	home, _ := me["home"].(map[string]any)
	_, wishes := call(b, "GET", fmt.Sprintf("%s/api/v1/wishes?communityId=%v&limit=1", base, home["communityId"]), token, "")
	items, _ := wishes["items"].([]any)
	if len(items) == 0 {
		b.Fatal("the demo street has no wish to read")
	}
	wishURL := base + "/api/v1/wishes/" + items[0].(map[string]any)["id"].(string)

	// The baseline: one bbolt commit of one small record, fsynced, on the
	// same disk in the same run. A post costs a few of these (the store
	// commits it makes) and lungo's work on the collections it touches.
	commit := boltCommit(b, b.TempDir())
	b.ReportMetric(ms(commit), "bbolt-commit-p50-ms")

	const posts = 40
	commits0 := commits(b, cmd)
	var lat []time.Duration
	for i := range posts {
		t0 := time.Now()
		code, m, err := post(base+"/api/v1/messages", token, fmt.Sprintf(`{"category":"环境卫生","content":"楼道灯坏了 %d"}`, i))
		if err != nil || code != 201 {
			b.Fatalf("post: %d %v %v", code, m, err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.ReportMetric(float64(commits(b, cmd)-commits0)/posts, "commits/post")
	b.ReportMetric(ms(pct(lat, 50)), "post-p50-ms")
	b.ReportMetric(ms(pct(lat, 99)), "post-p99-ms")
	b.ReportMetric(float64(pct(lat, 50))/float64(commit), "post-p50/commit")

	idle := reads(b, wishURL, token, 100)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, _, _ = post(base+"/api/v1/messages", token, fmt.Sprintf(`{"category":"环境卫生","content":"写入中 %d"}`, i))
		}
	})
	busy := reads(b, wishURL, token, 100)
	close(stop)
	wg.Wait()
	b.ReportMetric(ms(pct(idle, 50)), "read-idle-p50-ms")
	b.ReportMetric(ms(pct(busy, 50)), "read-busy-p50-ms")
	b.ReportMetric(float64(pct(busy, 50))/float64(pct(idle, 50)), "read-busy/idle")
	b.ReportMetric(float64(rssKB(b, cmd.Process.Pid))/1024, "rss-after-MB")
	fi, err := os.Stat(dir + "/" + store.FileName("linli"))
	if err == nil {
		b.ReportMetric(float64(fi.Size())/(1<<20), "file-MB")
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
}

// seed starts the program once on dir (demo street, indexes, one message
// with its notices), then adds copies of its users, messages and
// notifications directly into the store's file until dir holds about n
// documents: many residents, their messages, the notices those made.
func seed(b *testing.B, dir string, n int) {
	cmd, base := child(b, dir)
	if code, m, err := post(base+"/api/v1/messages", devToken(b, base), `{"category":"环境卫生","content":"种子留言"}`); err != nil || code != 201 {
		b.Fatalf("seed post: %d %v %v", code, m, err)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()

	path := filepath.Join(dir, store.FileName("linli"))
	loaded, err := store.OpenBolt(path)
	if err != nil {
		b.Fatal(err)
	}
	catalog, err := loaded.Load()
	_ = loaded.Close()
	if err != nil {
		b.Fatal(err)
	}
	bs, err := store.OpenBolt(path) // Put is for a store nobody loaded
	if err != nil {
		b.Fatal(err)
	}
	defer bs.Close()
	have := 0
	for h, ns := range catalog.Namespaces {
		if h[0] == "linli" {
			have += len(ns.Documents.List)
		}
	}
	sample := func(coll string) bson.D {
		ns := catalog.Namespaces[[2]string{"linli", coll}]
		if ns == nil || len(ns.Documents.List) == 0 {
			b.Fatalf("no %s to copy", coll)
		}
		return *ns.Documents.List[0]
	}
	user, msg, note := sample("users"), sample("messages"), sample("notifications")
	left := max(n-have, 0)
	users, msgs := left/5, left*3/10
	notes := left - users - msgs
	put := func(coll string, count int, proto bson.D, edit func(d bson.D, i int)) {
		docs := make([]bson.D, count)
		for i := range count {
			d := slices.Clone(proto)
			edit(d, i)
			docs[i] = d
		}
		if err := bs.Put("linli."+coll, docs); err != nil {
			b.Fatalf("seed %s: %v", coll, err)
		}
	}
	uid := func(i int) string { return fmt.Sprintf("seeduser%07d", i%max(users, 1)) }
	put("users", users, user, func(d bson.D, i int) {
		set(d, "_id", uid(i))
		set(d, "openId", "seed-open-"+strconv.Itoa(i))
	})
	put("messages", msgs, msg, func(d bson.D, i int) {
		set(d, "_id", fmt.Sprintf("seedmsg%07d", i))
		if a, ok := get(d, "author").(bson.D); ok {
			a = slices.Clone(a)
			set(a, "userId", uid(i))
			set(d, "author", a)
		}
	})
	put("notifications", notes, note, func(d bson.D, i int) {
		set(d, "_id", fmt.Sprintf("seednote%07d", i))
		set(d, "userId", uid(i))
		set(d, "key", "seed-note-"+strconv.Itoa(i))
	})
}

func get(d bson.D, k string) any {
	for _, e := range d {
		if e.Key == k {
			return e.Value
		}
	}
	return nil
}

func set(d bson.D, k string, v any) {
	for i := range d {
		if d[i].Key == k {
			d[i].Value = v
			return
		}
	}
}

// boltCommit is the p50 of 30 one-record commits of a bbolt file in dir.
func boltCommit(b *testing.B, dir string) time.Duration {
	db, err := bolt.Open(filepath.Join(dir, "baseline.db"), 0o640, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var lat []time.Duration
	for i := range 30 {
		t0 := time.Now()
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return bk.Put([]byte{byte(i)}, make([]byte, 512))
		})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	return pct(lat, 50)
}

func waitHealthy(b *testing.B, base string) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.Fatal("not healthy within 60 s")
}

// commits reads the child's linli_store_commits_total from its metrics
// listener.
func commits(b *testing.B, cmd *exec.Cmd) int {
	u, ok := metricsURLs.Load(cmd)
	if !ok {
		b.Fatal("the child's metrics listener is unknown")
	}
	res, err := http.Get(u.(string))
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "linli_store_commits_total "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int(f)
		}
	}
	b.Fatal("no linli_store_commits_total on /metrics")
	return 0
}

func reads(b *testing.B, url, token string, n int) []time.Duration {
	out := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("read: %d", res.StatusCode)
		}
		out = append(out, time.Since(t0))
	}
	return out
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func rssKB(b *testing.B, pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	return 0
}
