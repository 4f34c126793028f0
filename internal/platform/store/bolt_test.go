package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

func openFileT(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := OpenFile(context.Background(), dir, "linli")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	return db
}

type doc struct {
	ID string `bson:"_id"`
	K  string `bson:"k"`
	N  int    `bson:"n"`
}

func all(t *testing.T, db *DB, coll string) []doc {
	t.Helper()
	out, err := FindAll[doc](context.Background(), db.Collection(coll), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every kind of change a commit makes (insert, update, replace, delete,
// upsert, index created and dropped, collection dropped) is found after a
// reopen, in lungo's natural order.
func TestBoltStoreKeepsEveryChangeAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openFileT(t, dir)
	c := db.Collection("c")
	if err := EnsureIndexes(ctx, db, []Index{
		{Collection: "c", Name: "k_unique", Keys: bson.D{{Key: "k", Value: 1}}, Unique: true, Partial: bson.D{{Key: "k", Value: bson.M{"$type": "string"}}}},
	}); err != nil {
		t.Fatal(err)
	}
	// (EnsureIndexes leaves a plain index out of lungo: made directly here.)
	if _, err := c.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "n", Value: 1}}, Options: options.Index().SetName("n")}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := c.InsertOne(ctx, doc{ID: fmt.Sprint(i), K: fmt.Sprint("k", i), N: i}); err != nil {
			t.Fatal(err)
		}
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.UpdateOne(ctx, bson.M{"_id": "3"}, bson.M{"$set": bson.M{"n": 33}}))
	must(c.ReplaceOne(ctx, bson.M{"_id": "4"}, doc{ID: "4", K: "k4", N: 44}))
	must(c.DeleteOne(ctx, bson.M{"_id": "0"}))
	must(c.DeleteMany(ctx, bson.M{"n": bson.M{"$gte": 8}}))
	must(c.UpdateOne(ctx, bson.M{"_id": "u"}, bson.M{"$set": bson.M{"k": "ku", "n": 100}}, options.Update().SetUpsert(true)))
	must(c.UpdateMany(ctx, bson.M{"n": bson.M{"$lt": 3}}, bson.M{"$inc": bson.M{"n": 1000}}))
	must(c.Indexes().DropOne(ctx, "n"))
	must(db.Collection("gone").InsertOne(ctx, bson.M{"_id": "x"}))
	if err := db.Collection("gone").Drop(ctx); err != nil {
		t.Fatal(err)
	}
	want := all(t, db, "c")
	if len(want) != 6 {
		t.Fatalf("setup: %d documents", len(want))
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}

	db = openFileT(t, dir)
	got := all(t, db, "c")
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after reopen\n got %v\nwant %v", got, want)
	}
	names, err := db.ListCollectionNames(ctx, bson.M{})
	if err != nil || len(names) != 1 {
		t.Fatalf("collections after reopen: %v %v", names, err)
	}
	cur, err := db.Collection("c").Indexes().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var specs []bson.M
	if err := cur.All(ctx, &specs); err != nil {
		t.Fatal(err)
	}
	idx := map[string]bool{}
	for _, s := range specs {
		idx[s["name"].(string)] = true
	}
	if !idx["k_unique"] || !idx["_id_"] || idx["n"] || len(idx) != 2 {
		t.Fatalf("indexes after reopen: %v", idx)
	}
	// The unique partial index is live again, not only listed.
	_, err = db.Collection("c").InsertOne(ctx, doc{ID: "dup", K: "k5"})
	if !IsDuplicate(err) {
		t.Fatalf("the reloaded unique index must hold: %v", err)
	}
}

// A commit writes only what changed: a one-document update in a large
// collection puts one record, whatever the collection's size.
func TestBoltStoreWritesOnlyTheChange(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openFileT(t, dir)
	docs := make([]any, 2000)
	for i := range docs {
		docs[i] = doc{ID: fmt.Sprintf("%05d", i), K: fmt.Sprint("k", i)}
	}
	if _, err := db.Collection("c").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	bs := boltOf(t, db)
	if err := db.WaitDurable(); err != nil {
		t.Fatal(err)
	}
	st := bs.db.Stats()
	before := st.TxStats.GetWrite()
	if _, err := db.Collection("c").UpdateOne(ctx, bson.M{"_id": "01000"}, bson.M{"$set": bson.M{"n": 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("c").DeleteOne(ctx, bson.M{"_id": "00010"}); err != nil {
		t.Fatal(err)
	}
	// bbolt writes whole pages: an update and a delete in a 2,000-document
	// collection touch a handful of pages, the old store rewrote them all.
	if err := db.WaitDurable(); err != nil {
		t.Fatal(err)
	}
	st = bs.db.Stats()
	if w := st.TxStats.GetWrite() - before; w > 16 {
		t.Fatalf("two one-document changes wrote %d pages", w)
	}
	_ = db.Close(ctx)
	db = openFileT(t, dir)
	n, _ := db.Collection("c").CountDocuments(ctx, bson.M{})
	got, err := FindOne[doc](ctx, db.Collection("c"), bson.M{"_id": "01000"}, mongo.ErrNoDocuments)
	if n != 1999 || err != nil || got.N != 1 {
		t.Fatalf("after reopen: %d documents, %+v %v", n, got, err)
	}
}

func boltOf(t *testing.T, db *DB) *BoltStore {
	t.Helper()
	bs, ok := db.store.(*BoltStore)
	if !ok {
		t.Fatal("not a bolt store")
	}
	return bs
}

// A data directory of the old single-file store is imported once, and the
// old file is kept beside the new one as a backup.
func TestOldFileStoreIsImportedOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old, err := open(ctx, lungo.NewFileStore(filepath.Join(dir, "linli.bson"), 0o640), "linli")
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsureIndexes(ctx, old, []Index{{Collection: "c", Name: "k_unique", Keys: bson.D{{Key: "k", Value: 1}}, Unique: true}}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := old.Collection("c").InsertOne(ctx, doc{ID: fmt.Sprint(i), K: fmt.Sprint("k", i), N: i}); err != nil {
			t.Fatal(err)
		}
	}
	want := all(t, old, "c")
	_ = old.Close(ctx)

	db := openFileT(t, dir)
	if got := all(t, db, "c"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("imported\n got %v\nwant %v", got, want)
	}
	if _, err := db.Collection("c").InsertOne(ctx, doc{ID: "x", K: "k1"}); !IsDuplicate(err) {
		t.Fatalf("imported unique index must hold: %v", err)
	}
	if _, err := db.Collection("c").InsertOne(ctx, doc{ID: "5", K: "k5"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "linli.bson")); !os.IsNotExist(err) {
		t.Fatalf("the old file must be moved aside: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "linli.bson.imported")); err != nil {
		t.Fatalf("the old file is kept as a backup: %v", err)
	}
	_ = db.Close(ctx)

	// Reopened: not imported again (the sixth document stays, nothing doubles).
	db = openFileT(t, dir)
	if got := all(t, db, "c"); len(got) != 6 {
		t.Fatalf("after a second start: %d documents", len(got))
	}
}
