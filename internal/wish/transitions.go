package wish

import (
	"context"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/notify"
	plain "linli/internal/platform/text"
	"linli/internal/platform/wechat"
)

// ErrChanged is a wish that changed between the caller's read and write in
// a way no rule names (it should not happen; the client refreshes).
var ErrChanged = apperr.Define(apperr.Conflict, "WISH_CHANGED", "该心愿刚刚发生了变化，请刷新后重试")

// step is one transition as the service runs it.
type step struct {
	// check explains, from a copy of the wish, why the caller may not take
	// the step (nil: they may). It is asked before the write, to fail fast,
	// and after a write that matched nothing, to say why.
	check func(w *Wish, v Viewer) error
	// filter is the precondition the write states, besides the _id.
	filter bson.M
	// change is the write, given the wish as read, how the caller stands
	// to it, and the new event.
	change func(w *Wish, v Viewer, ev Event) change
	// feed tells that the step changes the community's public feed.
	feed bool
}

// run takes a step on wish id for a: read, check, one conditional write,
// then the side effects and the feed's invalidation.
func (s *Service) run(ctx context.Context, a actor.Actor, id string, evType EventType, by Person, note string, st step) (View, error) {
	w, err := s.store.Get(ctx, id)
	if err != nil {
		return View{}, err
	}
	v := viewerOf(a, &w)
	if !visible(v, &w) {
		return View{}, ErrNotFound.New()
	}
	if err := st.check(&w, v); err != nil {
		return View{}, err
	}
	ev := s.event(evType, by, note)
	filter := bson.M{"_id": id}
	for k, x := range st.filter {
		filter[k] = x
	}
	nw, ok, err := s.store.apply(ctx, filter, st.change(&w, v, ev))
	if err != nil {
		return View{}, err
	}
	if !ok { // it changed since it was read: say why from what it is now
		now, err := s.store.Get(ctx, id)
		if err != nil {
			return View{}, err
		}
		if err := st.check(&now, viewerOf(a, &now)); err != nil {
			return View{}, err
		}
		return View{}, ErrChanged.New()
	}
	s.after(ctx, &nw, st.feed)
	return s.viewFor(ctx, a, &nw)
}

// after delivers what a transition owes and refreshes the feed. Failures
// are logged: the transition stands, the sweeper delivers later, and the
// feed's pages go stale by themselves.
func (s *Service) after(ctx context.Context, w *Wish, feed bool) {
	if feed {
		s.feed.Invalidate(ctx, w.CommunityID)
	}
	if err := s.deliver(ctx, w); err != nil {
		s.log.WarnContext(ctx, "wish effects not delivered yet; the sweeper retries", "wish", w.ID, "err", err)
	}
}

// asStaff admits only staff of the wish's community; to others the wish
// is not found (its ID tells nothing).
func asStaff(v Viewer) error {
	if v != AsStaff {
		return ErrNotFound.New()
	}
	return nil
}

// Approve publishes a pending wish in its community's feed. Staff of the
// community and admins.
func (s *Service) Approve(ctx context.Context, a actor.Actor, id string) (View, error) {
	if err := a.RequireStaff(); err != nil {
		return View{}, err
	}
	now := s.clock.Now()
	return s.run(ctx, a, id, EvApproved, staffPersonOf(a), "", step{
		check: func(w *Wish, v Viewer) error {
			if err := asStaff(v); err != nil {
				return err
			}
			return w.whyNotApprove(s.clock.Now())
		},
		filter: bson.M{"state": PendingReview, "expiresAt": bson.M{"$gt": now}, "contentCheck": bson.M{"$ne": CheckPending}},
		change: func(w *Wish, _ Viewer, ev Event) change {
			return change{
				set:   bson.M{"state": Open, "publishedAt": ev.At, "review": Review{By: ev.By, Approved: true, At: ev.At}},
				event: ev,
				effects: s.effects(ev, notice(w, ev, w.Poster.UserID, "wish.approved", "心愿已发布",
					"您的心愿「"+w.Title+"」已通过审核并发布，志愿者认领后会通知您。")),
			}
		},
		feed: true,
	})
}

// Reject refuses a pending wish with a reason the poster sees. Staff of
// the community and admins.
func (s *Service) Reject(ctx context.Context, a actor.Actor, id, reason string) (View, error) {
	if err := a.RequireStaff(); err != nil {
		return View{}, err
	}
	reason = plain.Body(reason)
	var fields []apperr.FieldError
	if fields = text(fields, "reason", "驳回原因", reason, true, MaxReason); len(fields) > 0 {
		return View{}, apperr.ErrValidation.WithFields(fields...)
	}
	return s.run(ctx, a, id, EvRejected, staffPersonOf(a), reason, step{
		check: func(w *Wish, v Viewer) error {
			if err := asStaff(v); err != nil {
				return err
			}
			return w.whyNotReview(s.clock.Now())
		},
		filter: bson.M{"state": PendingReview},
		change: func(w *Wish, _ Viewer, ev Event) change {
			return change{
				set:   bson.M{"state": Rejected, "review": Review{By: ev.By, Approved: false, Reason: reason, At: ev.At}},
				unset: []string{"posterSlot"},
				event: ev,
				effects: s.effects(ev, notice(w, ev, w.Poster.UserID, "wish.rejected", "心愿未通过审核",
					"您的心愿「"+w.Title+"」未通过审核："+reason)),
			}
		},
	})
}

