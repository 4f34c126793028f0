package party

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/notify"
)

// staffRegistration returns a registration the caller serves as staff;
// another community's is not found.
func (s *Service) staffRegistration(ctx context.Context, a actor.Actor, id string, notFound apperr.Def) (Registration, error) {
	r, err := s.store.registration(ctx, id)
	if err != nil || !a.StaffOf(r.CommunityID) {
		return Registration{}, notFound.New()
	}
	return r, nil
}

// Approve approves a pending registration into a grid (given, or the one
// the member chose): the person is at once a Party member of the community
// and a volunteer, and an approved registration they hold elsewhere ends
// (moving home).
func (s *Service) Approve(ctx context.Context, a actor.Actor, id, gridID string) (RegistrationView, error) {
	if err := a.RequireStaff(); err != nil {
		return RegistrationView{}, err
	}
	r, err := s.staffRegistration(ctx, a, id, ErrNotFound)
	if err != nil {
		return RegistrationView{}, err
	}
	if gridID == "" {
		gridID = r.GridID
	}
	if gridID != "" {
		if _, err := s.places.Resolve(ctx, r.CommunityID, gridID, ""); err != nil {
			return RegistrationView{}, err
		}
	}
	now := s.clock.Now()
	by := byOf(a)
	set := bson.M{"state": Approved, "decidedAt": now, "decidedBy": by, "updatedAt": now, "supersedeOwed": true}
	if gridID != "" {
		set["gridId"] = gridID
	}
	r, ok, err := s.store.move(ctx, id, Pending, set, []string{"pendingSlot"}, Event{Type: "approved", At: now, By: &by}, &notify.Notice{
		UserID: r.UserID, Kind: "party.approved", Key: "party:approved:" + r.ID, RefType: refRegistration, RefID: r.ID, CreatedAt: now,
		Title: "党员报到已通过", Body: "您已在社区报到成功，可以参加服务岗签到、认领微心愿。",
	})
	if err != nil {
		return RegistrationView{}, err
	}
	if !ok {
		return RegistrationView{}, ErrNotPending.New()
	}
	if err := s.supersede(ctx, r); err != nil {
		s.log.WarnContext(ctx, "party: ending the registration moved from; the sweep finishes it", "registration", r.ID, "err", err)
	}
	s.membershipChanged(ctx, r)
	s.handOver(ctx, s.store.regs, r.ID, &r.Outbox)
	return s.view(ctx, r, true)
}

// movedNotice tells the person of o, an approved registration ended by
// their approval elsewhere (moving home) at at.
func movedNotice(o Registration, at time.Time) notify.Notice {
	return notify.Notice{
		UserID: o.UserID, Kind: "party.moved", Key: "party:moved:" + o.ID, RefType: refRegistration, RefID: o.ID, CreatedAt: at,
		Title: "原社区报到已结束", Body: "您在新社区的报到已通过，原社区的报到随之结束，服务记录仍然保留。",
	}
}

// supersede ends every other approved registration of r's person (moving
// home), then clears the mark the approval left.
func (s *Service) supersede(ctx context.Context, r Registration) error {
	ended, err := s.store.endOthers(ctx, r.UserID, r.ID, s.clock.Now())
	if err != nil {
		return err
	}
	for i, o := range ended {
		s.board.forget(ctx, o.CommunityID)
		s.handOver(ctx, s.store.regs, o.ID, &ended[i].Outbox)
	}
	return s.store.superseded(ctx, r.ID)
}

// Reject refuses a pending registration, telling the person why.
func (s *Service) Reject(ctx context.Context, a actor.Actor, id, reason string) (RegistrationView, error) {
	if err := a.RequireStaff(); err != nil {
		return RegistrationView{}, err
	}
	cur, err := s.staffRegistration(ctx, a, id, ErrNotFound)
	if err != nil {
		return RegistrationView{}, err
	}
	reason, err = reasonText("reason", "未通过的原因", reason)
	if err != nil {
		return RegistrationView{}, err
	}
	now := s.clock.Now()
	by := byOf(a)
	r, ok, err := s.store.move(ctx, id, Pending, bson.M{"state": Rejected, "reason": reason, "decidedAt": now, "decidedBy": by, "updatedAt": now},
		[]string{"pendingSlot"}, Event{Type: "rejected", At: now, By: &by, Note: reason}, &notify.Notice{
			UserID: cur.UserID, Kind: "party.rejected", Key: "party:rejected:" + cur.ID, RefType: refRegistration, RefID: cur.ID, CreatedAt: now,
			Title: "党员报到未通过", Body: "原因：" + reason,
		})
	if err != nil {
		return RegistrationView{}, err
	}
	if !ok {
		return RegistrationView{}, ErrNotPending.New()
	}
	s.handOver(ctx, s.store.regs, r.ID, &r.Outbox)
	return s.view(ctx, r, true)
}

// SetGrid puts an approved member into a grid of their community (编入网格).
func (s *Service) SetGrid(ctx context.Context, a actor.Actor, id, gridID string) (RegistrationView, error) {
	if err := a.RequireStaff(); err != nil {
		return RegistrationView{}, err
	}
	r, err := s.staffRegistration(ctx, a, id, ErrMemberNotFound)
	if err != nil {
		return RegistrationView{}, err
	}
	if _, err := s.places.Resolve(ctx, r.CommunityID, gridID, ""); err != nil {
		return RegistrationView{}, err
	}
	now := s.clock.Now()
	by := byOf(a)
	r, ok, err := s.store.move(ctx, id, Approved, bson.M{"gridId": gridID, "updatedAt": now}, nil,
		Event{Type: "grid_changed", At: now, By: &by, Note: gridID}, nil)
	if err != nil {
		return RegistrationView{}, err
	}
	if !ok {
		return RegistrationView{}, ErrMemberNotFound.New()
	}
	return s.view(ctx, r, true)
}

// Registrations lists a community's registrations in one state, oldest
// first (the queue order), with phones masked. A phone given finds that
// person's registrations by the phone's keyed hash (it is never stored in
// the clear).
func (s *Service) Registrations(ctx context.Context, a actor.Actor, communityID string, state State, phone, afterID string, limit int) ([]RegistrationView, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	communityID, err := s.scope(ctx, a, communityID)
	if err != nil {
		return nil, err
	}
	if phone, err = normalisePhone(phone); err != nil {
		return nil, err
	}
	var list []Registration
	if phone != "" {
		list, err = s.store.byPhone(ctx, communityID, state, s.box.Hash(phone), afterID, limit)
	} else {
		list, err = s.store.listRegistrations(ctx, communityID, state, "", afterID, limit)
	}
	if err != nil {
		return nil, err
	}
	out := make([]RegistrationView, 0, len(list))
	names := placeNames{}
	for _, r := range list {
		v, err := s.viewIn(ctx, names, r, false)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
