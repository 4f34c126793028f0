package activity

import (
	"context"
	"fmt"

	"linli/internal/actor"
	"linli/internal/platform/clock"
)

// retries bounds how often an operation reads again after its conditional
// write found the activity changed in a way the read did not foresee.
const retries = 5

// SignUp signs the caller up: confirmed while places are free, waitlisted
// behind everyone waiting otherwise. Signing up again returns the existing
// sign-up unchanged, so a retry on a weak network is harmless.
func (s *Service) SignUp(ctx context.Context, who actor.Actor, id string) (MySignup, error) {
	name := who.Nickname
	if name == "" {
		name = "居民"
	}
	// The write comes first: it states every rule in its filter, so the
	// usual sign-up is one round trip. Only a refused one is read, to say
	// why (or to return the sign-up the caller already has).
	for range retries {
		now := s.clock.Now()
		su := Signup{ID: clock.NewID(), UserID: who.UserID, Name: name, At: now, Active: true}
		before, ok, err := s.store.signUp(ctx, id, su, audiencesOf(who), now)
		if err != nil {
			return MySignup{}, err
		}
		if ok {
			s.feed.invalidate(ctx, before.CommunityID)
			m := MySignup{Status: string(StatusConfirmed), SignedUpAt: &su.At}
			if rank := before.Active; rank >= before.Capacity {
				m.Status, m.Position = string(StatusWaitlisted), rank-before.Capacity+1
			}
			return m, nil
		}
		a, err := s.store.brief(ctx, id)
		if err != nil {
			return MySignup{}, err
		}
		if m, ok := a.briefSignupOf(who.UserID); ok {
			return m, nil // already signed up: unchanged
		}
		if err := a.whyNotSignup(now); err != nil {
			return MySignup{}, err
		}
		if !admits(a.Audience, who) {
			return MySignup{}, ErrAudience.WithDetails(map[string]any{"audience": a.Audience})
		}
		// The caller left between the write and the read: try again.
	}
	return MySignup{}, fmt.Errorf("activity %s: sign-up did not settle after %d attempts", id, retries)
}

// briefSignupOf is userID's active sign-up on a read of briefFields: its
// entry is where Members names them (a left entry is blanked), its rank the
// members named before it.
func (a *Activity) briefSignupOf(userID string) (MySignup, bool) {
	rank := 0
	for i, m := range a.Members {
		switch m {
		case "":
			continue
		case userID:
			if i >= len(a.Joined) {
				return MySignup{}, false // written before Joined existed: never in this product
			}
			at := a.Joined[i]
			my := MySignup{Status: string(StatusConfirmed), SignedUpAt: &at}
			if rank >= a.Capacity {
				my.Status, my.Position = string(StatusWaitlisted), rank-a.Capacity+1
			}
			if att, ok := a.attendanceOf(userID); ok {
				t := att.At
				my.CheckedInAt = &t
			}
			return my, true
		}
		rank++
	}
	return MySignup{}, false
}

// Leave withdraws the caller's sign-up before the start. A confirmed
// person's place goes to the first waiting, who is told; everyone waiting
// behind moves up by one.
func (s *Service) Leave(ctx context.Context, who actor.Actor, id string) (View, error) {
	for range retries {
		a, err := s.store.Get(ctx, id)
		if err != nil {
			return View{}, err
		}
		now := s.clock.Now()
		st, signed := a.StandingOf(who.UserID)
		_, present := a.attendanceOf(who.UserID)
		switch {
		case !signed:
			return View{}, ErrNotSignedUp.New()
		case a.State == Cancelled:
			return View{}, ErrCancelled.New()
		case !now.Before(a.StartAt):
			return View{}, ErrStarted.New()
		case present:
			return View{}, ErrCheckedIn.New()
		}
		s.betweenReadAndWrite("leave")
		before, ok, err := s.store.leave(ctx, id, st.Index, who.UserID, now)
		if err != nil {
			return View{}, err
		}
		if !ok {
			continue
		}
		s.feed.invalidate(ctx, before.CommunityID)
		// Who moves into the place follows from the activity as it was just
		// before this leave, which the write returned: exact under any
		// concurrency.
		if left, _ := before.StandingOf(who.UserID); left.Status == StatusConfirmed && before.Waiting() > 0 {
			s.tellPromoted(ctx, &before, before.Standings()[before.Capacity])
		}
		after, err := s.store.Get(ctx, id)
		if err != nil {
			return View{}, err
		}
		return viewOf(who, &after, now), nil
	}
	return View{}, fmt.Errorf("activity %s: leave did not settle after %d attempts", id, retries)
}
