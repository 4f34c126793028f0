package message

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/platform/store"
)

// recount sums, bucket by bucket, what every message says it contributed,
// checking on the way that it is what the message's state gives: the
// figures rebuilt from the messages themselves.
func (h *harness) recount() map[string]counterDoc {
	h.t.Helper()
	msgs, err := store.FindAll[Message](h.ctx, h.svc.store.messages, bson.M{})
	h.must(err)
	out := map[string]counterDoc{}
	for _, m := range msgs {
		if want := figuresOf(&m); m.Figures != want {
			h.t.Fatalf("%s: stored figures %+v, state gives %+v", m.ID, m.Figures, want)
		}
		if len(m.Pending) > 0 {
			h.t.Fatalf("%s: pending counter changes left %v", m.ID, m.Pending)
		}
		f := m.Figures
		d := out[f.Bucket.ID()]
		d.Bucket = f.Bucket
		d.Counts.Add(f.Counts)
		if d.RT == nil {
			d.RT = map[string]int64{}
		}
		if f.ResponseBin >= 0 {
			d.RT[fmt.Sprintf("b%02d", f.ResponseBin)]++
		}
		out[f.Bucket.ID()] = d
	}
	return out
}

// counters reads the counter documents, leaving out the empty ones.
func (h *harness) counters() map[string]counterDoc {
	h.t.Helper()
	docs, err := store.FindAll[counterDoc](h.ctx, h.svc.store.counters, bson.M{})
	h.must(err)
	out := map[string]counterDoc{}
	for _, d := range docs {
		rt := map[string]int64{}
		for k, v := range d.RT {
			if v != 0 {
				rt[k] = v
			}
		}
		d.RT = rt
		if d.Counts != (Counts{}) || len(rt) > 0 {
			out[d.Bucket.ID()] = d
		}
	}
	return out
}

func (h *harness) countersMatchMessages() {
	h.t.Helper()
	want, got := h.recount(), h.counters()
	if len(want) != len(got) {
		h.t.Fatalf("%d counter documents, messages give %d", len(got), len(want))
	}
	for id, w := range want {
		g := got[id]
		if g.Counts != w.Counts || fmt.Sprint(g.RT) != fmt.Sprint(w.RT) {
			h.t.Fatalf("%s:\ncounters %+v %v\nmessages %+v %v", id, g.Counts, g.RT, w.Counts, w.RT)
		}
	}
}

