package handlers_test

import (
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"linli/internal/testenv"
)

// BenchmarkActivityFeedVsHealthz measures, in the same run and through the
// same real HTTP server, how many requests per second the cached activity
// feed (a page of 20 cards of activities with sign-ups) and GET /healthz
// answer for clients that accept gzip, as phones do, and reports the ratio;
// the goal is at least 0.8 of /healthz. Run it with
//
//	go test ./handlers -run '^$' -bench ActivityFeedVsHealthz -benchtime 20000x
func BenchmarkActivityFeedVsHealthz(b *testing.B) {
	env := testenv.New(b)
	s := env.Street()
	for i := range 25 {
		var a struct{ ID string }
		env.Post("/api/v1/staff/activities", s.StaffA.Token, map[string]any{
			"title": fmt.Sprintf("活动%02d：义剪进社区", i), "description": "理发店的志愿者师傅来社区为居民免费理发，行动不便的老人可预约上门。",
			"location": "党群服务中心一楼", "startAt": testenv.Start.Add(time.Duration(48+i) * time.Hour).Format(time.RFC3339),
			"endAt": testenv.Start.Add(time.Duration(50+i) * time.Hour).Format(time.RFC3339), "signupOpensAt": testenv.Start.Format(time.RFC3339),
			"signupClosesAt": testenv.Start.Add(24 * time.Hour).Format(time.RFC3339), "capacity": 20, "audience": "all",
			"images": []string{"https://img.example.cn/activities/a.jpg"},
		}).Want(b, http.StatusCreated).Decode(b, &a)
		env.Post("/api/v1/activities/"+a.ID+"/signup", s.ResidentA.Token, nil).Want(b, http.StatusOK)
	}
	feedURL := env.Server.URL + "/api/v1/activities?communityId=" + s.A.CommunityID
	healthURL := env.Server.URL + "/healthz"
	workers := 4 * runtime.GOMAXPROCS(0)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers}}
	b.Cleanup(client.CloseIdleConnections)
	get(b, client, feedURL, "gzip") // the first read fills the cache
	var elapsed [2]time.Duration
	var count [2]int
	b.ResetTimer()
	for half := range 2 { // interleaved halves, so that a neighbour's load hits both alike
		n := b.N / 2
		if half == 1 {
			n = b.N - n
		}
		for i, url := range []string{healthURL, feedURL} {
			elapsed[i] += hammer(b, client, url, "gzip", n, workers)
			count[i] += n
		}
	}
	b.StopTimer()
	health := float64(count[0]) / elapsed[0].Seconds()
	feed := float64(count[1]) / elapsed[1].Seconds()
	b.ReportMetric(health, "healthz_req/s")
	b.ReportMetric(feed, "feed_req/s")
	b.ReportMetric(feed/health, "feed/healthz")
	b.Logf("gzip clients, %d requests each: healthz %.0f req/s, cached activity feed %.0f req/s, ratio %.2f (goal ≥ 0.8)",
		b.N, health, feed, feed/health)
}
