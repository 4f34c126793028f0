// Package notify tells people what happened to their things: a wish claimed
// or released, a message answered, a deadline passed, a place moved up a
// waitlist. It is an outbox: every notice is one record per event per
// person (collection "notifications", unique by its Key), and that record
// has two deliveries — the in-app inbox (GET /api/v1/me/notifications, the
// record itself) and one WeChat subscribe message (the record's WeChat
// delivery state, worked by the Sender under a lease).
//
// Areas write the notice together with their state change (a per-document
// outbox of keyed notices, delivered here by Notify after the write and by
// their sweep when the process stopped in between): Notify with the same
// Key stores nothing the second time, so a retried delivery tells once.
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

// Notice is one thing to tell one person: what an area hands to Notify.
type Notice struct {
	ID     string `bson:"_id,omitempty" json:"id"`
	UserID string `bson:"userId" json:"-"`
	// Kind is stable, for the client to choose an icon and for the WeChat
	// template to use: "wish.released", "message.overdue", ...
	Kind  string `bson:"kind" json:"kind"`
	Title string `bson:"title" json:"title"`
	Body  string `bson:"body" json:"body"`
	// RefType and RefID name what the notice is about ("wish", id): the
	// mini-program opens it, the subscribe message links its page.
	RefType string `bson:"refType,omitempty" json:"refType,omitempty"`
	RefID   string `bson:"refId,omitempty" json:"refId,omitempty"`
	// Fields are named values a WeChat template may show ("who": the staff
	// member's name, "reason", "when"...), see configs/subscribe-templates.json.
	Fields map[string]string `bson:"fields,omitempty" json:"-"`
	// Key makes the notice idempotent: a second Notify with the same key
	// stores nothing. Every area sets one (area:thing:event:user).
	Key       string    `bson:"key,omitempty" json:"-"`
	CreatedAt time.Time `bson:"createdAt" json:"createdAt"`
}

// BatchField, set in a notice's Fields, batches its WeChat copy: the
// notices of one person with the same value are sent as one message at the
// end of the BatchWindow they came in ("3条新留言待受理"); each stays in the
// inbox. Staff's non-urgent new messages are batched; urgent ones go at once.
const BatchField = "batch"

// BatchWindow is how long batched notices gather.
const BatchWindow = 30 * time.Minute

// Notifier sends notices. Areas declare this interface where they use it.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// The states of a record's WeChat delivery.
const (
	// Queued: waits for the sender (Due says from when).
	Queued = "queued"
	// Sending: a sender claimed it (Claim) and sends now.
	Sending = "sending"
	// Sent: WeChat accepted it.
	Sent = "sent"
	// Logged: no WeChat configured (embedded mode); the sender logged it.
	Logged = "logged"
	// InAppOnly: not sent by WeChat (Reason: in_app_only when its kind is
	// declared in-app only, no_template when no template carries it,
	// no_credit, no_openid, batched:ID); the inbox still has it.
	InAppOnly = "in_app_only"
	// Failed: WeChat refused it for good, or the sender gave up (Reason).
	Failed = "failed"
)

// Delivery is a record's WeChat delivery.
type Delivery struct {
	State    string `bson:"state"`
	Template string `bson:"template,omitempty"`
	// Due is set while the delivery waits or is claimed: when the sender
	// may take it (queued), or when a claim counts as interrupted (sending).
	Due      *time.Time `bson:"due,omitempty"`
	Attempts int        `bson:"attempts"`
	Claim    string     `bson:"claim,omitempty"`
	// Credit is set while the record holds a subscription credit it spent
	// (kept across retries, so that a retry spends none again).
	Credit bool       `bson:"credit,omitempty"`
	Reason string     `bson:"reason,omitempty"`
	At     *time.Time `bson:"at,omitempty"`
}

// Record is a stored notice: the inbox entry and its WeChat delivery.
type Record struct {
	Notice `bson:",inline"`
	ReadAt *time.Time `bson:"readAt,omitempty"`
	WeChat Delivery   `bson:"wechat"`
}

// Inbox is the outbox of notices and the in-app inbox over it.
type Inbox struct {
	c         lungo.ICollection
	clock     clock.Clock
	templates *Templates
}

