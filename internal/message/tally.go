package message

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/platform/store"
)

// Counting exactly once. A transition writes the message and its Delta in
// one update (Store.commit); settle then applies each pending Delta to its
// counter documents and removes it from the message. Applying is
// idempotent: a counter document remembers the keys (message:version) it
// has applied, and the $inc is conditional on the key being absent, in the
// same single-document update. So a settle that is retried, run twice at
// once, or resumed by the sweep after a process died between the writes,
// counts each change once. The keys a counter document keeps are bounded by
// the changes of the messages of one day, grid and staff member.

// counterDoc is a counter document as the figures read it: the bucket,
// the counts (c), the first-response histogram (rt), and — not read here —
// the keys of the changes applied.
type counterDoc struct {
	Bucket `bson:",inline"`
	Counts Counts           `bson:"c"`
	RT     map[string]int64 `bson:"rt"`
}

// tallyOf computes what next contributes now and the change from what the
// message contributed before (old).
func tallyOf(next *Message, old Figures) Delta {
	next.Figures = figuresOf(next)
	d := diff(old, next.Figures)
	next.TallyDirty = next.TallyDirty || len(d) > 0
	return d
}

// allFields are the counted fields of a counter document.
var allFields = func() []string {
	var c Counts
	var out []string
	for _, f := range c.fields() {
		out = append(out, "c."+f.name)
	}
	for i := range Bins {
		out = append(out, binField(i))
	}
	return out
}()

// applyInc applies one counter change once, under key.
func (s *Store) applyInc(ctx context.Context, ci CounterInc, key string) error {
	inc := bson.M{}
	for _, f := range allFields { // every field, so that every document has the same shape
		inc[f] = int64(0)
	}
	for _, f := range ci.Inc {
		inc[f.Field] = f.N
	}
	b := ci.Bucket
	filter := bson.M{"_id": b.ID(), "applied": bson.M{"$nin": bson.A{key}}}
	update := bson.M{
		"$inc":         inc,
		"$push":        bson.M{"applied": key},
		"$setOnInsert": bson.M{"communityId": b.CommunityID, "gridId": b.GridID, "staffId": b.StaffID, "day": b.Day},
	}
	for range 3 {
		_, err := s.counters.UpdateOne(ctx, filter, update, options.Update().SetUpsert(true))
		if err == nil {
			return nil
		}
		if !store.IsDuplicate(err) {
			return fmt.Errorf("message: counters: %w", err)
		}
		// The document exists and did not match: either the key is applied
		// already, or (real MongoDB) another upsert created the document
		// first, and the next attempt updates it.
		n, err := s.counters.CountDocuments(ctx, bson.M{"_id": b.ID(), "applied": key})
		if err != nil {
			return fmt.Errorf("message: counters: %w", err)
		}
		if n == 1 {
			return nil
		}
	}
	return fmt.Errorf("message: counters: %s kept conflicting", b.ID())
}

type pendingDoc struct {
	Version int64            `bson:"version"`
	Pending map[string]Delta `bson:"pending"`
}

// settle applies every pending Delta of a message and clears its mark.
func (s *Store) settle(ctx context.Context, id string) error {
	doc, err := store.FindOne[pendingDoc](ctx, s.messages, bson.M{"_id": id}, ErrNotFound.New(),
		options.FindOne().SetProjection(bson.M{"version": 1, "pending": 1}))
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(doc.Pending))
	for k := range doc.Pending {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		x, _ := strconv.Atoi(a[1:])
		y, _ := strconv.Atoi(b[1:])
		return x - y
	})
	unset := bson.M{}
	for _, k := range keys {
		for _, ci := range doc.Pending[k] {
			if err := s.applyInc(ctx, ci, id+":"+k); err != nil {
				return err
			}
		}
		unset["pending."+k] = ""
	}
	// One write drops the applied changes and clears the mark, unless a
	// newer transition (with its own pending change and its own settle)
	// came meanwhile: then only the applied changes are dropped. A crash
	// before this write leaves them pending; applying them again is a
	// no-op (each counter remembers the keys it applied).
	update := bson.M{"$set": bson.M{"tallyDirty": false}}
	if len(unset) > 0 {
		update["$unset"] = unset
	}
	res, err := s.messages.UpdateOne(ctx, bson.M{"_id": id, "version": doc.Version}, update)
	if err != nil {
		return fmt.Errorf("message: settle: %w", err)
	}
	if res.MatchedCount == 0 && len(unset) > 0 {
		if _, err := s.messages.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$unset": unset}); err != nil {
			return fmt.Errorf("message: settle: %w", err)
		}
	}
	return nil
}

// counts reads the counter documents of the communities (all when nil)
// for the days from..to, inclusive: a read bounded by the period and the
// number of grids and staff, not by the number of messages.
func (s *Store) counts(ctx context.Context, communityIDs []string, from, to string) ([]counterDoc, error) {
	filter := bson.M{"day": bson.M{"$gte": from, "$lte": to}}
	if communityIDs != nil {
		filter["communityId"] = bson.M{"$in": communityIDs}
	}
	return store.FindAll[counterDoc](ctx, s.counters, filter, options.Find().SetProjection(countsProjection))
}

// countsProjection reads the figures and leaves out the applied keys
// (an inclusion: lungo copies a whole document to exclude a field).
var countsProjection = bson.M{"communityId": 1, "gridId": 1, "staffId": 1, "day": 1, "c": 1, "rt": 1}
