package ledger

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/platform/store"
)

// Totals are a person's service over a period: minutes in all and by
// source, how many entries, and the last service.
type Totals struct {
	Minutes  int            `json:"minutes"`
	BySource map[Source]int `json:"-"`
	// Count is entries by source.
	Count map[Source]int `json:"-"`
	Last  time.Time      `json:"-"`
}

func (t *Totals) add(e Entry) {
	if t.BySource == nil {
		t.BySource, t.Count = map[Source]int{}, map[Source]int{}
	}
	t.Minutes += e.Minutes
	t.BySource[e.Source] += e.Minutes
	t.Count[e.Source]++
	if e.At.After(t.Last) {
		t.Last = e.At
	}
}

// sumProjection is what a total needs of an entry.
var sumProjection = bson.M{"userId": 1, "source": 1, "minutes": 1, "at": 1}

// YearOf returns userID's totals for year, in every community.
func (l *Ledger) YearOf(ctx context.Context, userID string, year int) (Totals, error) {
	list, err := store.FindAll[Entry](ctx, l.c, bson.M{"userId": userID, "year": year},
		options.Find().SetProjection(sumProjection))
	if err != nil {
		return Totals{}, fmt.Errorf("ledger: year of %s: %w", userID, err)
	}
	var t Totals
	for _, e := range list {
		t.add(e)
	}
	return t, nil
}

// Community returns the totals of every person who served in communityID
// in year, by user ID; users limits it to those people when not nil.
// It reads one projected entry per service: a community's year is
// thousands of entries, not millions.
func (l *Ledger) Community(ctx context.Context, communityID string, year int, users []string) (map[string]Totals, error) {
	filter := bson.M{"communityId": communityID, "year": year}
	if users != nil {
		filter["userId"] = bson.M{"$in": users}
	}
	list, err := store.FindAll[Entry](ctx, l.c, filter, options.Find().SetProjection(sumProjection))
	if err != nil {
		return nil, fmt.Errorf("ledger: community %s %d: %w", communityID, year, err)
	}
	out := map[string]Totals{}
	for _, e := range list {
		t := out[e.UserID]
		t.add(e)
		out[e.UserID] = t
	}
	return out, nil
}

// Recent returns userID's latest entries, newest first; source limits
// them to one source when not empty.
func (l *Ledger) Recent(ctx context.Context, userID string, source Source, limit int) ([]Entry, error) {
	filter := bson.M{"userId": userID}
	if source != "" {
		filter["source"] = source
	}
	list, err := store.FindAll[Entry](ctx, l.c, filter,
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("ledger: recent of %s: %w", userID, err)
	}
	return list, nil
}

// InYear returns userID's entries of year, newest first, at most limit.
func (l *Ledger) InYear(ctx context.Context, userID string, year, limit int) ([]Entry, error) {
	list, err := store.FindAll[Entry](ctx, l.c, bson.M{"userId": userID, "year": year},
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("ledger: %d of %s: %w", year, userID, err)
	}
	return list, nil
}

// Count returns how many entries userID has from source.
func (l *Ledger) Count(ctx context.Context, userID string, source Source) (int64, error) {
	n, err := l.c.CountDocuments(ctx, bson.M{"userId": userID, "source": source})
	if err != nil {
		return 0, fmt.Errorf("ledger: count: %w", err)
	}
	return n, nil
}
