package handlers_test

import (
	"fmt"
	"net/http"
	"testing"

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
	for _, encoding := range []string{"gzip", "identity"} {
		b.Run(encoding, func(b *testing.B) {
			health, feed := versusHealthz(b, env, "feed", "/api/v1/wishes?communityId="+s.A.CommunityID,
				http.Header{"Accept-Encoding": {encoding}})
			b.Logf("Accept-Encoding %s, %d requests each: healthz %.0f req/s, cached feed %.0f req/s, ratio %.2f (goal ≥ 0.5)",
				encoding, b.N, health, feed, feed/health)
		})
	}
}
