package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

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

// Documents lungo itself removes past a TTL index are removed from the
// file too: they do not come back at the next start.
func TestBoltStoreKeepsTTLExpiryAcrossReopen(t *testing.T) {
	expireEvery = 20 * time.Millisecond
	t.Cleanup(func() { expireEvery = time.Minute })
	ctx := context.Background()
	dir := t.TempDir()
	db := openFileT(t, dir)
	if err := EnsureIndexes(ctx, db, []Index{{Collection: "n", Name: "readAt_ttl", Keys: bson.D{{Key: "readAt", Value: 1}}, TTL: time.Hour}}); err != nil {
		t.Fatal(err)
	}
	insertAndExpire(t, db, "a document past its TTL was not removed")
	if err := db.WaitDurable(); err != nil {
		t.Fatal(err)
	}
	expireEvery = time.Hour // the reopened store must not expire it again itself
	copyDir := t.TempDir()
	copyFile(t, boltOf(t, db), copyDir)
	_ = db.Close(ctx)
	db = openFileT(t, copyDir)
	onlyUnread(t, db, "after reopen")
}

// A flush that fails is never hidden: the wait an answer makes fails,
// the database's ping (readiness) fails, and every later write is refused
// instead of piling up in memory ahead of the disk.
func TestBoltStoreFailedFlushIsSticky(t *testing.T) {
	ctx := context.Background()
	db := openFileT(t, t.TempDir())
	c := db.Collection("c")
	if _, err := c.InsertOne(ctx, doc{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := db.WaitDurable(); err != nil {
		t.Fatal(err)
	}
	bs := boltOf(t, db)
	if err := bs.db.Close(); err != nil { // the disk goes away under the writer
		t.Fatal(err)
	}
	if _, err := c.InsertOne(ctx, doc{ID: "b"}); err != nil {
		t.Fatal(err) // queued: lungo has it in memory, the writer has not tried yet
	}
	if err := db.WaitDurable(); err == nil {
		t.Fatal("the wait must fail when the flush failed")
	}
	if err := db.Ping(ctx); err == nil {
		t.Fatal("ping (readiness) must fail when memory is ahead of the disk")
	}
	if _, err := c.InsertOne(ctx, doc{ID: "c"}); err == nil {
		t.Fatal("a write after a failed flush must be refused")
	}
	if n, _ := c.CountDocuments(ctx, bson.M{"_id": "c"}); n != 0 {
		t.Fatal("a refused write must not be in memory")
	}
}

// Put (bulk loads into a file nobody serves) is refused once the store is
// loaded: documents written behind lungo's back would be invisible to it
// and out of step with its next commits.
func TestBoltStorePutIsRefusedOnceLoaded(t *testing.T) {
	bs, err := OpenBolt(filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	if err := bs.Put("linli.c", []bson.D{{{Key: "_id", Value: "a"}}}); err != nil {
		t.Fatal(err)
	}
	catalog, err := bs.Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(catalog.Namespaces[[2]string{"linli", "c"}].Documents.List); n != 1 {
		t.Fatalf("put before load: %d documents loaded", n)
	}
	if err := bs.Put("linli.c", []bson.D{{{Key: "_id", Value: "b"}}}); err == nil {
		t.Fatal("Put after Load must be refused")
	}
}

// A TTL index declared before a restart still expires documents after it,
// though nothing declares it again: the store's own expiry (lungo's never
// runs) reads the index from the reopened file, and what it removes stays
// removed at the next start.
func TestBoltStoreTTLIndexExpiresAfterReopen(t *testing.T) {
	expireEvery = time.Hour // nothing expires before the restart
	t.Cleanup(func() { expireEvery = time.Minute })
	ctx := context.Background()
	dir := t.TempDir()
	db := openFileT(t, dir)
	if err := EnsureIndexes(ctx, db, []Index{{Collection: "n", Name: "readAt_ttl", Keys: bson.D{{Key: "readAt", Value: 1}}, TTL: time.Hour}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	expireEvery = 20 * time.Millisecond
	db = openFileT(t, dir)
	insertAndExpire(t, db, "after a restart a document past its TTL was not removed")
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	expireEvery = time.Hour
	db = openFileT(t, dir)
	onlyUnread(t, db, "after the second restart")
}

// insertAndExpire inserts into n a document read two hours ago and one
// never read, and waits (five seconds at most, else fails with msg) until
// the TTL expiry has removed the old one.
func insertAndExpire(t *testing.T, db *DB, msg string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	for _, d := range []bson.M{{"_id": "old", "readAt": now.Add(-2 * time.Hour)}, {"_id": "unread"}} {
		if _, err := db.Collection("n").InsertOne(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if n, _ := db.Collection("n").CountDocuments(ctx, bson.M{"_id": "old"}); n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// onlyUnread fails unless n holds only the document never read.
func onlyUnread(t *testing.T, db *DB, when string) {
	t.Helper()
	var ids []string
	for _, d := range all(t, db, "n") {
		ids = append(ids, d.ID)
	}
	if fmt.Sprint(ids) != "[unread]" {
		t.Fatalf("%s: %v, want only the unread one", when, ids)
	}
}
