package testenv

import (
	"testing"

	"linli/internal/platform/store"
	"linli/internal/platform/store/storetest"
)

// RealMongoURI names a real MongoDB the tests run against instead of the
// lungo memory store, when set (a replica set for production parity).
const RealMongoURI = storetest.RealMongoURI

// DB returns an empty database for one test: a lungo memory store, or a
// database of its own on the real MongoDB named by LINLI_TEST_MONGO_URI,
// dropped when the test ends.
func DB(t testing.TB) *store.DB {
	t.Helper()
	return storetest.DB(t)
}
