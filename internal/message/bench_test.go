package message

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
)

// BenchmarkStats measures GET /staff/stats's work (Service.Stats, a month
// by staff member) over 1,000 and over 10,000 stored messages received in
// the same month, and prints the ratio of the two: the figures come from
// per-day counters, so it stays near 1. The two are timed in alternation,
// call by call, so that a machine shared with other work slows both alike.
// A third case spreads 10,000 messages over ten months of history and asks
// for the last one: with a real MongoDB the (communityId, day) index keeps
// that flat too; lungo scans whole collections, so there the cost follows
// the number of counter documents (days × grids × staff) — still not the
// number of messages.
//
// The data are seeded straight into the store (messages built by the real
// transitions, counters summed from their figures, in batches): inserting
// 10,000 messages one by one through the API would take lungo minutes.
func BenchmarkStats(b *testing.B) {
	type dataset struct {
		name     string
		messages int
		days     int
		h        *harness
		q        StatsQuery
		spent    time.Duration
	}
	sets := []*dataset{
		{name: "1,000 messages in one month", messages: 1000, days: 30},
		{name: "10,000 messages in one month", messages: 10000, days: 30},
		{name: "10,000 messages over 300 days", messages: 10000, days: 300},
	}
	for _, d := range sets {
		var to time.Time
		d.h, to = seeded(b, d.messages, d.days)
		d.q = StatsQuery{CommunityID: d.h.A, From: dayOf(to.AddDate(0, 0, -29)), To: dayOf(to), GroupBy: ByStaffMember}
		if r, err := d.h.svc.Stats(d.h.ctx, d.h.SecA, d.q); err != nil || r.Total.Received == 0 {
			b.Fatalf("stats: %v, %d received", err, r.Total.Received)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		for _, d := range sets {
			began := time.Now()
			if _, err := d.h.svc.Stats(d.h.ctx, d.h.SecA, d.q); err != nil {
				b.Fatal(err)
			}
			d.spent += time.Since(began)
		}
	}
	per := func(d *dataset) float64 { return float64(d.spent.Microseconds()) / float64(b.N) }
	ratio := per(sets[1]) / per(sets[0])
	b.ReportMetric(per(sets[0]), "µs/stats@1k")
	b.ReportMetric(per(sets[1]), "µs/stats@10k")
	b.ReportMetric(ratio, "ratio-10k/1k")
	b.ReportMetric(per(sets[2])/per(sets[0]), "ratio-300d/1k")
	for _, d := range sets {
		b.Logf("%-32s %8.0f µs per stats call", d.name, per(d))
	}
	b.Logf("ratio 10,000 / 1,000 messages (same month): %.2f", ratio)
}

var seedCache sync.Map // "messages/days" → *seededStreet

type seededStreet struct {
	h  *harness
	to time.Time
}

// seeded returns a street holding n messages received over days days,
// ending at the returned time, with their counters (built once per size).
func seeded(b *testing.B, n, days int) (*harness, time.Time) {
	key := fmt.Sprint(n, "/", days)
	if s, ok := seedCache.Load(key); ok {
		return s.(*seededStreet).h, s.(*seededStreet).to
	}
	h := newHarness(b)
	staff := []actor.Actor{h.SecA, h.GridA2}
	for i := range 4 {
		staff = append(staff, h.staff(fmt.Sprintf("社工%d", i), "社区工作者", h.A, []string{h.A1}, false))
	}
	began := time.Now()
	msgs, counters := simulate(h, staff, n, days)
	for i := 0; i < len(msgs); i += 1000 {
		_, err := h.svc.store.messages.InsertMany(h.ctx, msgs[i:min(i+1000, len(msgs))])
		h.must(err)
	}
	_, err := h.svc.store.counters.InsertMany(h.ctx, counters)
	h.must(err)
	b.Logf("seeded %d messages over %d days (%d counter documents) in %s", n, days, len(counters), time.Since(began).Round(time.Millisecond))
	to := start.AddDate(0, 0, days-1)
	seedCache.Store(key, &seededStreet{h: h, to: to})
	return h, to
}

// simulate builds n messages with the real transitions — accepted, most
// answered (some late), most resolved and rated — and the counter
// documents their figures add up to, with the applied keys the live path
// would have left in them.
func simulate(h *harness, staff []actor.Actor, n, days int) ([]any, []any) {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	cfg := DefaultConfig(h.A)
	var cats []string
	for _, c := range cfg.ActiveCategories() {
		cats = append(cats, c.ID)
	}
	grids := []string{h.A1, h.A2}
	type acc struct {
		doc     bson.M
		counts  Counts
		rt      map[string]int64
		applied []string
	}
	buckets := map[string]*acc{}
	var msgs []any
	for i := range n {
		at := start.Add(time.Duration(r.IntN(days*24*60)) * time.Minute)
		m, err := newMessage(Author{UserID: h.ResA.UserID, Nickname: "赵大爷"}, Home{CommunityID: h.A, GridID: grids[i%2]},
			Draft{Category: cats[r.IntN(len(cats))], Content: "小区东门路灯不亮，晚上出行不便，请尽快维修。"}, cfg, at)
		h.must(err)
		version := int64(1)
		do := func(d time.Duration, f func(now time.Time) (Event, error)) bool {
			now := at.Add(d)
			ev, err := f(now)
			if err != nil {
				return false
			}
			m.finish(ev, now)
			version++
			return true
		}
		st := staff[r.IntN(len(staff))]
		by := StaffRef{StaffID: st.StaffID, UserID: st.UserID, Name: st.StaffName, Position: st.StaffPosition}
		if r.IntN(20) > 0 {
			do(time.Duration(r.IntN(120))*time.Minute, func(now time.Time) (Event, error) { return m.accept(by, now) })
			if r.IntN(10) > 0 {
				do(time.Duration(120+r.IntN(36*60))*time.Minute, func(now time.Time) (Event, error) {
					return m.reply(by, "已联系物业，明天上午维修。", nil, false, DefaultLifecycle, now)
				})
				if r.IntN(5) > 0 {
					do(3*24*time.Hour, func(now time.Time) (Event, error) { return m.resolve(by, "路灯已修复。", DefaultLifecycle, now) })
					if r.IntN(4) > 0 {
						v := []Satisfaction{Satisfied, Satisfied, Basic, Unsatisfied}[r.IntN(4)]
						do(4*24*time.Hour, func(now time.Time) (Event, error) { return m.rate(v != Unsatisfied, v, "", now) })
					}
				}
			}
		}
		m.Version = version
		m.Figures = figuresOf(&m)
		msgs = append(msgs, m)
		f := m.Figures
		a := buckets[f.Bucket.ID()]
		if a == nil {
			a = &acc{rt: map[string]int64{}, doc: bson.M{
				"_id": f.Bucket.ID(), "communityId": f.Bucket.CommunityID, "gridId": f.Bucket.GridID,
				"staffId": f.Bucket.StaffID, "day": f.Bucket.Day,
			}}
			buckets[f.Bucket.ID()] = a
		}
		a.counts.Add(f.Counts)
		if f.ResponseBin >= 0 {
			a.rt[fmt.Sprintf("b%02d", f.ResponseBin)]++
		}
		for v := range version {
			a.applied = append(a.applied, fmt.Sprintf("%s:v%d", m.ID, v+1))
		}
	}
	var counters []any
	for _, a := range buckets {
		raw, err := bson.Marshal(a.counts)
		h.must(err)
		var counts bson.M
		h.must(bson.Unmarshal(raw, &counts))
		for _, k := range binKeys {
			a.rt[k] += 0 // every bin, as the live path leaves it
		}
		a.doc["c"], a.doc["rt"], a.doc["applied"] = counts, a.rt, a.applied
		counters = append(counters, a.doc)
	}
	return msgs, counters
}
