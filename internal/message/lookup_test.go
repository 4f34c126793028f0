package message

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/account"
	"linli/internal/apperr"
)

// failingDirectory is the real directory whose look-ups of the people to
// tell fail while the flags say so (the staff collection unreachable).
type failingDirectory struct {
	Directory
	grid, secretaries atomic.Bool
}

func (d *failingDirectory) StaffOfGrid(ctx context.Context, id string) ([]account.Staff, error) {
	if d.grid.Load() {
		return nil, errors.New("staff unreachable")
	}
	return d.Directory.StaffOfGrid(ctx, id)
}

func (d *failingDirectory) SecretariesOf(ctx context.Context, id string) ([]account.Staff, error) {
	if d.secretaries.Load() {
		return nil, errors.New("staff unreachable")
	}
	return d.Directory.SecretariesOf(ctx, id)
}

// A deadline mark is never written without the notices it owes: when the
// people to tell cannot be looked up, the sweep leaves the message unmarked
// and reports it, and the next sweep marks it and tells them (once).
func TestSweepMarksNothingWhileThePeopleToTellCannotBeFound(t *testing.T) {
	h := newHarness(t)
	dir := &failingDirectory{Directory: h.accounts}
	h.svc = NewService(Options{
		DB: h.db, Directory: dir, Departments: h.depts, Places: h.places, Notifier: h.inbox,
		Clock: h.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	m := h.submit(h.ResA2, "", "") // grid A2: 李强 is responsible for it

	h.clock.Advance(18 * time.Hour) // 75 % of 24 h: the warning is due
	dir.grid.Store(true)
	if err := h.svc.Sweep(h.ctx); err == nil {
		t.Fatal("the sweep reports no error though the grid's staff could not be found")
	}
	if got := types(h.get(m.ID)); !slices.Equal(got, []EventType{EvSubmitted}) {
		t.Fatalf("marked without its notice: %v", got)
	}
	dir.grid.Store(false)
	h.must(h.svc.Sweep(h.ctx))
	h.must(h.svc.Sweep(h.ctx))
	if got := h.notices(h.GridA2.UserID, m.ID); !slices.Equal(got, []string{"message.new", "message.deadline_warning"}) {
		t.Fatalf("grid staff told: %v, want the warning once", got)
	}

	_, _, err := h.svc.Accept(h.ctx, h.GridA2, m.ID)
	h.must(err)
	h.clock.Advance(6 * time.Hour) // 24 h: overdue, the secretary is told too
	dir.secretaries.Store(true)
	if err := h.svc.Sweep(h.ctx); err == nil {
		t.Fatal("the sweep reports no error though the secretaries could not be found")
	}
	if got := h.get(m.ID); got.OverdueAt != nil || slices.Contains(types(got), EvOverdue) {
		t.Fatalf("marked overdue without telling the secretary: %v", types(got))
	}
	dir.secretaries.Store(false)
	h.must(h.svc.Sweep(h.ctx))
	h.must(h.svc.Sweep(h.ctx))
	if got := h.get(m.ID); got.OverdueAt == nil || got.Figures.Counts.Overdue != 1 {
		t.Fatalf("not marked overdue once the secretaries were found: %v %+v", types(got), got.Figures)
	}
	if got := h.notices(h.SecA.UserID, m.ID); !slices.Equal(got, []string{"message.overdue"}) {
		t.Fatalf("secretary told: %v, want the overdue once", got)
	}
	if got := h.notices(h.GridA2.UserID, m.ID); !slices.Equal(got, []string{"message.new", "message.deadline_warning", "message.overdue"}) {
		t.Fatalf("owner told: %v", got)
	}
}

// A resident's submission or follow-up refused because the staff to tell
// cannot be looked up says so in words a resident can act on (the service
// is unavailable for a moment: 503 SERVICE_UNAVAILABLE, try again), not
// as the server's own failure, and stores nothing.
func TestASubmissionWhoseStaffCannotBeFoundIsUnavailableAndStoresNothing(t *testing.T) {
	h := newHarness(t)
	dir := &failingDirectory{Directory: h.accounts}
	h.svc = NewService(Options{
		DB: h.db, Directory: dir, Departments: h.depts, Places: h.places, Notifier: h.inbox,
		Clock: h.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	m := h.submit(h.ResA2, "", "")
	before, err := h.db.Collection("messages").CountDocuments(h.ctx, bson.M{})
	h.must(err)

	dir.grid.Store(true)
	_, err = h.svc.Submit(h.ctx, h.ResA2, Draft{Category: "物业维修", Content: "楼道灯又坏了"})
	if _, nothingDone := apperr.RetryAfter(err); !apperr.ErrUnavailable.Is(err) || !nothingDone {
		t.Fatalf("submit: %v, want SERVICE_UNAVAILABLE saying nothing was done", err)
	}
	_, _, err = h.svc.FollowUp(h.ctx, h.ResA2, m.ID, "灯还是不亮", nil)
	if _, nothingDone := apperr.RetryAfter(err); !apperr.ErrUnavailable.Is(err) || !nothingDone {
		t.Fatalf("follow-up: %v, want SERVICE_UNAVAILABLE saying nothing was done", err)
	}
	after, err := h.db.Collection("messages").CountDocuments(h.ctx, bson.M{})
	h.must(err)
	if after != before || !slices.Equal(types(h.get(m.ID)), []EventType{EvSubmitted}) {
		t.Fatalf("stored meanwhile: %d messages (was %d), events %v", after, before, types(h.get(m.ID)))
	}
}
