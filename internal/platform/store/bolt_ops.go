package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/256dpi/lungo"
	"github.com/256dpi/lungo/bsonkit"
	"github.com/256dpi/lungo/mongokit"
	bolt "go.etcd.io/bbolt"
	"go.mongodb.org/mongo-driver/bson"
)

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
