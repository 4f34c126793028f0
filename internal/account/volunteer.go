package account

import (
	"context"

	"linli/internal/actor"
)

// BecomeVolunteer signs the caller up as a volunteer (志愿者): they may
// claim micro-wishes at once through this process (their cached roles are
// dropped here) and within ActorTTL through any other, whose cache expires.
// Signing up again changes nothing.
func (s *Service) BecomeVolunteer(ctx context.Context, a actor.Actor) (Profile, error) {
	if !a.Has(actor.Volunteer) {
		if err := s.store.SetVolunteer(ctx, a.UserID, s.clock.Now()); err != nil {
			return Profile{}, err
		}
	}
	return s.refreshed(ctx, a.UserID)
}

// OpenIDOf returns the WeChat openId of a user (content security checks a
// text against its author).
func (s *Service) OpenIDOf(ctx context.Context, userID string) (string, error) {
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return "", err
	}
	return u.OpenID, nil
}
