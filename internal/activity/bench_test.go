package activity_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"linli/internal/activity"
	"linli/internal/actor"
)

// BenchmarkSignups signs up b.N people concurrently, first all for one hot
// activity (capacity b.N/10), then spread over 100 activities, and reports
// sign-ups per second of both and their ratio, in the same run. After each
// phase it checks the rules on every activity: exactly capacity confirmed,
// the waitlist numbered 1..n without gaps, the counts equal to the records.
// Run it with
//
//	go test ./internal/activity -run '^$' -bench Signups -benchtime 1000x
func BenchmarkSignups(b *testing.B) {
	h := newHarness(b)
	ctx := context.Background()
	n := min(b.N, activity.MaxEntries)
	people := make([]actor.Actor, n)
	for i := range people {
		people[i] = resident(i)
	}
	workers := 16
	run := func(targets []string) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					if _, err := h.svc.SignUp(ctx, people[i], targets[i%len(targets)]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	check := func(ids []string, capacity int) {
		total := 0
		for _, id := range ids {
			l := h.exact(id)
			if len(l.Confirmed) > capacity {
				b.Fatalf("%d confirmed for %d places", len(l.Confirmed), capacity)
			}
			total += len(l.Confirmed) + len(l.Waitlist)
		}
		if total != n {
			b.Fatalf("%d sign-ups stored for %d made", total, n)
		}
	}
	b.ResetTimer()
	hotCap := max(1, n/10)
	hot := h.create(hotCap).ID
	hotTime := run([]string{hot})
	b.StopTimer()
	check([]string{hot}, hotCap)
	spreadCap := max(1, n/1000)
	spread := make([]string, 100)
	for i := range spread {
		spread[i] = h.create(spreadCap).ID
	}
	b.StartTimer()
	spreadTime := run(spread)
	b.StopTimer()
	check(spread, spreadCap)
	hotRate, spreadRate := float64(n)/hotTime.Seconds(), float64(n)/spreadTime.Seconds()
	b.ReportMetric(hotRate, "hot_signups/s")
	b.ReportMetric(spreadRate, "spread_signups/s")
	b.ReportMetric(hotRate/spreadRate, "hot/spread")
	b.Logf("%d sign-ups: one hot activity %.0f/s (exact: %d confirmed, the rest waiting 1..n), 100 activities %.0f/s; ratio %.2f",
		n, hotRate, min(n, hotCap), spreadRate, hotRate/spreadRate)
}
