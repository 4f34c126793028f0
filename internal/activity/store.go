package activity

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/notify"
	"linli/internal/platform/page"
	"linli/internal/platform/store"
)

// Store keeps activities in MongoDB. Every change is one conditional
// update whose filter states the precondition; "no document" means it did
// not hold, and the service reads the activity again to say why.
type Store struct {
	c lungo.ICollection
}

// NewStore returns a store over db.
func NewStore(db lungo.IDatabase) *Store { return &Store{c: db.Collection("activities")} }

// Indexes are the indexes this store's queries need.
var Indexes = []store.Index{
	// A community's feed and staff list, upcoming (by start) and past (backwards).
	{Collection: "activities", Name: "community_start", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "startAt", Value: 1}, {Key: "_id", Value: 1}}},
	// An admin's list across communities.
	{Collection: "activities", Name: "start", Keys: bson.D{{Key: "startAt", Value: 1}, {Key: "_id", Value: 1}}},
	// A person's activities: signed up, or present (walk-ins).
	{Collection: "activities", Name: "signup_user", Keys: bson.D{{Key: "signups.userId", Value: 1}, {Key: "startAt", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: "activities", Name: "attended_user", Keys: bson.D{{Key: "attended.userId", Value: 1}, {Key: "startAt", Value: 1}, {Key: "_id", Value: 1}}},
	// The sweeps: reminders due, credits owed. remind_due serves
	// dueReminders: its equality (state, reminded) then its sort
	// (remindFailures, startAt, _id), the start's range bounded within each
	// count of failures; the retry time is read from the few starting
	// within the hour. It replaces "remind" (state, reminded, startAt),
	// dropped at start-up.
	{Collection: "activities", Name: "remind_due", Keys: bson.D{
		{Key: "state", Value: 1}, {Key: "reminded", Value: 1}, {Key: "remindFailures", Value: 1}, {Key: "startAt", Value: 1}, {Key: "_id", Value: 1},
	}},
	{Collection: "activities", Name: "remind", Retired: true},
	{Collection: "activities", Name: "unsettled", Keys: bson.D{{Key: "endAt", Value: 1}},
		Partial: bson.D{{Key: "unsettled", Value: bson.M{"$gt": 0}}}},
	// Notices owed and not handed over (see notices.go).
	{Collection: "activities", Name: "outbox", Keys: bson.D{{Key: "outboxSize", Value: 1}},
		Partial: bson.D{{Key: "outboxSize", Value: bson.M{"$gt": 0}}}},
}

// Insert stores a new activity.
func (s *Store) Insert(ctx context.Context, a Activity) error {
	if _, err := s.c.InsertOne(ctx, a); err != nil {
		return fmt.Errorf("activity: insert: %w", err)
	}
	return nil
}

// Get returns one activity, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Activity, error) {
	return store.FindOne[Activity](ctx, s.c, bson.M{"_id": id}, ErrNotFound.New())
}

// write applies update to the activity matching filter and returns it as
// it is after (or before, when before is set); ok is false when nothing
// matched.
func (s *Store) write(ctx context.Context, op string, filter, update bson.M, before bool) (Activity, bool, error) {
	rd := options.After
	if before {
		rd = options.Before
	}
	var a Activity
	err := s.c.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(rd)).Decode(&a)
	switch {
	case store.IsNoDocuments(err):
		return Activity{}, false, nil
	case err != nil:
		return Activity{}, false, fmt.Errorf("activity: %s: %w", op, err)
	}
	return a, true, nil
}

// noActiveSignup is "userID has no active sign-up", written as lungo and
// MongoDB read it alike (never $ne on an array): a $nin over the flat
// list of active members, which stays cheap on a busy activity where an
// $elemMatch over every sign-up would be evaluated on every write.
func noActiveSignup(userID string) bson.M {
	return bson.M{"$nin": bson.A{userID}}
}

// placed is what a sign-up needs to know of the activity just before its
// entry was appended: the entry is the last, so its rank among the active
// is Active, which says confirmed or waiting, and where.
type placed struct {
	CommunityID string `bson:"communityId"`
	Capacity    int    `bson:"capacity"`
	Active      int    `bson:"active"`
}

