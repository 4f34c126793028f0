package message

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// SetDirectory makes the service look staff up in d and returns the
// directory it used before (for tests of look-ups that fail). Call it
// before the requests that use it.
func (s *Service) SetDirectory(d Directory) Directory {
	old := s.directory
	s.directory = d
	return old
}

// FailNextInsertAfterWriting makes the next message inserted be stored and
// then reported as failed: a write a MongoDB election fails though it
// committed. Call it before the requests that use it.
func (s *Service) FailNextInsertAfterWriting() {
	c := &failsAfterWriting{ICollection: s.store.messages}
	c.armed.Store(true)
	s.store.messages = c
}

type failsAfterWriting struct {
	lungo.ICollection
	armed atomic.Bool
}

func (c *failsAfterWriting) InsertOne(ctx context.Context, doc any, opts ...*options.InsertOneOptions) (*mongo.InsertOneResult, error) {
	res, err := c.ICollection.InsertOne(ctx, doc, opts...)
	if err == nil && c.armed.CompareAndSwap(true, false) {
		return nil, errors.New("connection reset after the write committed")
	}
	return res, err
}
