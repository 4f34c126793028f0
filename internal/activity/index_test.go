package activity

import (
	"context"
	"slices"
	"testing"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/platform/store"
)

// The reminder sweep's query is served by remind_due on MongoDB: its
// equality fields, then the sweep's whole order (the tie-breaker _id
// included, or MongoDB sorts the matches in memory), the start's range
// bounded within each count of failures.
func TestRemindDueHoldsTheSweepsOrder(t *testing.T) {
	want := append(bson.D{{Key: "state", Value: 1}, {Key: "reminded", Value: 1}}, remindOrder...)
	for _, ix := range Indexes {
		if ix.Name == "remind_due" {
			if got, _ := ix.Keys.(bson.D); !slices.Equal(got, want) {
				t.Fatalf("remind_due keys %v, want %v", got, want)
			}
			return
		}
	}
	t.Fatal("no remind_due index")
}

// A database made by an earlier version holds "remind" (state, reminded,
// startAt), which no query uses now: the start-up drops it, and keeps
// remind_due; a second start-up finds nothing to drop.
func TestStartUpDropsTheOldRemindIndex(t *testing.T) {
	ctx := context.Background()
	// A lungo database outside store.DB creates every index, as MongoDB.
	client, engine, err := lungo.Open(ctx, lungo.Options{Store: lungo.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	db := client.Database("linli")
	old := mongo.IndexModel{Keys: bson.D{{Key: "state", Value: 1}, {Key: "reminded", Value: 1}, {Key: "startAt", Value: 1}},
		Options: options.Index().SetName("remind")}
	if _, err := db.Collection("activities").Indexes().CreateOne(ctx, old); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := store.EnsureIndexes(ctx, db, Indexes); err != nil {
			t.Fatal(err)
		}
		names := indexNames(t, db.Collection("activities"))
		if slices.Contains(names, "remind") || !slices.Contains(names, "remind_due") {
			t.Fatalf("indexes after start-up: %v", names)
		}
	}
}

func indexNames(t *testing.T, c lungo.ICollection) []string {
	t.Helper()
	cur, err := c.Indexes().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var specs []struct {
		Name string `bson:"name"`
	}
	if err := cur.All(context.Background(), &specs); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	return names
}
