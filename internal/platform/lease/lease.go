// Package lease makes background work safe with several server processes:
// a job runs only in the process that holds its lease, a MongoDB document
// taken with one conditional update (owner, expiresAt). A process that dies
// loses its lease when it expires; another takes over.
package lease

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/platform/clock"
	"linli/internal/platform/metrics"
	"linli/internal/platform/store"
)

// Leases takes and keeps named leases.
type Leases struct {
	c     lungo.ICollection
	clock clock.Clock
	owner string
}

// New returns leases held in db under the name of owner (one per process).
func New(db lungo.IDatabase, c clock.Clock, owner string) *Leases {
	return &Leases{c: db.Collection("leases"), clock: c, owner: owner}
}

// Take takes the lease name for ttl, or renews it when this owner holds it.
// It reports false when another owner holds an unexpired lease.
func (l *Leases) Take(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	now := l.clock.Now()
	filter := bson.M{"_id": name, "$or": bson.A{
		bson.M{"owner": l.owner},
		bson.M{"expiresAt": bson.M{"$lte": now}},
	}}
	update := bson.M{"$set": bson.M{"owner": l.owner, "expiresAt": now.Add(ttl), "takenAt": now}}
	_, err := l.c.UpdateOne(ctx, filter, update, options.Update().SetUpsert(true))
	if store.IsDuplicate(err) { // the lease exists and another owner holds it
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return true, nil
}

// Release gives the lease up if this owner holds it.
func (l *Leases) Release(ctx context.Context, name string) error {
	_, err := l.c.UpdateOne(ctx, bson.M{"_id": name, "owner": l.owner},
		bson.M{"$set": bson.M{"expiresAt": l.clock.Now()}})
	return err
}

// Job is one piece of background work, run once per tick by the lease holder.
type Job struct {
	Name     string
	Interval time.Duration
	Run      func(ctx context.Context) error
}

// Run runs job every Interval while ctx lives, only when this process holds
// the job's lease (taken for three intervals, renewed on each tick and every
// interval while the job runs). A run that cannot keep its lease is
// cancelled, so that it never goes on beside the process that took the
// lease over. Errors are logged; the loop goes on.
func (l *Leases) Run(ctx context.Context, log *slog.Logger, job Job) {
	t := time.NewTicker(job.Interval)
	defer t.Stop()
	for {
		l.tick(ctx, log, job)
		select {
		case <-ctx.Done():
			_ = l.Release(context.Background(), job.Name)
			return
		case <-t.C:
		}
	}
}

func (l *Leases) tick(ctx context.Context, log *slog.Logger, job Job) {
	ttl := 3 * job.Interval
	held, err := l.Take(ctx, job.Name, ttl)
	if err != nil {
		log.WarnContext(ctx, "lease", "job", job.Name, "err", err)
		return
	}
	if !held {
		return
	}
	run, cancel := context.WithCancel(ctx)
	kept := make(chan struct{})
	go func() { defer close(kept); l.keep(run, log, job, ttl, cancel) }()
	err = job.Run(run)
	cancel()
	<-kept
	failed := err != nil && run.Err() == nil
	metrics.From(ctx).JobRun(job.Name, failed)
	if failed {
		log.ErrorContext(ctx, "background job failed", "job", job.Name, "err", err)
	}
}

// keep renews the lease every interval while a run lasts, and cancels the
// run (lost) as soon as the lease cannot be renewed: it may have expired, or
// another process may hold it now.
func (l *Leases) keep(run context.Context, log *slog.Logger, job Job, ttl time.Duration, lost context.CancelFunc) {
	t := time.NewTicker(job.Interval)
	defer t.Stop()
	for {
		select {
		case <-run.Done():
			return
		case <-t.C:
		}
		held, err := l.Take(run, job.Name, ttl)
		if run.Err() != nil {
			return // the run ended meanwhile
		}
		if err != nil || !held {
			log.WarnContext(run, "lease lost, job stopped", "job", job.Name, "err", err)
			lost()
			return
		}
	}
}
