package account

import (
	"context"
	"fmt"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/platform/store"
)

// Store keeps users and staff profiles in MongoDB.
type Store struct {
	users lungo.ICollection
	staff lungo.ICollection
}

// NewStore returns a store over db.
func NewStore(db lungo.IDatabase) *Store {
	return &Store{users: db.Collection("users"), staff: db.Collection("staff")}
}

// Indexes are the indexes this store's queries need.
var Indexes = []store.Index{
	{Collection: "users", Name: "nickname_check", Keys: bson.D{{Key: "nicknameCheckDue", Value: 1}},
		Partial: bson.D{{Key: "nicknameCheckDue", Value: bson.M{"$exists": true}}}},
	{Collection: "users", Name: "openId_unique", Keys: bson.D{{Key: "openId", Value: 1}}, Unique: true},
	// One active staff profile per user. (The filter is a bson.D: a map's
	// random key order made the same index look different on a restart.)
	{Collection: "staff", Name: "active_user_unique", Keys: bson.D{{Key: "userId", Value: 1}}, Unique: true,
		Partial: bson.D{{Key: "userId", Value: bson.M{"$type": "string"}}, {Key: "active", Value: true}}},
	{Collection: "staff", Name: "inviteHash_unique", Keys: bson.D{{Key: "inviteHash", Value: 1}}, Unique: true},
	{Collection: "staff", Name: "community", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: "staff", Name: "community_secretary", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "secretary", Value: 1}, {Key: "active", Value: 1}}},
	{Collection: "staff", Name: "grids", Keys: bson.D{{Key: "gridIds", Value: 1}, {Key: "active", Value: 1}}},
}