// ModerateNote is staff's reading of a fulfilment note that WeChat's
// content security sent to a person (verdict review): publish shows it to
// the poster; otherwise it stays withheld and the claimer is told why.
// Staff of the community and admins; only a note in review.
func (s *Service) ModerateNote(ctx context.Context, a actor.Actor, id string, publish bool, reason string) (View, error) {
	if err := a.RequireStaff(); err != nil {
		return View{}, err
	}
	reason = plain.Body(reason)
	var fields []apperr.FieldError
	if fields = text(fields, "reason", "不公开的原因", reason, !publish, MaxReason); len(fields) > 0 {
		return View{}, apperr.ErrValidation.WithFields(fields...)
	}
	return s.run(ctx, a, id, EvNoteModerated, staffPersonOf(a), reason, step{
		check: func(w *Wish, v Viewer) error {
			if err := asStaff(v); err != nil {
				return err
			}
			if w.Fulfilment == nil || w.Fulfilment.Check != CheckReview {
				return ErrNoteNotInReview.New()
			}
			return nil
		},
		filter: bson.M{"fulfilment.check": CheckReview},
		change: func(w *Wish, _ Viewer, ev Event) change {
			if publish {
				return change{set: bson.M{"fulfilment.check": CheckPassed}, event: ev}
			}
			return change{
				set:   bson.M{"fulfilment.check": CheckRejected},
				event: ev,
				effects: s.effects(ev, notice(w, ev, w.Fulfilment.By(w), "wish.note_withheld", "完成说明未通过审核",
					"您为心愿「"+w.Title+"」填写的完成说明未通过社区审核："+reason+"。发布人看不到这段说明。")),
			}
		},
	})
}

// Claim gives the wish to the caller, a volunteer or Party member: of all
// who try at once exactly one wins, the others get WISH_ALREADY_CLAIMED. A
// person holds at most MaxActiveClaims claims.
func (s *Service) Claim(ctx context.Context, a actor.Actor, id string) (View, error) {
	if !a.CanClaim() {
		return View{}, ErrNotVolunteer.New()
	}
	now := s.clock.Now()
	slot := 0
	st := step{
		check:  func(w *Wish, _ Viewer) error { return w.whyNotClaim(a.UserID, s.clock.Now()) },
		filter: bson.M{"state": Open, "expiresAt": bson.M{"$gt": now}, "poster.userId": bson.M{"$ne": a.UserID}},
		change: func(w *Wish, _ Viewer, ev Event) change {
			return change{
				set: bson.M{
					"state": Claimed, "claim": Claim{By: ev.By, At: ev.At, DueAt: ev.At.Add(ClaimPeriod)},
					"claimSlot": a.UserID + "#" + strconv.Itoa(slot),
				},
				event: ev,
				effects: s.effects(ev, notice(w, ev, w.Poster.UserID, "wish.claimed", "心愿已被认领",
					"您的心愿「"+w.Title+"」已被志愿者认领，社区会协助对接。")),
			}
		},
		feed: true,
	}
	for ; slot < MaxActiveClaims; slot++ {
		v, err := s.run(ctx, a, id, EvClaimed, personOf(a), "", st)
		if ErrAlreadyClaimed.Is(err) {
			return s.retried(ctx, a, id, Claimed, err)
		}
		if err != errSlotTaken {
			return v, err
		}
	}
	return View{}, ErrClaimLimit.WithDetails(map[string]any{"limit": MaxActiveClaims})
}

// retried answers a step the caller already took (a phone retrying after
// a lost answer, without an Idempotency-Key) as the first answer did: the
// wish as it is, when it is in state and the caller holds the claim. Any
// other case keeps err.
func (s *Service) retried(ctx context.Context, a actor.Actor, id string, state State, err error) (View, error) {
	w, gerr := s.store.Get(ctx, id)
	if gerr != nil || w.State != state || w.Claim == nil || w.Claim.By.UserID != a.UserID {
		return View{}, err
	}
	return s.viewFor(ctx, a, &w)
}

// Release gives a claimed wish back: it is open again. The claimer only.
func (s *Service) Release(ctx context.Context, a actor.Actor, id string) (View, error) {
	return s.run(ctx, a, id, EvReleased, personOf(a), "", step{
		check:  func(w *Wish, _ Viewer) error { return w.whyNotAsClaimer(a.UserID) },
		filter: bson.M{"state": Claimed, "claim.by.userId": a.UserID},
		change: func(w *Wish, _ Viewer, ev Event) change {
			return change{
				set:   bson.M{"state": Open},
				unset: []string{"claim", "claimSlot"},
				event: ev,
				effects: s.effects(ev, notice(w, ev, w.Poster.UserID, "wish.released", "认领已取消",
					"您的心愿「"+w.Title+"」的认领人已放弃认领，心愿已重新开放。")),
			}
		},
		feed: true,
	})
}

