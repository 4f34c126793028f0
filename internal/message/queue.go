package message

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/platform/page"
)

// Scope is which queue a staff member reads.
type Scope string

// The queues.
const (
	ScopeMine      Scope = "mine"      // the messages the caller owns
	ScopeGrid      Scope = "grid"      // the messages of the caller's grids
	ScopeCommunity Scope = "community" // every message of the community
)

// QueueQuery asks for one page of a queue.
type QueueQuery struct {
	Scope Scope
	// States filters; empty means the active states (work still owed).
	States []State
	// Category and Urgency filter when set.
	Category string
	Urgency  Urgency
	// CommunityID is needed for admins; staff default to their community.
	CommunityID string
	Cursor      page.Cursor
	Limit       int
}

// Queue lists a backlog, by the deadline that matters now: overdue first.
func (s *Service) Queue(ctx context.Context, a actor.Actor, q QueueQuery) ([]Message, error) {
	filter, err := queueScope(a, q)
	if err != nil {
		return nil, err
	}
	states := q.States
	if len(states) == 0 {
		states = ActiveStates
	}
	return s.store.queue(ctx, filter, states, q.Cursor, q.Limit)
}

// QueueCounts counts the messages of a queue in each state (the states
// filter of q is ignored: every state is counted).
func (s *Service) QueueCounts(ctx context.Context, a actor.Actor, q QueueQuery) (map[State]int64, error) {
	filter, err := queueScope(a, q)
	if err != nil {
		return nil, err
	}
	return s.store.countByState(ctx, filter)
}

// queueScope is who may read which queue: the filter of the caller's scope.
func queueScope(a actor.Actor, q QueueQuery) (bson.M, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	cid := q.CommunityID
	if cid == "" {
		if len(a.CommunityIDs) == 0 {
			return nil, apperr.ErrValidation.WithFields(fieldError("communityId", "required", "请选择社区"))
		}
		cid = a.CommunityIDs[0]
	}
	if !a.StaffOf(cid) {
		return nil, community.ErrCommunityNotFound.New()
	}
	filter := bson.M{"communityId": cid}
	switch q.Scope {
	case ScopeMine:
		if !a.MemberOf(cid) {
			return nil, ErrStaffRequired.New()
		}
		filter["owner.staffId"] = a.StaffID
	case ScopeGrid:
		// Never nil: $in wants an array, and a secretary or an admin may
		// be responsible for no grid (an empty queue, not an error).
		filter["gridId"] = bson.M{"$in": append([]string{}, a.GridIDs...)}
	case ScopeCommunity, "":
	default:
		return nil, apperr.ErrValidation.WithFields(fieldError("scope", "oneof", "请选择查看范围：我的、本网格或本社区"))
	}
	if q.Category != "" {
		filter["category"] = q.Category
	}
	if q.Urgency != "" {
		if !q.Urgency.Valid() {
			return nil, apperr.ErrValidation.WithFields(fieldError("urgency", "oneof", "紧急程度须为 urgent 或 normal"))
		}
		filter["urgency"] = q.Urgency
	}
	return filter, nil
}
