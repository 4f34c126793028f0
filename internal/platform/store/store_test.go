package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"
)

func TestUniqueIndexIsRecognisedAsDuplicate(t *testing.T) {
	ctx := context.Background()
	db, err := OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(ctx) })
	err = EnsureIndexes(ctx, db, []Index{{Collection: "c", Name: "k_unique", Keys: bson.D{{Key: "k", Value: 1}}, Unique: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("c").InsertOne(ctx, bson.M{"_id": "1", "k": "x"}); err != nil {
		t.Fatal(err)
	}
	_, err = db.Collection("c").InsertOne(ctx, bson.M{"_id": "2", "k": "x"})
	if !IsDuplicate(err) {
		t.Fatalf("want a duplicate error, got %v", err)
	}
	if IsDuplicate(nil) {
		t.Fatal("nil is no duplicate")
	}
}

func TestPartialUniqueIndexAllowsManyUnset(t *testing.T) {
	ctx := context.Background()
	db, err := OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = EnsureIndexes(ctx, db, []Index{{
		Collection: "c", Name: "u_unique", Keys: bson.D{{Key: "u", Value: 1}}, Unique: true,
		Partial: bson.D{{Key: "u", Value: bson.M{"$type": "string"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"1", "2"} {
		if _, err := db.Collection("c").InsertOne(ctx, bson.M{"_id": id}); err != nil {
			t.Fatalf("documents without u must not collide: %v", err)
		}
	}
	if _, err := db.Collection("c").UpdateOne(ctx, bson.M{"_id": "1"}, bson.M{"$set": bson.M{"u": "a"}}); err != nil {
		t.Fatal(err)
	}
	_, err = db.Collection("c").UpdateOne(ctx, bson.M{"_id": "2"}, bson.M{"$set": bson.M{"u": "a"}})
	if !IsDuplicate(err) {
		t.Fatalf("want a duplicate error, got %v", err)
	}
}

func TestFileStoreKeepsDataAcrossOpens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := OpenFile(ctx, filepath.Join(dir, "data"), "linli")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("c").InsertOne(ctx, bson.M{"_id": "1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db, err = OpenFile(ctx, filepath.Join(dir, "data"), "linli")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	n, err := db.Collection("c").CountDocuments(ctx, bson.M{})
	if err != nil || n != 1 {
		t.Fatalf("count after reopen = %d, %v", n, err)
	}
}

// A restart declares the same indexes again: that must be a no-op, however
// many conditions a partial filter has.
func TestEnsureIndexesTwiceIsANoOp(t *testing.T) {
	ctx := context.Background()
	db, err := OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ix := []Index{{Collection: "c", Name: "a_b", Keys: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: -1}}, Unique: true,
		Partial: bson.D{{Key: "a", Value: bson.M{"$type": "string"}}, {Key: "active", Value: true}, {Key: "b", Value: bson.M{"$gt": 0}}}}}
	for i := range 20 {
		if err := EnsureIndexes(ctx, db, ix); err != nil {
			t.Fatalf("declaration %d: %v", i+1, err)
		}
	}
}

// A URI cannot loosen what the product relies on: primary reads, majority
// writes, a server selection that outlasts an election, bounded operations.
func TestMongoSettingsArePinnedWhateverTheURISays(t *testing.T) {
	o := MongoOptions("mongodb://db1,db2,db3/?replicaSet=rs0&readPreference=secondary&w=1&serverSelectionTimeoutMS=1000&readConcernLevel=available")
	if o.ReadPreference.Mode() != readpref.PrimaryMode {
		t.Fatalf("read preference %v", o.ReadPreference.Mode())
	}
	if o.WriteConcern == nil || o.WriteConcern.W != "majority" {
		t.Fatalf("write concern %+v", o.WriteConcern)
	}
	if o.ReadConcern == nil || o.ReadConcern.Level != "local" {
		t.Fatalf("read concern %+v", o.ReadConcern)
	}
	if *o.ServerSelectionTimeout < 20*time.Second || o.Timeout == nil || *o.Timeout <= 0 {
		t.Fatalf("timeouts: selection %v, operation %v", *o.ServerSelectionTimeout, o.Timeout)
	}
}

// A TTL index bounds what grows without end (read notices, idempotency
// records): lungo removes documents whose indexed time is past it, and
// keeps those without the field (an unread notice).
func TestTTLIndexRemovesOldDocumentsAndKeepsThoseWithoutTheField(t *testing.T) {
	expireEvery = 20 * time.Millisecond
	t.Cleanup(func() { expireEvery = time.Minute })
	ctx := context.Background()
	db, err := OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	if err := EnsureIndexes(ctx, db, []Index{{Collection: "n", Name: "readAt_ttl", Keys: bson.D{{Key: "readAt", Value: 1}}, TTL: time.Hour}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, d := range []bson.M{
		{"_id": "old-read", "readAt": now.Add(-2 * time.Hour)},
		{"_id": "recent-read", "readAt": now.Add(-time.Minute)},
		{"_id": "unread"},
	} {
		if _, err := db.Collection("n").InsertOne(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, _ := db.Collection("n").CountDocuments(ctx, bson.M{"_id": "old-read"})
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a document past its TTL was not removed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n, _ := db.Collection("n").CountDocuments(ctx, bson.M{}); n != 2 {
		t.Fatalf("%d documents left, want the recent and the unread", n)
	}
}

// Closing the embedded store while TTL expiry is due must not hang.
// lungo's own expiry goroutine, woken by its ticker as Close begins, waits
// for the engine's lock while the engine's Close holds it and waits for
// that goroutine. With expiry every 50µs and closes landing at every point
// of the cycle, a tick is due at nearly every close. A close that hangs
// never returns, so it fails the test (not CI) after ten seconds: a bound
// far above any close, whose file flush waits for an fsync on a disk other
// tests share, so a slow disk does not look like a hang.
func TestCloseWhileExpiryIsDueDoesNotHang(t *testing.T) {
	expireEvery = 50 * time.Microsecond
	t.Cleanup(func() { expireEvery = time.Minute })
	ctx := context.Background()
	ix := []Index{{Collection: "n", Name: "readAt_ttl", Keys: bson.D{{Key: "readAt", Value: 1}}, TTL: time.Hour}}
	for _, tc := range []struct {
		name   string
		closes int
		open   func(t *testing.T) (*DB, error)
	}{
		{"memory", 300, func(*testing.T) (*DB, error) { return OpenMemory(ctx) }},
		{"file", 100, func(t *testing.T) (*DB, error) { return OpenFile(ctx, t.TempDir(), "linli") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.closes {
				db, err := tc.open(t)
				if err != nil {
					t.Fatal(err)
				}
				if err := EnsureIndexes(ctx, db, ix); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Collection("n").InsertOne(ctx, bson.M{"_id": "old", "readAt": time.Now().Add(-2 * time.Hour)}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(i%8) * 25 * time.Microsecond) // closes land at every point of the expiry cycle
				closed := make(chan error, 1)
				go func() { closed <- db.Close(ctx) }()
				select {
				case err := <-closed:
					if err != nil {
						t.Fatalf("close %d: %v", i+1, err)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("close %d of %d hung: lungo's expiry and the engine's Close wait for each other", i+1, tc.closes)
				}
			}
		})
	}
}

// A writer that holds lungo's write token (a long transaction) when Close
// comes must not hold Close up: the expiry that waits for the token is
// given up, not kept waiting the minute lungo allows a token wait.
func TestCloseWhileExpiryWaitsForTheWriteToken(t *testing.T) {
	expireEvery = time.Millisecond
	t.Cleanup(func() { expireEvery = time.Minute })
	ctx := context.Background()
	db, err := OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	txn, err := db.engine.Begin(ctx, true) // the writer holds the token from here on
	if err != nil {
		t.Fatal(err)
	}
	defer db.engine.Abort(txn)
	time.Sleep(20 * time.Millisecond) // ticks fall due: the expiry waits for the token
	closed := make(chan error, 1)
	go func() { closed <- db.Close(ctx) }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("close waited for the expiry, and the expiry for the writer's token")
	}
}

// A retired index is dropped where it is still there, by every process
// starting at once without one failing, and a database that never had it
// (or not even its collection) starts as before.
func TestRetiredIndexIsDroppedOnceByProcessesStartingAtOnce(t *testing.T) {
	ctx := context.Background()
	client, engine, err := lungo.Open(ctx, lungo.Options{Store: lungo.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	db := client.Database("linli")
	declared := []Index{
		{Collection: "c", Name: "a_b", Keys: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}},
		{Collection: "c", Name: "a", Retired: true},
		{Collection: "never", Name: "x", Retired: true},
	}
	if _, err := db.Collection("c").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "a", Value: 1}}, Options: options.Index().SetName("a")}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = EnsureIndexes(ctx, db, declared) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"a": false, "a_b": true} {
		if there, err := hasIndex(ctx, db.Collection("c"), name); err != nil || there != want {
			t.Fatalf("index %s there: %v (%v), want %v", name, there, err, want)
		}
	}
}
