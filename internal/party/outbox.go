package party

import (
	"context"
	"errors"
	"fmt"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/notify"
	"linli/internal/platform/store"
)

// Notices to members are written in the same conditional update as the
// change they tell of, into the changed document's outbox (a registration
// approved, rejected or ended by a move; an evaluation; a reviewed
// check-in), then handed to the notifier and removed by key once handed
// over. A notifier that fails, or a process that stops between the write
// and the hand-over, leaves the notice owed in the document, and the sweep
// (every minute, under its lease) hands it over. Keys are deterministic,
// so a notice handed over twice (by the request and a sweep at once) is
// stored once.
//
// The auto-close notice is not here: it is derived from the check-in's
// creditOwed mark, told before the mark is cleared (settleCredits).

// What a member's notice links to (the inbox's link kind, and the key of
// the mini-program page in configs/subscribe-templates.json).
const (
	refRegistration = "party_registration"
	refCheckin      = "party_checkin"
)

// Outbox is the notices a document owes, oldest first. Size counts them:
// the partial index of the sweep's query holds only documents that owe.
type Outbox struct {
	Notices []notify.Notice `bson:"outbox,omitempty"`
	Size    int             `bson:"outboxSize,omitempty"`
}

// owe adds n to update (the change's own update document), into the
// outbox: the notice is written by the same write as the change.
func owe(update bson.M, n notify.Notice) bson.M {
	push, _ := update["$push"].(bson.M)
	if push == nil {
		push = bson.M{}
		update["$push"] = push
	}
	push["outbox"] = n
	inc, _ := update["$inc"].(bson.M)
	if inc == nil {
		inc = bson.M{}
		update["$inc"] = inc
	}
	inc["outboxSize"] = 1
	return update
}

// owingIndexes are the partial indexes of the sweep's outbox queries.
func owingIndexes(collections ...string) []store.Index {
	out := make([]store.Index, 0, len(collections))
	for _, c := range collections {
		out = append(out, store.Index{Collection: c, Name: "outbox", Keys: bson.D{{Key: "outboxSize", Value: 1}},
			Partial: bson.D{{Key: "outboxSize", Value: bson.M{"$gt": 0}}}})
	}
	return out
}

// owing lists the documents of c whose outbox holds notices (the query
// states the partial index's filter, so real MongoDB uses it).
func owing[T any](ctx context.Context, c lungo.ICollection, limit int) ([]T, error) {
	return store.FindAll[T](ctx, c, bson.M{"outboxSize": bson.M{"$gt": 0}},
		options.Find().SetProjection(bson.M{"_id": 1, "outbox": 1, "outboxSize": 1}).SetLimit(int64(limit)))
}

// delivered removes the oldest notice of document id's outbox when it is
// key (lungo has no $pull: the key in the filter makes the $pop remove
// that notice and nothing else; a second hand-over of it matches nothing).
func delivered(ctx context.Context, c lungo.ICollection, id, key string) error {
	_, err := c.UpdateOne(ctx, bson.M{"_id": id, "outbox.0.key": key},
		bson.M{"$pop": bson.M{"outbox": -1}, "$inc": bson.M{"outboxSize": -1}})
	if err != nil {
		return fmt.Errorf("party: outbox: %w", err)
	}
	return nil
}

// deliver hands o's notices (document id of c) to the notifier, oldest
// first, removing each once handed over. A failure leaves the rest owed,
// for the sweep; it is returned (the request that made the change only
// logs it: the change is done and the notice is not lost).
func (s *Service) deliver(ctx context.Context, c lungo.ICollection, id string, o *Outbox) error {
	done, err := notify.HandOver(ctx, s.notifier, o.Notices, func(ctx context.Context, key string) error {
		return delivered(ctx, c, id, key)
	})
	o.Notices = o.Notices[done:]
	o.Size -= done
	if err != nil {
		return fmt.Errorf("party: notice of %s left for the sweep: %w", id, err)
	}
	return nil
}

// handOver is deliver after a request's change: a failure is logged, the
// notice stays owed.
func (s *Service) handOver(ctx context.Context, c lungo.ICollection, id string, o *Outbox) {
	if err := s.deliver(ctx, c, id, o); err != nil {
		s.log.WarnContext(ctx, "party: notice owed, the sweep hands it over", "id", id, "err", err)
	}
}

// flush hands over what outboxes still owe: the notices of a failed
// notifier or of a process that stopped after the write.
func (s *Service) flush(ctx context.Context) error {
	var errs []error
	regs, err := owing[Registration](ctx, s.store.regs, sweepBatch)
	errs = append(errs, err)
	for i := range regs {
		errs = append(errs, s.deliver(ctx, s.store.regs, regs[i].ID, &regs[i].Outbox))
	}
	evals, err := owing[Evaluation](ctx, s.store.evals, sweepBatch)
	errs = append(errs, err)
	for i := range evals {
		errs = append(errs, s.deliver(ctx, s.store.evals, evals[i].ID, &evals[i].Outbox))
	}
	checkins, err := owing[Checkin](ctx, s.store.checkins, sweepBatch)
	errs = append(errs, err)
	for i := range checkins {
		errs = append(errs, s.deliver(ctx, s.store.checkins, checkins[i].ID, &checkins[i].Outbox))
	}
	return errors.Join(errs...)
}