// signUp appends su to the sign-ups of activity id if the window is open at
// now, its audience is one of audiences (those of the person), the entries
// are below MaxEntries and su.UserID has no active sign-up. It returns the
// activity as it was just before (only what placed needs: the sign-ups of
// a busy activity are not read back on every sign-up).
func (s *Store) signUp(ctx context.Context, id string, su Signup, audiences []Audience, now time.Time) (placed, bool, error) {
	filter := bson.M{
		"_id": id, "state": Scheduled, "audience": bson.M{"$in": audiences},
		"signupOpensAt": bson.M{"$lte": now}, "signupClosesAt": bson.M{"$gt": now}, "endAt": bson.M{"$gt": now},
		"entries": bson.M{"$lt": MaxEntries},
		"members": noActiveSignup(su.UserID),
	}
	update := bson.M{
		"$push": bson.M{"signups": su, "members": su.UserID, "joined": su.At},
		"$inc":  bson.M{"active": 1, "entries": 1},
		"$set":  bson.M{"updatedAt": now},
	}
	var p placed
	err := s.c.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().
		SetReturnDocument(options.Before).SetProjection(bson.M{"communityId": 1, "capacity": 1, "active": 1})).Decode(&p)
	switch {
	case store.IsNoDocuments(err):
		return placed{}, false, nil
	case err != nil:
		return placed{}, false, fmt.Errorf("activity: sign up: %w", err)
	}
	return p, true, nil
}

// briefFields are what a refused sign-up reads to say why, or to answer a
// retry with the sign-up the caller has: every rule's field, the flat
// member list and join times, the attendance; not the sign-ups themselves
// (on a busy activity those are most of the document, and a thousand
// phones retrying at once would each copy them). An inclusion projection:
// lungo applies only the last of several exclusions.
var briefFields = bson.M{
	"communityId": 1, "state": 1, "audience": 1, "signupOpensAt": 1, "signupClosesAt": 1, "startAt": 1, "endAt": 1,
	"capacity": 1, "active": 1, "entries": 1, "members": 1, "joined": 1, "attended": 1,
}

// brief returns activity id with only briefFields (Signups is nil).
func (s *Store) brief(ctx context.Context, id string) (Activity, error) {
	return store.FindOne[Activity](ctx, s.c, bson.M{"_id": id}, ErrNotFound.New(), options.FindOne().SetProjection(briefFields))
}

// leave marks entry index (userID's, active) inactive if the activity has
// not started at now, userID has not been marked present and pin (what
// owed was decided from) holds; owed goes into the outbox (held is the
// outbox as read). It returns the activity as it is after.
func (s *Store) leave(ctx context.Context, id string, index int, userID string, now time.Time, pin bson.M, held map[string]notify.Notice, owed []notify.Notice) (Activity, bool, error) {
	entry := "signups." + strconv.Itoa(index)
	filter := bson.M{
		"_id": id, "state": Scheduled, "startAt": bson.M{"$gt": now},
		entry + ".userId": userID, entry + ".active": true,
		"attended.userId": bson.M{"$nin": bson.A{userID}},
	}
	for k, v := range pin {
		filter[k] = v
	}
	set := bson.M{entry + ".active": false, entry + ".leftAt": now, "members." + strconv.Itoa(index): "", "updatedAt": now}
	update := bson.M{"$set": set, "$inc": bson.M{"active": -1, "outboxSize": owe(filter, set, held, owed)}}
	return s.write(ctx, "leave", filter, update, false)
}

// attend records at unless its person is present already. When index is
// not negative, entry index must still be at.UserID's active sign-up (a
// confirmed person stays confirmed while active: see Service.CheckIn).
func (s *Store) attend(ctx context.Context, id string, at Attendance, index int) (Activity, bool, error) {
	filter := bson.M{"_id": id, "state": Scheduled, "attended.userId": bson.M{"$nin": bson.A{at.UserID}}}
	if index >= 0 {
		entry := "signups." + strconv.Itoa(index)
		filter[entry+".userId"], filter[entry+".active"] = at.UserID, true
	}
	update := bson.M{
		"$push": bson.M{"attended": at},
		"$inc":  bson.M{"unsettled": 1},
		"$set":  bson.M{"updatedAt": at.At},
	}
	return s.write(ctx, "attend", filter, update, false)
}

