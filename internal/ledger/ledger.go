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
	"sync"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

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
	{Collection: Collection, Name: "user_year_at", Keys: bson.D{{Key: "userId", Value: 1}, {Key: "year", Value: 1}, {Key: "at", Value: -1}, {Key: "_id", Value: -1}}},
	{Collection: Collection, Name: "user_source_at", Keys: bson.D{{Key: "userId", Value: 1}, {Key: "source", Value: 1}, {Key: "at", Value: -1}, {Key: "_id", Value: -1}}},
}

// Ledger stores service entries.
type Ledger struct {
	c        lungo.ICollection
	mu       sync.RWMutex
	watchers []Watcher
}

// Watcher is told, after the fact, that a community's year changed (an
// entry stored or revised): what a cached leaderboard of it must drop.
// It must not fail the credit: the entry is stored already.
type Watcher func(ctx context.Context, communityID string, year int)

// New returns the ledger over db.
func New(db lungo.IDatabase) *Ledger { return &Ledger{c: db.Collection(Collection)} }

// Watch adds w to those told of every change; wired once at start-up.
func (l *Ledger) Watch(w Watcher) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.watchers = append(l.watchers, w)
}

func (l *Ledger) changed(ctx context.Context, communityID string, year int) {
	l.mu.RLock()
	ws := l.watchers
	l.mu.RUnlock()
	for _, w := range ws {
		w(ctx, communityID, year)
	}
}

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
	if e.Minutes < 0 {
		return fmt.Errorf("ledger: credit %s: negative minutes", e.ID)
	}
	_, err := l.c.InsertOne(ctx, e)
	if store.IsDuplicate(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ledger: credit: %w", err)
	}
	l.changed(ctx, e.CommunityID, e.Year)
	return nil
}

// Minutes returns the minutes of the stored entries among ids, by ID.
func (l *Ledger) Minutes(ctx context.Context, ids []string) (map[string]int, error) {
	list, err := store.FindAll[Entry](ctx, l.c, bson.M{"_id": bson.M{"$in": ids}}, options.Find().SetProjection(bson.M{"minutes": 1}))
	if err != nil {
		return nil, fmt.Errorf("ledger: minutes: %w", err)
	}
	out := make(map[string]int, len(list))
	for _, e := range list {
		out[e.ID] = e.Minutes
	}
	return out, nil
}

// Revise sets the minutes of a stored entry (a reviewed check-in): setting
// the same value twice changes nothing. It reports false when no entry has
// that ID (not credited yet).
func (l *Ledger) Revise(ctx context.Context, id string, minutes int) (bool, error) {
	if minutes < 0 {
		return false, fmt.Errorf("ledger: revise %s: negative minutes", id)
	}
	var e Entry
	err := l.c.FindOneAndUpdate(ctx, bson.M{"_id": id, "minutes": bson.M{"$ne": minutes}},
		bson.M{"$set": bson.M{"minutes": minutes}}).Decode(&e)
	if store.IsNoDocuments(err) { // already so, or not stored
		n, err := l.c.CountDocuments(ctx, bson.M{"_id": id})
		if err != nil {
			return false, fmt.Errorf("ledger: revise %s: %w", id, err)
		}
		return n > 0, nil
	}
	if err != nil {
		return false, fmt.Errorf("ledger: revise %s: %w", id, err)
	}
	l.changed(ctx, e.CommunityID, e.Year)
	return true, nil
}
