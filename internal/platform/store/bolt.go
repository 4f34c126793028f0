package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/256dpi/lungo"
	"github.com/256dpi/lungo/bsonkit"
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

// Load reads every namespace into a new catalog.
func (s *BoltStore) Load() (*lungo.Catalog, error) {
	catalog := lungo.NewCatalog()
	var builds []build
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if bytes.Equal(name, metaBucket) {
				return nil
			}
			handle, err := parseHandle(string(name))
			if err != nil {
				return err
			}
			ns, err := loadNamespace(b, &builds)
			if err != nil {
				return fmt.Errorf("store: load %s: %w", handle, err)
			}
			catalog.Namespaces[handle] = ns
			return nil
		})
	})
	if err == nil {
		err = buildAll(builds)
	}
	if err != nil {
		return nil, err
	}
	s.last = catalog
	s.loaded.Store(true)
	return catalog, nil
}

type seqDoc struct {
	seq uint64
	doc bsonkit.Doc
}

// build is an index to fill from its namespace's documents.
type build struct {
	name  string
	index *mongokit.Index
	list  bsonkit.List
}

// buildAll fills the indexes, as many at once as there are processors
// (most of a start's time is spent here).
func buildAll(builds []build) error {
	jobs := make(chan build)
	errs := make(chan error, len(builds))
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for b := range jobs {
				ok, err := b.index.Build(b.list)
				if err == nil && !ok {
					err = fmt.Errorf("duplicate document for index %q", b.name)
				}
				errs <- err
			}
		})
	}
	for _, b := range builds {
		jobs <- b
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func loadNamespace(b *bolt.Bucket, builds *[]build) (*mongokit.Collection, error) {
	var docs []seqDoc
	if db := b.Bucket(docsBucket); db != nil {
		err := db.ForEach(func(_, v []byte) error {
			if len(v) < 8 {
				return errors.New("short document record")
			}
			var d bson.D
			if err := bson.Unmarshal(v[8:], &d); err != nil {
				return err
			}
			docs = append(docs, seqDoc{binary.BigEndian.Uint64(v), &d})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(docs, func(a, b seqDoc) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	list := make(bsonkit.List, len(docs))
	for i, d := range docs {
		list[i] = d.doc
	}
	ns := mongokit.NewCollection(false)
	ns.Documents = bsonkit.NewSet(list)
	if ib := b.Bucket(indexesBucket); ib != nil {
		err := ib.ForEach(func(k, v []byte) error {
			var fi lungo.FileIndex
			if err := bson.Unmarshal(v, &fi); err != nil {
				return err
			}
			index, err := mongokit.CreateIndex(mongokit.IndexConfig{Key: fi.Key, Unique: fi.Unique, Partial: fi.Partial, Expiry: fi.Expiry})
			if err != nil {
				return err
			}
			ns.Indexes[string(k)] = index
			*builds = append(*builds, build{name: string(k), index: index, list: list})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return ns, nil
}

func parseHandle(name string) (lungo.Handle, error) {
	db, coll, ok := strings.Cut(name, ".")
	if !ok || db == "" || coll == "" {
		return lungo.Handle{}, fmt.Errorf("store: invalid namespace %q", name)
	}
	return lungo.Handle{db, coll}, nil
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

type opKind int

const (
	putDocument opKind = iota
	deleteDocument
	putIndex
	deleteIndex
	dropNamespace
)

// op is one change to write. Documents are kept as lungo's pointers and
// encoded by the writer: lungo never changes a committed document.
type op struct {
	kind  opKind
	ns    string
	key   []byte
	doc   bsonkit.Doc
	index lungo.FileIndex
}

// diff appends the difference between old (nil: a new namespace) and ns.
func diff(ops []op, h lungo.Handle, old, ns *mongokit.Collection) ([]op, error) {
	name := h.String()
	var oldList bsonkit.List
	var oldIndex map[bsonkit.Doc]int
	if old != nil {
		oldList, oldIndex = old.Documents.List, old.Documents.Index
	}
	kept := 0
	upserted := map[string]bool{}
	for i, doc := range ns.Documents.List {
		// Fast path: a replaced document keeps its place, an inserted one is
		// appended, so most documents sit where they sat.
		if i < len(oldList) && oldList[i] == doc {
			kept++
			continue
		}
		if _, ok := oldIndex[doc]; ok {
			kept++
			continue
		}
		key, err := idKey(doc)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op{kind: putDocument, ns: name, key: key, doc: doc})
		upserted[string(key)] = true
	}
	if kept < len(oldList) { // some old documents are gone: replaced or deleted
		for _, doc := range oldList {
			if _, ok := ns.Documents.Index[doc]; ok {
				continue
			}
			key, err := idKey(doc)
			if err != nil {
				return nil, err
			}
			if !upserted[string(key)] { // a replaced one is written already
				ops = append(ops, op{kind: deleteDocument, ns: name, key: key})
			}
		}
	}
	for iname, index := range ns.Indexes {
		if old != nil {
			if was, ok := old.Indexes[iname]; ok && was.Config().Equal(index.Config()) {
				continue
			}
		}
		cfg := index.Config()
		ops = append(ops, op{kind: putIndex, ns: name, key: []byte(iname),
			index: lungo.FileIndex{Key: cfg.Key, Unique: cfg.Unique, Partial: cfg.Partial, Expiry: cfg.Expiry}})
	}
	if old != nil {
		for iname := range old.Indexes {
			if _, ok := ns.Indexes[iname]; !ok {
				ops = append(ops, op{kind: deleteIndex, ns: name, key: []byte(iname)})
			}
		}
	}
	if old == nil { // a new, empty namespace is stored too
		ops = append(ops, op{kind: putIndex, ns: name})
	}
	return ops, nil
}

// apply writes ops in order.
func apply(tx *bolt.Tx, ops []op) error {
	for _, o := range ops {
		if o.kind == dropNamespace {
			if err := tx.DeleteBucket([]byte(o.ns)); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
				return err
			}
			continue
		}
		b, err := tx.CreateBucketIfNotExists([]byte(o.ns))
		if err != nil {
			return err
		}
		docs, err := b.CreateBucketIfNotExists(docsBucket)
		if err != nil {
			return err
		}
		indexes, err := b.CreateBucketIfNotExists(indexesBucket)
		if err != nil {
			return err
		}
		switch o.kind {
		case putDocument:
			err = putDoc(docs, o.key, o.doc)
		case deleteDocument:
			err = docs.Delete(o.key)
		case putIndex:
			if o.key == nil {
				continue // the namespace's buckets exist now
			}
			var raw []byte
			if raw, err = bson.Marshal(o.index); err == nil {
				err = indexes.Put(o.key, raw)
			}
		case deleteIndex:
			err = indexes.Delete(o.key)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", o.ns, err)
		}
	}
	return nil
}

// putDoc stores doc under key, keeping the insertion sequence of the
// document it replaces.
func putDoc(b *bolt.Bucket, key []byte, doc bsonkit.Doc) error {
	raw, err := bson.Marshal(doc)
	if err != nil {
		return err
	}
	var seq uint64
	if prev := b.Get(key); len(prev) >= 8 {
		seq = binary.BigEndian.Uint64(prev)
	} else if seq, err = b.NextSequence(); err != nil {
		return err
	}
	v := make([]byte, 8, 8+len(raw))
	binary.BigEndian.PutUint64(v, seq)
	return b.Put(key, append(v, raw...))
}

// idKey is the document's _id as one BSON element: equal ids of one type
// give equal keys.
func idKey(doc bsonkit.Doc) ([]byte, error) {
	id := bsonkit.Get(doc, "_id")
	if id == bsonkit.Missing {
		return nil, errors.New("document without _id")
	}
	raw, err := bson.Marshal(bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return nil, err
	}
	return raw[4 : len(raw)-1], nil // the element, without the document frame
}

// importFile copies the old single-file store at path into an empty bbolt
// database once, then keeps the old file as path+".imported" (a backup).
func (s *BoltStore) importFile(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	var done bool
	if err := s.db.View(func(tx *bolt.Tx) error {
		done = tx.Bucket(metaBucket) != nil && tx.Bucket(metaBucket).Get(importedKey) != nil
		return nil
	}); err != nil {
		return err
	}
	if !done {
		catalog, err := lungo.NewFileStore(path, 0o640).Load()
		if err != nil {
			return fmt.Errorf("store: import %s: %w", path, err)
		}
		err = s.db.Update(func(tx *bolt.Tx) error {
			for h, ns := range catalog.Namespaces {
				if h == lungo.Oplog {
					continue
				}
				ops, err := diff(nil, h, nil, ns)
				if err == nil {
					err = apply(tx, ops)
				}
				if err != nil {
					return fmt.Errorf("store: import %s: %w", h, err)
				}
			}
			meta, err := tx.CreateBucketIfNotExists(metaBucket)
			if err != nil {
				return err
			}
			return meta.Put(importedKey, []byte(filepath.Base(path)))
		})
		if err != nil {
			return err
		}
	}
	if err := os.Rename(path, path+".imported"); err != nil {
		return fmt.Errorf("store: keep %s as a backup: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