var _ Notifier = (*Inbox)(nil)

// NewInbox returns the inbox over db; t says which kinds WeChat carries
// (nil: none, every record stays in-app).
func NewInbox(db lungo.IDatabase, c clock.Clock, t *Templates) *Inbox {
	return &Inbox{c: db.Collection("notifications"), clock: c, templates: t}
}

// Indexes are the indexes the inbox's and the sender's queries need.
var Indexes = []store.Index{
	{Collection: "notifications", Name: "user_created", Keys: bson.D{{Key: "userId", Value: 1}, {Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}},
	{Collection: "notifications", Name: "key_unique", Keys: bson.D{{Key: "key", Value: 1}}, Unique: true,
		Partial: bson.D{{Key: "key", Value: bson.M{"$type": "string"}}}},
	// A notice read ReadKept ago is removed (unread ones stay): the inbox
	// holds what people have to see, not the street's history.
	{Collection: "notifications", Name: "readAt_ttl", Keys: bson.D{{Key: "readAt", Value: 1}}, TTL: ReadKept},
	// The sender's work: only records whose delivery is pending carry Due.
	{Collection: "notifications", Name: "wechat_due", Keys: bson.D{{Key: "wechat.due", Value: 1}, {Key: "_id", Value: 1}},
		Partial: bson.D{{Key: "wechat.due", Value: bson.M{"$exists": true}}}},
	{Collection: "subscription_credits", Name: "user", Keys: bson.D{{Key: "userId", Value: 1}}},
}

// ReadKept is how long a read notice is kept.
const ReadKept = 180 * 24 * time.Hour

// Notify stores n for its user, with its WeChat delivery queued when a
// template carries its kind. The same Key again stores nothing.
func (i *Inbox) Notify(ctx context.Context, n Notice) error {
	if n.UserID == "" {
		return nil
	}
	if n.ID == "" {
		n.ID = clock.NewID()
	}
	now := i.clock.Now()
	if n.CreatedAt.IsZero() {
		n.CreatedAt = now
	}
	r := Record{Notice: n, WeChat: Delivery{State: InAppOnly, Reason: i.templates.noSendReason(n.Kind), At: &now}}
	if t, ok := i.templates.For(n.Kind); ok {
		due := now
		if n.Fields[BatchField] != "" { // not urgent: sent with the others of its window
			due = now.Truncate(BatchWindow).Add(BatchWindow)
		}
		r.WeChat = Delivery{State: Queued, Template: t.ID, Due: &due}
	}
	_, err := i.c.InsertOne(ctx, r)
	if store.IsDuplicate(err) {
		return nil // already told
	}
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// Get returns the record of key (for tests and support).
func (i *Inbox) Get(ctx context.Context, key string) (Record, error) {
	// $type states the unique index's partial filter, so that MongoDB uses it.
	return store.FindOne[Record](ctx, i.c, bson.M{"key": bson.M{"$eq": key, "$type": "string"}}, ErrNotFound.New())
}

// List returns up to limit notices of userID, newest first, after the
// cursor when given.
func (i *Inbox) List(ctx context.Context, userID string, cur page.Cursor, limit int) ([]Record, error) {
	filter := cur.Apply(bson.M{"userId": userID}, "createdAt", true)
	return store.FindAll[Record](ctx, i.c, filter, options.Find().
		SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
}

// Unread counts userID's notices not read yet.
func (i *Inbox) Unread(ctx context.Context, userID string) (int64, error) {
	n, err := i.c.CountDocuments(ctx, bson.M{"userId": userID, "readAt": bson.M{"$exists": false}})
	if err != nil {
		return 0, fmt.Errorf("notify: unread: %w", err)
	}
	return n, nil
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

// MarkAllRead marks every unread notice of userID read and says how many.
func (i *Inbox) MarkAllRead(ctx context.Context, userID string) (int64, error) {
	res, err := i.c.UpdateMany(ctx, bson.M{"userId": userID, "readAt": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"readAt": i.clock.Now()}})
	if err != nil {
		return 0, fmt.Errorf("notify: mark all read: %w", err)
	}
	return res.ModifiedCount, nil
}
