package account

import (
	"context"

	"linli/internal/actor"
	"linli/internal/platform/text"
)

// SetNickname changes the name the caller is shown by (to staff on their
// messages, to posters on claims). WeChat logins start without one. With
// WeChat configured the name passes its content security first; in embedded
// mode there is nothing to ask.
func (s *Service) SetNickname(ctx context.Context, a actor.Actor, nickname string) (Profile, error) {
	nickname = text.Name(nickname)
	if s.wechat != nil {
		openID, err := s.OpenIDOf(ctx, a.UserID)
		if err != nil {
			return Profile{}, err
		}
		if err := s.wechat.CheckText(ctx, openID, "", nickname); err != nil {
			return Profile{}, err
		}
	}
	if err := s.store.SetNickname(ctx, a.UserID, nickname, s.clock.Now()); err != nil {
		return Profile{}, err
	}
	return s.refreshed(ctx, a.UserID)
}
