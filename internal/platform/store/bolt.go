package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"expvar"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
type BoltStore struct {
	db   *bolt.DB
	last *lungo.Catalog
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
	return &BoltStore{db: db}, nil
}

// Close closes the database file.
func (s *BoltStore) Close() error { return s.db.Close() }

// Load reads every namespace into a new catalog.
func (s *BoltStore) Load() (*lungo.Catalog, error) {
	catalog := lungo.NewCatalog()
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if bytes.Equal(name, metaBucket) {
				return nil
			}
			handle, err := parseHandle(string(name))
			if err != nil {
				return err
			}
			ns, err := loadNamespace(b)
			if err != nil {
				return fmt.Errorf("store: load %s: %w", handle, err)
			}
			catalog.Namespaces[handle] = ns
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	s.last = catalog
	return catalog, nil
}

type seqDoc struct {
	seq uint64
	doc bsonkit.Doc
}

func loadNamespace(b *bolt.Bucket) (*mongokit.Collection, error) {
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
			ok, err := index.Build(list)
			if err != nil {
				return err
			} else if !ok {
				return fmt.Errorf("duplicate document for index %q", k)
			}
			ns.Indexes[string(k)] = index
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

// Store writes what changed since the last stored (or loaded) catalog in
// one fsynced transaction.
func (s *BoltStore) Store(c *lungo.Catalog) error {
	last := s.last
	if last == nil {
		last = &lungo.Catalog{Namespaces: map[lungo.Handle]*mongokit.Collection{}}
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for h, ns := range c.Namespaces {
			if h == lungo.Oplog {
				continue
			}
			old := last.Namespaces[h]
			if old == ns {
				continue
			}
			if err := writeNamespace(tx, h, old, ns); err != nil {
				return fmt.Errorf("store: write %s: %w", h, err)
			}
		}
		for h := range last.Namespaces {
			if h == lungo.Oplog {
				continue
			}
			if _, ok := c.Namespaces[h]; !ok {
				if err := tx.DeleteBucket([]byte(h.String())); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
					return fmt.Errorf("store: drop %s: %w", h, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.last = c
	Commits.Add(1)
	return nil
}

// Commits counts the embedded store's stored commits (served at GET
// /metrics as storeCommits): how many a request makes is what it costs.
var Commits = expvar.NewInt("linli_store_commits")

// writeNamespace writes the difference between old (nil: a new namespace)
// and ns.
func writeNamespace(tx *bolt.Tx, h lungo.Handle, old, ns *mongokit.Collection) error {
	b, err := tx.CreateBucketIfNotExists([]byte(h.String()))
	if err != nil {
		return err
	}
	docs, err := b.CreateBucketIfNotExists(docsBucket)
	if err != nil {
		return err
	}
	var oldList bsonkit.List
	var oldIndex map[bsonkit.Doc]int
	if old != nil {
		oldList, oldIndex = old.Documents.List, old.Documents.Index
	}
	newList := ns.Documents.List
	kept := 0
	upserted := map[string]bool{}
	for i, doc := range newList {
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
			return err
		}
		if err := putDoc(docs, key, doc); err != nil {
			return err
		}
		upserted[string(key)] = true
	}
	if kept < len(oldList) { // some old documents are gone: replaced or deleted
		for _, doc := range oldList {
			if _, ok := ns.Documents.Index[doc]; ok {
				continue
			}
			key, err := idKey(doc)
			if err != nil {
				return err
			}
			if upserted[string(key)] {
				continue // replaced, already written
			}
			if err := docs.Delete(key); err != nil {
				return err
			}
		}
	}
	return writeIndexes(b, old, ns)
}

func writeIndexes(b *bolt.Bucket, old, ns *mongokit.Collection) error {
	ib, err := b.CreateBucketIfNotExists(indexesBucket)
	if err != nil {
		return err
	}
	for name, index := range ns.Indexes {
		cfg := index.Config()
		if old != nil {
			if was, ok := old.Indexes[name]; ok && was.Config().Equal(cfg) {
				continue
			}
		}
		raw, err := bson.Marshal(lungo.FileIndex{Key: cfg.Key, Unique: cfg.Unique, Partial: cfg.Partial, Expiry: cfg.Expiry})
		if err != nil {
			return err
		}
		if err := ib.Put([]byte(name), raw); err != nil {
			return err
		}
	}
	if old != nil {
		for name := range old.Indexes {
			if _, ok := ns.Indexes[name]; !ok {
				if err := ib.Delete([]byte(name)); err != nil {
					return err
				}
			}
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
				if err := writeNamespace(tx, h, nil, ns); err != nil {
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
