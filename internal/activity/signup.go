package activity

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/notify"
	"linli/internal/platform/clock"
)

// retries bounds how often an operation reads again after its conditional
// write found the activity changed in a way the read did not foresee.
const retries = 5

// settleAttempts bounds the reads of a write whose filter pins an
// activity's sign-ups (a cancellation, an edit that tells people): each
// miss means another sign-up or leave succeeded, and an activity takes at
// most MaxEntries sign-ups and as many leaves.
const settleAttempts = 2*MaxEntries + retries

// leaveRetries bounds a leave's attempts. A confirmed person's leave pins
// the confirmed and the first waiting (whom it tells), so it reads again
// only when another leave of the same activity succeeded meanwhile: each
// failed attempt is someone else's progress, and a crowd leaving at once
// needs as many attempts as there are people in it.
const leaveRetries = 50

// SignUp signs the caller up: confirmed while places are free, waitlisted
// behind everyone waiting otherwise. Signing up again returns the existing
// sign-up unchanged, so a retry on a weak network is harmless.
func (s *Service) SignUp(ctx context.Context, who actor.Actor, id string) (MySignup, error) {
	// The nickname as it is, empty too: person.Resident names a resident
	// without one as every answer does (居民·XXXX).
	name := who.Nickname
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
			s.feed.Invalidate(ctx, before.CommunityID)
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
	for range leaveRetries {
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
		// A confirmed person's place goes to the first waiting, told in
		// the same write: the filter pins that the confirmed and the first
		// waiting are those read (or, with nobody waiting, that nobody
		// came to wait meanwhile).
		var owed []notify.Notice
		pin := bson.M{}
		if st.Status == StatusConfirmed {
			pin["capacity"] = a.Capacity
			if a.Waiting() > 0 {
				sts := a.Standings()
				for _, c := range sts[:a.Capacity+1] {
					pin["members."+itoa(c.Index)] = c.UserID
				}
				owed = append(owed, promoted(&a, sts[a.Capacity], now))
			} else {
				pin["active"] = bson.M{"$lte": a.Capacity}
			}
		}
		s.betweenReadAndWrite("leave")
		after, ok, err := s.store.leave(ctx, id, st.Index, who.UserID, now, pin, a.Outbox, owed)
		if err != nil {
			return View{}, err
		}
		if !ok {
			continue
		}
		s.feed.Invalidate(ctx, after.CommunityID)
		s.deliver(ctx, &after)
		return viewOf(who, &after, now), nil
	}
	return View{}, fmt.Errorf("activity %s: leave did not settle after %d attempts", id, leaveRetries)
}
