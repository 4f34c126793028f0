package wish

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/platform/lease"
)

// sweepBatch bounds the work of one sweep per kind; the next tick goes on.
const sweepBatch = 200

// Job is the background work of micro-wishes, run under a lease every
// minute by one process of many: release claims due, expire wishes past
// their expiry, deliver effects still owed.
func (s *Service) Job() lease.Job {
	return lease.Job{Name: "wish-sweeper", Interval: time.Minute, Run: s.Sweep}
}

// Sweep does one round of the background work. Each part is idempotent: a
// step is one conditional write, an effect is keyed; running it twice, or
// in two processes at once, does each thing once.
func (s *Service) Sweep(ctx context.Context) error {
	return errors.Join(s.releaseDue(ctx), s.expireOverdue(ctx, ""), s.datePeriods(ctx), s.remindToConfirm(ctx), s.autoConfirm(ctx),
		s.recheck(ctx), s.flush(ctx))
}

// datePeriods gives the wishes fulfilled before the confirmation periods
// existed their dates, derived from the fulfilment and the community's
// periods (a fulfilment already past its end is not reminded: it is
// confirmed by the next step). Without them such a wish would wait for
// ever. One conditional write each, on the dates still missing: running it
// again, or in two processes, changes nothing.
func (s *Service) datePeriods(ctx context.Context) error {
	now := s.clock.Now()
	list, err := s.store.undated(ctx, sweepBatch)
	if err != nil {
		return err
	}
	var errs []error
	for _, w := range list {
		st, err := s.store.settingsOf(ctx, w.CommunityID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		remindAt := w.Fulfilment.At.Add(time.Duration(st.ConfirmReminderDays) * 24 * time.Hour)
		confirmBy := w.Fulfilment.At.Add(time.Duration(st.ConfirmDays) * 24 * time.Hour)
		_, _, err = s.store.apply(ctx, bson.M{"_id": w.ID, "state": Fulfilled, "fulfilment.confirmBy": bson.M{"$exists": false}},
			change{set: bson.M{"fulfilment.remindAt": remindAt, "fulfilment.confirmBy": confirmBy,
				"fulfilment.reminded": !now.Before(confirmBy)}})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// remindToConfirm reminds the poster of each fulfilled wish nobody
// confirmed by its reminder day, once.
func (s *Service) remindToConfirm(ctx context.Context) error {
	now := s.clock.Now()
	due, err := s.store.dueFulfilled(ctx, "fulfilment.remindAt", now, false, sweepBatch)
	if err != nil {
		return err
	}
	var errs []error
	for i := range due {
		if err := s.remindOne(ctx, &due[i], now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// remindOne reminds the poster of w, as read by a sweep at now: written
// only while it is still fulfilled and not reminded, so that a sweeper that
// read it before another's write reminds nobody again.
func (s *Service) remindOne(ctx context.Context, w *Wish, now time.Time) error {
	ev := s.event(EvConfirmReminder, Person{}, "")
	fx := s.effects(ev, notice(w, ev, w.Poster.UserID, "wish.confirm_reminder", "请确认心愿是否已完成",
		"志愿者已完成您的心愿「"+w.Title+"」，请在小程序中确认；逾期未确认将由系统自动确认。"))
	filter := bson.M{"_id": w.ID, "state": Fulfilled, "fulfilment.reminded": false, "fulfilment.remindAt": bson.M{"$lte": now}}
	nw, ok, err := s.store.apply(ctx, filter, change{set: bson.M{"fulfilment.reminded": true}, event: ev, effects: fx})
	if err != nil || !ok {
		return err
	}
	s.after(ctx, &nw, false)
	return nil
}

// autoConfirm confirms each fulfilled wish nobody confirmed within its
// period, through the same change as a person's confirmation (the claimer
// is credited), once.
func (s *Service) autoConfirm(ctx context.Context) error {
	now := s.clock.Now()
	due, err := s.store.dueFulfilled(ctx, "fulfilment.confirmBy", now, true, sweepBatch)
	if err != nil {
		return err
	}
	var errs []error
	for i := range due {
		w := &due[i]
		ev := s.event(EvAutoConfirmed, Person{}, "完成后未在期限内确认，系统自动确认")
		filter := bson.M{"_id": w.ID, "state": Fulfilled, "fulfilment.confirmBy": bson.M{"$lte": now}}
		nw, ok, err := s.store.apply(ctx, filter, s.confirmation(w, ev, Confirmation{Auto: true, At: ev.At}))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			s.after(ctx, &nw, false)
		}
	}
	return errors.Join(errs...)
}

// releaseDue releases every claim not fulfilled within ClaimPeriod and tells
// the claimer (and the poster) so.
func (s *Service) releaseDue(ctx context.Context) error {
	now := s.clock.Now()
	due, err := s.store.DueClaims(ctx, now, sweepBatch)
	if err != nil {
		return err
	}
	var errs []error
	for i := range due {
		w := &due[i]
		ev := s.event(EvAutoReleased, Person{}, "认领后14天内未完成，已自动释放")
		fx := s.effects(ev,
			notice(w, ev, w.Claim.By.UserID, "wish.auto_released", "认领已自动释放",
				"您认领的心愿「"+w.Title+"」14天内未完成，已自动释放给其他志愿者。如仍想帮助，可重新认领。"),
			notice(w, ev, w.Poster.UserID, "wish.released", "心愿已重新开放",
				"您的心愿「"+w.Title+"」的认领已到期未完成，心愿已重新开放。"))
		filter := bson.M{"_id": w.ID, "state": Claimed, "claim.by.userId": w.Claim.By.UserID, "claim.dueAt": bson.M{"$lte": now}}
		nw, ok, err := s.store.apply(ctx, filter, change{
			set: bson.M{"state": Open}, unset: []string{"claim", "claimSlot"}, event: ev, effects: fx,
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok { // else fulfilled or released meanwhile: nothing to do
			s.after(ctx, &nw, true)
		}
	}
	return errors.Join(errs...)
}

// expireOverdue marks pending and open wishes past their expiry expired,
// freeing their poster's slot, and tells the poster. posterID limits it to
// one poster's wishes.
func (s *Service) expireOverdue(ctx context.Context, posterID string) error {
	now := s.clock.Now()
	list, err := s.store.Overdue(ctx, now, posterID, sweepBatch)
	if err != nil {
		return err
	}
	var errs []error
	for i := range list {
		w := &list[i]
		ev := s.event(EvExpired, Person{}, "")
		body := "您的心愿「" + w.Title + "」已到截止时间，未被认领。如仍需要，可联系社区或重新发布。"
		if w.State == PendingReview {
			body = "您的心愿「" + w.Title + "」在截止时间前未完成审核，已过期。如仍需要，可重新发布。"
		}
		fx := s.effects(ev, notice(w, ev, w.Poster.UserID, "wish.expired", "心愿已过期", body))
		filter := bson.M{"_id": w.ID, "state": w.State, "expiresAt": bson.M{"$lte": now}}
		nw, ok, err := s.store.apply(ctx, filter, change{
			set: bson.M{"state": Expired}, unset: []string{"posterSlot"}, event: ev, effects: fx,
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			s.after(ctx, &nw, w.State == Open)
		}
	}
	return errors.Join(errs...)
}

// flush delivers effects a transition could not deliver at once.
func (s *Service) flush(ctx context.Context) error {
	list, err := s.store.Owing(ctx, sweepBatch)
	if err != nil {
		return err
	}
	var errs []error
	for i := range list {
		errs = append(errs, s.deliver(ctx, &list[i]))
	}
	return errors.Join(errs...)
}

// deliver carries out w's owed effects, oldest first, and removes each
// once done. An effect is idempotent under its key, so a crash between
// doing and removing only repeats what does nothing the second time.
func (s *Service) deliver(ctx context.Context, w *Wish) error {
	for _, fx := range w.Outbox {
		if fx.Credit != nil {
			if err := s.ledger.Credit(ctx, fx.Credit.entry()); err != nil {
				return err
			}
		}
		for _, n := range fx.Notices {
			if n.UserID == "" {
				continue
			}
			if err := s.notifier.Notify(ctx, n); err != nil {
				return fmt.Errorf("wish %s: notice %s: %w", w.ID, n.Kind, err)
			}
		}
		if err := s.store.Delivered(ctx, w.ID, fx.Key); err != nil {
			return err
		}
	}
	return nil
}
