package account

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/lease"
	"linli/internal/platform/store"
	"linli/internal/platform/text"
	"linli/internal/platform/wechat"
)

// SetNickname changes the name the caller is shown by (to staff on their
// messages, to posters on claims). WeChat logins start without one. With
// WeChat configured the name passes its content security first (profile
// scene): risky is CONTENT_REJECTED; when WeChat cannot be reached the name
// is kept and waits (pendingNickname, the old name shown meanwhile) for the
// re-check job. In embedded mode there is nothing to ask.
func (s *Service) SetNickname(ctx context.Context, a actor.Actor, nickname string) (Profile, error) {
	nickname = text.Name(nickname)
	if long := apperr.TooLong(nil, "nickname", "昵称", nickname, MaxNickname); long != nil {
		return Profile{}, apperr.ErrValidation.WithFields(long...)
	}
	if s.wechat != nil {
		openID, err := s.OpenIDOf(ctx, a.UserID)
		if err != nil {
			return Profile{}, err
		}
		v, err := s.wechat.Verdict(ctx, openID, wechat.SceneProfile, "", nickname)
		if err != nil {
			due := s.clock.Now().Add(nicknameRecheck)
			if err := s.store.setUser(ctx, a.UserID, bson.M{"pendingNickname": nickname, "nicknameCheckDue": due,
				"nicknameAttempts": 0, "updatedAt": s.clock.Now()}); err != nil {
				return Profile{}, err
			}
			return s.refreshed(ctx, a.UserID)
		}
		if v == wechat.Risky {
			return Profile{}, wechat.ErrRisky.New()
		}
	}
	if err := s.store.SetNickname(ctx, a.UserID, nickname, s.clock.Now()); err != nil {
		return Profile{}, err
	}
	return s.refreshed(ctx, a.UserID)
}

// nicknameRecheck is the first pause before asking WeChat again; it
// doubles up to an hour.
const nicknameRecheck = time.Minute

// NicknameJob re-checks the nicknames that wait for WeChat, under a lease.
func (s *Service) NicknameJob() lease.Job {
	return lease.Job{Name: "nickname-recheck", Interval: time.Minute, Run: s.RecheckNicknames}
}

// RecheckNicknames asks WeChat again about every nickname due: pass (or
// review: a nickname has no moderator) makes it the user's name; risky
// drops it (the old name stays); unreachable asks again later. Each outcome
// is one write conditional on the attempt read.
func (s *Service) RecheckNicknames(ctx context.Context) error {
	if s.wechat == nil {
		return nil
	}
	now := s.clock.Now()
	due, err := store.FindAll[User](ctx, s.store.users, bson.M{"nicknameCheckDue": bson.M{"$exists": true, "$lte": now}},
		options.Find().SetLimit(200))
	if err != nil {
		return err
	}
	var errs []error
	for _, u := range due {
		filter := bson.M{"_id": u.ID, "nicknameCheckDue": u.NicknameCheckDue, "pendingNickname": u.PendingNickname}
		v, err := s.wechat.Verdict(ctx, u.OpenID, wechat.SceneProfile, "", u.PendingNickname)
		var update bson.M
		switch {
		case err != nil:
			n := u.NicknameAttempts + 1
			update = bson.M{"$set": bson.M{"nicknameCheckDue": now.Add(min(nicknameRecheck<<min(n, 8), time.Hour)), "nicknameAttempts": n}}
		case v == wechat.Risky:
			update = bson.M{"$unset": bson.M{"pendingNickname": "", "nicknameCheckDue": "", "nicknameAttempts": ""}}
		default:
			update = bson.M{"$set": bson.M{"nickname": u.PendingNickname, "updatedAt": now},
				"$unset": bson.M{"pendingNickname": "", "nicknameCheckDue": "", "nicknameAttempts": ""}}
		}
		if _, err := s.store.users.UpdateOne(ctx, filter, update); err != nil {
			errs = append(errs, err)
			continue
		}
		s.actors.forget(u.ID)
	}
	return errors.Join(errs...)
}
