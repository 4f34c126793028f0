// Package notify tells people what happened to their things: a wish claimed
// or released, a message answered, a deadline passed. Every notice lands in
// the person's in-app inbox (MongoDB, the source of truth, read with
// GET /api/v1/me/notifications); a notice with a Key is stored once however
// often a retried job sends it.
package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/apperr"
	"linli/internal/platform/clock"
	"linli/internal/platform/page"
	"linli/internal/platform/store"
)

// Notice is one thing to tell one person.
type Notice struct {
	ID     string `bson:"_id" json:"id"`
	UserID string `bson:"userId" json:"-"`
	// Kind is stable, for the client to choose an icon: "wish.released",
	// "message.overdue", ...
	Kind  string `bson:"kind" json:"kind"`
	Title string `bson:"title" json:"title"`
	Body  string `bson:"body" json:"body"`
	// RefType and RefID name what the notice is about ("wish", id).
	RefType string `bson:"refType,omitempty" json:"refType,omitempty"`
	RefID   string `bson:"refId,omitempty" json:"refId,omitempty"`
	// Key, when set, makes the notice idempotent: a second Notify with the
	// same key stores nothing.
	Key       string     `bson:"key,omitempty" json:"-"`
	CreatedAt time.Time  `bson:"createdAt" json:"createdAt"`
	ReadAt    *time.Time `bson:"readAt,omitempty" json:"readAt"`
}

// Notifier sends notices. Areas declare this interface where they use it.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// Inbox stores notices.
type Inbox struct {
	c     lungo.ICollection
	clock clock.Clock
}

var _ Notifier = (*Inbox)(nil)

// NewInbox returns the inbox over db.
func NewInbox(db lungo.IDatabase, c clock.Clock) *Inbox {
	return &Inbox{c: db.Collection("notifications"), clock: c}
}

// Indexes are the indexes the inbox's queries need.
var Indexes = []store.Index{
	{Collection: "notifications", Name: "user_created", Keys: bson.D{{Key: "userId", Value: 1}, {Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}},
	{Collection: "notifications", Name: "key_unique", Keys: bson.D{{Key: "key", Value: 1}}, Unique: true,
		Partial: bson.D{{Key: "key", Value: bson.M{"$type": "string"}}}},
	// A notice read ReadKept ago is removed (unread ones stay): the inbox
	// holds what people have to see, not the street's history.
	{Collection: "notifications", Name: "readAt_ttl", Keys: bson.D{{Key: "readAt", Value: 1}}, TTL: ReadKept},
}

// ReadKept is how long a read notice is kept.
const ReadKept = 180 * 24 * time.Hour

// Notify stores n for its user.
func (i *Inbox) Notify(ctx context.Context, n Notice) error {
	if n.ID == "" {
		n.ID = clock.NewID()
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = i.clock.Now()
	}
	_, err := i.c.InsertOne(ctx, n)
	if store.IsDuplicate(err) {
		return nil // already told
	}
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// List returns up to limit notices of userID, newest first, after the
// cursor when given.
func (i *Inbox) List(ctx context.Context, userID string, cur page.Cursor, limit int) ([]Notice, error) {
	filter := cur.Apply(bson.M{"userId": userID}, "createdAt", true)
	return store.FindAll[Notice](ctx, i.c, filter, options.Find().
		SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
}

// ErrNotFound is a notice that is not the caller's, or does not exist.
var ErrNotFound = apperr.Define(apperr.NotFound, "NOTIFICATION_NOT_FOUND", "找不到该通知")

// MarkRead marks one of userID's notices read (again is fine); another's
// is ErrNotFound.
func (i *Inbox) MarkRead(ctx context.Context, userID, id string) error {
	res, err := i.c.UpdateOne(ctx, bson.M{"_id": id, "userId": userID, "readAt": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"readAt": i.clock.Now()}})
	if err != nil {
		return fmt.Errorf("notify: mark read: %w", err)
	}
	if res.MatchedCount == 1 {
		return nil
	}
	n, err := i.c.CountDocuments(ctx, bson.M{"_id": id, "userId": userID})
	if err != nil {
		return fmt.Errorf("notify: mark read: %w", err)
	}
	if n == 0 {
		return ErrNotFound.New()
	}
	return nil
}
