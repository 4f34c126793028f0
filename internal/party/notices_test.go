package party_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/apperr"
	"linli/internal/notify"
	"linli/internal/party"
	"linli/internal/platform/store"
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

// racing is a notifier before which, the first time it is called, a whole
// sweep runs: the sweep hands over the same outbox between a request's
// read of it and its removal of the first notice.
type racing struct {
	next  party.Notifier
	sweep func(context.Context) error
	raced bool
}

func (r *racing) Notify(ctx context.Context, n notify.Notice) error {
	if !r.raced {
		r.raced = true
		if err := r.sweep(ctx); err != nil {
			return err
		}
	}
	return r.next.Notify(ctx, n)
}

// A request's hand-over racing the sweep over the same outbox tells each
// notice once and removes each once: the removal names the notice it
// removes, so the second removal of it removes nothing (not the next
// notice, nor one from an empty outbox).
func TestPartyHandOverRacingTheSweepTellsAndRemovesOnce(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	p := w.env.App.Party
	year := w.env.Clock.Now().Year()
	reg := w.approved(t, w.member)
	up := p.SetNotifier(down{})
	if _, err := p.Evaluate(ctx, w.staffA, reg, year, party.Qualified, ""); err != nil { // owes version 1
		t.Fatal(err)
	}
	r := &racing{next: up, sweep: p.Sweep}
	p.SetNotifier(r)
	if _, err := p.Evaluate(ctx, w.staffA, reg, year, party.Excellent, ""); err != nil { // hands over 1 and 2
		t.Fatal(err)
	}
	p.SetNotifier(up)
	if !r.raced {
		t.Fatal("no sweep raced the hand-over")
	}
	id := fmt.Sprintf("%s:%d", reg, year)
	if got := w.owed(t, "party_evaluations", id); len(got) != 0 {
		t.Fatalf("still owes %v", got)
	}
	for v := 1; v <= 2; v++ {
		if n, _ := w.told(t, fmt.Sprintf("party:evaluated:%s:%d:%d", reg, year, v)); n != 1 {
			t.Fatalf("version %d told %d times", v, n)
		}
	}
	// The outbox works on: a third version is owed and told as usual.
	p.SetNotifier(down{})
	if _, err := p.Evaluate(ctx, w.staffA, reg, year, party.Basic, ""); err != nil {
		t.Fatal(err)
	}
	if got, want := w.owed(t, "party_evaluations", id), []string{fmt.Sprintf("party:evaluated:%s:%d:3", reg, year)}; !slices.Equal(got, want) {
		t.Fatalf("owes %v, want %v", got, want)
	}
	p.SetNotifier(up)
}

// A second staff member's evaluation landing between an evaluation's
// read and its write makes the first read again: each is its own version
// of the history, each owes the notice of its own number, and the later
// is the current one.
func TestPartyEvaluationBetweenAReadAndItsWriteIsReadAgain(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	p := w.env.App.Party
	year := w.env.Clock.Now().Year()
	reg := w.approved(t, w.member)
	defer p.SetNotifier(p.SetNotifier(down{}))
	var inner error
	p.BetweenReadAndWrite(true, func() { _, inner = p.Evaluate(ctx, w.staffA, reg, year, party.Excellent, "第二位评议人") })
	e, err := p.Evaluate(ctx, w.staffA, reg, year, party.Qualified, "第一位评议人")
	if err != nil || inner != nil {
		t.Fatalf("evaluate: %v; the one in between: %v", err, inner)
	}
	if e.Grade != party.Qualified || len(e.History) != 2 {
		t.Fatalf("answered grade %s with %d versions, want qualified, the second of 2", e.Grade, len(e.History))
	}
	want := []string{fmt.Sprintf("party:evaluated:%s:%d:1", reg, year), fmt.Sprintf("party:evaluated:%s:%d:2", reg, year)}
	if got := w.owed(t, "party_evaluations", fmt.Sprintf("%s:%d", reg, year)); !slices.Equal(got, want) {
		t.Fatalf("owes %v, want %v", got, want)
	}
}

// A second review landing between a review's read and its write (even one
// that keeps the minutes) makes the first a conflict: it does not write a
// review whose number, and so whose notice's key, is the other's.
func TestPartyReviewBetweenAReadAndItsWriteIsAConflict(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	p := w.env.App.Party
	checkin := w.flaggedCheckin(t)
	defer p.SetNotifier(p.SetNotifier(down{}))
	var inner error
	p.BetweenReadAndWrite(false, func() { _, inner = p.Review(ctx, w.staffA, checkin, 75, "核实无误") })
	if _, err := p.Review(ctx, w.staffA, checkin, 75, "实际服务75分钟"); !party.ErrChanged.Is(err) || inner != nil {
		t.Fatalf("review: %v, want CHECKIN_CHANGED; the one in between: %v", err, inner)
	}
	if got, want := w.owed(t, "party_checkins", checkin), []string{"party:reviewed:" + checkin + ":1"}; !slices.Equal(got, want) {
		t.Fatalf("owes %v, want %v", got, want)
	}
}

