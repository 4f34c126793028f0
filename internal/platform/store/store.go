// Package store opens the product's MongoDB database through lungo's
// interfaces: a real MongoDB in production, lungo's file store in embedded
// mode, lungo's memory store in tests. It also holds the few helpers every
// area's store needs (index declaration, duplicate-key recognition).
package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readconcern"
	"go.mongodb.org/mongo-driver/mongo/readpref"
	"go.mongodb.org/mongo-driver/mongo/writeconcern"
)

// DB is an open database and the means to close it.
type DB struct {
	lungo.IDatabase
	client lungo.IClient
	engine *lungo.Engine // nil for a real MongoDB
	store  lungo.Store   // nil for a real MongoDB
	closer func() error  // the embedded file, if any

	stopExpiry context.CancelFunc // ends expire (embedded)
	expiryDone chan struct{}      // closed when expire has returned
}

// Settings pinned in code whatever the URI says (see README, "MongoDB"):
// the product reads its own writes (the change loop, role refreshes,
// conditional writes), so reads go to the primary; leases and counters
// must not be rolled back, so writes wait for a majority; an election
// takes about ten seconds, so selecting a server may take longer than
// that, and every operation is bounded all the same.
const (
	ServerSelectionTimeout = 30 * time.Second
	OperationTimeout       = 20 * time.Second
)

// MongoOptions are the client options for uri with the pinned settings.
func MongoOptions(uri string) *options.ClientOptions {
	return options.Client().ApplyURI(uri).
		SetReadPreference(readpref.Primary()).
		SetWriteConcern(writeconcern.Majority()).
		SetReadConcern(readconcern.Local()). // on the primary: every acknowledged write, at once
		SetRetryWrites(true).SetRetryReads(true).
		SetServerSelectionTimeout(ServerSelectionTimeout).
		SetTimeout(OperationTimeout)
}

// OpenMongo connects to a real MongoDB (a replica set).
func OpenMongo(ctx context.Context, uri, name string) (*DB, error) {
	ctx, cancel := context.WithTimeout(ctx, ServerSelectionTimeout)
	defer cancel()
	client, err := lungo.Connect(ctx, MongoOptions(uri))
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("store: ping: %w", err)
	}
	return &DB{IDatabase: client.Database(name), client: client}, nil
}

// FileName is the embedded database's file under the data directory.
func FileName(name string) string { return name + ".db" }

// OpenFile opens the embedded store under dir: lungo in memory over a bbolt
// file (name.db) that each commit updates with what it changed. A data file
// of the old single-file store (name.bson) is imported once and kept as
// name.bson.imported.
func OpenFile(ctx context.Context, dir, name string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: data dir: %w", err)
	}
	path := filepath.Join(dir, FileName(name))
	_, statErr := os.Stat(path)
	bs, err := OpenBolt(path)
	if err != nil {
		return nil, err
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := syncDir(dir); err != nil { // the new file's name is durable
			_ = bs.Close()
			return nil, err
		}
	}
	if err := bs.importFile(filepath.Join(dir, name+".bson")); err != nil {
		_ = bs.Close()
		return nil, err
	}
	db, err := open(ctx, bs, name)
	if err != nil {
		_ = bs.Close()
		return nil, err
	}
	db.closer = bs.Close
	return db, nil
}

// OpenMemory opens a fresh in-memory store (tests).
func OpenMemory(ctx context.Context) (*DB, error) {
	return open(ctx, lungo.NewMemoryStore(), "linli")
}

func open(ctx context.Context, s lungo.Store, name string) (*DB, error) {
	client, engine, err := lungo.Open(ctx, lungo.Options{
		Store: s,
		// Nothing watches lungo's oplog, and every commit copies it: keep
		// one event instead of up to a thousand full documents.
		MinOplogSize: 1, MaxOplogSize: 1, MinOplogAge: time.Nanosecond, MaxOplogAge: time.Nanosecond,
		// lungo's own expiry never runs (see expire): its ticker is set
		// beyond the life of any process.
		ExpireInterval: time.Duration(math.MaxInt64),
	})
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	db := &DB{IDatabase: client.Database(name), client: client, engine: engine, store: s, expiryDone: make(chan struct{})}
	var expiryCtx context.Context
	expiryCtx, db.stopExpiry = context.WithCancel(context.Background())
	go db.expire(expiryCtx, expireEvery)
	return db, nil
}

// expire removes the documents past a TTL index every interval until ctx
// ends, as lungo's own expiry would, but stoppable before the engine
// closes. lungo (v0.3.7) cannot close its own: Engine.Close holds the
// engine's mutex while it waits for its expiry goroutine to return
// (engine.go:349, 364), and that goroutine, once its ticker has fired,
// needs the same mutex to begin, abort or commit its transaction
// (engine.go:377-400 into 126, 154, 176, 228): a close that meets a due
// tick hangs for good. Close ends this loop first and waits for it, so the
// engine's close waits for nothing that needs its lock.
//
// A failed expiry is tried again at the next tick; a failed commit of the
// embedded file is sticky and shown by Ping.
func (db *DB) expire(ctx context.Context, interval time.Duration) {
	defer close(db.expiryDone)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if ctx.Err() != nil { // both were ready: stopping wins
			return
		}
		txn, err := db.engine.Begin(ctx, true) // waits for a writer's token, or for ctx
		if err != nil {
			continue
		}
		if err := txn.Expire(); err != nil {
			db.engine.Abort(txn)
			continue
		}
		_ = db.engine.Commit(txn)
	}
}