// Many people at once on the same messages — accept races, replies,
// follow-ups, transfers, resolutions, double ratings — with two sweepers
// marking deadlines meanwhile: the counters equal the sum of what the
// messages contribute, each change counted once.
func TestCountersStayExactUnderConcurrency(t *testing.T) {
	h := newHarness(t)
	other := h.service()
	staff := []actor.Actor{h.SecA, h.GridA2}
	for i := range 4 {
		staff = append(staff, h.staff(fmt.Sprintf("社工%d", i), "社区工作者", h.A, []string{h.A1}, false))
	}
	residents := []actor.Actor{h.ResA, h.ResA2}
	var ids []string
	for i := range 24 {
		cat := []string{"物业维修", "安全隐患", "噪音扰民"}[i%3]
		m := h.submit(residents[i%2], cat, "")
		ids = append(ids, m.ID)
		if i%6 == 0 {
			h.clock.Advance(5 * time.Hour) // several days' buckets, some deadlines pass
		}
	}
	stop := make(chan struct{})
	var sweepers sync.WaitGroup
	for _, s := range []*Service{h.svc, other} {
		sweepers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.Sweep(h.ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	phase := func(f func(i int, id string, r *rand.Rand)) {
		var wg sync.WaitGroup
		for i, id := range ids {
			for k := range 3 {
				wg.Go(func() { f(i, id, rand.New(rand.NewPCG(uint64(i), uint64(k)))) })
			}
		}
		wg.Wait()
	}
	ok := func(err error, allowed ...interface{ Is(error) bool }) {
		if err == nil {
			return
		}
		for _, a := range allowed {
			if a.Is(err) {
				return
			}
		}
		t.Error(err)
	}
	phase(func(i int, id string, r *rand.Rand) { // three staff accept each message at once
		_, _, err := h.svc.Accept(h.ctx, staff[r.IntN(len(staff))], id)
		ok(err, ErrAlreadyAccepted)
	})
	h.clock.Advance(3 * time.Hour)
	phase(func(i int, id string, r *rand.Rand) {
		switch r.IntN(3) {
		case 0:
			_, _, err := h.svc.Reply(h.ctx, staff[r.IntN(len(staff))], id, "收到", nil, r.IntN(4) == 0)
			ok(err)
		case 1:
			_, _, err := h.svc.FollowUp(h.ctx, residents[i%2], id, "请尽快", nil)
			ok(err)
		case 2:
			_, _, err := h.svc.Transfer(h.ctx, h.SecA, id, staff[r.IntN(len(staff))].StaffID, "调整分工")
			ok(err, ErrTransferTarget)
		}
	})
	phase(func(i int, id string, r *rand.Rand) { // every message gets a named answer
		_, _, err := h.svc.Reply(h.ctx, staff[r.IntN(len(staff))], id, "已处理", nil, false)
		ok(err)
	})
	h.clock.Advance(30 * time.Hour)
	phase(func(i int, id string, r *rand.Rand) { // the owner resolves (the others are refused)
		m := h.get(id)
		owner := staff[0]
		for _, s := range staff {
			if s.StaffID == m.Owner.StaffID {
				owner = s
			}
		}
		if r.IntN(2) == 0 {
			owner = staff[r.IntN(len(staff))]
		}
		_, _, err := h.svc.Resolve(h.ctx, owner, id, "已办结")
		ok(err, ErrClosed, ErrNotOwner)
	})
	phase(func(i int, id string, r *rand.Rand) { // the resident rates twice at once
		v := []Satisfaction{Satisfied, Basic, Unsatisfied}[r.IntN(3)]
		_, _, err := h.svc.Rate(h.ctx, residents[i%2], id, RatingInput{Solved: r.IntN(3) > 0, Satisfaction: v})
		ok(err, ErrAlreadyRated, ErrNotResolved)
	})
	close(stop)
	sweepers.Wait()
	h.must(h.svc.Sweep(h.ctx))
	for _, id := range ids {
		m := h.get(id)
		accepted, rated := 0, 0
		for _, e := range m.Events {
			switch e.Type {
			case EvAccepted:
				accepted++
			case EvRated:
				rated++
			}
		}
		if accepted != 1 || rated > 1 {
			t.Fatalf("%s: %d accepted, %d rated: %v", id, accepted, rated, types(m))
		}
	}
	h.countersMatchMessages()
}

// A process that stops between the message's update and the counters'
// leaves the change pending on the message; the sweep applies it, once,
// however many settle it at the same time.
func TestPendingCountsAreSettledOnceAfterACrash(t *testing.T) {
	h := newHarness(t)
	cfg := DefaultConfig(h.A)
	var ids []string
	for range 5 {
		m, err := newMessage(Author{UserID: h.ResA.UserID}, Home{CommunityID: h.A, GridID: h.A1}, draft("物业维修", ""), cfg, h.clock.Now())
		h.must(err)
		m.Version = 1
		h.must(h.svc.store.insert(h.ctx, m, tallyOf(&m, Figures{}))) // and the process stops
		ids = append(ids, m.ID)
	}
	if got := h.counters(); len(got) != 0 {
		t.Fatalf("nothing applied yet: %v", got)
	}
	h.must(h.svc.Sweep(h.ctx)) // too soon: the request may still be settling it
	if got := h.counters(); len(got) != 0 {
		t.Fatalf("settled within the grace period: %v", got)
	}
	h.clock.Advance(2 * time.Minute)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { h.must(h.svc.Sweep(h.ctx)) })
		wg.Go(func() { h.must(h.svc.store.settle(h.ctx, ids[0])) })
	}
	wg.Wait()
	h.countersMatchMessages()
	if got := h.counters()[Bucket{CommunityID: h.A, GridID: h.A1, Day: dayOf(start)}.ID()]; got.Counts.Received != 5 {
		t.Fatalf("received %d, want 5", got.Counts.Received)
	}
	for _, id := range ids {
		if h.get(id).TallyDirty {
			t.Fatalf("%s still marked", id)
		}
	}
}
