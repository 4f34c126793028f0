package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Writers and readers at once (run with -race): every commit reaches the
// file in the order lungo made it, however the writer groups them, so that
// after a reopen the file holds exactly what memory held: the counter
// every writer incremented, each writer's own documents (inserted, then
// some updated, some deleted), and nothing else.
func TestBoltStoreConcurrentWritersAndReaders(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openFileT(t, dir)
	const writers, each = 6, 40
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readErr error
	var readMu sync.Mutex
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := db.Collection("c").CountDocuments(ctx, bson.M{"n": bson.M{"$gte": 0}}); err != nil {
					readMu.Lock()
					readErr = err
					readMu.Unlock()
					return
				}
			}
		})
	}
	var writing sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		writing.Go(func() {
			c := db.Collection("c")
			for i := range each {
				id := fmt.Sprintf("w%d-%02d", w, i)
				if _, err := c.InsertOne(ctx, doc{ID: id, K: id, N: i}); err != nil {
					errs <- err
					return
				}
				if _, err := db.Collection("counter").UpdateOne(ctx, bson.M{"_id": "n"},
					bson.M{"$inc": bson.M{"n": 1}}, options.Update().SetUpsert(true)); err != nil {
					errs <- err
					return
				}
				switch i % 3 {
				case 1:
					_, err := c.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"n": 1000 + i}})
					if err != nil {
						errs <- err
						return
					}
				case 2:
					if _, err := c.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
						errs <- err
						return
					}
				}
				if i%10 == 0 { // answers wait now and then, as the HTTP layer does
					if err := db.WaitDurable(); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	writing.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if readErr != nil {
		t.Fatal(readErr)
	}
	want := all(t, db, "c")
	var counter doc
	if err := db.Collection("counter").FindOne(ctx, bson.M{"_id": "n"}).Decode(&counter); err != nil || counter.N != writers*each {
		t.Fatalf("counter in memory: %+v %v", counter, err)
	}
	if err := db.WaitDurable(); err != nil {
		t.Fatal(err)
	}
	// Reopened without Close: only what WaitDurable promised is relied on.
	copyDir := t.TempDir()
	copyFile(t, boltOf(t, db), copyDir)
	_ = db.Close(ctx)

	for _, d := range []string{dir, copyDir} {
		db = openFileT(t, d)
		got := all(t, db, "c")
		if len(got) != len(want) || fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) {
			t.Fatalf("%s after reopen: %d documents, want %d", d, len(got), len(want))
		}
		var c doc
		if err := db.Collection("counter").FindOne(ctx, bson.M{"_id": "n"}).Decode(&c); err != nil || c.N != writers*each {
			t.Fatalf("counter after reopen: %+v %v", c, err)
		}
		_ = db.Close(ctx)
	}
}

func sorted(d []doc) []doc {
	d = slices.Clone(d)
	slices.SortFunc(d, func(a, b doc) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return d
}

// copyFile copies the database file as committed now (what a crash at
// this moment leaves on disk) into dir, under the name OpenFile uses.
func copyFile(t *testing.T, bs *BoltStore, dir string) {
	t.Helper()
	if err := bs.db.View(func(tx *bolt.Tx) error {
		return tx.CopyFile(filepath.Join(dir, FileName("linli")), 0o600)
	}); err != nil {
		t.Fatal(err)
	}
}