// FulfilmentReport is what a claimer reports.
type FulfilmentReport struct {
	Note   string
	Images []string
}

// Fulfil reports a claimed wish fulfilled, with a note and photos. The
// claimer only; the poster or staff then confirm.
func (s *Service) Fulfil(ctx context.Context, a actor.Actor, id string, in FulfilmentReport) (View, error) {
	in.Note = plain.Body(in.Note)
	var fields []apperr.FieldError
	fields = text(fields, "note", "完成说明", in.Note, true, MaxNote)
	if fields = images(fields, "images", in.Images); len(fields) > 0 {
		return View{}, apperr.ErrValidation.WithFields(fields...)
	}
	if in.Images == nil {
		in.Images = []string{}
	}
	w, err := s.store.Get(ctx, id)
	if err != nil {
		return View{}, err
	}
	if w.State == Fulfilled && w.Claim != nil && w.Claim.By.UserID == a.UserID {
		return s.viewFor(ctx, a, &w) // a retry of the caller's own report
	}
	if err := w.whyNotAsClaimer(a.UserID); err != nil { // say so before asking WeChat about the note
		if !visible(viewerOf(a, &w), &w) {
			return View{}, ErrNotFound.New()
		}
		return View{}, err
	}
	noteCheck, err := s.check(ctx, a, wechat.SceneComment, w.Title, in.Note)
	if err != nil {
		return View{}, err
	}
	st, err := s.store.settingsOf(ctx, w.CommunityID)
	if err != nil {
		return View{}, err
	}
	return s.run(ctx, a, id, EvFulfilled, personOf(a), in.Note, step{
		check:  func(w *Wish, _ Viewer) error { return w.whyNotAsClaimer(a.UserID) },
		filter: bson.M{"state": Claimed, "claim.by.userId": a.UserID},
		change: func(w *Wish, _ Viewer, ev Event) change {
			f := Fulfilment{Note: in.Note, Images: in.Images, At: ev.At,
				RemindAt:  ev.At.Add(time.Duration(st.ConfirmReminderDays) * 24 * time.Hour),
				ConfirmBy: ev.At.Add(time.Duration(st.ConfirmDays) * 24 * time.Hour), Check: noteCheck}
			set := bson.M{"state": Fulfilled, "fulfilment": f}
			if noteCheck == CheckPending {
				set["checkDue"], set["checkAttempts"] = ev.At.Add(recheckBase), 0
			}
			return change{
				set:   set,
				unset: []string{"claimSlot", "posterSlot"},
				event: ev,
				effects: s.effects(ev, notice(w, ev, w.Poster.UserID, "wish.fulfilled", "心愿已完成，请确认",
					"志愿者已完成您的心愿「"+w.Title+"」，收到后请在小程序中确认。")),
			}
		},
	})
}

// Confirm records that a fulfilled wish reached its beneficiary, and
// credits the claimer's service record. The poster, or staff of the
// community other than the claimer.
func (s *Service) Confirm(ctx context.Context, a actor.Actor, id string) (View, error) {
	return s.run(ctx, a, id, EvConfirmed, personOf(a), "", step{
		check:  func(w *Wish, v Viewer) error { return w.whyNotConfirm(a.UserID, v) },
		filter: bson.M{"state": Fulfilled, "claim.by.userId": bson.M{"$ne": a.UserID}},
		change: func(w *Wish, v Viewer, ev Event) change {
			if v == AsStaff {
				ev.By = staffPersonOf(a)
			}
			return s.confirmation(w, ev, Confirmation{By: ev.By, AsStaff: v == AsStaff, At: ev.At})
		},
	})
}

// confirmation is the change that confirms w: the claimer told and
// credited in the service record. The poster's, staff's and the system's
// confirmation all take this one path.
func (s *Service) confirmation(w *Wish, ev Event, c Confirmation) change {
	fx := s.effects(ev, notice(w, ev, w.Claim.By.UserID, "wish.confirmed", "心愿已确认完成",
		"您完成的心愿「"+w.Title+"」已确认送达，已记入您的服务记录。感谢您的付出！"))
	if c.Auto {
		fx.Notices = append(fx.Notices, notice(w, ev, w.Poster.UserID, "wish.auto_confirmed", "心愿已自动确认完成",
			"您的心愿「"+w.Title+"」完成后未在期限内确认，系统已自动确认。如有问题请联系社区。"))
	}
	fx.Credit = creditFor(*w, ev.At)
	return change{
		set:     bson.M{"state": Confirmed, "confirmation": c},
		event:   ev,
		effects: fx,
	}
}

// effects bundles the notices one event owes.
func (s *Service) effects(ev Event, notices ...notify.Notice) *Effects {
	return &Effects{Key: ev.ID, Notices: notices}
}

// notice is one notice about w to userID; its key makes it idempotent.
func notice(w *Wish, ev Event, userID, kind, title, body string) notify.Notice {
	return notify.Notice{
		UserID: userID, Kind: kind, Title: title, Body: body, RefType: "wish", RefID: w.ID,
		Key: "wish:" + ev.ID + ":" + userID, CreatedAt: ev.At,
	}
}