// edit sets the fields of an edit if the activity is still scheduled, not
// ended at now, and its capacity is still oldCapacity; a capacity lowered
// below oldCapacity also needs no more active sign-ups than the new one,
// so that nobody confirmed loses their place. When owed depends on who is
// signed up (pinned), the sign-ups must be those of old: the same entries,
// as many active (entries only turn inactive), and the same version.
func (s *Store) edit(ctx context.Context, old *Activity, set bson.M, now time.Time, pinned bool, owed []notify.Notice) (Activity, bool, error) {
	filter := bson.M{"_id": old.ID, "state": Scheduled, "endAt": bson.M{"$gt": now}, "capacity": old.Capacity}
	if c := set["capacity"].(int); c < old.Capacity {
		filter["active"] = bson.M{"$lte": c}
	}
	if pinned {
		filter["active"], filter["entries"], filter["version"] = old.Active, old.Entries, old.Version
	}
	set["updatedAt"] = now
	return s.write(ctx, "edit", filter, bson.M{"$set": set, "$inc": bson.M{"version": 1, "outboxSize": owe(filter, set, old.Outbox, owed)}}, false)
}

// cancel cancels a scheduled activity that has not ended at now, if its
// sign-ups are still those of old (whom owed tells); owed goes into the
// outbox.
func (s *Store) cancel(ctx context.Context, old *Activity, reason string, now time.Time, owed []notify.Notice) (Activity, bool, error) {
	filter := bson.M{"_id": old.ID, "state": Scheduled, "endAt": bson.M{"$gt": now}, "active": old.Active, "entries": old.Entries}
	set := bson.M{"state": Cancelled, "cancelReason": reason, "cancelledAt": now, "updatedAt": now}
	update := bson.M{"$set": set, "$inc": bson.M{"version": 1, "outboxSize": owe(filter, set, old.Outbox, owed)}}
	return s.write(ctx, "cancel", filter, update, false)
}

// delivered removes the notice keyed key from the outbox of activity id;
// of two sweeps handing it over, one removes it.
func (s *Store) delivered(ctx context.Context, id, key string) error {
	f := outboxField(key)
	_, err := s.c.UpdateOne(ctx, bson.M{"_id": id, f: bson.M{"$exists": true}},
		bson.M{"$unset": bson.M{f: ""}, "$inc": bson.M{"outboxSize": -1}})
	if err != nil {
		return fmt.Errorf("activity: outbox: %w", err)
	}
	return nil
}

// emptied sets outboxSize to 0 on activity id if its outbox is empty: the
// count of a document written before owe counted only new keys could stay
// above its outbox for ever, and the sweep read it every minute. A notice
// owed meanwhile makes the filter miss.
func (s *Store) emptied(ctx context.Context, id string) error {
	_, err := s.c.UpdateOne(ctx,
		bson.M{"_id": id, "outboxSize": bson.M{"$gt": 0}, "outbox": bson.M{"$in": bson.A{bson.M{}, nil}}},
		bson.M{"$set": bson.M{"outboxSize": 0}})
	if err != nil {
		return fmt.Errorf("activity: outbox: %w", err)
	}
	return nil
}

// owing returns activities whose outbox holds notices (only the outbox).
func (s *Store) owing(ctx context.Context, limit int) ([]Activity, error) {
	return store.FindAll[Activity](ctx, s.c, bson.M{"outboxSize": bson.M{"$gt": 0}},
		options.Find().SetProjection(bson.M{"_id": 1, "outbox": 1, "outboxSize": 1}).SetLimit(int64(limit)))
}

// settle records that userID's credit for the activity is done.
func (s *Store) settle(ctx context.Context, id, userID string) error {
	_, err := s.c.UpdateOne(ctx,
		bson.M{"_id": id, "attended.userId": userID, "settled": bson.M{"$nin": bson.A{userID}}},
		bson.M{"$push": bson.M{"settled": userID}, "$inc": bson.M{"unsettled": -1}})
	if err != nil {
		return fmt.Errorf("activity: settle: %w", err)
	}
	return nil
}

// markReminded records that the reminder for a's start went out to the
// people confirmed in a as read: the filter pins its sign-ups (as many
// entries, as many active, the same version), so that when someone left,
// joined or was promoted meanwhile it matches nothing and the next sweep
// tells those confirmed then (the ones told already are not told again:
// their reminders are keyed).
func (s *Store) markReminded(ctx context.Context, a *Activity) error {
	_, err := s.c.UpdateOne(ctx, bson.M{
		"_id": a.ID, "reminded": false, "startAt": a.StartAt,
		"active": a.Active, "entries": a.Entries, "version": a.Version,
	}, bson.M{"$set": bson.M{"reminded": true}})
	if err != nil {
		return fmt.Errorf("activity: reminded: %w", err)
	}
	return nil
}

