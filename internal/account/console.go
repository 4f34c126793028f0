package account

import (
	"context"

	"linli/internal/actor"
)

// The staff console's sign-in without WeChat: in development and demos a
// browser picks any active, bound staff member. Neither exists when WeChat
// is configured (then staff approve a console sign-in from the mini-program).

// DevStaff lists the active staff profiles bound to a user, for the
// console's development sign-in.
func (s *Service) DevStaff(ctx context.Context) ([]StaffView, error) {
	if !s.DevLoginEnabled() {
		return nil, ErrDevLoginDisabled.New()
	}
	list, err := s.store.ActiveBoundStaff(ctx, maxListed)
	if err != nil {
		return nil, err
	}
	out := make([]StaffView, len(list))
	for i, st := range list {
		out[i] = viewStaff(st)
	}
	return out, nil
}

// DevStaffLogin returns the user holding the active staff profile staffID,
// as an actor: the console's development sign-in.
func (s *Service) DevStaffLogin(ctx context.Context, staffID string) (actor.Actor, error) {
	if !s.DevLoginEnabled() {
		return actor.Actor{}, ErrDevLoginDisabled.New()
	}
	st, err := s.store.Staff(ctx, staffID)
	if err != nil {
		return actor.Actor{}, err
	}
	if !st.Active || st.UserID == "" {
		return actor.Actor{}, ErrStaffInactive.New()
	}
	return s.Actor(ctx, st.UserID)
}
