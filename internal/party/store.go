package party

import (
	"context"
	"fmt"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/apperr"
	"linli/internal/notify"
	"linli/internal/platform/store"
)

// Collections of this area.
const (
	cRegistrations = "party_registrations"
	cPoints        = "party_points"
	cCheckins      = "party_checkins"
	cEvaluations   = "party_evaluations"
	cSettings      = "party_settings"
)

// Indexes are the indexes this area's queries need.
var Indexes = append([]store.Index{
	{Collection: cRegistrations, Name: "pending_slot_unique", Keys: bson.D{{Key: "pendingSlot", Value: 1}}, Unique: true,
		Partial: bson.D{{Key: "pendingSlot", Value: bson.M{"$type": "string"}}}},
	{Collection: cRegistrations, Name: "user_state_decided", Keys: bson.D{{Key: "userId", Value: 1}, {Key: "state", Value: 1}, {Key: "decidedAt", Value: -1}}},
	{Collection: cRegistrations, Name: "user_created", Keys: bson.D{{Key: "userId", Value: 1}, {Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}},
	{Collection: cRegistrations, Name: "community_state_id", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "state", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: cRegistrations, Name: "community_state_org_id", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "state", Value: 1}, {Key: "partyOrganization", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: cRegistrations, Name: "community_created", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "createdAt", Value: 1}}},
	{Collection: cRegistrations, Name: "phone_hash", Keys: bson.D{{Key: "phoneHash", Value: 1}, {Key: "communityId", Value: 1}, {Key: "state", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: cRegistrations, Name: "supersede_owed", Keys: bson.D{{Key: "supersedeOwed", Value: 1}},
		Partial: bson.D{{Key: "supersedeOwed", Value: true}}},
	{Collection: cPoints, Name: "community_id", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: cCheckins, Name: "open_slot_unique", Keys: bson.D{{Key: "openSlot", Value: 1}}, Unique: true,
		Partial: bson.D{{Key: "openSlot", Value: bson.M{"$type": "string"}}}},
	{Collection: cCheckins, Name: "code_use_unique", Keys: bson.D{{Key: "codeUse", Value: 1}}, Unique: true},
	{Collection: cCheckins, Name: "state_checked_in", Keys: bson.D{{Key: "state", Value: 1}, {Key: "checkedInAt", Value: 1}}},
	{Collection: cCheckins, Name: "community_flagged_id", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "flagged", Value: 1}, {Key: "_id", Value: -1}}},
	{Collection: cCheckins, Name: "community_id", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "_id", Value: -1}}},
	{Collection: cCheckins, Name: "credit_owed", Keys: bson.D{{Key: "creditOwed", Value: 1}},
		Partial: bson.D{{Key: "creditOwed", Value: true}}},
	{Collection: cEvaluations, Name: "registration_year", Keys: bson.D{{Key: "registrationId", Value: 1}, {Key: "year", Value: 1}}},
}, owingIndexes(cRegistrations, cEvaluations, cCheckins)...)

// Store keeps registrations, points, check-ins, evaluations and settings.
type Store struct {
	regs, points, checkins, evals, settings lungo.ICollection
}

// NewStore returns the store over db.
func NewStore(db lungo.IDatabase) *Store {
	return &Store{
		regs: db.Collection(cRegistrations), points: db.Collection(cPoints), checkins: db.Collection(cCheckins),
		evals: db.Collection(cEvaluations), settings: db.Collection(cSettings),
	}
}

// PartyCommunityOf is the community of userID's approved registration
// (the newest, should two exist for a moment while a move completes).
func (s *Store) PartyCommunityOf(ctx context.Context, userID string) (string, error) {
	r, err := s.approvedOf(ctx, userID)
	if err != nil || r == nil {
		return "", err
	}
	return r.CommunityID, nil
}

// approvedOf is userID's approved registration, the newest should two
// exist for a moment while a move completes. It is picked here, not by a
// sort in the query: lungo sorts before it filters, which made every
// check-in sort the whole collection. Its events are not read (no caller
// needs them; one exclusion: lungo applies only the last of several).
func (s *Store) approvedOf(ctx context.Context, userID string) (*Registration, error) {
	list, err := store.FindAll[Registration](ctx, s.regs, bson.M{"userId": userID, "state": Approved},
		options.Find().SetProjection(bson.M{"events": 0}))
	if err != nil {
		return nil, err
	}
	var newest *Registration
	for i, r := range list {
		if newest == nil || r.DecidedAt != nil && (newest.DecidedAt == nil || r.DecidedAt.After(*newest.DecidedAt)) {
			newest = &list[i]
		}
	}
	return newest, nil
}

