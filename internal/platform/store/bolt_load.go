package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/256dpi/lungo"
	"github.com/256dpi/lungo/bsonkit"
	"github.com/256dpi/lungo/mongokit"
	bolt "go.etcd.io/bbolt"
	"go.mongodb.org/mongo-driver/bson"
)

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
