package activity

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"linli/internal/actor"
	"linli/internal/ledger"
	"linli/internal/platform/lease"
)

// sweepBatch bounds the work of one sweep; the next tick goes on.
const sweepBatch = 100

// remindBackoff is how long an activity waits after its n-th failed
// reminder sweep: 2, 4, 8 minutes, then every 10 (the reminder window is
// an hour).
func remindBackoff(n int) time.Duration {
	if n >= 4 {
		return 10 * time.Minute
	}
	return time.Minute << n
}

// Job is the background work of activities, run under a lease every
// minute by one process of many: notices left in outboxes, reminders an hour before the start,
// service credits after the end.
func (s *Service) Job() lease.Job {
	return lease.Job{Name: "activity-sweep", Interval: time.Minute, Run: s.Sweep}
}

// Sweep does one round. Each part is idempotent: a reminder is keyed by
// activity, start and person; a credit by activity and person (the
// ledger's ID); running twice, or in two processes, does each thing once.
func (s *Service) Sweep(ctx context.Context) error {
	return errors.Join(s.flush(ctx), s.remind(ctx), s.credit(ctx))
}

// flush hands over the notices a stopped process (or a failed notifier)
// left in outboxes. Keys make a notice handed over twice store once.
func (s *Service) flush(ctx context.Context) error {
	list, err := s.store.owing(ctx, s.batch)
	if err != nil {
		return err
	}
	for i := range list {
		s.deliver(ctx, &list[i])
	}
	return nil
}

// remind tells every confirmed person of an activity starting within
// RemindBefore, once per start time. The activity is marked reminded only
// once every confirmed person's reminder is stored: when one is not (the
// notices store unreachable), the next sweep reads the activity again and
// tells the people confirmed then; the same when the sign-ups changed
// while it told them (markReminded pins them). An activity left unmarked
// waits remindBackoff before the next try (remindFailed), and those not
// tried yet come first, so that activities whose reminders keep failing
// never hold back another's. Each reminder is keyed by activity, start and
// person, so that one told before, or by a sweep running at the same time,
// is stored once.
func (s *Service) remind(ctx context.Context) error {
	now := s.clock.Now()
	due, err := s.store.dueReminders(ctx, now, s.batch)
	if err != nil {
		return err
	}
	var errs []error
	for i := range due {
		a := &due[i]
		start := strconv.FormatInt(a.StartAt.Unix(), 10)
		body := "您报名的活动「" + a.Title + "」将于 " + a.StartAt.Format("15:04") + " 开始，地点 " + a.Location + "。请准时参加，到场后扫码签到。"
		var failed []error
		for _, st := range a.Standings() {
			if st.Status == StatusConfirmed {
				err := s.tell(ctx, a, st.UserID, "activity.reminder", "活动即将开始", body,
					"activity.reminder:"+a.ID+":"+start+":"+st.UserID)
				if err != nil {
					failed = append(failed, err)
				}
			}
		}
		if len(failed) > 0 { // not marked: a later sweep tells those not told yet
			errs = append(errs, fmt.Errorf("activity %s: reminders left for a later sweep: %w", a.ID, errors.Join(failed...)),
				s.store.remindFailed(ctx, a, now))
			continue
		}
		errs = append(errs, s.store.markReminded(ctx, a))
	}
	return errors.Join(errs...)
}

// credit settles the attended people of ended activities: Party members
// and volunteers (as they are now) are credited the activity's minutes in
// the one service record; for others nothing is owed. A cancelled
// activity credits nobody.
func (s *Service) credit(ctx context.Context) error {
	list, err := s.store.unsettled(ctx, s.clock.Now(), s.batch)
	if err != nil {
		return err
	}
	var errs []error
	for i := range list {
		errs = append(errs, s.settle(ctx, &list[i]))
	}
	return errors.Join(errs...)
}

func (s *Service) settle(ctx context.Context, a *Activity) error {
	settled := map[string]bool{}
	for _, id := range a.Settled {
		settled[id] = true
	}
	for _, at := range a.Attended {
		if settled[at.UserID] {
			continue
		}
		if a.State == Scheduled {
			p, err := s.people.Actor(ctx, at.UserID)
			if err != nil {
				return err
			}
			if p.Has(actor.PartyMember) || p.Has(actor.Volunteer) {
				err := s.ledger.Credit(ctx, ledger.Entry{
					ID: ledger.EntryID(ledger.Activity, a.ID, at.UserID), UserID: at.UserID,
					CommunityID: a.CommunityID, Source: ledger.Activity, SourceID: a.ID,
					Title: a.Title, Minutes: a.Minutes(), At: a.EndAt,
				})
				if err != nil {
					return err
				}
			}
		}
		if err := s.store.settle(ctx, a.ID, at.UserID); err != nil {
			return err
		}
	}
	return nil
}
