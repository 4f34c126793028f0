package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"linli/internal/testenv"
)

// BenchmarkFeedVsHealthz measures, in the same run and through the same
// real HTTP server, how many requests per second the cached wish feed (a
// page of 20 cards) and GET /healthz answer, and reports the ratio; the
// cached feed should reach at least half of /healthz. Sub-benchmark "gzip"
// asks as a phone does; "identity" as a client that does not accept gzip
// (the feed is then unzipped on every read). Run it with
//
//	go test ./handlers -run '^$' -bench FeedVsHealthz -benchtime 20000x
func BenchmarkFeedVsHealthz(b *testing.B) {
	env := testenv.New(b)
	s := env.Street()
	for i := range 25 {
		var w struct{ ID string }
		env.Post("/api/v1/wishes", s.StaffA.Token, map[string]any{
			"title": fmt.Sprintf("心愿%02d：想要一副老花镜", i), "description": "看报纸看不清字，想要一副300度的老花镜，谢谢好心人。",
			"category": "item", "beneficiaryName": "张桂兰", "estimatedValue": 80,
			"images": []string{"https://img.example.cn/wishes/a.jpg", "https://img.example.cn/wishes/b.jpg"},
		}).Want(b, http.StatusCreated).Decode(b, &w)
		env.Post("/api/v1/staff/wishes/"+w.ID+"/approve", s.StaffA.Token, nil).Want(b, http.StatusOK)
	}
	feedURL := env.Server.URL + "/api/v1/wishes?communityId=" + s.A.CommunityID
	healthURL := env.Server.URL + "/healthz"
	workers := 4 * runtime.GOMAXPROCS(0)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers}}
	b.Cleanup(client.CloseIdleConnections)
	for _, encoding := range []string{"gzip", "identity"} {
		b.Run(encoding, func(b *testing.B) {
			get(b, client, feedURL, encoding) // the first read fills the cache
			var elapsed [2]time.Duration
			var count [2]int
			b.ResetTimer()
			// Interleaved halves, so that a neighbour's load hits both alike.
			for half := range 2 {
				n := b.N / 2
				if half == 1 {
					n = b.N - n
				}
				for i, url := range []string{healthURL, feedURL} {
					elapsed[i] += hammer(b, client, url, encoding, n, workers)
					count[i] += n
				}
			}
			b.StopTimer()
			health := float64(count[0]) / elapsed[0].Seconds()
			feed := float64(count[1]) / elapsed[1].Seconds()
			b.ReportMetric(health, "healthz_req/s")
			b.ReportMetric(feed, "feed_req/s")
			b.ReportMetric(feed/health, "feed/healthz")
			b.Logf("Accept-Encoding %s, %d requests each: healthz %.0f req/s, cached feed %.0f req/s, ratio %.2f (goal ≥ 0.5)",
				encoding, b.N, health, feed, feed/health)
		})
	}
}

// hammer sends n GETs to url from workers goroutines and returns how long they took.
func hammer(b *testing.B, client *http.Client, url, encoding string, n, workers int) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				get(b, client, url, encoding)
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

func get(b *testing.B, client *http.Client, url, encoding string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept-Encoding", encoding) // gzip as a phone sends it; the body is read, not unzipped
	res, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Errorf("%s: status %d", url, res.StatusCode)
	}
}
