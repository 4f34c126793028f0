package wish

import (
	"context"
	"fmt"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/actor"
	"linli/internal/ledger"
	"linli/internal/platform/store"
)

// CreditMinutes is the service time a confirmed wish counts for in the
// service record: one hour, whatever the wish (a pair of glasses bought
// and brought, a lamp repaired). The practice counts a fulfilled
// micro-wish as one service; an hour is the street's convention for it.
const CreditMinutes = 60

// Credit is what a confirmation owes the claimer's service record, as the
// wish's outbox keeps it until it is stored in the ledger (ledger.Wish,
// entry "wish:<wishID>": a wish credits its claimer once however often the
// credit is delivered).
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
		ID: ledger.EntryID(ledger.Wish, w.ID, ""), UserID: w.Claim.By.UserID, Kind: "wish", WishID: w.ID,
		CommunityID: w.CommunityID, Title: w.Title, At: at,
	}
}

// entry is c as the ledger stores it.
func (c Credit) entry() ledger.Entry {
	return ledger.Entry{
		ID: ledger.EntryID(ledger.Wish, c.WishID, c.UserID), UserID: c.UserID, CommunityID: c.CommunityID,
		Source: ledger.Wish, SourceID: c.WishID, Title: c.Title, Minutes: CreditMinutes, At: c.At,
	}
}

// creditOf is a ledger entry as the wish record shows it.
func creditOf(e ledger.Entry) Credit {
	return Credit{ID: e.ID, UserID: e.UserID, Kind: "wish", WishID: e.SourceID, CommunityID: e.CommunityID, Title: e.Title, At: e.At}
}

// LegacyCredits is where confirmed wishes were credited before the ledger.
const LegacyCredits = "service_credits"

// MigrateCredits copies every credit kept in LegacyCredits into the
// ledger, as one hour each. It runs at every start-up and is idempotent:
// an entry's ID is the wish's, so a copy made before is stored once.
// It leaves the old documents in place (nothing reads them any more).
func MigrateCredits(ctx context.Context, db lungo.IDatabase, l *ledger.Ledger) (int, error) {
	c := db.Collection(LegacyCredits)
	after, n := "", 0
	for {
		batch, err := store.FindAll[Credit](ctx, c, bson.M{"_id": bson.M{"$gt": after}},
			options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(500))
		if err != nil {
			return n, fmt.Errorf("wish: migrate credits: %w", err)
		}
		if len(batch) == 0 {
			return n, nil
		}
		for _, cr := range batch {
			if cr.WishID == "" || cr.UserID == "" {
				continue
			}
			if err := l.Credit(ctx, cr.entry()); err != nil {
				return n, err
			}
			n++
		}
		after = batch[len(batch)-1].ID
	}
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

// RecordOf returns the caller's service record in micro-wishes, read from
// the ledger.
func (s *Service) RecordOf(ctx context.Context, a actor.Actor) (Record, error) {
	n, err := s.ledger.Count(ctx, a.UserID, ledger.Wish)
	if err != nil {
		return Record{}, err
	}
	entries, err := s.ledger.Recent(ctx, a.UserID, ledger.Wish, recentOnRecord)
	if err != nil {
		return Record{}, err
	}
	recent := make([]Credit, 0, len(entries))
	for _, e := range entries {
		recent = append(recent, creditOf(e))
	}
	active, err := s.store.activeClaims(ctx, a.UserID)
	if err != nil {
		return Record{}, err
	}
	return Record{Confirmed: n, Active: int(active), MaxActive: MaxActiveClaims, Recent: recent}, nil
}
