package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/256dpi/lungo"
	bolt "go.etcd.io/bbolt"
)

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
