package store

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/256dpi/lungo"
	"github.com/256dpi/lungo/mongokit"
	bolt "go.etcd.io/bbolt"
	"go.mongodb.org/mongo-driver/bson"
)

// BoltStore is a lungo.Store on bbolt that writes what a commit changed,
// not the whole catalog.
//
// lungo copies a namespace before it changes it and replaces documents
// instead of mutating them, so a commit's change is found by pointer: a
// namespace whose pointer differs from the last stored catalog holds the
// change, and within it a document whose pointer the last catalog did not
// have was inserted or replaced, one the new catalog no longer has was
// deleted. Each commit is one bbolt transaction (fsynced before Store
// returns, so before lungo acknowledges the write).
//
// Layout: one top-level bucket per namespace ("db.collection"), holding a
// bucket "docs" (key: the _id as a BSON element, value: an 8-byte insertion
// sequence then the document's BSON, so that a reload keeps lungo's natural
// order) and a bucket "indexes" (key: index name, value: lungo.FileIndex).
// The oplog is not stored: nothing watches it across a restart.
//
// lungo calls Store while it holds the lock every reader takes too, so
// Store only finds the change (a walk over pointers) and queues it; a
// writer goroutine writes the queue in order, several commits in one
// fsynced bbolt transaction when they come together (group commit). A
// change is visible to readers once lungo commits it and durable once
// flushed: whoever acknowledges a write calls WaitDurable first (the HTTP
// layer does, before it sends any answer). A failed flush is sticky:
// memory then holds what the disk does not, so every later commit and
// every wait fails.
type BoltStore struct {
	db   *bolt.DB
	last *lungo.Catalog

	mu      sync.Mutex
	cond    *sync.Cond
	queue   [][]op
	queued  uint64 // changes queued
	flushed uint64 // changes durable
	err     error
	closed  bool
	done    chan struct{}
	loaded  atomic.Bool // Load was called: Put is refused
}

var _ lungo.Store = (*BoltStore)(nil)

var (
	docsBucket    = []byte("docs")
	indexesBucket = []byte("indexes")
	metaBucket    = []byte("_linli_meta")
	importedKey   = []byte("imported-from")
)

// OpenBolt opens (or creates) the bbolt database at path.
func OpenBolt(path string) (*BoltStore, error) {
	// The freelist is rebuilt at open rather than written at every commit:
	// each commit writes fewer pages.
	db, err := bolt.Open(path, 0o640, &bolt.Options{Timeout: 5 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &BoltStore{db: db, done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	go s.write()
	return s, nil
}

// Close writes what is queued and closes the database file.
func (s *BoltStore) Close() error {
	s.mu.Lock()
	s.closed = true
	s.cond.Broadcast()
	s.mu.Unlock()
	<-s.done
	return s.db.Close()
}

// Put writes documents into the namespace "db.collection" directly, in
// one transaction (bulk loads into a file no server has open: benchmarks).
// Each document needs an _id. It is refused once the store has been
// loaded: lungo would not see the documents, and its next commits of that
// namespace would be diffed against a catalog that does not hold them.
func (s *BoltStore) Put(namespace string, docs []bson.D) error {
	if s.loaded.Load() {
		return errors.New("store: Put after Load: write through lungo instead")
	}
	ops := make([]op, 0, len(docs))
	for i := range docs {
		doc := &docs[i]
		key, err := idKey(doc)
		if err != nil {
			return err
		}
		ops = append(ops, op{kind: putDocument, ns: namespace, key: key, doc: doc})
	}
	return s.db.Update(func(tx *bolt.Tx) error { return apply(tx, ops) })
}

// WaitDurable returns once every change queued before the call is on disk.
func (s *BoltStore) WaitDurable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.queued
	for s.flushed < target && s.err == nil {
		s.cond.Wait()
	}
	return s.err
}

// Err is the failed flush's error, if one failed (it does not wait).
func (s *BoltStore) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// write flushes the queue until Close, several changes per transaction.
func (s *BoltStore) write() {
	defer close(s.done)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closed {
			s.cond.Wait()
		}
		if len(s.queue) == 0 || s.err != nil {
			s.mu.Unlock()
			return
		}
		batch, target := s.queue, s.queued
		s.queue = nil
		s.mu.Unlock()
		err := s.db.Update(func(tx *bolt.Tx) error {
			for _, ops := range batch {
				if err := apply(tx, ops); err != nil {
					return err
				}
			}
			return nil
		})
		s.mu.Lock()
		if err != nil {
			s.err = fmt.Errorf("store: write: %w", err)
		} else {
			s.flushed = target
		}
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// Store queues what changed since the last stored (or loaded) catalog.
func (s *BoltStore) Store(c *lungo.Catalog) error {
	last := s.last
	if last == nil {
		last = &lungo.Catalog{Namespaces: map[lungo.Handle]*mongokit.Collection{}}
	}
	var ops []op
	for h, ns := range c.Namespaces {
		if h == lungo.Oplog {
			continue
		}
		if old := last.Namespaces[h]; old != ns {
			var err error
			if ops, err = diff(ops, h, old, ns); err != nil {
				return fmt.Errorf("store: %s: %w", h, err)
			}
		}
	}
	for h := range last.Namespaces {
		if _, ok := c.Namespaces[h]; !ok && h != lungo.Oplog {
			ops = append(ops, op{kind: dropNamespace, ns: h.String()})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return errors.New("store: closed")
	}
	s.queue = append(s.queue, ops)
	s.queued++
	s.cond.Broadcast()
	s.last = c
	Commits.Add(1)
	return nil
}

// Commits counts the embedded store's commits (served on the metrics
// listener as linli_store_commits_total): how many a request makes is what
// it costs.
var Commits atomic.Int64