func (s *Store) pendingOf(ctx context.Context, userID string) (*Registration, error) {
	// The slot's partial filter stated, so real MongoDB may use its index.
	r, err := store.FindOne[Registration](ctx, s.regs, bson.M{"pendingSlot": bson.M{"$eq": userID, "$type": "string"}, "state": Pending}, errNone)
	if err == errNone {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// errNone is "no document" where none is an answer, not an error.
var errNone = fmt.Errorf("party: none")

func (s *Store) insertRegistration(ctx context.Context, r Registration) error {
	_, err := s.regs.InsertOne(ctx, r)
	if store.IsDuplicate(err) {
		return ErrPendingExists.New()
	}
	if err != nil {
		return fmt.Errorf("party: insert registration: %w", err)
	}
	return nil
}

func (s *Store) registration(ctx context.Context, id string) (Registration, error) {
	return store.FindOne[Registration](ctx, s.regs, bson.M{"_id": id}, ErrNotFound.New())
}

func (s *Store) historyOf(ctx context.Context, userID string, limit int) ([]Registration, error) {
	return store.FindAll[Registration](ctx, s.regs, bson.M{"userId": userID},
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
}

// move is one registration transition: from the state in the filter to
// what set says, appending ev, and the notice it owes the person (tell,
// or nil) into the outbox (the same write; one at most, as one $push
// without $each, which lungo lacks, adds one). It returns the registration
// after it, or false when the precondition did not hold.
func (s *Store) move(ctx context.Context, id string, from State, set bson.M, unset []string, ev Event, tell *notify.Notice) (Registration, bool, error) {
	update := bson.M{"$set": set, "$push": bson.M{"events": ev}}
	if tell != nil {
		owe(update, *tell)
	}
	if len(unset) > 0 {
		u := bson.M{}
		for _, f := range unset {
			u[f] = ""
		}
		update["$unset"] = u
	}
	var r Registration
	err := s.regs.FindOneAndUpdate(ctx, bson.M{"_id": id, "state": from}, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&r)
	if store.IsNoDocuments(err) {
		return Registration{}, false, nil
	}
	if err != nil {
		return Registration{}, false, fmt.Errorf("party: registration %s: %w", id, err)
	}
	return r, true, nil
}

// endOthers ends every approved registration of userID but keep (moving
// home), and returns them.
func (s *Store) endOthers(ctx context.Context, userID, keep string, now time.Time) ([]Registration, error) {
	old, err := store.FindAll[Registration](ctx, s.regs, bson.M{"userId": userID, "state": Approved, "_id": bson.M{"$nin": bson.A{keep}}})
	if err != nil {
		return nil, err
	}
	var ended []Registration
	for _, o := range old {
		r, ok, err := s.move(ctx, o.ID, Approved, bson.M{"state": Ended, "endReason": "moved", "endedAt": now, "updatedAt": now}, nil,
			Event{Type: "ended", At: now, Note: "moved"}, new(movedNotice(o, now)))
		if err != nil {
			return ended, err
		}
		if ok {
			ended = append(ended, r)
		}
	}
	return ended, nil
}

func (s *Store) superseded(ctx context.Context, id string) error {
	_, err := s.regs.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$unset": bson.M{"supersedeOwed": ""}})
	return err
}

func (s *Store) supersedeOwed(ctx context.Context, limit int) ([]Registration, error) {
	return store.FindAll[Registration](ctx, s.regs, bson.M{"supersedeOwed": true}, options.Find().SetLimit(int64(limit)))
}

// listRegistrations is a page of a community's registrations in one
// state, by ID (oldest first), after afterID.
func (s *Store) listRegistrations(ctx context.Context, communityID string, state State, org, afterID string, limit int) ([]Registration, error) {
	filter := bson.M{"communityId": communityID, "state": state}
	if org != "" {
		filter["partyOrganization"] = org
	}
	if afterID != "" {
		filter["_id"] = bson.M{"$gt": afterID}
	}
	return store.FindAll[Registration](ctx, s.regs, filter,
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)).SetProjection(bson.M{"events": 0}))
}

// byPhone is listRegistrations of the registrations whose phone has hash.
func (s *Store) byPhone(ctx context.Context, communityID string, state State, hash, afterID string, limit int) ([]Registration, error) {
	filter := bson.M{"phoneHash": hash, "communityId": communityID, "state": state}
	if afterID != "" {
		filter["_id"] = bson.M{"$gt": afterID}
	}
	return store.FindAll[Registration](ctx, s.regs, filter,
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)).SetProjection(bson.M{"events": 0}))
}

