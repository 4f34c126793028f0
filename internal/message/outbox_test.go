package message

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/notify"
)

// downNotifier fails while down: the inbox cannot be written (or the
// process stopped right after the transition's write).
type downNotifier struct {
	next *notify.Inbox
	down atomic.Bool
}

func (d *downNotifier) Notify(ctx context.Context, n notify.Notice) error {
	if d.down.Load() {
		return errors.New("inbox down")
	}
	return d.next.Notify(ctx, n)
}

// The notices a transition owes are written with it: with the inbox down
// every transition still succeeds, its notices wait in the message's
// outbox, and the sweep hands each over exactly once when the inbox is back.
// The inbox then holds exactly one record per notice the thread owes.
func TestNoticesAreWrittenWithTheTransitionAndNeverLost(t *testing.T) {
	h := newHarness(t)
	dn := &downNotifier{next: h.inbox}
	h.svc.notifier = dn
	dn.down.Store(true)

	m := h.submit(h.ResA2, "", "")
	_, _, err := h.svc.Accept(h.ctx, h.GridA2, m.ID)
	h.must(err)
	_, _, err = h.svc.Reply(h.ctx, h.GridA2, m.ID, "明天上午来修", nil, false)
	h.must(err)
	_, _, err = h.svc.Resolve(h.ctx, h.GridA2, m.ID, "已修好")
	h.must(err)
	got := h.get(m.ID)
	if got.OutboxSize != 4 || len(got.Outbox) != 4 {
		t.Fatalf("outbox while the inbox is down: %d %v", got.OutboxSize, got.Outbox)
	}
	if n := h.notices(h.ResA2.UserID, m.ID); len(n) != 0 {
		t.Fatalf("nothing reached the inbox yet: %v", n)
	}
	dn.down.Store(false)
	h.must(h.svc.Sweep(h.ctx)) // within the grace minute: left to the requests
	if n := h.notices(h.ResA2.UserID, m.ID); len(n) != 0 {
		t.Fatalf("the sweep waits its grace: %v", n)
	}
	h.clock.Advance(2 * time.Minute)
	other := h.service()
	h.must(h.svc.Sweep(h.ctx))
	h.must(other.Sweep(h.ctx))
	if n := h.notices(h.ResA2.UserID, m.ID); !slices.Equal(n, []string{"message.accepted", "message.reply", "message.resolved"}) {
		t.Fatalf("resident: %v", n)
	}
	if n := h.notices(h.GridA2.UserID, m.ID); !slices.Equal(n, []string{"message.new"}) {
		t.Fatalf("grid staff: %v", n)
	}
	if got := h.get(m.ID); got.OutboxSize != 0 || len(got.Outbox) != 0 {
		t.Fatalf("outbox after delivery: %d %v", got.OutboxSize, got.Outbox)
	}
	// Each notice's key names an event of the thread, and every event that
	// tells someone has its record.
	got = h.get(m.ID)
	for _, ev := range got.Events[1:] {
		key := "message:" + m.ID + ":" + ev.ID + ":" + h.ResA2.UserID
		if _, err := h.inbox.Get(h.ctx, key); err != nil {
			t.Fatalf("event %s has no notice %s: %v", ev.Type, key, err)
		}
	}
	n, err := h.db.Collection("notifications").CountDocuments(h.ctx, bson.M{"refId": m.ID})
	h.must(err)
	if n != 4 {
		t.Fatalf("%d records, want 4", n)
	}
}

// A refused transition owes nothing.
func TestRefusedTransitionTellsNobody(t *testing.T) {
	h := newHarness(t)
	m := h.submit(h.ResA2, "", "")
	if _, _, err := h.svc.Resolve(h.ctx, h.GridA2, m.ID, "已修好"); err == nil {
		t.Fatal("resolve before accepting")
	}
	if got := h.get(m.ID); got.OutboxSize != 0 || len(h.notices(h.ResA2.UserID, m.ID)) != 0 {
		t.Fatalf("refusal told someone: %+v", got.Outbox)
	}
}
