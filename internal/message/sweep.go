package message

import (
	"context"
	"errors"
	"time"

	"linli/internal/notify"
)

// The sweep: warnings at 75 % of the allowed time, overdue marks, late
// department answers, and counter changes a stopped process left pending.
// It runs under a lease in one process at a time, but is safe if two run
// at once: each mark is a transition written only on the version it was
// decided on, and each notice has a key, so that it is stored once (the
// notices are written with the mark, in its outbox).

const (
	sweepBatch      = 200
	maxSweepBatches = 10
	// settleGrace is how long a pending counter change is left to the
	// request that made it before the sweep applies it.
	settleGrace = time.Minute
)

// Sweep handles every message due now. Call it from a background job, or
// directly in tests with a manual clock.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.clock.Now()
	var errs []error
	for range maxSweepBatches {
		ids, err := s.store.due(ctx, now, sweepBatch)
		if err != nil {
			return err
		}
		failed := 0
		for _, id := range ids {
			if err := s.sweepOne(ctx, id); err != nil {
				errs = append(errs, err)
				failed++
			}
		}
		if len(ids) < sweepBatch || failed == len(ids) {
			break
		}
	}
	if err := s.flush(ctx, now); err != nil {
		errs = append(errs, err)
	}
	ids, err := s.store.dirty(ctx, now.Add(-settleGrace), sweepBatch)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.store.settle(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// flush hands over the notices a stopped process left in outboxes (those
// of the last grace period are left to the request that wrote them).
func (s *Service) flush(ctx context.Context, now time.Time) error {
	list, err := s.store.owing(ctx, now.Add(-settleGrace), sweepBatch)
	if err != nil {
		return err
	}
	for i := range list {
		s.deliver(ctx, &list[i])
	}
	return nil
}

// sweepOne marks what is due on one message, one deadline per transition.
func (s *Service) sweepOne(ctx context.Context, id string) error {
	for range 8 { // response, resolve (warning and overdue), escalations
		var alert Alert
		_, _, err := s.change(ctx, id, step{
			decide: func(m *Message, now time.Time) (Event, error) {
				ev, al, ok := m.check(now)
				if !ok {
					return Event{}, errNothingDue
				}
				alert = al
				return ev, nil
			},
			tell: func(ctx context.Context, m *Message, ev Event) ([]notify.Notice, error) {
				return s.alert(ctx, m, ev, alert)
			},
		})
		if errors.Is(err, errNothingDue) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// errNothingDue ends a sweep of one message.
var errNothingDue = errors.New("message: nothing due")
