package store

import (
	"context"
	"path/filepath"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
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