func (s *Store) count(ctx context.Context, filter bson.M) (int64, error) {
	n, err := s.regs.CountDocuments(ctx, filter)
	if err != nil {
		return 0, fmt.Errorf("party: count: %w", err)
	}
	return n, nil
}

// members returns every approved registration of a community (user,
// grid, name): a community's members are hundreds, at most a few thousand.
func (s *Store) members(ctx context.Context, communityID string) ([]Registration, error) {
	return store.FindAll[Registration](ctx, s.regs, bson.M{"communityId": communityID, "state": Approved},
		options.Find().SetProjection(bson.M{"userId": 1, "gridId": 1, "realName": 1, "communityId": 1}))
}

// servedIn returns every approved or ended registration of a community
// (user, grid, name, state): whoever was a member there, for the boards of
// past years.
func (s *Store) servedIn(ctx context.Context, communityID string) ([]Registration, error) {
	return store.FindAll[Registration](ctx, s.regs, bson.M{"communityId": communityID, "state": bson.M{"$in": bson.A{Approved, Ended}}},
		options.Find().SetProjection(bson.M{"userId": 1, "gridId": 1, "realName": 1, "communityId": 1, "state": 1}))
}

// Evaluations and settings.

// evaluate stores v as the current evaluation of (r, year), keeps it in
// the history and owes the member tell(n) (n: the version it is), all in
// one conditional upsert: the filter states the history's length read
// just before, so n is exact; an evaluation meanwhile makes it read again.
func (s *Store) evaluate(ctx context.Context, r Registration, year int, v EvaluationVersion, tell func(n int) notify.Notice) (Evaluation, error) {
	id := fmt.Sprintf("%s:%d", r.ID, year)
	for range maxEvaluateTries {
		cur, err := store.FindOne[Evaluation](ctx, s.evals, bson.M{"_id": id}, errNone,
			options.FindOne().SetProjection(bson.M{"history": 1}))
		if err != nil && err != errNone {
			return Evaluation{}, err
		}
		n := len(cur.History)
		filter := lengthIs(bson.M{"_id": id}, "history", n)
		update := owe(bson.M{
			"$set": bson.M{"registrationId": r.ID, "userId": r.UserID, "communityId": r.CommunityID, "year": year,
				"grade": v.Grade, "comment": v.Comment, "by": v.By, "at": v.At},
			"$push": bson.M{"history": v},
		}, tell(n+1))
		var e Evaluation
		err = s.evals.FindOneAndUpdate(ctx, filter, update,
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&e)
		if store.IsDuplicate(err) || store.IsNoDocuments(err) {
			continue // evaluated meanwhile: the upsert found the document of another length
		}
		if err != nil {
			return Evaluation{}, fmt.Errorf("party: evaluate: %w", err)
		}
		return e, nil
	}
	return Evaluation{}, apperr.ErrUnavailable.New().NothingDone(time.Second) // try again: nothing was written
}

// maxEvaluateTries bounds evaluate's reads again (staff evaluating one
// member at the same moment are two or three).
const maxEvaluateTries = 8

func (s *Store) evaluations(ctx context.Context, regIDs []string, year int) (map[string]Evaluation, error) {
	list, err := store.FindAll[Evaluation](ctx, s.evals, bson.M{"registrationId": bson.M{"$in": regIDs}, "year": year})
	if err != nil {
		return nil, err
	}
	out := make(map[string]Evaluation, len(list))
	for _, e := range list {
		out[e.RegistrationID] = e
	}
	return out, nil
}

func (s *Store) targetOf(ctx context.Context, communityID string) (int, error) {
	st, err := store.FindOne[Settings](ctx, s.settings, bson.M{"_id": communityID}, errNone)
	if err == errNone {
		return DefaultTargetHours, nil
	}
	if err != nil {
		return 0, err
	}
	return st.YearlyTargetHours, nil
}

func (s *Store) setTarget(ctx context.Context, communityID string, hours int, now time.Time) error {
	_, err := s.settings.UpdateOne(ctx, bson.M{"_id": communityID},
		bson.M{"$set": bson.M{"yearlyTargetHours": hours, "updatedAt": now}}, options.Update().SetUpsert(true))
	return err
}

// filedIn counts a community's registrations filed in [from, to).
func (s *Store) filedIn(ctx context.Context, communityID string, from, to time.Time) (int64, error) {
	return s.count(ctx, bson.M{"communityId": communityID, "createdAt": bson.M{"$gte": from, "$lt": to}})
}

// inState counts a community's registrations in one state.
func (s *Store) inState(ctx context.Context, communityID string, st State) (int64, error) {
	return s.count(ctx, bson.M{"communityId": communityID, "state": st})
}
