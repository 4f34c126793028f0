package party

// The store's service points and check-ins (store.go: registrations,
// evaluations and settings).

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/notify"
	"linli/internal/platform/store"
)

// Points.

func (s *Store) insertPoint(ctx context.Context, p Point) error {
	if _, err := s.points.InsertOne(ctx, p); err != nil {
		return fmt.Errorf("party: insert point: %w", err)
	}
	return nil
}

func (s *Store) point(ctx context.Context, id string) (Point, error) {
	return store.FindOne[Point](ctx, s.points, bson.M{"_id": id}, ErrPointNotFound.New())
}

func (s *Store) pointsOf(ctx context.Context, communityID, afterID string, limit int) ([]Point, error) {
	filter := bson.M{"communityId": communityID}
	if afterID != "" {
		filter["_id"] = bson.M{"$gt": afterID}
	}
	return store.FindAll[Point](ctx, s.points, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
}

// Check-ins.

// insertCheckin stores an open check-in; a unique slot taken is the
// person's open check-in or their earlier use of the same code.
func (s *Store) insertCheckin(ctx context.Context, c Checkin) error {
	_, err := s.checkins.InsertOne(ctx, c)
	if store.IsDuplicate(err) {
		n, cerr := s.checkins.CountDocuments(ctx, openSlotIs(c.UserID))
		if cerr == nil && n > 0 {
			return ErrAlreadyOpen.New()
		}
		return ErrCodeUsed.New()
	}
	if err != nil {
		return fmt.Errorf("party: insert check-in: %w", err)
	}
	return nil
}

func (s *Store) checkin(ctx context.Context, id string) (Checkin, error) {
	return store.FindOne[Checkin](ctx, s.checkins, bson.M{"_id": id}, ErrCheckinNotFound.New())
}

// openSlotIs finds by the open slot, stating the partial index's filter
// so that real MongoDB may use it.
func openSlotIs(userID string) bson.M {
	return bson.M{"openSlot": bson.M{"$eq": userID, "$type": "string"}}
}

func (s *Store) openOf(ctx context.Context, userID string) (*Checkin, error) {
	c, err := store.FindOne[Checkin](ctx, s.checkins, openSlotIs(userID), errNone)
	if err == errNone {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// updateCheckin applies update when filter (which names the check-in and
// its precondition) holds, and returns it after; false when it did not.
func (s *Store) updateCheckin(ctx context.Context, filter, update bson.M) (Checkin, bool, error) {
	var c Checkin
	err := s.checkins.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&c)
	if store.IsNoDocuments(err) {
		return Checkin{}, false, nil
	}
	if err != nil {
		return Checkin{}, false, fmt.Errorf("party: check-in: %w", err)
	}
	return c, true, nil
}

// review sets the minutes of cur, a closed flagged check-in, as rv says,
// keeps rv and owes tell, in one write whose filter states the minutes and
// the reviews read: a review meanwhile (even one keeping the minutes)
// makes it false, so tell's number is this review's.
func (s *Store) review(ctx context.Context, cur Checkin, rv Review, tell notify.Notice) (Checkin, bool, error) {
	filter := lengthIs(bson.M{"_id": cur.ID, "state": Closed, "flagged": true, "minutes": cur.Minutes}, "reviews", len(cur.Reviews))
	return s.updateCheckin(ctx, filter, owe(bson.M{
		"$set":  bson.M{"minutes": rv.Minutes, "creditOwed": true, "updatedAt": rv.At},
		"$push": bson.M{"reviews": rv},
	}, tell))
}

// lengthIs adds to filter that the array field holds exactly n elements:
// the one at n absent, the one before it there (not $size, which never
// matches a document without the field).
func lengthIs(filter bson.M, field string, n int) bson.M {
	filter[fmt.Sprintf("%s.%d", field, n)] = bson.M{"$exists": false}
	if n > 0 {
		filter[fmt.Sprintf("%s.%d", field, n-1)] = bson.M{"$exists": true}
	}
	return filter
}

func (s *Store) openBefore(ctx context.Context, t time.Time, limit int) ([]Checkin, error) {
	return store.FindAll[Checkin](ctx, s.checkins, bson.M{"state": Open, "checkedInAt": bson.M{"$lt": t}},
		options.Find().SetLimit(int64(limit)))
}

func (s *Store) creditOwed(ctx context.Context, limit int) ([]Checkin, error) {
	return store.FindAll[Checkin](ctx, s.checkins, bson.M{"creditOwed": true}, options.Find().SetLimit(int64(limit)))
}

// credited clears the CreditOwed marks of done, each only while its
// minutes are still those credited (a review meanwhile keeps it owed): one
// write for the batch, served by _id.
func (s *Store) credited(ctx context.Context, done []Checkin) error {
	if len(done) == 0 {
		return nil
	}
	or := make(bson.A, len(done))
	for i, c := range done {
		or[i] = bson.M{"_id": c.ID, "minutes": c.Minutes}
	}
	_, err := s.checkins.UpdateMany(ctx, bson.M{"creditOwed": true, "$or": or}, bson.M{"$unset": bson.M{"creditOwed": ""}})
	if err != nil {
		return fmt.Errorf("party: credited: %w", err)
	}
	return nil
}

func (s *Store) listCheckins(ctx context.Context, communityID string, flagged *bool, beforeID string, limit int) ([]Checkin, error) {
	filter := bson.M{"communityId": communityID}
	if flagged != nil {
		filter["flagged"] = *flagged
	}
	if beforeID != "" {
		filter["_id"] = bson.M{"$lt": beforeID}
	}
	return store.FindAll[Checkin](ctx, s.checkins, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)))
}
