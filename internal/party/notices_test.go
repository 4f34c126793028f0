package party_test

import (
	"context"
	"testing"
	"time"
)

// A notice the sweep hands over later still says when the change was
// made: its time (the inbox's and the subscribe message's) is the
// change's, not the sweep's.
func TestPartyNoticeToldLaterCarriesTheTimeOfTheChange(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	p, s := w.env.App.Party, w.street
	reg := w.register(t, w.member, s.A.CommunityID)
	up := p.SetNotifier(down{})
	approvedAt := w.env.Clock.Now()
	if _, err := p.Approve(ctx, w.staffA, reg, s.A1.GridID); err != nil {
		t.Fatal(err)
	}
	p.SetNotifier(up)
	w.env.Clock.Advance(time.Hour)
	if err := p.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	rec, err := w.env.App.Inbox.Get(ctx, "party:approved:"+reg)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.CreatedAt.Equal(approvedAt) {
		t.Fatalf("told at %v, want the approval's time %v", rec.CreatedAt, approvedAt)
	}
}
