package console_test

import (
	"net/http"
	"testing"
	"time"

	"linli/internal/message"
	"linli/internal/testenv"
)

// BenchmarkFiguresPage measures the figures page (one period's report and
// eight weekly ones for the chart: nine Stats calls, and the page drawn)
// against one Stats call for the same period, timed in alternation, and
// prints the ratio. Stats reads per-day counters, so the eight weekly
// reports together read about what the period's own report reads.
func BenchmarkFiguresPage(b *testing.B) {
	env := testenv.New(b)
	s := env.Street()
	start := env.Clock.Now()
	resident, staff := s.ResidentA.Token, s.StaffA.Token
	for i := range 240 { // two months, a message every six hours, half answered
		if i%8 == 0 { // tokens last three days
			resident, staff = env.Login("resident-a", "赵大爷"), env.Login("staff-a", "")
		}
		id := postMessage(b, env, resident, "路灯不亮")
		if i%2 == 0 {
			env.Post("/api/v1/staff/messages/"+id+"/accept", staff, nil).Want(b, http.StatusOK)
			env.Post("/api/v1/staff/messages/"+id+"/replies", staff, map[string]any{"content": "今天修"}).Want(b, http.StatusCreated)
		}
		env.Clock.Advance(6 * time.Hour)
	}
	from, to := start.Format(time.DateOnly), env.Clock.Now().Format(time.DateOnly)
	br := newBrowser(b, env)
	br.signIn(s.StaffA.StaffID)
	path := "/console/figures?from=" + from + "&to=" + to
	q := message.StatsQuery{From: from, To: to}
	a, err := env.App.Accounts.Actor(b.Context(), s.StaffA.UserID)
	if err != nil {
		b.Fatal(err)
	}
	var page, one time.Duration
	b.ResetTimer()
	for b.Loop() {
		began := time.Now()
		if p := br.get(path); p.status != http.StatusOK {
			b.Fatalf("figures: %d", p.status)
		}
		page += time.Since(began)
		began = time.Now()
		if _, err := env.App.Messages.Stats(b.Context(), a, q); err != nil {
			b.Fatal(err)
		}
		one += time.Since(began)
	}
	b.ReportMetric(float64(page.Microseconds())/float64(b.N), "µs/page")
	b.ReportMetric(float64(one.Microseconds())/float64(b.N), "µs/stats")
	b.ReportMetric(float64(page)/float64(one), "ratio-page/stats")
}
