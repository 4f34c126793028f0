// Package ledger is the one service record (服务记录) of every person: each
// entry is one person's service in one community from one source (a
// check-in at a service point, a fulfilled micro-wish, an attended
// activity), with its minutes. An entry's ID is derived from its source, so
// a credit delivered twice is stored once. The Party-member area owns the
// ledger (yearly hours, leaderboards, rosters); the wish and activity areas
// credit through Credit.
package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/platform/clock"
	"linli/internal/platform/store"
)

// Source is where a service entry comes from.
type Source string

// The sources of service.
const (
	Checkin  Source = "checkin"
	Wish     Source = "wish"
	Activity Source = "activity"
)

// Entry is one person's service from one source.
type Entry struct {
	// ID is EntryID(Source, SourceID, UserID).
	ID          string `bson:"_id"`
	UserID      string `bson:"userId"`
	CommunityID string `bson:"communityId"`
	Source      Source `bson:"source"`
	// SourceID is the check-in's, the wish's or the activity's ID.
	SourceID string `bson:"sourceId"`
	// Title is what the person did, as the record shows it.
	Title   string `bson:"title"`
	Minutes int    `bson:"minutes"`
	// At is when the service happened (China time); its year is the year
	// the service counts for.
	At time.Time `bson:"at"`
	// Year is At's year in China time, for yearly totals.
	Year int `bson:"year"`
}

// EntryID is the deterministic ID of a person's entry from one source:
// "wish:<id>" for a wish (one claimer), "<source>:<id>:<user>" otherwise.
func EntryID(s Source, sourceID, userID string) string {
	if s == Wish {
		return "wish:" + sourceID
	}
	return string(s) + ":" + sourceID + ":" + userID
}

// Collection is the ledger's collection.
const Collection = "service_record"

// Indexes are the indexes the ledger's queries need.
var Indexes = []store.Index{
	{Collection: Collection, Name: "user_at", Keys: bson.D{{Key: "userId", Value: 1}, {Key: "at", Value: -1}, {Key: "_id", Value: -1}}},
	{Collection: Collection, Name: "community_year_user", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "year", Value: 1}, {Key: "userId", Value: 1}}},
}

// Ledger stores service entries.
type Ledger struct {
	c lungo.ICollection
}

// New returns the ledger over db.
func New(db lungo.IDatabase) *Ledger { return &Ledger{c: db.Collection(Collection)} }

// Collection returns the ledger's collection, for the owning area's reads.
func (l *Ledger) Collection() lungo.ICollection { return l.c }

// Credit stores e once: an entry already stored (the same ID) is success
// and is left as it was.
func (l *Ledger) Credit(ctx context.Context, e Entry) error {
	if e.ID == "" {
		e.ID = EntryID(e.Source, e.SourceID, e.UserID)
	}
	if e.Year == 0 {
		e.Year = e.At.In(clock.China).Year()
	}
	_, err := l.c.InsertOne(ctx, e)
	if err != nil && !store.IsDuplicate(err) {
		return fmt.Errorf("ledger: credit: %w", err)
	}
	return nil
}