// remindFailed records that a sweep at now could not store every reminder
// for a's start: the activity waits remindBackoff before the next try.
// Two sweeps failing at once count twice, which only waits longer.
func (s *Store) remindFailed(ctx context.Context, a *Activity, now time.Time) error {
	_, err := s.c.UpdateOne(ctx, bson.M{"_id": a.ID, "reminded": false, "startAt": a.StartAt}, bson.M{
		"$set": bson.M{"remindRetryAt": now.Add(remindBackoff(a.RemindFailures + 1))},
		"$inc": bson.M{"remindFailures": 1},
	})
	if err != nil {
		return fmt.Errorf("activity: reminder failed: %w", err)
	}
	return nil
}

// When chooses upcoming (not ended: by start, soonest first) or past
// (ended: latest start first).
type When string

// The choices.
const (
	Upcoming When = "upcoming"
	Past     When = "past"
)

// list returns up to limit activities matching filter, upcoming or past
// at now, after the cursor.
func (s *Store) list(ctx context.Context, filter bson.M, when When, now time.Time, cur page.Cursor, limit int) ([]Activity, error) {
	op, dir := "$gt", 1
	if when == Past {
		op, dir = "$lt", -1
		filter["endAt"] = bson.M{"$lte": now}
	} else {
		filter["endAt"] = bson.M{"$gt": now}
	}
	if cur.ID != "" {
		t := time.UnixMilli(cur.Key)
		filter["$or"] = bson.A{
			bson.M{"startAt": bson.M{op: t}},
			bson.M{"startAt": t, "_id": bson.M{op: cur.ID}},
		}
	}
	return store.FindAll[Activity](ctx, s.c, filter, options.Find().
		SetSort(bson.D{{Key: "startAt", Value: dir}, {Key: "_id", Value: dir}}).SetLimit(int64(limit)))
}

// inCommunities lists the activities of communities (nil: every one).
func (s *Store) inCommunities(ctx context.Context, communities []string, when When, now time.Time, cur page.Cursor, limit int) ([]Activity, error) {
	filter := bson.M{}
	if communities != nil {
		filter["communityId"] = bson.M{"$in": communities}
	}
	return s.list(ctx, filter, when, now, cur, limit)
}

// of lists the activities userID signed up for (even if they left) or was
// present at.
func (s *Store) of(ctx context.Context, userID string, when When, now time.Time, cur page.Cursor, limit int) ([]Activity, error) {
	filter := bson.M{"$and": bson.A{bson.M{"$or": bson.A{bson.M{"signups.userId": userID}, bson.M{"attended.userId": userID}}}}}
	return s.list(ctx, filter, when, now, cur, limit)
}

// dueReminders returns scheduled activities starting within RemindBefore
// of now whose reminder has not gone out and whose retry time (after a
// failure) has come: those that never failed first, then by fewest
// failures, soonest start. An activity whose reminders keep failing takes
// no place in the batch while it waits, and none before one not tried.
func (s *Store) dueReminders(ctx context.Context, now time.Time, limit int) ([]Activity, error) {
	return store.FindAll[Activity](ctx, s.c, bson.M{
		"state": Scheduled, "reminded": false, "startAt": bson.M{"$gt": now, "$lte": now.Add(RemindBefore)},
		"remindRetryAt": bson.M{"$not": bson.M{"$gt": now}}, // none yet (or null), or come
	}, options.Find().SetSort(remindOrder).SetLimit(int64(limit)))
}

// remindOrder is the order dueReminders reads in; the index remind_due
// holds it after the equality fields, so that MongoDB reads it in index
// order without sorting.
var remindOrder = bson.D{{Key: "remindFailures", Value: 1}, {Key: "startAt", Value: 1}, {Key: "_id", Value: 1}}

// unsettled returns ended activities with credits not yet settled.
func (s *Store) unsettled(ctx context.Context, now time.Time, limit int) ([]Activity, error) {
	return store.FindAll[Activity](ctx, s.c, bson.M{"unsettled": bson.M{"$gt": 0}, "endAt": bson.M{"$lte": now}},
		options.Find().SetLimit(int64(limit)))
}
