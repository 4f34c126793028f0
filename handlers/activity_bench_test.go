package handlers_test

import (
	"fmt"
	"net/http"
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
	health, feed := versusHealthz(b, env, "feed", "/api/v1/activities?communityId="+s.A.CommunityID,
		http.Header{"Accept-Encoding": {"gzip"}})
	b.Logf("gzip clients, %d requests each: healthz %.0f req/s, cached activity feed %.0f req/s, ratio %.2f (goal ≥ 0.8)",
		b.N, health, feed, feed/health)
}
