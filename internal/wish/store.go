package wish

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/platform/page"
	"linli/internal/platform/store"
)

// Store keeps wishes and per-community wish settings in MongoDB (credits
// go to the ledger). Each transition is one FindOneAndUpdate whose filter states the
// precondition; "no document" means the precondition did not hold.
type Store struct {
	wishes   lungo.ICollection
	settings lungo.ICollection
}

// NewStore returns a store over db.
func NewStore(db lungo.IDatabase) *Store {
	return &Store{
		wishes:   db.Collection("wishes"),
		settings: db.Collection("wish_settings"),
	}
}

// Indexes are the indexes this store's queries need.
var Indexes = []store.Index{
	// The feed: open wishes of a community, newest published first.
	{Collection: "wishes", Name: "feed", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "state", Value: 1}, {Key: "publishedAt", Value: -1}, {Key: "_id", Value: -1}}},
	// The staff queue, by community and state in posting order.
	{Collection: "wishes", Name: "queue", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "state", Value: 1}, {Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}},
	// An admin's queue across communities.
	{Collection: "wishes", Name: "state_created", Keys: bson.D{{Key: "state", Value: 1}, {Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: "wishes", Name: "poster", Keys: bson.D{{Key: "poster.userId", Value: 1}, {Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}},
	{Collection: "wishes", Name: "claimer", Keys: bson.D{{Key: "claim.by.userId", Value: 1}, {Key: "claim.at", Value: -1}, {Key: "_id", Value: -1}}},
	// The sweeper: claims due, wishes past expiry, effects owed.
	{Collection: "wishes", Name: "claim_due", Keys: bson.D{{Key: "state", Value: 1}, {Key: "claim.dueAt", Value: 1}}},
	{Collection: "wishes", Name: "state_expires", Keys: bson.D{{Key: "state", Value: 1}, {Key: "expiresAt", Value: 1}}},
	{Collection: "wishes", Name: "confirm_remind", Keys: bson.D{{Key: "state", Value: 1}, {Key: "fulfilment.reminded", Value: 1}, {Key: "fulfilment.remindAt", Value: 1}}},
	{Collection: "wishes", Name: "check_due", Keys: bson.D{{Key: "checkDue", Value: 1}},
		Partial: bson.D{{Key: "checkDue", Value: bson.M{"$exists": true}}}},
	{Collection: "wishes", Name: "confirm_due", Keys: bson.D{{Key: "state", Value: 1}, {Key: "fulfilment.confirmBy", Value: 1}}},
	{Collection: "wishes", Name: "outbox", Keys: bson.D{{Key: "outboxSize", Value: 1}},
		Partial: bson.D{{Key: "outboxSize", Value: bson.M{"$gt": 0}}}},
	// The per-person limits (see Wish.PosterSlot).
	{Collection: "wishes", Name: "poster_slot_unique", Keys: bson.D{{Key: "posterSlot", Value: 1}}, Unique: true,
		Partial: bson.D{{Key: "posterSlot", Value: bson.M{"$type": "string"}}}},
	{Collection: "wishes", Name: "claim_slot_unique", Keys: bson.D{{Key: "claimSlot", Value: 1}}, Unique: true,
		Partial: bson.D{{Key: "claimSlot", Value: bson.M{"$type": "string"}}}},
}

// errSlotTaken is a unique-slot collision: the slot tried is held.
var errSlotTaken = errors.New("wish: slot taken")

// Insert stores a new wish; errSlotTaken when its poster slot is held.
func (s *Store) Insert(ctx context.Context, w Wish) error {
	_, err := s.wishes.InsertOne(ctx, w)
	if store.IsDuplicate(err) {
		return errSlotTaken
	}
	if err != nil {
		return fmt.Errorf("wish: insert: %w", err)
	}
	return nil
}

// Get returns one wish, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Wish, error) {
	return store.FindOne[Wish](ctx, s.wishes, bson.M{"_id": id}, ErrNotFound.New())
}

// change is one transition's write: the fields it sets and unsets, the
// event it appends and the effects it owes.
type change struct {
	set     bson.M
	unset   []string
	event   Event
	effects *Effects
}

// apply writes c to the wish matching filter (which must name its _id and
// state the precondition) and returns the wish as it now is. ok is false
// when nothing matched; errSlotTaken when c takes a slot that is held.
func (s *Store) apply(ctx context.Context, filter bson.M, c change) (Wish, bool, error) {
	set := bson.M{}
	for k, v := range c.set {
		set[k] = v
	}
	push := bson.M{}
	update := bson.M{"$set": set}
	if c.event.ID != "" { // a step of the history (a re-check's pause is none)
		set["updatedAt"] = c.event.At
		push["events"] = c.event
	}
	if c.effects != nil {
		push["outbox"] = *c.effects
		update["$inc"] = bson.M{"outboxSize": 1}
	}
	if len(push) > 0 {
		update["$push"] = push
	}
	if len(c.unset) > 0 {
		u := bson.M{}
		for _, k := range c.unset {
			u[k] = ""
		}
		update["$unset"] = u
	}
	var w Wish
	err := s.wishes.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&w)
	switch {
	case store.IsNoDocuments(err):
		return Wish{}, false, nil
	case store.IsDuplicate(err):
		return Wish{}, false, errSlotTaken
	case err != nil:
		return Wish{}, false, fmt.Errorf("wish: %s: %w", c.event.Type, err)
	}
	return w, true, nil
}