// WaitDurable returns once every write made before the call is on disk
// (embedded mode, where writes are flushed in the background); with
// MongoDB and the memory store it returns at once. Whoever acknowledges a
// write calls it first.
func (db *DB) WaitDurable() error {
	if bs, ok := db.store.(*BoltStore); ok {
		return bs.WaitDurable()
	}
	return nil
}

// expireEvery is how often the store (see expire) removes documents past a
// TTL index.
var expireEvery = time.Minute

// Ping reports whether the database answers. In embedded mode a failed
// flush fails it too; it does not wait for the flush (a disk that hangs
// must not hang readiness).
func (db *DB) Ping(ctx context.Context) error {
	if bs, ok := db.store.(*BoltStore); ok {
		if err := bs.Err(); err != nil {
			return err
		}
	}
	return db.client.Ping(ctx, readpref.Primary())
}

// Close releases the database.
func (db *DB) Close(ctx context.Context) error {
	if db.engine != nil {
		db.stopExpiry()
		<-db.expiryDone // never waits on the engine's lock while the engine holds it
		db.engine.Close()
		if db.closer != nil {
			return db.closer()
		}
		return nil
	}
	return db.client.Disconnect(ctx)
}

// Index declares one index a query needs.
type Index struct {
	Collection string
	Keys       any // a bson.D, in key order
	Unique     bool
	// Partial restricts the index (and a unique constraint) to matching
	// documents. It is ordered (bson.D), never a map: an index is compared
	// with the existing one at every start-up, and a map's random key order
	// makes the same index look different ("existing index has same key").
	Partial bson.D
	// TTL removes documents that many seconds after the indexed time.
	TTL  time.Duration
	Name string
	// Retired names an index an earlier version declared and no query
	// needs now (only Collection and Name are read): EnsureIndexes drops it
	// where it is still there, since MongoDB keeps every index up to date
	// on every write whether a query uses it or not. A new index never
	// takes a retired one's name.
	Retired bool
}

// EnsureIndexes creates every index; existing identical indexes are kept.
//
// lungo (embedded mode, tests) answers every query by scanning and uses
// indexes only to hold unique constraints and expire documents, while it
// keeps every index up to date on every write and builds them all at
// start: there only unique and TTL indexes are created, and others left
// by an earlier version are dropped.
func EnsureIndexes(ctx context.Context, db lungo.IDatabase, indexes []Index) error {
	embedded := false
	if d, ok := db.(*DB); ok && d.engine != nil {
		embedded = true
	}
	for _, ix := range indexes {
		if ix.Retired {
			if err := retire(ctx, db.Collection(ix.Collection), ix.Name); err != nil {
				return fmt.Errorf("store: retired index %s.%s: %w", ix.Collection, ix.Name, err)
			}
			continue
		}
		if embedded && !ix.Unique && ix.TTL == 0 {
			_, _ = db.Collection(ix.Collection).Indexes().DropOne(ctx, ix.Name) // absent: nothing to do
			continue
		}
		opts := options.Index().SetName(ix.Name)
		if ix.Unique {
			opts.SetUnique(true)
		}
		if ix.Partial != nil {
			opts.SetPartialFilterExpression(ix.Partial)
		}
		if ix.TTL > 0 {
			opts.SetExpireAfterSeconds(int32(ix.TTL / time.Second))
		}
		_, err := db.Collection(ix.Collection).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.Keys, Options: opts})
		if err != nil {
			return fmt.Errorf("store: index %s.%s: %w", ix.Collection, ix.Name, err)
		}
	}
	return nil
}

// retire drops the index named name from c if it is there. Processes
// starting at once may both try: a drop that fails because another
// dropped it meanwhile is done.
func retire(ctx context.Context, c lungo.ICollection, name string) error {
	if there, err := hasIndex(ctx, c, name); err != nil || !there {
		return err
	}
	if _, err := c.Indexes().DropOne(ctx, name); err != nil {
		if there, lerr := hasIndex(ctx, c, name); lerr == nil && !there {
			return nil
		}
		return err
	}
	return nil
}

// hasIndex reports whether c has an index named name (a collection not
// created yet has none).
func hasIndex(ctx context.Context, c lungo.ICollection, name string) (bool, error) {
	cur, err := c.Indexes().List(ctx)
	if err != nil {
		return false, err
	}
	var specs []struct {
		Name string `bson:"name"`
	}
	if err := cur.All(ctx, &specs); err != nil {
		return false, err
	}
	for _, s := range specs {
		if s.Name == name {
			return true, nil
		}
	}
	return false, nil
}

// IsDuplicate reports whether err is a unique-index violation, as MongoDB
// and lungo each word it.
func IsDuplicate(err error) bool {
	if err == nil {
		return false
	}
	return mongo.IsDuplicateKeyError(err) || lungo.IsUniquenessError(err)
}

// IsNoDocuments reports whether err says that nothing matched.
func IsNoDocuments(err error) bool { return errors.Is(err, mongo.ErrNoDocuments) }

// FindOne decodes the one document matching filter; none matching is notFound.
func FindOne[T any](ctx context.Context, c lungo.ICollection, filter any, notFound error, opts ...*options.FindOneOptions) (T, error) {
	var v T
	err := c.FindOne(ctx, filter, opts...).Decode(&v)
	if IsNoDocuments(err) {
		return v, notFound
	}
	if err != nil {
		return v, fmt.Errorf("store: find in %s: %w", c.Name(), err)
	}
	return v, nil
}

// FindAll decodes every document matching filter (never nil).
func FindAll[T any](ctx context.Context, c lungo.ICollection, filter any, opts ...*options.FindOptions) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: find in %s: %w", c.Name(), err)
	}
	out := []T{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("store: read %s: %w", c.Name(), err)
	}
	return out, nil
}