// An evaluation that loses every one of its reads to another staff
// member's evaluation gives up with SERVICE_UNAVAILABLE (try again; it
// says nothing was done, so a retry with the same Idempotency-Key runs:
// TestPartyEvaluationOutrunRunsAgainWithTheSameKey) and has written
// nothing: neither a version nor a notice of its own.
func TestPartyEvaluationOutrunOnEveryReadWritesNothing(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	p := w.env.App.Party
	year := w.env.Clock.Now().Year()
	reg := w.approved(t, w.member)
	defer p.SetNotifier(p.SetNotifier(down{}))
	others := 0
	var other func()
	other = func() {
		others++
		if _, err := p.Evaluate(ctx, w.staffA, reg, year, party.Excellent, "另一位评议人"); err != nil {
			t.Errorf("the evaluation in between: %v", err)
		}
		p.BetweenReadAndWrite(true, other) // and again after the next read
	}
	p.BetweenReadAndWrite(true, other)
	if _, err := p.Evaluate(ctx, w.staffA, reg, year, party.Basic, "每次都晚一步"); !apperr.ErrUnavailable.Is(err) {
		t.Fatalf("outrun on every read: %v, want SERVICE_UNAVAILABLE", err)
	} else if _, nothingDone := apperr.RetryAfter(err); !nothingDone {
		t.Fatalf("outrun on every read: %v does not say nothing was done", err)
	}
	p.BetweenReadAndWrite(true, func() {}) // stop the others
	e, err := store.FindOne[party.Evaluation](ctx, w.env.DB.Collection("party_evaluations"), bson.M{"_id": fmt.Sprintf("%s:%d", reg, year)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.History) != others || e.Grade != party.Excellent || len(e.Notices) != others {
		t.Fatalf("%d versions (current %s), %d notices owed; want the %d others' only", len(e.History), e.Grade, len(e.Notices), others)
	}
	for _, v := range e.History {
		if v.Grade == party.Basic {
			t.Fatal("the evaluation that gave up wrote a version")
		}
	}
}

// failingFor is a notifier that fails for one key only.
type failingFor struct {
	next party.Notifier
	key  string
}

func (f failingFor) Notify(ctx context.Context, n notify.Notice) error {
	if n.Key == f.key {
		return fmt.Errorf("notice %s refused", n.Key)
	}
	return f.next.Notify(ctx, n)
}

// One notice that keeps failing stays owed in its document and holds back
// no other document's notices: the sweep says so and hands the others
// over; once it goes through, nothing is owed.
func TestPartyOneFailingNoticeHoldsBackOnlyItsOwnDocument(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	p, s := w.env.App.Party, w.street
	year := w.env.Clock.Now().Year()
	regA := w.register(t, w.member, s.A.CommunityID)
	regOther := w.register(t, w.other, s.A.CommunityID)
	up := p.SetNotifier(down{})
	if _, err := p.Approve(ctx, w.staffA, regA, s.A1.GridID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Reject(ctx, w.staffA, regOther, "不是本社区居民"); err != nil {
		t.Fatal(err)
	}
	for _, g := range []party.Grade{party.Qualified, party.Excellent} {
		if _, err := p.Evaluate(ctx, w.staffA, regA, year, g, ""); err != nil {
			t.Fatal(err)
		}
	}
	evalID := fmt.Sprintf("%s:%d", regA, year)
	poison := "party:approved:" + regA
	p.SetNotifier(failingFor{next: up, key: poison})
	if err := p.Sweep(ctx); err == nil {
		t.Fatal("the sweep reports no error though a notice failed")
	}
	for _, k := range []string{"party:rejected:" + regOther, "party:evaluated:" + evalID + ":1", "party:evaluated:" + evalID + ":2"} {
		if n, _ := w.told(t, k); n != 1 {
			t.Fatalf("%s told %d times beside a failing notice of another document", k, n)
		}
	}
	if got, want := w.owed(t, "party_registrations", regA), []string{poison}; !slices.Equal(got, want) {
		t.Fatalf("the failing notice's document owes %v, want %v", got, want)
	}
	p.SetNotifier(up)
	if err := p.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := w.owing(t); n != 0 {
		t.Fatalf("%d documents still owe", n)
	}
}
