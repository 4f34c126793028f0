package testenv

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

// DB returns an empty database for one test: a lungo memory store, or a
// database of its own on the real MongoDB named by LINLI_TEST_MONGO_URI,
// dropped when the test ends.
func DB(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	uri := os.Getenv(RealMongoURI)
	if uri == "" {
		db, err := store.OpenMemory(ctx)
		mustf(t, err, "memory store")
		t.Cleanup(func() { _ = db.Close(context.Background()) })
		return db
	}
	db, err := store.OpenMongo(ctx, uri, "linli_test_"+clock.NewID())
	mustf(t, err, "real mongodb at %s", RealMongoURI)
	t.Cleanup(func() {
		_ = db.Drop(context.Background())
		_ = db.Close(context.Background())
	})
	return db
}
