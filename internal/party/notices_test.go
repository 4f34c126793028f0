package party_test

import (
	"context"
	"testing"
	"time"

	"linli/internal/notify"
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

// A registration approved or refused is told by a subscribe message too
// (issue 11), opening the registration page: the kinds the area writes
// are the kinds the configured template carries, and its link kind is the
// one the contract and the page map name.
func TestPartyRegistrationNoticesGoToWeChat(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	p, s := w.env.App.Party, w.street
	approved := w.register(t, w.member, s.A.CommunityID)
	refused := w.register(t, w.other, s.A.CommunityID)
	if _, err := p.Approve(ctx, w.staffA, approved, s.A1.GridID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Reject(ctx, w.staffA, refused, "不是本社区居民"); err != nil {
		t.Fatal(err)
	}
	for key, id := range map[string]string{"party:approved:" + approved: approved, "party:rejected:" + refused: refused} {
		rec, err := w.env.App.Inbox.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if rec.WeChat.State != notify.Queued || rec.WeChat.Template == "" {
			t.Fatalf("%s (%s): WeChat delivery %+v, want queued with a template", key, rec.Kind, rec.WeChat)
		}
		if rec.RefType != "party_registration" {
			t.Fatalf("%s links to %q, want party_registration (the contract's link kind)", key, rec.RefType)
		}
		if page, want := w.env.App.Templates.Page(&rec.Notice), "pages/party/registration?id="+id; page != want {
			t.Fatalf("%s opens %q, want %q", key, page, want)
		}
	}
}
