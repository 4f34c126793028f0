// Package idem keeps what makes a keyed request (Idempotency-Key) exactly
// once, in the database, the source of truth: the same key and caller never
// run twice, across restarts, Redis outages and several processes. Redis
// may hold a copy of a decided answer (the handlers' fast path); this
// record decides.
//
// A record is taken (inserted) before the request runs; the unique _id
// makes one attempt the owner. Its outcome is then decided once:
//   - Done: the answer is kept and every retry gets it back.
//   - Unknown: the request failed with a server error, or its process
//     died while it ran (the record stayed pending past its lease). A write
//     may have committed anyway (a MongoDB election can fail a write that
//     commits), so it is never run again: retries are told the outcome is
//     unknown, and the phone asks the person to check before sending anew
//     (with a new key).
//   - Released: the request did nothing (refused by a rate limit, or a
//     server error that says nothing was done: apperr's NothingDone), so
//     the record is removed and a retry runs. Its own attempt releases it
//     even when a retry found its lease over meanwhile and decided it
//     Unknown: the attempt that outlived its lease knows better.
//
// Records expire a day after they were taken (a TTL index).
package idem

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/platform/store"
)

// Keep is how long a decided answer is kept.
const Keep = 24 * time.Hour

// Outcome is where a keyed request stands.
type Outcome string

const (
	Pending Outcome = "pending"
	Done    Outcome = "done"
	Unknown Outcome = "unknown"
)

// Record is one keyed request.
type Record struct {
	ID          string    `bson:"_id"` // caller + ":" + key
	Fingerprint string    `bson:"fp"`
	Outcome     Outcome   `bson:"outcome"`
	Owner       string    `bson:"owner"` // the attempt that took it
	Until       time.Time `bson:"until"` // a pending record's lease
	CreatedAt   time.Time `bson:"createdAt"`
	Status      int       `bson:"status,omitempty"`
	ContentType string    `bson:"ct,omitempty"`
	Body        []byte    `bson:"body,omitempty"`
}

// Indexes: records expire a day after they were taken.
var Indexes = []store.Index{
	{Collection: "idempotency", Name: "createdAt_ttl", Keys: bson.D{{Key: "createdAt", Value: 1}}, TTL: Keep},
}

// Store is the records.
type Store struct{ c lungo.ICollection }

// New returns the records of db.
func New(db lungo.IDatabase) *Store { return &Store{c: db.Collection("idempotency")} }

// undoTimeout bounds letting go of a record a failed Take may have stored.
const undoTimeout = 2 * time.Second

// Take makes owner the attempt that runs id until lease ends, or returns
// the record that is there (took false). A pending record whose lease
// ended is decided Unknown first (its process died while it ran). When it
// fails, no record of owner's is left behind (as far as the database
// lets it be removed): nothing ran, so a retry may.
func (s *Store) Take(ctx context.Context, id, fp, owner string, now time.Time, lease time.Duration) (Record, bool, error) {
	rec := Record{ID: id, Fingerprint: fp, Outcome: Pending, Owner: owner, Until: now.Add(lease), CreatedAt: now}
	_, err := s.c.InsertOne(ctx, rec)
	if err == nil {
		return rec, true, nil
	}
	if !store.IsDuplicate(err) {
		// The insert may have been stored all the same (a connection
		// reset after it committed): that record is let go, as its
		// owner never runs, so that the retry the caller is told to
		// send runs instead of waiting out a lease nobody holds.
		undo, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
		defer cancel()
		if uerr := s.Release(undo, id, owner); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return Record{}, false, fmt.Errorf("idem: take: %w", err)
	}
	have, err := store.FindOne[Record](ctx, s.c, bson.M{"_id": id}, nil)
	if err != nil {
		return Record{}, false, fmt.Errorf("idem: read: %w", err)
	}
	if have.ID == "" { // released meanwhile: take it again
		return s.Take(ctx, id, fp, owner, now, lease)
	}
	if have.Outcome == Pending && !now.Before(have.Until) {
		if _, err := s.c.UpdateOne(ctx, bson.M{"_id": id, "outcome": Pending, "owner": have.Owner},
			bson.M{"$set": bson.M{"outcome": Unknown}}); err != nil {
			return Record{}, false, fmt.Errorf("idem: expire: %w", err)
		}
		have.Outcome = Unknown
	}
	return have, false, nil
}

// Finish keeps the owner's answer.
func (s *Store) Finish(ctx context.Context, id, owner string, status int, contentType string, body []byte) error {
	_, err := s.c.UpdateOne(ctx, bson.M{"_id": id, "outcome": Pending, "owner": owner}, bson.M{"$set": bson.M{
		"outcome": Done, "status": status, "ct": contentType, "body": body,
	}})
	if err != nil {
		return fmt.Errorf("idem: finish: %w", err)
	}
	return nil
}

// Fail decides that the owner's request ended without an answer worth
// keeping and perhaps after a write: it never runs again.
func (s *Store) Fail(ctx context.Context, id, owner string) error {
	_, err := s.c.UpdateOne(ctx, bson.M{"_id": id, "outcome": Pending, "owner": owner},
		bson.M{"$set": bson.M{"outcome": Unknown}})
	if err != nil {
		return fmt.Errorf("idem: fail: %w", err)
	}
	return nil
}

// Release lets go of a request that did nothing, so that a retry runs:
// the owner's record, pending or decided Unknown by a retry that found its
// lease over (the request outlived it, then failed having done nothing;
// that retry did not run either). A Done record is never let go.
func (s *Store) Release(ctx context.Context, id, owner string) error {
	filter := bson.M{"_id": id, "owner": owner, "outcome": bson.M{"$in": bson.A{Pending, Unknown}}}
	if _, err := s.c.DeleteOne(ctx, filter); err != nil {
		return fmt.Errorf("idem: release: %w", err)
	}
	return nil
}