// UpsertByOpenID returns the user of openID, creating it from fresh when
// absent. Two first logins at once both get the same user.
func (s *Store) UpsertByOpenID(ctx context.Context, fresh User) (User, error) {
	update := bson.M{"$setOnInsert": bson.M{
		"_id": fresh.ID, "nickname": fresh.Nickname, "volunteer": false,
		"createdAt": fresh.CreatedAt, "updatedAt": fresh.UpdatedAt,
	}}
	if fresh.UnionID != "" {
		update["$set"] = bson.M{"unionId": fresh.UnionID}
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var u User
	err := s.users.FindOneAndUpdate(ctx, bson.M{"openId": fresh.OpenID}, update, opts).Decode(&u)
	if store.IsDuplicate(err) { // lost the insert race: the winner's user exists now
		return s.UserByOpenID(ctx, fresh.OpenID)
	}
	if err != nil {
		return User{}, fmt.Errorf("account: upsert user: %w", err)
	}
	return u, nil
}

// User returns one user.
func (s *Store) User(ctx context.Context, id string) (User, error) {
	return store.FindOne[User](ctx, s.users, bson.M{"_id": id}, ErrUserNotFound.New())
}

// UserByOpenID returns the user of an openId.
func (s *Store) UserByOpenID(ctx context.Context, openID string) (User, error) {
	return store.FindOne[User](ctx, s.users, bson.M{"openId": openID}, ErrUserNotFound.New())
}

// SetNickname changes a user's nickname.
func (s *Store) SetNickname(ctx context.Context, id, nickname string, now time.Time) error {
	return s.setUser(ctx, id, bson.M{"nickname": nickname, "updatedAt": now})
}

// SetHome changes a user's home.
func (s *Store) SetHome(ctx context.Context, id string, h Home, now time.Time) error {
	return s.setUser(ctx, id, bson.M{"home": h, "updatedAt": now})
}

// SetVolunteer marks a user as a volunteer.
func (s *Store) SetVolunteer(ctx context.Context, id string, now time.Time) error {
	return s.setUser(ctx, id, bson.M{"volunteer": true, "updatedAt": now})
}

func (s *Store) setUser(ctx context.Context, id string, set bson.M) error {
	res, err := s.users.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("account: update user: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrUserNotFound.New()
	}
	return nil
}

// InsertStaff stores a new staff profile.
func (s *Store) InsertStaff(ctx context.Context, st Staff) error {
	if _, err := s.staff.InsertOne(ctx, st); err != nil {
		return fmt.Errorf("account: insert staff: %w", err)
	}
	return nil
}

// Staff returns one staff profile.
func (s *Store) Staff(ctx context.Context, id string) (Staff, error) {
	return store.FindOne[Staff](ctx, s.staff, bson.M{"_id": id}, ErrStaffNotFound.New())
}

// ActiveStaffOf returns the active staff profile bound to userID, if any.
func (s *Store) ActiveStaffOf(ctx context.Context, userID string) (*Staff, error) {
	// The query states the partial index's whole filter ($type included:
	// MongoDB uses a partial index only for a query that implies it, and
	// it does not infer $type from an equality).
	st, err := store.FindOne[Staff](ctx, s.staff,
		bson.M{"userId": bson.D{{Key: "$type", Value: "string"}, {Key: "$eq", Value: userID}}, "active": true}, ErrStaffNotFound.New())
	if ErrStaffNotFound.Is(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// StaffByInvite returns the profile whose invite code hashes to hash.
func (s *Store) StaffByInvite(ctx context.Context, hash string) (Staff, error) {
	return store.FindOne[Staff](ctx, s.staff, bson.M{"inviteHash": hash}, ErrInviteNotFound.New())
}

// Redeem binds the profile with this invite to userID, in one update whose
// filter states every precondition: unredeemed, unexpired, active. It reports
// whether it matched; a user who already holds an active profile is
// ErrAlreadyStaff (the unique index).
func (s *Store) Redeem(ctx context.Context, hash, userID string, now time.Time) (Staff, bool, error) {
	filter := bson.M{
		"inviteHash":      hash,
		"redeemedAt":      bson.M{"$exists": false},
		"inviteExpiresAt": bson.M{"$gt": now},
		"active":          true,
	}
	update := bson.M{"$set": bson.M{"userId": userID, "redeemedAt": now}}
	var st Staff
	err := s.staff.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&st)
	switch {
	case store.IsNoDocuments(err):
		return Staff{}, false, nil
	case store.IsDuplicate(err):
		return Staff{}, false, ErrAlreadyStaff.New()
	case err != nil:
		return Staff{}, false, fmt.Errorf("account: redeem: %w", err)
	}
	return st, true, nil
}

// Deactivate ends a staff profile; it reports the profile as it now is.
func (s *Store) Deactivate(ctx context.Context, id string, now time.Time) (Staff, error) {
	var st Staff
	err := s.staff.FindOneAndUpdate(ctx, bson.M{"_id": id, "active": true},
		bson.M{"$set": bson.M{"active": false, "deactivatedAt": now}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&st)
	if store.IsNoDocuments(err) {
		if _, err := s.Staff(ctx, id); err != nil {
			return Staff{}, err
		}
		return Staff{}, ErrStaffInactive.New()
	}
	if err != nil {
		return Staff{}, fmt.Errorf("account: deactivate: %w", err)
	}
	return st, nil
}

// StaffOfCommunity lists the profiles of a community after afterID, in ID order.
func (s *Store) StaffOfCommunity(ctx context.Context, communityID, afterID string, limit int) ([]Staff, error) {
	filter := bson.M{"communityId": communityID}
	if afterID != "" {
		filter["_id"] = bson.M{"$gt": afterID}
	}
	return store.FindAll[Staff](ctx, s.staff, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
}

// SetSecretary sets the secretary mark of one profile and returns it.
func (s *Store) SetSecretary(ctx context.Context, id string, secretary bool) (Staff, error) {
	var st Staff
	err := s.staff.FindOneAndUpdate(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"secretary": secretary}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&st)
	if store.IsNoDocuments(err) {
		return Staff{}, ErrStaffNotFound.New()
	}
	if err != nil {
		return Staff{}, fmt.Errorf("account: set secretary: %w", err)
	}
	return st, nil
}

// maxListed bounds the profiles one lookup returns: a community has tens of
// staff, not thousands.
const maxListed = 200

// SecretariesOf returns the active secretaries of a community.
func (s *Store) SecretariesOf(ctx context.Context, communityID string) ([]Staff, error) {
	return store.FindAll[Staff](ctx, s.staff, bson.M{"communityId": communityID, "secretary": true, "active": true},
		options.Find().SetLimit(maxListed))
}

// StaffOfGrid returns the active profiles responsible for a grid.
func (s *Store) StaffOfGrid(ctx context.Context, gridID string) ([]Staff, error) {
	return store.FindAll[Staff](ctx, s.staff, bson.M{"gridIds": gridID, "active": true}, options.Find().SetLimit(maxListed))
}

// ActiveBoundStaff lists active profiles bound to a user (the partial
// unique index on userId serves it).
func (s *Store) ActiveBoundStaff(ctx context.Context, limit int) ([]Staff, error) {
	return store.FindAll[Staff](ctx, s.staff, bson.M{"userId": bson.M{"$type": "string"}, "active": true},
		options.Find().SetLimit(int64(limit)))
}
