// Package storetest gives a test its own empty database: the lungo memory
// store, or a database of its own on the real MongoDB named by
// LINLI_TEST_MONGO_URI. It imports nothing of the product but the store,
// so that every package's tests (leases, counters) can use it.
package storetest

import (
	"context"
	"os"
	"testing"

	"linli/internal/platform/clock"
	"linli/internal/platform/store"
)

// RealMongoURI names a real MongoDB the tests run against instead of the
// lungo memory store, when set (a replica set for production parity).
const RealMongoURI = "LINLI_TEST_MONGO_URI"

// DB returns an empty database for one test, dropped (real MongoDB) and
// closed when the test ends.
func DB(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	uri := os.Getenv(RealMongoURI)
	if uri == "" {
		db, err := store.OpenMemory(ctx)
		if err != nil {
			t.Fatalf("memory store: %v", err)
		}
		t.Cleanup(func() { _ = db.Close(context.Background()) })
		return db
	}
	db, err := store.OpenMongo(ctx, uri, "linli_test_"+clock.NewID())
	if err != nil {
		t.Fatalf("real mongodb at %s: %v", RealMongoURI, err)
	}
	t.Cleanup(func() {
		_ = db.Drop(context.Background())
		_ = db.Close(context.Background())
	})
	return db
}
