package message

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/notify"
	"linli/internal/platform/page"
	"linli/internal/platform/store"
)

// Store keeps messages, their counters and the communities' configurations.
type Store struct {
	messages lungo.ICollection
	counters lungo.ICollection
	configs  configs
}

// NewStore returns the store over db.
func NewStore(db lungo.IDatabase) *Store {
	return &Store{
		messages: db.Collection("messages"),
		counters: db.Collection("message_counters"),
		configs:  configs{c: db.Collection("message_configs")},
	}
}

// Indexes are the indexes this area's queries need.
var Indexes = []store.Index{
	{Collection: "messages", Name: "author_submitted", Keys: bson.D{{Key: "author.userId", Value: 1}, {Key: "submittedAt", Value: -1}, {Key: "_id", Value: -1}}},
	{Collection: "messages", Name: "author_state_submitted", Keys: bson.D{{Key: "author.userId", Value: 1}, {Key: "state", Value: 1}, {Key: "submittedAt", Value: -1}, {Key: "_id", Value: -1}}},
	{Collection: "messages", Name: "community_queue", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "state", Value: 1}, {Key: "sortDueAt", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: "messages", Name: "grid_queue", Keys: bson.D{{Key: "gridId", Value: 1}, {Key: "state", Value: 1}, {Key: "sortDueAt", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: "messages", Name: "owner_queue", Keys: bson.D{{Key: "owner.staffId", Value: 1}, {Key: "state", Value: 1}, {Key: "sortDueAt", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: "messages", Name: "sweep", Keys: bson.D{{Key: "nextCheckAt", Value: 1}}},
	{Collection: "messages", Name: "overdue_now", Keys: bson.D{{Key: "sortDueAt", Value: 1}}},
	{Collection: "messages", Name: "tally_dirty", Keys: bson.D{{Key: "tallyDirty", Value: 1}, {Key: "updatedAt", Value: 1}},
		Partial: bson.D{{Key: "tallyDirty", Value: true}}},
	// The start-up backfills ask for the documents still missing a field,
	// after the last one seen: on MongoDB the missing field is the null key
	// of these indexes, so once every message has it each start-up reads
	// no document.
	{Collection: "messages", Name: "category_backfill", Keys: bson.D{{Key: "categoryId", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: "messages", Name: "place_backfill", Keys: bson.D{{Key: "place.communityName", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: "messages", Name: "outbox", Keys: bson.D{{Key: "outboxSize", Value: 1}, {Key: "updatedAt", Value: 1}},
		Partial: bson.D{{Key: "outboxSize", Value: bson.M{"$gt": 0}}}},
	{Collection: "message_counters", Name: "community_day", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "day", Value: 1}}},
	{Collection: "message_counters", Name: "day", Keys: bson.D{{Key: "day", Value: 1}}},
}

// unnamed lists messages stored without a place after the ID after (see
// Service.Backfill), in ID order: one that cannot be named is passed over,
// not read again.
func (s *Store) unnamed(ctx context.Context, after string, limit int) ([]Message, error) {
	return store.FindAll[Message](ctx, s.messages, bson.M{"place.communityName": bson.M{"$exists": false}, "_id": bson.M{"$gt": after}},
		options.Find().SetProjection(bson.M{"communityId": 1, "gridId": 1, "buildingId": 1}).
			SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
}

// name sets the place of a message that has none.
func (s *Store) name(ctx context.Context, id string, p Place) error {
	_, err := s.messages.UpdateOne(ctx, bson.M{"_id": id, "place.communityName": bson.M{"$exists": false}}, bson.M{"$set": bson.M{"place": p}})
	if err != nil {
		return fmt.Errorf("message: name place: %w", err)
	}
	return nil
}

// uncategorised lists messages stored without a category identifier after
// the ID after, in ID order.
func (s *Store) uncategorised(ctx context.Context, after string, limit int) ([]Message, error) {
	return store.FindAll[Message](ctx, s.messages, bson.M{"categoryId": bson.M{"$exists": false}, "_id": bson.M{"$gt": after}},
		options.Find().SetProjection(bson.M{"communityId": 1, "category": 1}).
			SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
}

// categorise sets the category identifier of a message that has none
// (while its label is still the one it was decided for).
func (s *Store) categorise(ctx context.Context, id, label, categoryID string) error {
	_, err := s.messages.UpdateOne(ctx, bson.M{"_id": id, "category": label, "categoryId": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"categoryId": categoryID}})
	if err != nil {
		return fmt.Errorf("message: set category: %w", err)
	}
	return nil
}

// listProjection leaves the thread out of lists.
var listProjection = bson.M{"events": 0, "pending": 0}

func (s *Store) insert(ctx context.Context, m Message, delta Delta) error {
	if len(delta) > 0 {
		m.Pending = map[string]Delta{pendingKey(m.Version): delta}
	}
	if _, err := s.messages.InsertOne(ctx, m); err != nil {
		return fmt.Errorf("message: insert: %w", err)
	}
	return nil
}

func (s *Store) get(ctx context.Context, id string) (Message, error) {
	return store.FindOne[Message](ctx, s.messages, bson.M{"_id": id}, ErrNotFound.New(),
		options.FindOne().SetProjection(bson.M{"pending": 0}))
}

func pendingKey(version int64) string { return fmt.Sprintf("v%d", version) }

// commit writes next over prev, appending ev and recording delta for the
// counters, in one update whose filter is the precondition: the message is
// still as the decision saw it — its version (every transition bumps it)
// and, said outright, its state. It reports false when it was not
// (somebody changed it meanwhile).
func (s *Store) commit(ctx context.Context, prev *Message, next Message, ev Event, delta Delta, told []notify.Notice) (bool, error) {
	set, err := head(next)
	if err != nil {
		return false, err
	}
	if len(delta) > 0 {
		set = append(set, bson.E{Key: "pending." + pendingKey(next.Version), Value: delta})
	}
	if len(told) > 0 {
		// The outbox is rewritten whole ($each is not in every driver we
		// run on): a notice handed over meanwhile may come back, and is then
		// handed over again, which stores nothing (its key).
		outbox := append(slices.Clone(prev.Outbox), told...)
		set = append(set, bson.E{Key: "outbox", Value: outbox}, bson.E{Key: "outboxSize", Value: len(outbox)})
	}
	res, err := s.messages.UpdateOne(ctx, bson.M{"_id": prev.ID, "version": prev.Version, "state": prev.State},
		bson.M{"$set": set, "$push": bson.M{"events": ev}})
	if err != nil {
		return false, fmt.Errorf("message: commit: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// head is every field a transition rewrites: all but _id, events, pending
// and the outbox.
func head(m Message) (bson.D, error) {
	m.Events, m.Pending, m.Outbox, m.OutboxSize = nil, nil, nil, 0
	raw, err := bson.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("message: encode: %w", err)
	}
	var d bson.D
	if err := bson.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("message: encode: %w", err)
	}
	out := d[:0]
	for _, e := range d {
		if e.Key != "_id" && e.Key != "events" && e.Key != "pending" && e.Key != "outbox" && e.Key != "outboxSize" {
			out = append(out, e)
		}
	}
	return out, nil
}

// mine lists an author's messages, newest first.
func (s *Store) mine(ctx context.Context, userID string, states []State, cur page.Cursor, limit int) ([]Message, error) {
	filter := bson.M{"author.userId": userID}
	if len(states) > 0 {
		filter["state"] = bson.M{"$in": states}
	}
	cur.Apply(filter, "submittedAt", true)
	return store.FindAll[Message](ctx, s.messages, filter, options.Find().SetProjection(listProjection).
		SetSort(bson.D{{Key: "submittedAt", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
}

// queue lists the messages matching scope, by the deadline that matters
// now: overdue first, then the closest, paused and finished ones last.
func (s *Store) queue(ctx context.Context, scope bson.M, states []State, cur page.Cursor, limit int) ([]Message, error) {
	filter := bson.M{"state": bson.M{"$in": states}}
	for k, v := range scope {
		filter[k] = v
	}
	cur.Apply(filter, "sortDueAt", false)
	return store.FindAll[Message](ctx, s.messages, filter, options.Find().SetProjection(listProjection).
		SetSort(bson.D{{Key: "sortDueAt", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
}

type idOnly struct {
	ID string `bson:"_id"`
}

func (s *Store) ids(ctx context.Context, filter bson.M, limit int) ([]string, error) {
	docs, err := store.FindAll[idOnly](ctx, s.messages, filter,
		options.Find().SetProjection(bson.M{"_id": 1}).SetLimit(int64(limit)))
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, err
}

// due lists messages the sweep must look at.
func (s *Store) due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.ids(ctx, bson.M{"nextCheckAt": bson.M{"$lte": now}}, limit)
}

// dirty lists messages whose counter changes were left unapplied before
// the given time (a process stopped between the two writes).
func (s *Store) dirty(ctx context.Context, before time.Time, limit int) ([]string, error) {
	return s.ids(ctx, bson.M{"tallyDirty": true, "updatedAt": bson.M{"$lte": before}}, limit)
}

// countByState counts the messages matching scope in each state, one
// count per state so that each is served by the queue indexes.
func (s *Store) countByState(ctx context.Context, scope bson.M) (map[State]int64, error) {
	out := make(map[State]int64, len(States))
	for _, st := range States {
		filter := bson.M{"state": st}
		for k, v := range scope {
			filter[k] = v
		}
		n, err := s.messages.CountDocuments(ctx, filter)
		if err != nil {
			return nil, fmt.Errorf("message: count: %w", err)
		}
		out[st] = n
	}
	return out, nil
}

// owing lists messages whose outbox still holds notices, last changed
// before the given time.
func (s *Store) owing(ctx context.Context, before time.Time, limit int) ([]Message, error) {
	return store.FindAll[Message](ctx, s.messages, bson.M{"outboxSize": bson.M{"$gt": 0}, "updatedAt": bson.M{"$lte": before}},
		options.Find().SetProjection(bson.M{"_id": 1, "outbox": 1, "outboxSize": 1}).SetLimit(int64(limit)))
}

// delivered removes the oldest notice of a message's outbox when it is key.
func (s *Store) delivered(ctx context.Context, id, key string) error {
	_, err := s.messages.UpdateOne(ctx, bson.M{"_id": id, "outbox.0.key": key},
		bson.M{"$pop": bson.M{"outbox": -1}, "$inc": bson.M{"outboxSize": -1}})
	if err != nil {
		return fmt.Errorf("message: outbox: %w", err)
	}
	return nil
}