// scoped restricts filter to communities; nil means every community (admins).
func scoped(filter bson.M, communities []string) bson.M {
	if communities != nil {
		filter["communityId"] = bson.M{"$in": communities}
	}
	return filter
}

func sorted(field string, desc bool, limit int) *options.FindOptions {
	dir := 1
	if desc {
		dir = -1
	}
	return options.Find().SetSort(bson.D{{Key: field, Value: dir}, {Key: "_id", Value: dir}}).SetLimit(int64(limit))
}

// Feed returns up to limit open, unexpired wishes of a community, newest
// published first, after the cursor.
func (s *Store) Feed(ctx context.Context, communityID string, now time.Time, cur page.Cursor, limit int) ([]Wish, error) {
	filter := bson.M{"communityId": communityID, "state": Open, "expiresAt": bson.M{"$gt": now}}
	return store.FindAll[Wish](ctx, s.wishes, cur.Apply(filter, "publishedAt", true), sorted("publishedAt", true, limit))
}

// Queue returns wishes in state of the communities (nil: all), oldest
// first for the moderation queue (pending_review), newest first otherwise.
func (s *Store) Queue(ctx context.Context, communities []string, state State, cur page.Cursor, limit int) ([]Wish, error) {
	desc := state != PendingReview
	filter := scoped(bson.M{"state": state}, communities)
	return store.FindAll[Wish](ctx, s.wishes, cur.Apply(filter, "createdAt", desc), sorted("createdAt", desc, limit))
}

// PostedBy returns the wishes userID posted, newest first.
func (s *Store) PostedBy(ctx context.Context, userID string, cur page.Cursor, limit int) ([]Wish, error) {
	filter := bson.M{"poster.userId": userID}
	return store.FindAll[Wish](ctx, s.wishes, cur.Apply(filter, "createdAt", true), sorted("createdAt", true, limit))
}

// ClaimedBy returns the wishes userID holds or held to fulfilment, latest claim first.
func (s *Store) ClaimedBy(ctx context.Context, userID string, cur page.Cursor, limit int) ([]Wish, error) {
	filter := bson.M{"claim.by.userId": userID}
	return store.FindAll[Wish](ctx, s.wishes, cur.Apply(filter, "claim.at", true), sorted("claim.at", true, limit))
}

// DueClaims returns up to limit claimed wishes whose claim is due.
func (s *Store) DueClaims(ctx context.Context, now time.Time, limit int) ([]Wish, error) {
	return store.FindAll[Wish](ctx, s.wishes, bson.M{"state": Claimed, "claim.dueAt": bson.M{"$lte": now}},
		options.Find().SetLimit(int64(limit)))
}

// Overdue returns up to limit pending or open wishes past their expiry,
// of one poster when posterID is set.
func (s *Store) Overdue(ctx context.Context, now time.Time, posterID string, limit int) ([]Wish, error) {
	filter := bson.M{"state": bson.M{"$in": bson.A{PendingReview, Open}}, "expiresAt": bson.M{"$lte": now}}
	if posterID != "" {
		filter["poster.userId"] = posterID
	}
	return store.FindAll[Wish](ctx, s.wishes, filter, options.Find().SetLimit(int64(limit)))
}

// dueFulfilled returns up to limit fulfilled wishes whose field (a time of
// the fulfilment) is due; with all false, only those not reminded yet.
func (s *Store) dueFulfilled(ctx context.Context, field string, now time.Time, all bool, limit int) ([]Wish, error) {
	filter := bson.M{"state": Fulfilled, field: bson.M{"$lte": now}}
	if !all {
		filter["fulfilment.reminded"] = false
	}
	return store.FindAll[Wish](ctx, s.wishes, filter, options.Find().SetLimit(int64(limit)))
}

// undated returns up to limit fulfilled wishes without confirmation dates
// (fulfilled before the periods existed).
func (s *Store) undated(ctx context.Context, limit int) ([]Wish, error) {
	return store.FindAll[Wish](ctx, s.wishes, bson.M{"state": Fulfilled, "fulfilment.confirmBy": bson.M{"$exists": false}},
		options.Find().SetLimit(int64(limit)))
}

// Owing returns up to limit wishes with effects not yet delivered.
func (s *Store) Owing(ctx context.Context, limit int) ([]Wish, error) {
	return store.FindAll[Wish](ctx, s.wishes, bson.M{"outboxSize": bson.M{"$gt": 0}}, options.Find().SetLimit(int64(limit)))
}

// Delivered removes the oldest effects of a wish when they are those of key.
func (s *Store) Delivered(ctx context.Context, id, key string) error {
	_, err := s.wishes.UpdateOne(ctx, bson.M{"_id": id, "outbox.0.key": key},
		bson.M{"$pop": bson.M{"outbox": -1}, "$inc": bson.M{"outboxSize": -1}})
	if err != nil {
		return fmt.Errorf("wish: outbox: %w", err)
	}
	return nil
}
