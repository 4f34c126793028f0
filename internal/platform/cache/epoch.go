package cache

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Epoch is the cache's epoch, kept in MongoDB (the source of truth), so
// that what Redis holds from before an outage is not served after it.
// Cached pages carry the epoch they were filled under and are served only
// under the same epoch. The epoch moves when
//   - an invalidation is lost to a Redis failure (Lost): the change itself
//     was just written to MongoDB, so the bump can be too;
//   - a process that saw Redis fail sees it answer again (Seen): a Redis
//     that was paused or restarted from a saved file may hold pages older
//     than changes it never heard of.
//
// Every process keeps the epoch in memory (a hot read costs an atomic load
// and one more field of the HMGET it makes anyway) and re-reads it every
// EpochRefresh (Run), and at once after it saw Redis fail: a change made
// while Redis was unreachable is served by every process on the first read
// after Redis returns, once a refresh has passed since the change (at most
// EpochRefresh, a second).
type Epoch struct {
	c    lungo.ICollection
	log  *slog.Logger
	n    atomic.Int64
	down atomic.Bool // this process saw Redis fail and has not seen it back
}

// EpochRefresh is how often every process re-reads the epoch.
const EpochRefresh = time.Second

const epochID = "redis"

// NewEpoch returns the epoch kept in db (read once now when it can be).
func NewEpoch(ctx context.Context, db lungo.IDatabase, log *slog.Logger) *Epoch {
	e := &Epoch{c: db.Collection("cache_epoch"), log: log}
	_ = e.Refresh(ctx)
	return e
}

// Current is the epoch pages must carry to be served ("0" with no Epoch).
func (e *Epoch) Current() int64 {
	if e == nil {
		return 0
	}
	return e.n.Load()
}

// Refresh re-reads the epoch from MongoDB.
func (e *Epoch) Refresh(ctx context.Context) error {
	var doc struct {
		N int64 `bson:"n"`
	}
	err := e.c.FindOne(ctx, bson.M{"_id": epochID}).Decode(&doc)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return err
	}
	e.raise(doc.N)
	return nil
}

func (e *Epoch) raise(n int64) {
	for {
		cur := e.n.Load()
		if n <= cur || e.n.CompareAndSwap(cur, n) {
			return
		}
	}
}

// Lost notes an invalidation lost to a Redis failure: every page cached
// before now is void.
func (e *Epoch) Lost(ctx context.Context) {
	if e == nil {
		return
	}
	e.down.Store(true)
	e.bump(ctx)
}

// Failed notes that Redis failed in this process.
func (e *Epoch) Failed() {
	if e != nil {
		e.down.Store(true)
	}
}

// Seen notes that Redis answered; the first answer after a failure this
// process saw voids every page cached before it (once per outage).
func (e *Epoch) Seen(ctx context.Context) {
	if e != nil && e.down.CompareAndSwap(true, false) {
		e.bump(ctx)
	}
}

func (e *Epoch) bump(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	_, err := e.c.UpdateOne(ctx, bson.M{"_id": epochID}, bson.M{"$inc": bson.M{"n": int64(1)}}, options.Update().SetUpsert(true))
	if err == nil {
		err = e.Refresh(ctx)
	}
	if err != nil {
		e.down.Store(true) // try again on the next answer
		e.log.WarnContext(ctx, "cache epoch not moved", "err", err)
	}
}

// Run re-reads the epoch every interval until ctx ends.
func (e *Epoch) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.Refresh(ctx); err != nil && ctx.Err() == nil {
				e.log.WarnContext(ctx, "cache epoch not read", "err", err)
			}
		}
	}
}
