package wish

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/actor"
	"linli/internal/platform/store"
)

// Credit is one entry of a person's service record: a wish they fulfilled
// and that the poster or staff confirmed. Its ID is "wish:<wishID>", so a
// wish credits its claimer once however often the credit is delivered.
type Credit struct {
	ID          string    `bson:"_id" json:"-"`
	UserID      string    `bson:"userId" json:"-"`
	Kind        string    `bson:"kind" json:"kind"`
	WishID      string    `bson:"wishId" json:"wishId"`
	CommunityID string    `bson:"communityId" json:"communityId"`
	Title       string    `bson:"title" json:"title"`
	At          time.Time `bson:"at" json:"at"`
}

func creditFor(w Wish, at time.Time) *Credit {
	return &Credit{
		ID: "wish:" + w.ID, UserID: w.Claim.By.UserID, Kind: "wish", WishID: w.ID,
		CommunityID: w.CommunityID, Title: w.Title, At: at,
	}
}

// credit stores c; a credit already stored is success.
func (s *Store) credit(ctx context.Context, c Credit) error {
	_, err := s.credits.InsertOne(ctx, c)
	if err != nil && !store.IsDuplicate(err) {
		return fmt.Errorf("wish: credit: %w", err)
	}
	return nil
}

func (s *Store) countCredits(ctx context.Context, userID string) (int64, error) {
	return s.credits.CountDocuments(ctx, bson.M{"userId": userID})
}

func (s *Store) recentCredits(ctx context.Context, userID string, limit int) ([]Credit, error) {
	return store.FindAll[Credit](ctx, s.credits, bson.M{"userId": userID},
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
}

func (s *Store) activeClaims(ctx context.Context, userID string) (int64, error) {
	n, err := s.wishes.CountDocuments(ctx, bson.M{"claim.by.userId": userID, "state": Claimed})
	if err != nil {
		return 0, fmt.Errorf("wish: count claims: %w", err)
	}
	return n, nil
}

// Record is a person's service record in micro-wishes.
type Record struct {
	// Confirmed is how many wishes they fulfilled, confirmed by the poster or staff.
	Confirmed int64 `json:"confirmed"`
	// Active is how many they hold claimed now, of MaxActiveClaims.
	Active    int      `json:"active"`
	MaxActive int      `json:"maxActive"`
	Recent    []Credit `json:"recent"`
}

// recentOnRecord is how many credits a record shows.
const recentOnRecord = 10

// RecordOf returns the caller's service record.
func (s *Service) RecordOf(ctx context.Context, a actor.Actor) (Record, error) {
	n, err := s.store.countCredits(ctx, a.UserID)
	if err != nil {
		return Record{}, fmt.Errorf("wish: count credits: %w", err)
	}
	recent, err := s.store.recentCredits(ctx, a.UserID, recentOnRecord)
	if err != nil {
		return Record{}, err
	}
	active, err := s.store.activeClaims(ctx, a.UserID)
	if err != nil {
		return Record{}, err
	}
	return Record{Confirmed: n, Active: int(active), MaxActive: MaxActiveClaims, Recent: recent}, nil
}
